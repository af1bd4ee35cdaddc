/**
 * Secrets at run time, on the local transport: `secret:` and `env:` references reach the host only in memory and
 * only through a step's environment; no event, output chunk, database byte, log line or `ps` line holds a value.
 */
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";
import { execute, planDeployment, type EngineEvent, type OutputChunk } from "../../server/engine";
import { MASK, MaskingSink } from "../../server/engine/masking";
import type { SecretsSource } from "../../server/engine/secrets";
import { readEnv } from "../../server/env";
import { loadSite, type Site } from "../../server/inventory";
import { newIdentityFile, writeSecretsFile } from "../../server/secrets";
import { createServices } from "../../server/services";
import { asUser } from "../api/callers";
import { localInventory, workflow } from "../engine/fleet-site";

const PASSWORD = "s3cr3t-Pa55word";
const SPLIT = "abcdef";
const FROM_ENV = "env-value-7f3a";
const dir = mkdtempSync(join(tmpdir(), "fd-secrets-run-"));
after(() => rmSync(dir, { recursive: true, force: true }));

let key: { identity: string; recipient: string };
let secretsText = "";

before(async () => {
  key = await newIdentityFile();
  secretsText = await writeSecretsFile(null, { db: { password: PASSWORD, split: SPLIT, pin: "42" } }, [key.recipient]);
  process.env.FD_TEST_TOKEN = FROM_ENV;
});

const site = (out: string, steps: string, vars = "{password: secret:db.password, split: secret:db.split, pin: secret:db.pin, token: env:FD_TEST_TOKEN}") =>
  `${localInventory(["h"], vars)}---
${workflow(steps.replaceAll("OUT", out), "{max_fail_percentage: 100}", "[all]", "dep")}`;

const STEPS = `  - {name: write, action: cmd.run, params: {cmd: "printf %s {{ vars.password }} > OUT/pw.txt; printf %s \\"{{ vars.token }}\\" > OUT/env.txt"}}
  - {name: echo, action: cmd.run, params: {cmd: "echo {{ vars.password }}"}}
  - {name: split, action: cmd.run, params: {cmd: "printf 'abc'; sleep 0.2; printf 'def' # {{ vars.split }}"}}
  - {name: managed, action: file.managed, params: {path: OUT/app.conf, mode: "0600", template: "password={{ vars.password }}\\n"}}
  - {name: pin, action: cmd.run, params: {cmd: "test {{ vars.pin }} = 42"}}
  - {name: wait, action: cmd.run, params: {cmd: "test -n \\"{{ vars.password }}\\" && sleep 1"}}`;

function loadWith(text: string, secrets: string | undefined): Site {
  const files = [{ path: "site.yml", content: text }, ...(secrets ? [{ path: "secrets.yml", content: secrets }] : [])];
  const s = loadSite(files);
  const errors = s.diagnostics.filter((d) => d.severity === "error");
  assert.deepEqual(errors, []);
  return s;
}

class Recorder {
  events: EngineEvent[] = [];
  chunks: OutputChunk[] = [];
  event(e: EngineEvent) {
    this.events.push(e);
  }
  output(c: OutputChunk) {
    this.chunks.push(c);
  }
  out(step: string) {
    return this.chunks.filter((c) => c.step === step).map((c) => c.data).join("");
  }
  final(step: string) {
    return this.events.filter((e) => e.type === "step.status" && e.step === step).at(-1) as Extract<EngineEvent, { type: "step.status" }> | undefined;
  }
}

/** Every `ps` command line seen while `during` runs (polled every 20 ms). */
async function watchPs<T>(during: Promise<T>): Promise<{ result: T; lines: string[] }> {
  const lines: string[] = [];
  let done = false;
  const poll = (async () => {
    while (!done) {
      lines.push(...execFileSync("ps", ["-eo", "args"], { encoding: "utf8" }).split("\n"));
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  const result = await during.finally(() => (done = true));
  await poll;
  return { result, lines };
}

const source = (secrets: string | undefined, identities: string[]): SecretsSource => ({
  file: secrets === undefined ? undefined : { name: "secrets.yml", text: secrets },
  identities: () => ({ sources: identities.length ? [{ label: "test identity", identities }] : [] }),
  env: process.env,
});

async function run(s: Site, src: SecretsSource) {
  const rec = new Recorder();
  const { result: status, lines } = await watchPs(execute({ site: s, plan: planDeployment(s), sink: rec, signal: new AbortController().signal, secrets: src }));
  return { status, rec, lines };
}

const SECRETS = [PASSWORD, SPLIT, FROM_ENV];
const assertClean = (what: string, text: string) => {
  for (const v of SECRETS) assert.ok(!text.includes(v), `${what} contains a secret value`);
};

describe("secrets at run time (engine, local transport)", () => {
  test("steps get the real values; events, output (split chunks too) and ps never show them", async () => {
    const out = mkdtempSync(join(dir, "run-"));
    const { status, rec, lines } = await run(loadWith(site(out, STEPS), secretsText), source(secretsText, [key.identity]));
    assert.equal(status, "succeeded", JSON.stringify(rec.events.filter((e) => e.type === "step.status" && e.status === "failed")));
    // The host had the values.
    assert.equal(readFileSync(join(out, "pw.txt"), "utf8"), PASSWORD);
    assert.equal(readFileSync(join(out, "env.txt"), "utf8"), FROM_ENV);
    assert.equal(readFileSync(join(out, "app.conf"), "utf8"), `password=${PASSWORD}\n`);
    assert.equal(statSync(join(out, "app.conf")).mode & 0o777, 0o600);
    // What the sink got: masked, the split one too (sent as one masked piece after the step's second write).
    assert.equal(rec.out("echo"), `${MASK}\n`);
    assert.equal(rec.out("split"), MASK);
    assertClean("the event stream", JSON.stringify(rec.events));
    assertClean("the output stream", JSON.stringify(rec.chunks));
    assertClean("ps", lines.join("\n"));
    assert.ok(lines.some((l) => l.startsWith("sleep 1")), "ps was polled while the steps ran");
    // The 2-character pin is not masked, and a notice says so without the value.
    const notices = rec.events.filter((e) => e.type === "notice").map((e) => (e as { message: string }).message);
    assert.deepEqual(notices, ["'secret:db.pin' is too short to mask (2 characters): output that contains it is shown as it is"]);
  });

  test("a missing key fails the step with a clear message and runs nothing", async () => {
    const other = await writeSecretsFile(null, { db: { other: "x-value-1" } }, [key.recipient]);
    const out = mkdtempSync(join(dir, "run-"));
    const { status, rec } = await run(loadWith(site(out, STEPS), secretsText), source(other, [key.identity]));
    assert.equal(status, "failed");
    assert.equal(rec.final("write")?.status, "failed");
    assert.match(rec.final("write")!.message!, /secrets\.yml: no key 'db\.password' in this file/);
    assert.ok(!existsSync(join(out, "pw.txt")));
  });

  test("a wrong or missing identity fails the step, naming the file", async () => {
    const wrong = await newIdentityFile();
    for (const ids of [[wrong.identity], []]) {
      const { status, rec } = await run(loadWith(site(dir, STEPS), secretsText), source(secretsText, ids));
      assert.equal(status, "failed");
      const msg = rec.final("write")!.message!;
      assert.match(msg, /^secrets\.yml: /);
      assert.match(msg, /identit/i);
      assertClean("the message", msg);
    }
  });

  test("an unset env: variable fails the step; a step without references runs without any identity", async () => {
    const steps = `  - {name: plain, action: cmd.run, params: {cmd: "echo plain"}}
  - {name: env, action: cmd.run, params: {cmd: "echo {{ vars.missing }}"}}`;
    const { status, rec } = await run(loadWith(site(dir, steps, "{missing: env:FD_TEST_NOT_SET, password: secret:db.password}"), secretsText), source(secretsText, []));
    assert.equal(status, "failed");
    assert.equal(rec.final("plain")?.status, "changed");
    assert.equal(rec.final("env")?.message, "'env:FD_TEST_NOT_SET': the environment variable FD_TEST_NOT_SET is not set");
  });
});

describe("masking sink", () => {
  test("a secret split across chunks is masked; held-back text is flushed at the step's end", () => {
    const rec = new Recorder();
    const sink = new MaskingSink(rec);
    sink.add("abcdef", "x");
    const c = (data: string) => sink.output({ host: "h", step: "s", stream: "stdout", data });
    c("xxabc");
    c("defyy");
    c("ab");
    sink.event({ type: "step.status", host: "h", step: "s", status: "ok", message: "said abcdef" });
    assert.equal(rec.out("s"), `xx${MASK}yyab`);
    assert.equal(rec.final("s")?.message, `said ${MASK}`);
  });

  test("only a tail that could start a secret is held back, so streams keep their order", () => {
    const chunks: string[] = [];
    const sink = new MaskingSink({ event: () => undefined, output: (o) => void chunks.push(`${o.stream}:${o.data}`) });
    sink.add("s3cret-value-that-is-long", "x");
    const out = (stream: "stdout" | "stderr", data: string) => sink.output({ host: "h", step: "s", stream, data });
    out("stdout", "INFO Loading ephemeral\n");
    out("stderr", "ERROR install failed\n");
    assert.deepEqual(chunks, ["stdout:INFO Loading ephemeral\n", "stderr:ERROR install failed\n"], "nothing held: no tail starts the secret");
    out("stdout", "token=s3cr");
    assert.deepEqual(chunks.at(-1), "stdout:token=", "'s3cr' could be the secret's start: held");
    out("stdout", "et-value-that-is-long!\n");
    assert.equal(chunks.at(-1), `stdout:${MASK}!\n`);
  });
});

describe("secrets at run time (server)", () => {
  test("the server's identity decrypts; the database files and the server's output hold no value", async () => {
    const data = mkdtempSync(join(dir, "data-"));
    const services = await createServices(readEnv({ FLIGHTDECK_DATA: data, FLIGHTDECK_DEMO: "", FLIGHTDECK_ENV_ALLOW: "FD_TEST_TOKEN" }));
    const { api } = await asUser(services, "ana", { isAdmin: true });
    try {
      const identity = await services.serverIdentity;
      assert.equal(statSync(identity.path).mode & 0o777, 0o600);
      const text = await writeSecretsFile(null, { db: { password: PASSWORD, split: SPLIT, pin: "42" } }, identity.recipients);
      // On the server a local step runs sandboxed, with its own /tmp: the values are checked where they were written.
      const out = "/tmp/secrets-run";
      const steps = `  - {name: mkdir, action: cmd.run, params: {cmd: "mkdir -p OUT"}}\n${STEPS}\n  - {name: check, action: cmd.run, params: {cmd: "test \\"$(cat OUT/pw.txt)\\" = \\"{{ vars.password }}\\""}}`;
      await services.sites.create({ slug: "sec", name: "sec", files: [{ path: "site.yml", content: site(out, steps) }, { path: "secrets.yml", content: text }], author: "t", message: "m" });
      await services.sites.setSettings("sec", { approvalsRequired: 0 });
      await services.sites.setLocalExecution("sec", true);

      // The server's own output while the run goes: everything written to this process's stdout and stderr.
      const logged: string[] = [];
      const restore: (() => void)[] = [];
      for (const stream of [process.stdout, process.stderr]) {
        const original = stream.write.bind(stream);
        stream.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
          logged.push(String(chunk));
          return original(chunk, ...rest);
        });
        restore.push(() => (stream.write = original));
      }
      let id: number;
      try {
        ({ id } = await api.runs.launch({ slug: "sec", deployment: "dep" }));
        assert.equal(await services.runner.done(id), "succeeded");
      } finally {
        for (const r of restore) r();
      }
      const events = await api.runs.events({ id, after: 0 });
      const output = await api.runs.output({ id, host: "h" });
      assert.equal(output.filter((o) => o.step === "split").map((o) => o.data).join(""), MASK);
      assertClean("stored events", JSON.stringify(events));
      assertClean("stored output", JSON.stringify(output));
      assertClean("the server's output", logged.join(""));
      for (const f of ["flightdeck.db", "flightdeck.db-wal"]) {
        const path = join(data, f);
        if (!existsSync(path)) continue;
        const bytes = readFileSync(path);
        for (const v of SECRETS) assert.equal(bytes.indexOf(Buffer.from(v)), -1, `${f} contains a secret value`);
      }
      assert.ok(existsSync(join(data, "flightdeck.db")));
    } finally {
      await services.close();
    }
  });
});

describe("secrets at run time (CLI exec)", () => {
  const BIN = fileURLToPath(new URL("../../bin/flightdeck.mjs", import.meta.url));
  const exec = (siteDir: string, env: Record<string, string>) =>
    spawnSync(process.execPath, [BIN, "exec", siteDir, "--json"], { encoding: "utf8", timeout: 60_000, env: { ...process.env, HOME: dir, XDG_CONFIG_HOME: dir, SOPS_AGE_KEY: "", SOPS_AGE_KEY_FILE: "", FLIGHTDECK_DATA: "", FD_TEST_TOKEN: FROM_ENV, ...env } });

  test("exec decrypts the site directory's secrets.yml with SOPS_AGE_KEY_FILE; its output holds no value; no identity fails the step", () => {
    const siteDir = mkdtempSync(join(dir, "cli-site-"));
    const out = mkdtempSync(join(dir, "cli-out-"));
    const keyFile = join(dir, "cli-key.txt");
    writeFileSync(keyFile, `${key.identity}\n`, { mode: 0o600 });
    writeFileSync(join(siteDir, "site.yml"), site(out, STEPS));
    writeFileSync(join(siteDir, "secrets.yml"), secretsText);
    const ok = exec(siteDir, { SOPS_AGE_KEY_FILE: keyFile });
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(readFileSync(join(out, "pw.txt"), "utf8"), PASSWORD);
    assertClean("exec's output", ok.stdout + ok.stderr);
    assert.ok(ok.stdout.includes(MASK));

    const none = exec(siteDir, {});
    assert.equal(none.status, 1);
    assert.match(none.stdout, /secrets\.yml: /);
    assertClean("exec's output", none.stdout + none.stderr);
  });
});
