/**
 * The callback plugin's event lines (server/ansible/callback/flightdeck.py) turned into what Flightdeck shows, as
 * they come: each task on each host is a sub-step (running at its start, then ok, changed, skipped, failed or
 * unreachable) with the task's stdout, stderr and msg as its output; failures that a block rescued or
 * `ignore_errors` ignored are ok, and say so. At the end, each host's outcome from Ansible's own recap.
 */
import type { HostOutcome, SubStepUpdate } from "../../engine/batch";

export interface PlaybookSink {
  subStep(host: string, update: SubStepUpdate): void;
  output(host: string, key: string | undefined, stream: "stdout" | "stderr", data: string): void;
  notice(message: string): void;
}

interface Fields {
  msg?: string;
  stdout?: string;
  stderr?: string;
  rc?: number;
  skip_reason?: string;
  detail?: string;
}

type PluginEvent =
  | { e: "play"; name: string; t: number }
  | { e: "task"; uuid: string; name: string; handler: boolean; t: number }
  | { e: "start"; host: string; uuid: string; t: number }
  | ({ e: "result"; host: string; uuid: string; status: "ok" | "changed" | "skipped" | "failed" | "unreachable"; ignored?: boolean; rescued?: boolean; t: number } & Fields)
  | ({ e: "item"; host: string; uuid: string; status: string; item?: string; t: number } & Fields)
  | { e: "retry"; host: string; uuid: string; attempts?: number; retries?: number; msg?: string; t: number }
  | { e: "diff"; host: string; uuid: string; text: string; t: number }
  | { e: "notice"; msg: string; t: number }
  | { e: "stats"; hosts: Record<string, Stats>; t: number };

interface Stats {
  ok: number;
  changed: number;
  failures: number;
  unreachable: number;
  skipped: number;
  rescued: number;
  ignored: number;
}

const SHORT = 200;
/** What OpenSSH says when it refuses a host key (unknown under strict checking, changed, revoked). */
const HOST_KEY_REFUSED = /Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED|REVOKED HOST KEY/;

export class PlaybookEvents {
  private readonly tasks = new Map<string, string>();
  private readonly started = new Map<string, number>();
  /** The first task that failed or could not reach each host, and what it said. */
  private readonly firstProblem = new Map<string, string>();
  /** A failure on a host outside the batch (a play on localhost): it fails the playbook, not one of our hosts. */
  private outsideFailure: string | undefined;
  private stats: Record<string, Stats> | undefined;
  /** Hosts Ansible counts unreachable whose host key was refused: they failed. */
  private readonly hostKeyRefused = new Set<string>();
  /** Events handled, for the run's figures. */
  count = 0;

  constructor(
    private readonly hosts: ReadonlySet<string>,
    private readonly sink: PlaybookSink,
  ) {}

  /** One line from the plugin. A line that is not an event of ours is ignored (it cannot come from elsewhere). */
  line(text: string): void {
    let e: PluginEvent;
    try {
      e = JSON.parse(text) as PluginEvent;
    } catch {
      return;
    }
    this.count++;
    switch (e.e) {
      case "task":
        this.tasks.set(e.uuid, e.name || "unnamed task");
        break;
      case "start":
        if (!this.hosts.has(e.host)) break;
        this.started.set(`${e.host}\0${e.uuid}`, e.t);
        this.sink.subStep(e.host, { key: e.uuid, name: this.name(e.uuid), status: "running" });
        break;
      case "result":
        this.result(e);
        break;
      case "item":
        if (!this.hosts.has(e.host)) break;
        this.ensure(e.host, e.uuid);
        this.write(e.host, e.uuid, "stdout", `item ${e.item ?? ""}: ${e.status}\n`);
        this.fields(e.host, e.uuid, e, e.status === "failed");
        break;
      case "retry":
        if (!this.hosts.has(e.host)) break;
        this.ensure(e.host, e.uuid);
        this.write(e.host, e.uuid, "stderr", `failed, retrying (${e.attempts ?? "?"} of ${e.retries ?? "?"} attempts made)${e.msg ? `: ${e.msg}` : ""}\n`);
        this.sink.subStep(e.host, { key: e.uuid, name: this.name(e.uuid), status: "running", message: `retrying: attempt ${e.attempts ?? "?"} of ${e.retries ?? "?"} failed` });
        break;
      case "diff":
        if (!this.hosts.has(e.host)) break;
        this.ensure(e.host, e.uuid);
        this.write(e.host, e.uuid, "stdout", e.text);
        break;
      case "notice":
        this.sink.notice(`ansible: ${e.msg}`);
        break;
      case "stats":
        this.stats = e.hosts;
        break;
    }
  }

  private name(uuid: string): string {
    return this.tasks.get(uuid) ?? "unnamed task";
  }

  /** A task's output before its start was seen (it cannot happen with Ansible's own order, but a step needs a start). */
  private ensure(host: string, uuid: string) {
    if (!this.started.has(`${host}\0${uuid}`)) {
      this.started.set(`${host}\0${uuid}`, Date.now());
      this.sink.subStep(host, { key: uuid, name: this.name(uuid), status: "running" });
    }
  }

  private write(host: string, uuid: string, stream: "stdout" | "stderr", text: string) {
    if (text) this.sink.output(host, uuid, stream, text.endsWith("\n") ? text : `${text}\n`);
  }

  private fields(host: string, uuid: string, f: Fields, failed: boolean) {
    if (f.stdout) this.write(host, uuid, "stdout", f.stdout);
    if (f.stderr) this.write(host, uuid, "stderr", f.stderr);
    if (f.msg) this.write(host, uuid, failed ? "stderr" : "stdout", f.msg);
    if (f.detail) this.write(host, uuid, "stderr", f.detail);
  }

  private result(e: Extract<PluginEvent, { e: "result" }>) {
    const name = this.name(e.uuid);
    if (!this.hosts.has(e.host)) {
      if (e.status === "failed" && !e.ignored && !e.rescued) {
        const said = `the playbook failed on ${e.host} (not a host of this batch) at '${name}'${e.msg ? `: ${firstLine(e.msg)}` : ""}`;
        this.outsideFailure ??= said;
        this.sink.notice(said);
      }
      return;
    }
    const key = `${e.host}\0${e.uuid}`;
    const start = this.started.get(key);
    const problem = e.status === "failed" && !e.ignored && !e.rescued;
    const reason = firstLine(e.msg ?? e.stderr ?? e.detail ?? (e.rc !== undefined ? `exit code ${e.rc}` : ""));
    let status: SubStepUpdate["status"] = e.status;
    let message: string | undefined;
    if (e.status === "failed" && e.ignored) {
      status = "ok";
      message = `failed, ignored (ignore_errors)${reason ? `: ${reason}` : ""}`;
    } else if (e.status === "failed" && e.rescued) {
      status = "ok";
      message = `failed, rescued by its block${reason ? `: ${reason}` : ""}`;
    } else if (e.status === "unreachable" && e.ignored) {
      status = "skipped";
      message = `unreachable, ignored (ignore_unreachable)${reason ? `: ${reason}` : ""}`;
    } else if (e.status === "unreachable" && HOST_KEY_REFUSED.test(`${e.msg ?? ""}\n${e.stderr ?? ""}`)) {
      // As with Flightdeck's own ssh: a host key that does not check out fails the host, it is not "unreachable".
      status = "failed";
      message = reason || "host key verification failed";
    } else if (e.status === "failed" || e.status === "unreachable") message = reason || e.status;
    else if (e.status === "skipped") message = e.skip_reason ?? "skipped";
    if (message && status !== e.status) this.write(e.host, e.uuid, "stderr", message);
    this.fields(e.host, e.uuid, e, e.status === "failed" || e.status === "unreachable");
    if (problem || (e.status === "unreachable" && !e.ignored)) {
      if (!this.firstProblem.has(e.host)) this.firstProblem.set(e.host, `${status === "unreachable" ? "unreachable" : "failed"} at '${name}'${reason ? `: ${reason}` : ""}`);
      if (status === "failed" && e.status === "unreachable") this.hostKeyRefused.add(e.host);
    }
    this.sink.subStep(e.host, { key: e.uuid, name, status, durationMs: start === undefined ? undefined : Math.max(0, e.t - start), exitCode: e.rc, message });
  }

  /**
   * Each host's outcome once ansible-playbook has ended: Ansible's recap when it got that far, otherwise the
   * reason it stopped (a playbook that does not parse, a missing role), for every host.
   */
  outcomes(exit: { code: number | null; signal: string | null; stderr: string }): Map<string, HostOutcome> {
    const out = new Map<string, HostOutcome>();
    const why = ansibleError(exit.stderr) ?? (exit.signal ? `ansible-playbook was ended by ${exit.signal}` : `ansible-playbook exited with status ${exit.code}`);
    for (const host of this.hosts) {
      const s = this.stats?.[host];
      if (!this.stats) out.set(host, { status: "failed", message: why });
      else if (!s) out.set(host, exit.code === 0 || !this.outsideFailure ? { status: "skipped", message: "no play of the playbook ran on this host" } : { status: "failed", message: this.outsideFailure });
      else if (s.unreachable > 0 && s.failures === 0 && !this.hostKeyRefused.has(host)) out.set(host, { status: "unreachable", message: this.firstProblem.get(host) ?? "unreachable" });
      else if (s.failures > 0 || this.hostKeyRefused.has(host)) out.set(host, { status: "failed", message: this.firstProblem.get(host) ?? "a task failed" });
      else if (exit.code !== 0 && this.outsideFailure) out.set(host, { status: "failed", message: this.outsideFailure });
      else out.set(host, { status: s.changed > 0 ? "changed" : "ok", message: recap(s) });
    }
    return out;
  }
}

function recap(s: Stats): string {
  const parts = [`ok=${s.ok}`, `changed=${s.changed}`, `skipped=${s.skipped}`];
  if (s.rescued) parts.push(`rescued=${s.rescued}`);
  if (s.ignored) parts.push(`ignored=${s.ignored}`);
  return parts.join(" ");
}

function firstLine(text: string): string {
  const line = (text.trim().split("\n")[0] ?? "").replace(/\r/g, "");
  return line.length > SHORT ? `${line.slice(0, SHORT)}…` : line;
}

/** Ansible's own reason for stopping ("ERROR! ..."), with the lines that locate it, or undefined. */
function ansibleError(stderr: string): string | undefined {
  const at = stderr.indexOf("ERROR!");
  if (at < 0) return undefined;
  const text = stderr.slice(at).trim().split("\n").slice(0, 12).join("\n");
  return text.length > 2000 ? `${text.slice(0, 2000)}…` : text;
}
