/**
 * The escalation of the issue "A run reaches only its own site", as a new user would try it: an operator of one
 * site (no role anywhere else) saves a deployment whose host is `transport: local` on a site where a server
 * admin allowed local execution, and runs it. The step tries to read the server's age identity, its database
 * (which holds another site's secrets.yml), its cookie secret, its data directory and its process environment,
 * base64-encoded so masking cannot help; an `env:FLIGHTDECK_ADMIN_PASSWORD` reference is refused by lint
 * before anything runs. None of it may come back, and the step sees a clean environment. The server is a real
 * process, run as root and as an unprivileged user (nobody, with a data directory it owns).
 */
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { encodedForms } from "../../server/engine/masking";
import { findSandbox } from "../../server/transports/sandbox";
import { Client, join as joinRoom } from "../api/client";
import { localInventory } from "../engine/fleet-site";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const ADMIN_PASSWORD = "admin-password-escalation-7d1e";
const OTHER_SECRET = "other-site-db-password-42c9";
const PASSWORD = "correct horse battery";
const isRoot = process.getuid?.() === 0;
const sandbox = findSandbox({ hide: [], runUser: "nobody" });

interface Started {
  url: string;
  data: string;
  pid: number;
  child: ChildProcess;
}

/** The server in its own process, as `user` (setpriv) when given. */
async function startServer(asNobody: boolean): Promise<Started> {
  const argv = [process.execPath, "--import", "tsx", join(ROOT, "test/api/serve-child.ts")];
  const command = asNobody ? ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--", ...argv] : argv;
  const child = spawn(command[0]!, command.slice(1), {
    cwd: ROOT,
    env: { ...process.env, FLIGHTDECK_ADMIN_PASSWORD: ADMIN_PASSWORD, FLIGHTDECK_ENV_ALLOW: "" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const line = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.once("line", resolve);
    child.once("exit", (code) => reject(new Error(`the server exited (${code}) before it listened`)));
  });
  return { ...(JSON.parse(line) as { url: string; data: string; pid: number }), child };
}

async function stopServer(s: Started | undefined) {
  if (!s || s.child.exitCode !== null) return;
  const exited = new Promise((resolve) => s.child.once("exit", resolve));
  s.child.kill("SIGTERM");
  await exited;
}

/** Why the server cannot run as nobody here, or undefined when it can. */
function nobodyProblem(): string | undefined {
  if (!isRoot) return undefined; // already unprivileged: the server runs as this user
  const r = spawnSync("setpriv", ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "--", process.execPath, "-e", `require("fs").accessSync(${JSON.stringify(join(ROOT, "node_modules/tsx"))})`], { encoding: "utf8" });
  return r.status === 0 ? undefined : `user nobody cannot read the repository at ${ROOT} (${(r.stderr || r.error?.message || "").trim().split("\n")[0]})`;
}

const SITE = (probe: string, groupData: string, more = "") => `${localInventory(["box"], groupData)}---
kind: blueprint
api_version: v1beta1
spec:
  name: probe
  steps:
  - name: probe
    action: cmd.run
    params:
      cmd: |
${probe.split("\n").map((l) => `        ${l}`).join("\n")}
${more}---
kind: deployment
api_version: v1beta1
spec: {name: steal, stages: [{name: s, operations: [{blueprints: [probe], targets: [all], run_options: {max_fail_percentage: 100}}]}]}
`;

/** What the step tries: each read says READ (with the content, base64) or DENIED. */
const PROBE = (data: string, pid: number) => `D=${data}
for f in "$D/age-identity.txt" "$D/flightdeck.db" "$D/flightdeck.db-wal" "$D/auth-secret" /proc/${pid}/environ /proc/${pid}/cmdline; do
  if out=$(base64 -w0 "$f" 2>/dev/null) && [ -n "$out" ]; then echo "READ $f $out"; else echo "DENIED $f"; fi
done
if ls -A "$D" >/dev/null 2>&1; then echo "LISTED $(ls -A "$D" | base64 -w0)"; else echo "DENIED-LIST"; fi
echo "ENV $(env | base64 -w0)"
echo "UID $(id -u)"`;

for (const mode of ["root", "an unprivileged user"] as const) {
  const skip = !sandbox.ok
    ? `no sandbox on this machine: ${sandbox.ok ? "" : sandbox.message}`
    : mode === "root"
      ? isRoot
        ? false
        : "the tests do not run as root"
      : (nobodyProblem() ?? false);

  describe(`an operator's run on a site with local execution, the server running as ${mode}`, { skip }, () => {
    let server: Started | undefined;
    let admin: Client;
    let operator: Client;

    before(async () => {
      server = await startServer(mode !== "root" && isRoot);
      admin = new Client(server.url, "admin");
      assert.equal(await admin.signIn("admin", ADMIN_PASSWORD), 200);
      await admin.ok("sites.create", { slug: "lab", name: "Lab" });
      await admin.ok("sites.create", { slug: "other", name: "Other" });
      await admin.ok("sites.settings", { slug: "lab", approvalsRequired: 0 });
      await admin.ok("sites.localExecution", { slug: "lab", enabled: true });
      // Another site's secret, encrypted to the server's identity: what the database would give away.
      await admin.ok("secrets.set", { slug: "other", baseRevision: 1, key: "db.password", value: OTHER_SECRET });
      const { id } = await admin.ok<{ id: string }>("users.create", { username: "mallory", password: PASSWORD });
      await admin.ok("members.set", { slug: "lab", userId: id, role: "operator" });
      operator = new Client(server.url, "mallory");
      assert.equal(await operator.signIn("mallory", PASSWORD), 200);
    });
    after(() => stopServer(server));

    /** Save the lab site as the operator. */
    async function save(content: string) {
      const { revision } = await operator.ok<{ revision: number }>("files.list", { slug: "lab" }, "query");
      await operator.ok("files.save", { slug: "lab", baseRevision: revision, changes: [{ path: "inventory.yml", content }], message: "probe" });
    }

    /** Launch as the operator and follow the site's room until the run has ended. */
    async function runToEnd(): Promise<{ id: number; status: string }> {
      const socket = operator.socket();
      try {
        assert.deepEqual(await joinRoom(socket, "site.watch", "lab"), { ok: true });
        let changes = 0;
        let wake: (() => void) | undefined;
        socket.on("site.runs", () => {
          changes++;
          wake?.();
        });
        const { id } = await operator.ok<{ id: number }>("runs.launch", { slug: "lab", deployment: "steal" });
        for (;;) {
          const seen = changes;
          const { run } = await operator.ok<{ run: { status: string } }>("runs.get", { id }, "query");
          if (!["awaiting_approval", "queued", "running"].includes(run.status)) return { id, status: run.status };
          if (changes === seen) await new Promise<void>((resolve) => (wake = resolve));
        }
      } finally {
        socket.close();
      }
    }

    test("env:FLIGHTDECK_ADMIN_PASSWORD is refused by lint before anything runs, naming the setting", async () => {
      await save(SITE("echo never", "{pw: env:FLIGHTDECK_ADMIN_PASSWORD}"));
      const r = await operator.trpc("runs.launch", { slug: "lab", deployment: "steal" }, "mutation");
      assert.deepEqual([r.status, r.code], [400, "BAD_REQUEST"], JSON.stringify(r));
      assert.match(r.message!, /inventory\.yml:\d+:\d+: error: env:FLIGHTDECK_ADMIN_PASSWORD is refused: the server's own variables/);
      const lint = await operator.ok<{ message: string }[]>("files.lint", { slug: "lab", changes: [] }, "query");
      assert.ok(lint.some((d) => d.message.startsWith("env:FLIGHTDECK_ADMIN_PASSWORD is refused")), JSON.stringify(lint));
    });

    test("become in a local step is refused by lint: sudo would leave the sandbox", async () => {
      await save(SITE("id -u", "{}", `  - {name: root, action: cmd.run, become: true, params: {cmd: "id -u"}}\n`));
      const r = await operator.trpc("runs.launch", { slug: "lab", deployment: "steal" }, "mutation");
      assert.deepEqual([r.status, r.code], [400, "BAD_REQUEST"], JSON.stringify(r));
      assert.match(r.message!, /inventory\.yml:\d+:\d+: error: become is refused in a local step on the server: .* \(box has transport: local\)/);
    });

    test("the step reads none of the identity, the database, the data directory or the server's environment", async () => {
      await save(SITE(PROBE(server!.data, server!.pid), "{}"));
      const { id, status } = await runToEnd();
      assert.equal(status, "succeeded");
      const output = await admin.ok<{ step: string; data: string }[]>("runs.output", { id, host: "box" }, "query");
      const text = (step: string) => output.filter((o) => o.step === step).map((o) => o.data).join("");
      const probe = text("probe");
      const lines = probe.trim().split("\n");
      assert.deepEqual(lines.filter((l) => !/^(DENIED|ENV|UID) /.test(l) && l !== "DENIED-LIST"), [], `everything was refused:\n${probe}`);
      assert.equal(lines.filter((l) => l.startsWith("DENIED ")).length, 6, probe);
      assert.ok(lines.includes("DENIED-LIST"), probe);

      // A clean environment: only what the sandbox sets (and what the shell adds).
      const env = Buffer.from(lines.find((l) => l.startsWith("ENV "))!.slice(4), "base64").toString("utf8");
      const names = env.trim().split("\n").map((l) => l.split("=")[0]);
      assert.deepEqual(names.filter((n) => !["PATH", "HOME", "LANG", "PWD", "SHLVL", "_", "OLDPWD"].includes(n!)), [], env);
      assert.match(env, /^HOME=\/home\/flightdeck$/m);
      assert.notEqual(lines.find((l) => l.startsWith("UID ")), "UID 0", "the step is not root");

      const events = await admin.ok<unknown[]>("runs.events", { id, after: 0 }, "query");

      // Nothing of the server's secrets came back, plain or encoded, in any output or event.
      const identity = readFileSync(join(server!.data, "age-identity.txt"), "utf8").split("\n").find((l) => l.startsWith("AGE-SECRET-KEY-"))!;
      const authSecret = readFileSync(join(server!.data, "auth-secret"), "utf8").trim();
      const everything = JSON.stringify(output) + JSON.stringify(events);
      for (const [what, value] of Object.entries({ identity, ADMIN_PASSWORD, OTHER_SECRET, authSecret })) {
        for (const form of [value, ...encodedForms(value)]) assert.ok(!everything.includes(form), `the run's output holds the ${what} (${form === value ? "plain" : "encoded"})`);
      }
    });
  });
}
