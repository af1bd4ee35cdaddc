/**
 * A site-checking thread: it loads a site (parse, validate, build, resolve) and answers the diagnostics and
 * the counts a revision stores. The pool (check-pool.ts) bounds its time and memory; nothing here needs to.
 */
import { parentPort } from "node:worker_threads";
import { loadSite, playbookRefs, withPolicy } from "../inventory";
import type { CheckReply, CheckRequest } from "./check-pool";

const port = parentPort!;

port.on("message", (req: CheckRequest) => {
  const started = performance.now();
  let reply: CheckReply;
  try {
    const site = withPolicy(loadSite(req.files), req.policy);
    const errors = site.diagnostics.filter((d) => d.severity === "error").length;
    reply = {
      id: req.id,
      ok: true,
      result: {
        diagnostics: site.diagnostics.slice(0, req.maxDiagnostics),
        omitted: Math.max(0, site.diagnostics.length - req.maxDiagnostics),
        summary: { errors, warnings: site.diagnostics.length - errors, hosts: site.model.hosts.size },
        playbooks: playbookRefs(site.workflows),
        ms: performance.now() - started,
      },
    };
  } catch (e) {
    // loadSite turns bad input into diagnostics; anything thrown here is a bug, told to the server's log.
    reply = { id: req.id, ok: false, message: e instanceof Error ? (e.stack ?? e.message) : String(e) };
  }
  port.postMessage(reply);
});

port.postMessage({ ready: true });
