/**
 * The ssh transport against real OpenSSH servers on loopback (test/fleet). Every wait is bounded: gates are files
 * the test creates, polling has a fixed number of tries.
 */
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fingerprint } from "../../server/transports/known-hosts";
import { transportFor } from "../../server/transports/registry";
import { DEFAULT_CONNECT_TIMEOUT_MS, KEEPALIVE_COUNT_MAX, KEEPALIVE_INTERVAL_MS, baseConnectConfig, sshTransport } from "../../server/transports/ssh";
import { HostKeyError, UnreachableError, type Connection, type ConnectionSettings } from "../../server/transports/types";
import { startFleet, type Fleet } from "../fleet/fleet";
import { eventually, gate, markerDir, never, run, sudoWorks } from "./helpers";

const T = { timeout: 30_000 };

function keyBlob(pubLine: string): Buffer {
  return Buffer.from(pubLine.split(" ")[1] ?? "", "base64");
}

/** The fingerprint OpenSSH itself prints for a public key line. */
function opensshFingerprint(pubLine: string, dir: string): string {
  const file = join(dir, `k-${randomBytes(4).toString("hex")}.pub`);
  writeFileSync(file, pubLine + "\n");
  return execFileSync("ssh-keygen", ["-l", "-E", "sha256", "-f", file]).toString().split(" ")[1] ?? "";
}

function acceptedLogins(fleet: Fleet, i: number): number {
  return fleet.log(i).split("\n").filter((l) => l.startsWith("Accepted publickey for")).length;
}

describe("ssh transport on a real fleet", () => {
  let fleet: Fleet;
  let conn: Connection;
  let scratch: string;

  before(async () => {
    fleet = await startFleet({ hosts: 4, namePrefix: "kvm-" });
    scratch = mkdtempSync(join(tmpdir(), "fd-ssh-test-"));
    chmodSync(scratch, 0o755); // other users (become tests) reach their own subdirectories
    conn = await sshTransport.connect(fleet.settings(0), { signal: never });
  });
  after(async () => {
    await conn?.close();
    await fleet?.stop();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  test("the registry finds ssh and local, and names the valid ones otherwise", () => {
    assert.equal(transportFor("ssh"), sshTransport);
    assert.equal(transportFor("local").name, "local");
    assert.throws(() => transportFor("telnet"), /unknown transport "telnet": valid transports are ssh, local/);
  });

  test("description names the user, address and port", () => {
    const h = fleet.hosts[0]!;
    assert.equal(conn.description, `ssh ${fleet.user}@${h.address}:${h.port}`);
  });

  test("exit codes come back as they are", T, async () => {
    assert.equal((await run(conn, "true")).exitCode, 0);
    assert.equal((await run(conn, "exit 3")).exitCode, 3);
    assert.equal((await run(conn, "false")).exitCode, 1);
    assert.equal((await run(conn, "no-such-command-xyz")).exitCode, 127);
    const syntax = await run(conn, "if then fi (");
    assert.equal(syntax.exitCode, 2);
    assert.match(syntax.stderr, /syntax|unexpected/i);
  });

  test("stdout and stderr stream as they are produced, multi-byte characters intact", T, async () => {
    const g1 = join(scratch, `gate-${randomBytes(4).toString("hex")}`);
    const g2 = `${g1}-2`;
    const events: string[] = [];
    const result = await run(conn, `echo first; printf 'x\\303' ; ${gate(g1)}; printf '\\251y\\n'; echo oops >&2; ${gate(g2)}; echo second`, {
      onStdout: (c) => {
        events.push(`out:${c}`);
        if (c.includes("first")) writeFileSync(g1, ""); // only possible if "first" arrived while the command runs
      },
      onStderr: (c) => {
        events.push(`err:${c}`);
        if (c.includes("oops")) writeFileSync(g2, "");
      },
    });
    assert.equal(result.exitCode, 0);
    assert.equal(result.stdout, "first\nxéy\nsecond\n");
    assert.equal(result.stderr, "oops\n");
    assert.ok(result.stdoutChunks.length >= 3, `several chunks: ${JSON.stringify(result.stdoutChunks)}`);
    assert.ok(!result.stdout.includes("\uFFFD"), "no replacement character: the split é was decoded whole");
    assert.ok(events.findIndex((e) => e.startsWith("err:")) < events.findIndex((e) => e.includes("second")));
  });

  test("env reaches the command and never shows in ps", T, async () => {
    const secret = `s3cret-${randomBytes(8).toString("hex")}`;
    const tricky = `it's "$(touch ${scratch}/pwned)" \`id\` $HOME \\ ;\nline2 ${secret}`;
    const g = join(scratch, `gate-${randomBytes(4).toString("hex")}`);
    const { sleep, marker, cleanup } = markerDir();
    try {
      let ps = "";
      const running = run(conn, `printf '%s|%s' "$FD_SECRET" "$FD_TRICKY"; ${sleep} 30 & ${gate(g)}; kill $!`, {
        env: { FD_SECRET: secret, FD_TRICKY: tricky },
      });
      // While the command (and its sleeping child) runs, look at every process's arguments on the host.
      await eventually(async () => ((await run(conn, `pgrep -f ${marker}`)).exitCode === 0 ? true : undefined), "the command to start");
      ps = (await run(conn, "ps -eo args")).stdout;
      writeFileSync(g, "");
      const result = await running;
      assert.equal(result.exitCode, 0);
      assert.equal(result.stdout, `${secret}|${tricky}`);
      assert.ok(ps.includes(marker), "ps saw the running command");
      assert.ok(!ps.includes(secret), "the secret is not on any command line");
      assert.ok(!fleet.log(0).includes(secret), "nor in sshd's log");
      assert.throws(() => statSync(join(scratch, "pwned")), "values are not evaluated by the shell");
    } finally {
      cleanup();
    }
  });

  test("bad env names are refused before anything runs", async () => {
    await assert.rejects(conn.exec("true", { signal: never, env: { "A-B": "x" } }), /invalid environment variable name/);
    await assert.rejects(conn.exec("true", { signal: never, env: { "X=Y": "x" } }), /invalid environment variable name/);
  });

  test("cwd", T, async () => {
    assert.equal((await run(conn, "pwd", { cwd: scratch })).stdout.trim(), scratch);
    const missing = await run(conn, "pwd", { cwd: join(scratch, "nope") });
    assert.equal(missing.exitCode, 1);
    assert.match(missing.stderr, /nope/);
  });

  test("become runs the command through sudo as another user, env included", T, async (t) => {
    const why = sudoWorks();
    if (why) return t.skip(why);
    const r = await run(conn, 'id -un; echo "$FD_X"; echo "$HOME"', { become: "nobody", env: { FD_X: "as-nobody" } });
    assert.equal(r.exitCode, 0, r.stderr);
    const [user, x] = r.stdout.trim().split("\n");
    assert.equal(user, "nobody");
    assert.equal(x, "as-nobody");
    const root = await run(conn, "id -un", { become: true });
    assert.equal(root.stdout.trim(), "root");
  });

  test("one connection carries every command, file and SFTP session", T, async () => {
    const before = acceptedLogins(fleet, 1);
    const c = await sshTransport.connect(fleet.settings(1), { signal: never });
    try {
      for (let i = 0; i < 20; i++) assert.equal((await run(c, `echo ${i}`)).stdout, `${i}\n`);
      const parallel = await Promise.all(Array.from({ length: 12 }, (_, i) => run(c, `echo p${i}`)));
      assert.deepEqual(
        parallel.map((r) => r.stdout),
        Array.from({ length: 12 }, (_, i) => `p${i}\n`),
      );
      const file = join(scratch, "reuse.txt");
      await c.putFile(file, "x", { signal: never });
      assert.equal((await c.getFile(file, { signal: never }))?.toString(), "x");
    } finally {
      await c.close();
    }
    assert.equal(acceptedLogins(fleet, 1) - before, 1, "exactly one SSH login for all of it");
  });

  test("keepalives and the connect timeout are set", () => {
    assert.ok(KEEPALIVE_INTERVAL_MS > 0 && KEEPALIVE_INTERVAL_MS <= 30_000);
    assert.ok(KEEPALIVE_COUNT_MAX >= 2);
    const cfg = baseConnectConfig(fleet.settings(0, { connect_timeout: undefined }));
    assert.equal(cfg.keepaliveInterval, KEEPALIVE_INTERVAL_MS);
    assert.equal(cfg.keepaliveCountMax, KEEPALIVE_COUNT_MAX);
    assert.equal(cfg.readyTimeout, DEFAULT_CONNECT_TIMEOUT_MS);
    assert.equal(baseConnectConfig(fleet.settings(0, { connect_timeout: 3 })).readyTimeout, 3000);
    assert.equal(baseConnectConfig(fleet.settings(0, { connect_timeout: "500ms" })).readyTimeout, 500);
    assert.equal(baseConnectConfig(fleet.settings(0, { connect_timeout: "1m" })).readyTimeout, 60_000);
    assert.equal(baseConnectConfig(fleet.settings(0, { connect_timeout: "10s" })).readyTimeout, 10_000);
    assert.throws(() => baseConnectConfig(fleet.settings(0, { connect_timeout: "soon" })), /invalid duration/);
  });

  test("a host that is down is unreachable at once", T, async () => {
    const h = fleet.hosts[3]!;
    await fleet.stopHost(3);
    try {
      const started = performance.now();
      await assert.rejects(sshTransport.connect(fleet.settings(3), { signal: never }), (err: Error) => {
        assert.ok(err instanceof UnreachableError, String(err));
        assert.equal(err.message, `kvm-4 (${h.address}:${h.port}): connection refused`);
        return true;
      });
      assert.ok(performance.now() - started < 2_000);
    } finally {
      await fleet.startHost(3);
    }
    const back = await sshTransport.connect(fleet.settings(3), { signal: never });
    assert.equal((await run(back, "echo back")).stdout, "back\n");
    await back.close();
  });

  test("a host that never answers is unreachable after connect_timeout", T, async () => {
    // Accepts TCP connections and then says nothing: only the timeout can end the handshake.
    const silent: Server = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const port = (silent.address() as { port: number }).port;
    try {
      const started = performance.now();
      await assert.rejects(
        sshTransport.connect({ ...fleet.settings(0), host: "mute", address: "127.0.0.1", port, connect_timeout: "500ms" }, { signal: never }),
        (err: Error) => err instanceof UnreachableError && /mute \(127\.0\.0\.1:\d+\): timed out after 500ms/.test(err.message),
      );
      const elapsed = performance.now() - started;
      assert.ok(elapsed >= 450 && elapsed < 2_000, `elapsed ${elapsed}`);
      // Cancelling a run while it connects ends the attempt at once.
      const ac = new AbortController();
      const connecting = sshTransport.connect({ ...fleet.settings(0), host: "mute", address: "127.0.0.1", port, connect_timeout: 20 }, { signal: ac.signal });
      const abortedAt = performance.now();
      ac.abort();
      await assert.rejects(connecting, { name: "AbortError" });
      assert.ok(performance.now() - abortedAt < 1_000);
    } finally {
      silent.close();
    }
  });

  test("an unknown address, a key the host does not accept: unreachable, with the reason", T, async () => {
    await assert.rejects(
      sshTransport.connect({ ...fleet.settings(0), address: "no-such-host.invalid" }, { signal: never }),
      (err: Error) => err instanceof UnreachableError && /cannot resolve the address "no-such-host\.invalid"/.test(err.message),
    );
    const other = join(scratch, "other_key");
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", other]);
    await assert.rejects(
      sshTransport.connect(fleet.settings(0, { key_file: other }), { signal: never }),
      (err: Error) => err instanceof UnreachableError && /authentication failed for user/.test(err.message),
    );
    await assert.rejects(
      sshTransport.connect(fleet.settings(0, { key_file: "missing_key", siteDir: scratch }), { signal: never }),
      (err: Error) => err instanceof UnreachableError && err.message.includes(join(scratch, "missing_key")),
    );
  });

  test("key_file is relative to siteDir; private_key carries the key itself", T, async () => {
    const c1 = await sshTransport.connect(fleet.settings(2, { key_file: "client_ed25519", siteDir: fleet.dir }), { signal: never });
    await c1.close();
    const c2 = await sshTransport.connect(fleet.settings(2, { key_file: undefined, private_key: readFileSync(fleet.clientKeyPath, "utf8") }), { signal: never });
    assert.equal((await run(c2, "echo ok")).stdout, "ok\n");
    await c2.close();
  });

  test("without a key, the ssh-agent of SSH_AUTH_SOCK logs in; without either, a clear error", T, async () => {
    const saved = process.env.SSH_AUTH_SOCK;
    const sock = join(scratch, "agent.sock");
    const agent = spawn("ssh-agent", ["-D", "-a", sock], { stdio: ["ignore", "pipe", "inherit"] });
    try {
      // ssh-agent -D prints its settings once the socket is listening.
      await new Promise<void>((resolve, reject) => {
        agent.stdout.once("data", () => resolve());
        agent.once("exit", (code) => reject(new Error(`ssh-agent exited with ${code}`)));
      });
      execFileSync("ssh-add", ["-q", fleet.clientKeyPath], { env: { ...process.env, SSH_AUTH_SOCK: sock } });
      process.env.SSH_AUTH_SOCK = sock;
      const c = await sshTransport.connect(fleet.settings(2, { key_file: undefined }), { signal: never });
      assert.equal((await run(c, "echo agent")).stdout, "agent\n");
      await c.close();
      delete process.env.SSH_AUTH_SOCK;
      await assert.rejects(
        sshTransport.connect(fleet.settings(2, { key_file: undefined }), { signal: never }),
        (err: Error) => err instanceof UnreachableError && /no key to log in with: set key_file .*SSH_AUTH_SOCK is not set/.test(err.message),
      );
    } finally {
      if (saved === undefined) delete process.env.SSH_AUTH_SOCK;
      else process.env.SSH_AUTH_SOCK = saved;
      agent.kill();
    }
  });

  test("a host key that differs from known_hosts fails with the fingerprint", T, async () => {
    const h0 = fleet.hosts[0]!;
    const h1 = fleet.hosts[1]!;
    const known = join(scratch, "known_hosts_wrong");
    writeFileSync(known, `# host 0 recorded with host 1's key\n[${h0.address}]:${h0.port} ${h1.hostKeyPub}\n`);
    const expected = fingerprint(keyBlob(h0.hostKeyPub));
    assert.equal(expected, opensshFingerprint(h0.hostKeyPub, scratch), "our fingerprint is OpenSSH's");
    for (const checking of ["strict", "accept-new"] as const) {
      await assert.rejects(sshTransport.connect(fleet.settings(0, { known_hosts: known, host_key_checking: checking }), { signal: never }), (err: Error) => {
        assert.ok(err instanceof HostKeyError, String(err));
        assert.ok(err.message.includes(expected), err.message);
        assert.match(err.message, /HOST KEY MISMATCH/);
        assert.match(err.message, /line 2/);
        assert.match(err.message, /ssh-keygen -R/);
        return true;
      });
    }
  });

  test("an unknown host under strict fails with the fingerprint and what to do", T, async () => {
    const known = join(scratch, "known_hosts_empty");
    writeFileSync(known, "");
    const h = fleet.hosts[0]!;
    await assert.rejects(sshTransport.connect(fleet.settings(0, { known_hosts: known }), { signal: never }), (err: Error) => {
      assert.ok(err instanceof HostKeyError, String(err));
      assert.ok(err.message.includes(fingerprint(keyBlob(h.hostKeyPub))), err.message);
      assert.match(err.message, /unknown host key/);
      assert.match(err.message, /accept-new|ssh-keyscan/);
      return true;
    });
  });

  test("accept-new records an unknown host (0600 file, [addr]:port) and says so; then strict accepts it", T, async () => {
    const dir = join(scratch, "accept-new", ".ssh");
    const known = join(dir, "known_hosts");
    const h = fleet.hosts[2]!;
    const notices: string[] = [];
    const c = await sshTransport.connect(fleet.settings(2, { known_hosts: known, host_key_checking: "accept-new" }), {
      signal: never,
      onNotice: (m) => notices.push(m),
    });
    await c.close();
    const fp = fingerprint(keyBlob(h.hostKeyPub));
    assert.equal(notices.length, 1);
    assert.match(notices[0]!, /^accepted new host key for kvm-3 /);
    assert.ok(notices[0]!.includes(fp));
    assert.equal(statSync(known).mode & 0o777, 0o600);
    assert.equal(readFileSync(known, "utf8"), `[${h.address}]:${h.port} ${h.hostKeyPub.split(" ").slice(0, 2).join(" ")}\n`);
    const again: string[] = [];
    const c2 = await sshTransport.connect(fleet.settings(2, { known_hosts: known }), { signal: never, onNotice: (m) => again.push(m) });
    await c2.close();
    assert.deepEqual(again, [], "known now: nothing to say");
  });

  test("on a server, a site that names no known_hosts has its own: one site's accept-new is not another's trust", T, async () => {
    const site = (name: string) => ({ dirs: [dirname(fleet.settings(0).key_file!)], deny: [], knownHosts: join(scratch, "per-site", name, "known_hosts") });
    const a = await sshTransport.connect(fleet.settings(1, { known_hosts: undefined, host_key_checking: "accept-new" }), { signal: never, files: site("a") });
    await a.close();
    assert.match(readFileSync(site("a").knownHosts, "utf8"), new RegExp(`^\\[${fleet.hosts[1]!.address.replaceAll(".", "\\.")}\\]:${fleet.hosts[1]!.port} `));
    await assert.rejects(sshTransport.connect(fleet.settings(1, { known_hosts: undefined }), { signal: never, files: site("b") }), (err: Error) => err instanceof HostKeyError && /unknown host key/.test(err.message));
  });

  test("accept-new on many hosts at once writes one line each", T, async () => {
    const known = join(scratch, "known_hosts_many");
    const conns = await Promise.all(
      fleet.hosts.map((_, i) => sshTransport.connect(fleet.settings(i, { known_hosts: known, host_key_checking: "accept-new" }), { signal: never })),
    );
    await Promise.all(conns.map((c) => c.close()));
    const lines = readFileSync(known, "utf8").trim().split("\n").sort();
    assert.deepEqual(lines, fleet.hosts.map((h) => `[${h.address}]:${h.port} ${h.hostKeyPub.split(" ").slice(0, 2).join(" ")}`).sort());
  });

  test("host_key_checking off connects to anything, with a notice every time", T, async () => {
    const known = join(scratch, "known_hosts_off");
    const h = fleet.hosts[1]!;
    writeFileSync(known, `[${h.address}]:${h.port} ${fleet.hosts[0]!.hostKeyPub}\n`); // wrong on purpose
    const notices: string[] = [];
    for (let i = 0; i < 2; i++) {
      const c = await sshTransport.connect(fleet.settings(1, { known_hosts: known, host_key_checking: "off" }), { signal: never, onNotice: (m) => notices.push(m) });
      await c.close();
    }
    assert.equal(notices.length, 2);
    for (const n of notices) assert.match(n, /^host key checking is OFF for kvm-2 .*SHA256:/);
  });

  test("hashed known_hosts entries (ssh-keygen -H) are recognised", T, async () => {
    const known = join(scratch, "known_hosts_hashed");
    writeFileSync(known, readFileSync(fleet.knownHostsPath));
    execFileSync("ssh-keygen", ["-q", "-H", "-f", known]);
    const text = readFileSync(known, "utf8");
    assert.ok(text.startsWith("|1|") && !text.includes(fleet.hosts[0]!.address), "really hashed");
    const c = await sshTransport.connect(fleet.settings(0, { known_hosts: known }), { signal: never });
    await c.close();
  });

  test("a @revoked key is refused even when it is also listed", T, async () => {
    const known = join(scratch, "known_hosts_revoked");
    const h = fleet.hosts[0]!;
    writeFileSync(known, `@cert-authority * ${fleet.hosts[1]!.hostKeyPub}\n${readFileSync(fleet.knownHostsPath, "utf8")}@revoked * ${h.hostKeyPub}\n`);
    await assert.rejects(
      sshTransport.connect(fleet.settings(0, { known_hosts: known }), { signal: never }),
      (err: Error) => err instanceof HostKeyError && /@revoked/.test(err.message),
    );
    // The @cert-authority line is ignored without harm for the other hosts.
    const c = await sshTransport.connect(fleet.settings(1, { known_hosts: known }), { signal: never });
    await c.close();
  });

  test("a jump host: connect to kvm-2 through kvm-1", T, async () => {
    const jumpBefore = acceptedLogins(fleet, 0);
    const targetBefore = acceptedLogins(fleet, 1);
    const settings: ConnectionSettings = fleet.settings(1, { jump: fleet.settings(0) });
    const c = await sshTransport.connect(settings, { signal: never });
    try {
      const h0 = fleet.hosts[0]!;
      const h1 = fleet.hosts[1]!;
      assert.equal(c.description, `ssh ${fleet.user}@${h1.address}:${h1.port} via ${fleet.user}@${h0.address}:${h0.port}`);
      // sshd reports the local end of the connection: the target's own address and port.
      const r = await run(c, 'echo "$SSH_CONNECTION"');
      assert.match(r.stdout, new RegExp(` ${h1.address.replaceAll(".", "\\.")} ${h1.port}\\n$`));
      assert.equal(acceptedLogins(fleet, 0) - jumpBefore, 1, "logged in to the jump host");
      assert.equal(acceptedLogins(fleet, 1) - targetBefore, 1, "and to the target");
      // The TCP connection into the target belongs to an sshd process (the jump host's), not to this Node process.
      const ss = await run(c, `command -v ss >/dev/null || exit 99; ss -tnp state established dst ${h1.address}:${h1.port}`);
      if (ss.exitCode !== 99) {
        assert.match(ss.stdout, /users:\(\("sshd"/, ss.stdout);
        assert.doesNotMatch(ss.stdout, /"node"/, ss.stdout);
      }
      const file = join(scratch, "via-jump.txt");
      await c.putFile(file, "through", { signal: never, mode: 0o600 });
      assert.equal((await c.getFile(file, { signal: never }))?.toString(), "through");
    } finally {
      await c.close();
    }
    // Target down behind a working jump host: unreachable, saying through which host.
    await fleet.stopHost(3);
    try {
      await assert.rejects(
        sshTransport.connect(fleet.settings(3, { jump: fleet.settings(0) }), { signal: never }),
        (err: Error) => err instanceof UnreachableError && /kvm-4 .*connection refused \(connecting via kvm-1/.test(err.message),
      );
    } finally {
      await fleet.startHost(3);
    }
  });

  test("abort ends the remote command and its whole process tree", T, async () => {
    const { sleep, marker, cleanup } = markerDir();
    try {
      const ac = new AbortController();
      // Three processes carry the marker: a background child, a grandchild in a subshell, a foreground child.
      const running = run(conn, `${sleep} 600 & ( ${sleep} 601 & wait ) & ${sleep} 602; echo not-reached`, { signal: ac.signal });
      await eventually(async () => {
        const n = (await run(conn, `pgrep -f ${marker} | wc -l`)).stdout.trim();
        return n === "3" ? n : undefined;
      }, "3 marked processes");
      const started = performance.now();
      ac.abort();
      const result = await running;
      assert.equal(result.exitCode, null);
      assert.equal(result.signal, "SIGTERM");
      assert.ok(!result.stdout.includes("not-reached"));
      assert.ok(performance.now() - started < 5_000);
      const after = await run(conn, `pgrep -af ${marker}`);
      assert.equal(after.exitCode, 1, `still running after abort:\n${after.stdout}`);
      assert.equal(after.stdout, "");
    } finally {
      cleanup();
    }
  });

  test("abort kills a command that ignores SIGTERM (SIGKILL after the grace period)", T, async () => {
    const { sleep, marker, cleanup } = markerDir();
    try {
      const ac = new AbortController();
      const running = run(conn, `trap '' TERM; ${sleep} 600 & ${sleep} 601`, { signal: ac.signal });
      await eventually(async () => ((await run(conn, `pgrep -f ${marker} | wc -l`)).stdout.trim() === "2" ? true : undefined), "2 marked processes");
      ac.abort();
      const result = await running;
      assert.equal(result.signal, "SIGKILL");
      assert.equal((await run(conn, `pgrep -af ${marker}`)).exitCode, 1);
    } finally {
      cleanup();
    }
  });

  test("abort also ends a command run through sudo", T, async (t) => {
    const why = sudoWorks();
    if (why) return t.skip(why);
    const { sleep, marker, cleanup } = markerDir();
    try {
      const ac = new AbortController();
      const running = run(conn, `${sleep} 600 & ${sleep} 601`, { signal: ac.signal, become: "nobody" });
      await eventually(async () => ((await run(conn, `pgrep -u nobody -f ${marker} | wc -l`)).stdout.trim() === "2" ? true : undefined), "2 processes of nobody");
      ac.abort();
      assert.equal((await running).signal, "SIGTERM");
      assert.equal((await run(conn, `pgrep -af ${marker}`)).exitCode, 1);
    } finally {
      cleanup();
    }
  });

  test("a step timeout is the same mechanism (AbortSignal.timeout)", T, async () => {
    const { sleep, marker, cleanup } = markerDir();
    try {
      const result = await run(conn, `${sleep} 600`, { signal: AbortSignal.timeout(300) });
      assert.equal(result.signal, "SIGTERM");
      assert.ok(result.durationMs >= 250);
      assert.equal((await run(conn, `pgrep -af ${marker}`)).exitCode, 1);
    } finally {
      cleanup();
    }
  });

  test("put and get files: atomic replace, mode, owner, binary content, missing file", T, async () => {
    const dir = join(scratch, "files");
    await run(conn, `mkdir -p ${dir}`);
    const path = join(dir, "app.conf");
    const bytes = randomBytes(100_000);
    await conn.putFile(path, bytes, { signal: never, mode: 0o640 });
    assert.equal((await run(conn, `stat -c %a ${path}`)).stdout.trim(), "640");
    assert.ok((await conn.getFile(path, { signal: never }))?.equals(bytes));
    await conn.putFile(path, "second version\n", { signal: never }); // no mode: keeps 640
    assert.equal((await run(conn, `stat -c %a ${path}`)).stdout.trim(), "640");
    assert.equal((await conn.getFile(path, { signal: never }))?.toString(), "second version\n");
    await conn.putFile(join(dir, "new.txt"), "fresh", { signal: never });
    assert.equal((await run(conn, `stat -c %a ${join(dir, "new.txt")}`)).stdout.trim(), "644");
    assert.equal(await conn.getFile(join(dir, "missing"), { signal: never }), null);
    assert.deepEqual((await run(conn, `ls -A ${dir}`)).stdout.trim().split("\n").sort(), ["app.conf", "new.txt"], "no temp files left behind");
    await assert.rejects(conn.putFile(join(dir, "no-dir", "x"), "x", { signal: never }), /cannot upload .*no-dir/);
    if (process.getuid?.() === 0) {
      await conn.putFile(join(dir, "owned"), "x", { signal: never, owner: "nobody", group: "nogroup", mode: 0o600 });
      assert.equal((await run(conn, `stat -c %U:%G:%a ${join(dir, "owned")}`)).stdout.trim(), "nobody:nogroup:600");
    }
  });

  test("put and get with become go through sudo", T, async (t) => {
    const why = sudoWorks();
    if (why) return t.skip(why);
    const dir = join(scratch, "nobody-dir");
    await run(conn, `mkdir -p ${dir} && chown nobody ${dir} && chmod 700 ${dir}`);
    const path = join(dir, "secret.txt");
    await conn.putFile(path, "for nobody", { signal: never, become: "nobody", mode: 0o600 });
    assert.equal((await run(conn, `stat -c %U:%a ${path}`)).stdout.trim(), "nobody:600");
    assert.equal((await conn.getFile(path, { signal: never, become: "nobody" }))?.toString(), "for nobody");
    assert.equal(await conn.getFile(join(dir, "missing"), { signal: never, become: "nobody" }), null);
    await conn.putFile(path, "again", { signal: never, become: true, owner: "nobody", mode: 0o640 });
    assert.equal((await run(conn, `stat -c %U:%a ${path}`)).stdout.trim(), "nobody:640");
    assert.deepEqual((await run(conn, `ls -A ${dir}`)).stdout.trim(), "secret.txt");
  });

  test("an aborted signal stops file transfers before they start", async () => {
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(conn.putFile(join(scratch, "never"), "x", { signal: ac.signal }), { name: "AbortError" });
    await assert.rejects(conn.getFile(join(scratch, "never"), { signal: ac.signal }), { name: "AbortError" });
    const r = await conn.exec("echo never", { signal: ac.signal });
    assert.equal(r.signal, "SIGTERM");
  });

  test("a connection lost mid-command: unreachable, and the orphaned command still ends on the host", T, async () => {
    const { sleep, marker, cleanup } = markerDir();
    const c = await sshTransport.connect(fleet.settings(2), { signal: never });
    try {
      // The command's parent is the script's shell; its parent is this connection's sshd session process.
      const running = run(c, `${sleep} 600 & ${sleep} 601 & kill -9 $(ps -o ppid= -p $PPID); wait`);
      await assert.rejects(running, (err: Error) => err instanceof UnreachableError && /kvm-3 .*connection lost/.test(err.message));
      await assert.rejects(c.exec("true", { signal: never }), (err: Error) => err instanceof UnreachableError);
      // The script's stdin closed with the session: it ends the command's process group by itself.
      await eventually(async () => ((await run(conn, `pgrep -f ${marker}`)).exitCode === 1 ? true : undefined), "the orphaned command to end");
    } finally {
      await c.close();
      cleanup();
    }
  });

  test("after close, commands fail as unreachable", T, async () => {
    const c = await sshTransport.connect(fleet.settings(2), { signal: never });
    await c.close();
    await assert.rejects(c.exec("true", { signal: never }), (err: Error) => err instanceof UnreachableError);
  });
});
