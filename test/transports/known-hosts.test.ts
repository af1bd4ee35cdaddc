/** known_hosts parsing and matching, and the small pure helpers of the exec script. */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import {
  appendKnownHost,
  checkHostKey,
  fingerprint,
  hashHostName,
  hostMatches,
  keyTypeOf,
  knownHostName,
  parseKnownHosts,
  readKnownHosts,
  recordedKeyTypes,
} from "../../server/transports/known-hosts";
import { abortedResult, becomeUser, buildExecScript, commandLine, modeString, parseDuration, shQuote } from "../../server/transports/script";

describe("known_hosts", () => {
  let dir: string;
  let keyA: { line: string; blob: Buffer };
  let keyB: { line: string; blob: Buffer };

  const makeKey = (name: string) => {
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", name, "-f", join(dir, name)]);
    const line = readFileSync(join(dir, `${name}.pub`), "utf8").trim();
    return { line, blob: Buffer.from(line.split(" ")[1]!, "base64") };
  };

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "fd-known-hosts-"));
    keyA = makeKey("a");
    keyB = makeKey("b");
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test("names: bare on port 22, [addr]:port otherwise", () => {
    assert.equal(knownHostName("10.0.0.1", 22), "10.0.0.1");
    assert.equal(knownHostName("10.0.0.1", 2222), "[10.0.0.1]:2222");
  });

  test("plain names, comma lists, wildcards, negation, [host]:port", () => {
    assert.ok(hostMatches("kvm-1,10.0.0.1", "10.0.0.1"));
    assert.ok(hostMatches("kvm-1,10.0.0.1", "KVM-1"));
    assert.ok(!hostMatches("kvm-1,10.0.0.1", "10.0.0.10"));
    assert.ok(hostMatches("10.0.0.*", "10.0.0.77"));
    assert.ok(hostMatches("kvm-?", "kvm-7"));
    assert.ok(!hostMatches("kvm-?", "kvm-17"));
    assert.ok(!hostMatches("10.0.0.*,!10.0.0.5", "10.0.0.5"));
    assert.ok(hostMatches("[10.0.0.1]:2222", "[10.0.0.1]:2222"));
    assert.ok(!hostMatches("[10.0.0.1]:2222", "10.0.0.1"));
    assert.ok(!hostMatches("10.0.0.1", "[10.0.0.1]:2222"));
  });

  test("hashed names: ours, and the ones ssh-keygen -H writes", () => {
    assert.ok(hostMatches(hashHostName("10.0.0.1"), "10.0.0.1"));
    assert.ok(!hostMatches(hashHostName("10.0.0.1"), "10.0.0.2"));
    const file = join(dir, "hashed");
    writeFileSync(file, `10.1.2.3 ${keyA.line}\n[10.1.2.4]:2200 ${keyB.line}\n`);
    execFileSync("ssh-keygen", ["-q", "-H", "-f", file]);
    const entries = parseKnownHosts(readFileSync(file, "utf8"));
    assert.equal(entries.length, 2);
    assert.ok(entries.every((e) => e.hosts.startsWith("|1|")));
    assert.equal(checkHostKey(entries, "10.1.2.3", keyA.blob).status, "match");
    assert.equal(checkHostKey(entries, "[10.1.2.4]:2200", keyB.blob).status, "match");
    assert.equal(checkHostKey(entries, "10.1.2.4", keyB.blob).status, "unknown");
    assert.equal(checkHostKey(entries, "10.1.2.3", keyB.blob).status, "mismatch");
  });

  test("comments, blank lines, markers and junk", () => {
    const text = [
      "# a comment",
      "",
      `@cert-authority *.example.com ${keyB.line}`,
      `@revoked * ${keyB.line}`,
      `@future-marker h ${keyA.line}`,
      "broken-line-without-key",
      "h ssh-ed25519 not*base64",
      `web-1,10.0.0.9 ${keyA.line}`,
    ].join("\n");
    const entries = parseKnownHosts(text);
    assert.deepEqual(
      entries.map((e) => [e.marker ?? "", e.hosts, e.line]),
      [
        ["cert-authority", "*.example.com", 3],
        ["revoked", "*", 4],
        ["", "web-1,10.0.0.9", 8],
      ],
    );
    assert.equal(checkHostKey(entries, "web-1", keyA.blob).status, "match");
    assert.equal(checkHostKey(entries, "host.example.com", keyA.blob).status, "unknown", "a CA line is not a host key");
    assert.equal(checkHostKey(entries, "web-1", keyB.blob).status, "revoked");
    assert.deepEqual(recordedKeyTypes(entries, "10.0.0.9"), ["ssh-ed25519"]);
    assert.deepEqual(recordedKeyTypes(entries, "nowhere"), []);
  });

  test("the index of a parsed file answers as matching every line would, for every kind of name and pattern", () => {
    const blobs = [keyA.blob, keyB.blob];
    const lines = [
      `kvm-1,10.0.0.1 ${keyA.line}`,
      `KVM-2 ${keyB.line}`,
      `kvm-2 ${keyA.line}`,
      `10.0.0.* ${keyB.line}`,
      `10.0.0.*,!10.0.0.5 ${keyA.line}`,
      `[10.0.0.1]:2222,kvm-1 ${keyB.line}`,
      `${hashHostName("10.0.0.7")} ${keyA.line}`,
      `@revoked kvm-9 ${keyB.line}`,
      `@cert-authority *.example.com ${keyA.line}`,
      `kvm-?,web-1 ${keyB.line}`,
      `hôte ${keyA.line}`,
      `a!b ${keyA.line}`,
    ];
    const names = ["kvm-1", "KVM-1", "kvm-2", "Kvm-2", "10.0.0.1", "10.0.0.5", "10.0.0.7", "[10.0.0.1]:2222", "kvm-9", "kvm-17", "web-1", "x.example.com", "hôte", "HÔTE", "a!b", "nowhere", "\u212a"];
    // Every order of a few lines, so an entry's place in the file (which one is reported first) is covered too.
    for (let rotation = 0; rotation < lines.length; rotation++) {
      const text = [...lines.slice(rotation), ...lines.slice(0, rotation)].join("\n");
      const indexed = parseKnownHosts(text);
      const linear = [...indexed]; // not frozen: matched line by line
      assert.ok(Object.isFrozen(indexed) && !Object.isFrozen(linear));
      for (const name of names) {
        assert.deepEqual(recordedKeyTypes(indexed, name), recordedKeyTypes(linear, name), name);
        for (const blob of blobs) assert.deepEqual(checkHostKey(indexed, name, blob), checkHostKey(linear, name, blob), `${name}, rotation ${rotation}`);
      }
    }
  });

  test("readKnownHosts sees every change to the file, even one that keeps its size", async () => {
    const file = join(dir, "changing");
    writeFileSync(file, `10.9.9.9 ${keyA.line}\n`);
    const first = await readKnownHosts(file);
    assert.equal(await readKnownHosts(file), first, "the same text is not parsed again");
    assert.equal(checkHostKey(first, "10.9.9.9", keyA.blob).status, "match");
    writeFileSync(file, `10.9.9.9 ${keyB.line}\n`);
    assert.equal(checkHostKey(await readKnownHosts(file), "10.9.9.9", keyA.blob).status, "mismatch");
    rmSync(file);
    assert.deepEqual(await readKnownHosts(file), []);
  });

  test("fingerprints are OpenSSH's", () => {
    const printed = execFileSync("ssh-keygen", ["-l", "-E", "sha256", "-f", join(dir, "a.pub")]).toString().split(" ")[1];
    assert.equal(fingerprint(keyA.blob), printed);
    assert.equal(keyTypeOf(keyA.blob), "ssh-ed25519");
    assert.equal(keyTypeOf(Buffer.from([1])), "unknown");
  });

  test("appending creates the file 0600 and its directory, one line per key, after a missing newline", async () => {
    const file = join(dir, "new", ".ssh", "known_hosts");
    await Promise.all([appendKnownHost(file, "10.0.0.1", keyA.blob), appendKnownHost(file, "[10.0.0.2]:2222", keyB.blob)]);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const lines = readFileSync(file, "utf8");
    assert.equal(lines, `10.0.0.1 ${keyA.line.split(" ").slice(0, 2).join(" ")}\n[10.0.0.2]:2222 ${keyB.line.split(" ").slice(0, 2).join(" ")}\n`);
    const noNewline = join(dir, "no-newline");
    writeFileSync(noNewline, `old ${keyB.line}`);
    await appendKnownHost(noNewline, "new", keyA.blob);
    assert.equal(parseKnownHosts(readFileSync(noNewline, "utf8")).length, 2);
  });
});

describe("exec script helpers", () => {
  test("single quotes survive any value", () => {
    for (const v of ["", "plain", "it's", "'''", 'a"b$c`d\\e', "multi\nline", "$(rm -rf /)"]) {
      assert.equal(execFileSync("sh", ["-c", `printf %s ${shQuote(v)}`]).toString(), v);
    }
    assert.throws(() => shQuote("nul\0byte"), /NUL/);
  });

  test("command lines quote only what needs it", () => {
    assert.equal(commandLine(["sudo", "-n", "-u", "web user", "--", "/bin/sh", "-s"]), "sudo -n -u 'web user' -- /bin/sh -s");
  });

  test("the script puts no value on a command line and keeps env names safe", () => {
    const script = buildExecScript({ command: "echo hi", env: { A: "x'y" }, cwd: "/tmp" });
    assert.match(script, /^exec 3<&0\nexport A='x'\\''y'\ncd -- '\/tmp' \|\| exit 1\n/);
    assert.throws(() => buildExecScript({ command: "true", env: { "1A": "x" } }), /invalid environment variable name/);
    assert.throws(() => buildExecScript({ command: "true", env: { __fd_cmd: "x" } }), /invalid environment variable name/);
  });

  test("durations", () => {
    assert.equal(parseDuration(undefined, 10_000), 10_000);
    assert.equal(parseDuration(2, 0), 2000);
    assert.equal(parseDuration(0.5, 0), 500);
    assert.equal(parseDuration("10s", 0), 10_000);
    assert.equal(parseDuration("500ms", 0), 500);
    assert.equal(parseDuration("1m", 0), 60_000);
    assert.equal(parseDuration("7", 0), 7000);
    for (const bad of ["", "fast", "-1s", "0", "1h"]) assert.throws(() => parseDuration(bad, 0), /invalid duration/, bad);
    assert.throws(() => parseDuration(-3, 0), /invalid duration/);
  });

  test("become targets", () => {
    assert.equal(becomeUser(undefined, "deploy"), undefined);
    assert.equal(becomeUser(false, "deploy"), undefined);
    assert.equal(becomeUser(true, "deploy"), "root");
    assert.equal(becomeUser(true, "root"), undefined, "already root: no sudo");
    assert.equal(becomeUser("postgres", "deploy"), "postgres");
    assert.equal(becomeUser("deploy", "deploy"), undefined);
  });

  test("results of aborted commands", () => {
    assert.deepEqual(abortedResult(143, undefined), { exitCode: null, signal: "SIGTERM" });
    assert.deepEqual(abortedResult(137, undefined), { exitCode: null, signal: "SIGKILL" });
    assert.deepEqual(abortedResult(null, "KILL"), { exitCode: null, signal: "SIGKILL" });
    assert.deepEqual(abortedResult(null, "SIGTERM"), { exitCode: null, signal: "SIGTERM" });
    assert.deepEqual(abortedResult(0, undefined), { exitCode: 0 }, "finished before the abort landed");
    assert.deepEqual(abortedResult(null, undefined), { exitCode: null, signal: "SIGTERM" });
  });

  test("modes", () => {
    assert.equal(modeString(0o640), "0640");
    assert.equal(modeString(0o4755), "4755");
    assert.throws(() => modeString(0o10000), /invalid file mode/);
  });
});
