/** The real `flightdeck` process (bin/flightdeck.mjs) against sites on disk: output, exit codes, messages. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const BIN = join(ROOT, "bin", "flightdeck.mjs");
const DEMO = join(ROOT, "examples", "ha-kvm");

const temp = mkdtempSync(join(tmpdir(), "flightdeck-cli-"));
after(() => rmSync(temp, { recursive: true, force: true }));

let sites = 0;
/** A site directory under the test's temp dir, from `{relative path: content}`. */
function siteDir(files: Record<string, string>): string {
  const dir = join(temp, `site-${++sites}`);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  mkdirSync(dir, { recursive: true });
  return dir;
}

function flightdeck(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: temp, encoding: "utf8", timeout: 60_000 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function json(stdout: string): { hosts: Record<string, Record<string, unknown>> } {
  return JSON.parse(stdout) as { hosts: Record<string, Record<string, unknown>> };
}

/** A usage problem: exit 2, one clear `flightdeck: ...` line, the usage, and no stack trace. */
function assertUsageError(r: ReturnType<typeof flightdeck>, message: string) {
  assert.equal(r.status, 2, r.stderr);
  assert.equal(r.stdout, "");
  assert.equal(r.stderr.split("\n")[0], `flightdeck: ${message}`);
  assert.match(r.stderr, /usage: flightdeck <command>/);
  assert.doesNotMatch(r.stderr, /\n\s+at |Error:|internal error/);
}

const CLEAN = {
  "inventory.yml": [
    "kind: inventory",
    "api_version: v1beta1",
    "spec:",
    "  hosts:",
    "  - name: web-1",
    "    profile: web",
    "    labels: {role: web}",
    "    connection: {address: 10.0.0.1}",
    "    data: {ip: 10.0.0.1}",
    "  - name: db-1",
    "  groups:",
    "  - name: all",
    "    connection: {user: root}",
    "    data: {interface: eno1}",
    "  - name: web",
    "    members: [web-1]",
    "    data: {tier: front}",
    "",
  ].join("\n"),
  "profiles/web.yaml": "kind: profile\napi_version: v1beta1\nspec:\n  name: web\n  data: {packages: [nginx]}\n",
};

const BROKEN = {
  "inventory.yml": "kind: inventory\napi_version: v1beta1\nspec:\n  hosts:\n  - name: web-1\n  groups:\n  - name: web\n    memebers: [web-1]\n",
  "more/other.yml": "kind: inventory\napi_version: v1beta1\nspec:\n  groups:\n  - name: db\n    members: [db-9]\n",
};

describe("flightdeck lint", () => {
  test("a clean site: exit 0, nothing on stdout, a summary on stderr", () => {
    const r = flightdeck("lint", siteDir(CLEAN));
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, "");
    assert.equal(r.stderr, "2 hosts, 2 groups, 1 profiles: 0 errors, 0 warnings\n");
  });

  test("errors: exit 1, one file:line:col: error: message line each, paths relative to the site", () => {
    const r = flightdeck("lint", siteDir(BROKEN));
    assert.equal(r.status, 1);
    assert.deepEqual(r.stdout.trimEnd().split("\n"), [
      "inventory.yml:8:5: error: unknown field 'memebers' (did you mean 'members'?); allowed: name, members, children, connection, data",
      "more/other.yml:6:15: error: member 'db-9' of group 'db' is not a host",
    ]);
    assert.match(r.stderr, /2 errors, 0 warnings/);
  });

  test("warnings alone exit 0", () => {
    const dir = siteDir({
      "inv.yml": "kind: inventory\napi_version: v1beta1\nspec:\n  hosts: [{name: h}]\n  groups:\n  - {name: a, members: [h], data: {x: 1}}\n  - {name: b, members: [h], data: {x: 2}}\n",
    });
    const r = flightdeck("lint", dir);
    assert.equal(r.status, 0);
    assert.match(r.stdout, /^inv\.yml:7:36: warning: groups 'a' and 'b' both set 'x' to different values/);
  });

  test("a YAML syntax error is a located error", () => {
    const r = flightdeck("lint", siteDir({ "bad.yml": "kind: inventory\napi_version: v1beta1\nspec:\n  hosts: [\n" }));
    assert.equal(r.status, 1);
    assert.match(r.stdout, /^bad\.yml:\d+:\d+: error: YAML syntax: /);
  });

  test("the demo site lints clean", () => {
    const r = flightdeck("lint", DEMO);
    assert.equal(r.status, 0, r.stdout);
    assert.equal(r.stdout, "");
    assert.equal(r.stderr, "8 hosts, 5 groups, 4 profiles: 0 errors, 0 warnings\n");
  });
});

describe("flightdeck resolve", () => {
  test("--json: every host with groups, profile, labels, connection and vars", () => {
    const r = flightdeck("resolve", siteDir(CLEAN), "--json");
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, "");
    assert.deepEqual(JSON.parse(r.stdout), {
      hosts: {
        "web-1": {
          groups: ["all", "web"],
          profile: "web",
          profiles: ["web"],
          labels: { role: "web" },
          connection: { user: "root", address: "10.0.0.1", transport: "ssh", port: 22, host_key_checking: "strict" },
          vars: { interface: "eno1", tier: "front", packages: ["nginx"], ip: "10.0.0.1" },
        },
        "db-1": {
          groups: ["all"],
          profile: null,
          profiles: [],
          labels: {},
          connection: { user: "root", transport: "ssh", address: "db-1", port: 22, host_key_checking: "strict" },
          vars: { interface: "eno1" },
        },
      },
    });
    assert.equal(r.stdout.endsWith("}\n"), true);
    assert.equal(r.stdout.trimEnd().includes("\n"), false, "one line of JSON");
  });

  test("--host picks hosts (repeatable)", () => {
    const dir = siteDir(CLEAN);
    assert.deepEqual(Object.keys(json(flightdeck("resolve", dir, "--host", "db-1", "--json").stdout).hosts), ["db-1"]);
    assert.deepEqual(Object.keys(json(flightdeck("resolve", dir, "--json", "--host", "web-1", "--host", "db-1").stdout).hosts), ["web-1", "db-1"]);
  });

  test("--explain adds each value's origin", () => {
    const r = flightdeck("resolve", siteDir(CLEAN), "--host", "web-1", "--explain", "--json");
    assert.equal(r.status, 0, r.stderr);
    const host = json(r.stdout).hosts["web-1"]!;
    assert.deepEqual(Object.keys(host), ["groups", "profile", "profiles", "labels", "connection", "vars", "origins"]);
    assert.deepEqual(host.origins, {
      connection: {
        user: { file: "inventory.yml", line: 13, col: 18, level: "all", source: "all" },
        address: { file: "inventory.yml", line: 8, col: 18, level: "host", source: "web-1" },
        transport: { file: null, line: null, col: null, level: "default", source: "flightdeck" },
        port: { file: null, line: null, col: null, level: "default", source: "flightdeck" },
        host_key_checking: { file: null, line: null, col: null, level: "default", source: "flightdeck" },
      },
      vars: {
        interface: { file: "inventory.yml", line: 14, col: 12, level: "all", source: "all" },
        tier: { file: "inventory.yml", line: 17, col: 12, level: "group", source: "web" },
        packages: { file: "profiles/web.yaml", line: 5, col: 10, level: "profile", source: "web" },
        ip: { file: "inventory.yml", line: 9, col: 12, level: "host", source: "web-1" },
      },
    });
  });

  test("lint errors: exit 1, the errors on stderr, nothing on stdout", () => {
    const r = flightdeck("resolve", siteDir(BROKEN), "--json");
    assert.equal(r.status, 1);
    assert.equal(r.stdout, "");
    assert.deepEqual(r.stderr.trimEnd().split("\n"), [
      "inventory.yml:8:5: error: unknown field 'memebers' (did you mean 'members'?); allowed: name, members, children, connection, data",
      "more/other.yml:6:15: error: member 'db-9' of group 'db' is not a host",
    ]);
  });

  test("the demo site: profile removals and map merges", () => {
    const r = flightdeck("resolve", DEMO, "--json");
    assert.equal(r.status, 0, r.stderr);
    const { hosts } = json(r.stdout);
    assert.deepEqual(Object.keys(hosts).sort(), ["config", "infra-1", "infra-2", "infra-3", "kvm-1", "kvm-2", "node-1", "node-2"]);
    const infra = hosts["infra-1"]!;
    const kvm = hosts["kvm-1"]!;
    // vm-guest writes "!ntp": ~, so the all group's ntp does not reach any guest; the hypervisors keep it.
    assert.equal("ntp" in (infra.vars as object), false);
    assert.deepEqual((kvm.vars as Record<string, unknown>).ntp, ["0.pool.ntp.org", "1.pool.ntp.org"]);
    // kvm-host's sysctl map merges over base-server's.
    assert.deepEqual((kvm.vars as Record<string, unknown>).sysctl, { "vm.swappiness": 10, "net.ipv4.ip_forward": 1 });
    assert.deepEqual(kvm.profiles, ["base-server", "kvm-host"]);
    assert.deepEqual(infra.groups, ["all", "vms", "infra-nodes"]);
    assert.deepEqual(infra.profiles, ["base-server", "vm-guest", "maas-controller"]);
    assert.deepEqual((infra.vars as Record<string, unknown>).disk, { size_gb: 80, pool: "default" });
    assert.deepEqual(infra.connection, { transport: "local", user: "ubuntu", address: "infra-1", host_key_checking: "strict" });
  });

  test("the demo site explained: kvm-1's sysctl keys come from two profiles", () => {
    const r = flightdeck("resolve", DEMO, "--host", "kvm-1", "--explain", "--json");
    const origins = json(r.stdout).hosts["kvm-1"]!.origins as { vars: Record<string, { file: string; line: number; source: string }> };
    assert.deepEqual(origins.vars['sysctl["vm.swappiness"]'], { file: "profiles.yml", line: 10, col: 7, level: "profile", source: "base-server" });
    assert.deepEqual(origins.vars['sysctl["net.ipv4.ip_forward"]'], { file: "profiles.yml", line: 21, col: 7, level: "profile", source: "kvm-host" });
  });
});

describe("bad usage exits 2 with a clear message", () => {
  test("a missing site directory", () => {
    const missing = join(temp, "no-such-site");
    assertUsageError(flightdeck("lint", missing), `${missing}: no such site directory`);
    assertUsageError(flightdeck("resolve", missing, "--json"), `${missing}: no such site directory`);
  });

  test("a file instead of a directory", () => {
    const dir = siteDir(CLEAN);
    assertUsageError(flightdeck("lint", join(dir, "inventory.yml")), `${join(dir, "inventory.yml")}: no such site directory`);
  });

  test("an unknown command", () => {
    assertUsageError(flightdeck("frobnicate", DEMO), "unknown command 'frobnicate'");
  });

  test("resolve without --json", () => {
    assertUsageError(flightdeck("resolve", DEMO), "resolve prints JSON: add --json");
  });

  test("an unknown host", () => {
    assertUsageError(flightdeck("resolve", DEMO, "--host", "kvm-9", "--json"), "no host named 'kvm-9' in the site");
  });

  test("an unknown option and a missing SITE", () => {
    const r = flightdeck("lint", DEMO, "--frobnicate");
    assert.equal(r.status, 2);
    assert.match(r.stderr, /^flightdeck: .*--frobnicate/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
    assertUsageError(flightdeck("lint"), "missing SITE directory");
  });

  test("no command prints the usage and exits 2; help exits 0", () => {
    const none = flightdeck();
    assert.equal(none.status, 2);
    assert.match(none.stdout, /^usage: flightdeck <command>/);
    const help = flightdeck("help");
    assert.equal(help.status, 0);
    assert.match(help.stdout, /^usage: flightdeck <command>/);
  });
});

describe("exec --json", () => {
  test("a step's output is capped at 256 KiB, with the server's notice, like the stored output", () => {
    const dir = siteDir({
      "site.yml": `kind: inventory
api_version: v1beta1
spec:
  hosts:
  - {name: here, connection: {transport: local}}
---
kind: blueprint
api_version: v1beta1
spec:
  name: loud
  steps:
  - {name: shout, action: cmd.run, params: {cmd: "head -c 3000000 /dev/zero | tr '\\\\0' x"}}
---
kind: deployment
api_version: v1beta1
spec:
  name: loud
  stages: [{name: all, operations: [{blueprints: [loud], targets: [here]}]}]
`,
    });
    const r = flightdeck("exec", dir, "--json");
    assert.equal(r.status, 0, r.stderr);
    const output = r.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { type: string; data?: string })
      .filter((e) => e.type === "step.output")
      .map((e) => e.data)
      .join("");
    assert.equal(output.indexOf("[flightdeck"), 256 * 1024 + 1);
    assert.match(output, /^x{262144}\n\[flightdeck: output truncated: only the first 256 KiB of this step are kept\]\n$/);
  });
});
