/** What a server's policy refuses is a located lint error: local transport, env: names, key and known_hosts paths. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { readEnv } from "../../server/env";
import { formatDiagnostic, loadSite, withPolicy, type SitePolicy } from "../../server/inventory";

const SITE = `kind: inventory
api_version: v1beta1
spec:
  hosts:
  - name: web-1
    connection: {key_file: /srv/keys/lab/deploy, known_hosts: /srv/keys/lab/known_hosts}
    data: {token: env:VAULT_TOKEN}
  - name: web-2
    connection: {key_file: /root/.ssh/id_ed25519, known_hosts: /var/lib/flightdeck/known_hosts}
  - name: web-3
    connection: {key_file: keys/deploy}
  - name: web-4
    connection: {key_file: "secret:ssh.deploy", known_hosts: /srv/keys/lab/../other/known_hosts}
  groups:
  - name: all
    connection: {transport: local}
    data: {pw: env:FLIGHTDECK_ADMIN_PASSWORD, nested: [{maas: env:MAAS_API_KEY}]}
---
kind: maas
api_version: v1beta1
spec: {name: dc1, url: "http://127.0.0.1:5240/MAAS", api_key: env:SOPS_AGE_KEY}
`;

const POLICY: SitePolicy = {
  localRefused: "LOCAL REFUSED",
  envAllow: ["MAAS_API_KEY", "VAULT_TOKEN"],
  files: { dirs: ["/srv/keys/lab", "/var/lib/flightdeck"], deny: ["/var/lib/flightdeck"] },
};

const lint = (policy: SitePolicy | undefined) =>
  withPolicy(loadSite([{ path: "site.yml", content: SITE }]), policy)
    .diagnostics.filter((d) => !d.message.includes("secret 'ssh.deploy'"))
    .map(formatDiagnostic);

describe("the server's policy in lint", () => {
  test("each refusal is an error where it is written, naming the setting", () => {
    assert.deepEqual(lint(POLICY), [
      "site.yml:9:28: error: key_file /root/.ssh/id_ed25519 is outside the directories the server allows: use a directory listed in FLIGHTDECK_KEY_DIRS (/srv/keys/lab, /var/lib/flightdeck); or keep the key in the site's secrets (key_file: secret:NAME)",
      "site.yml:9:64: error: known_hosts /var/lib/flightdeck/known_hosts is inside the server's data directory, which no site may read",
      "site.yml:11:28: error: key_file keys/deploy: on the server a site has no directory of its own, so a path must be absolute and inside a directory listed in FLIGHTDECK_KEY_DIRS (/srv/keys/lab, /var/lib/flightdeck); or keep the key in the site's secrets (key_file: secret:NAME)",
      "site.yml:13:62: error: known_hosts /srv/keys/lab/../other/known_hosts is outside the directories the server allows: use a directory listed in FLIGHTDECK_KEY_DIRS (/srv/keys/lab, /var/lib/flightdeck)",
      "site.yml:16:29: error: LOCAL REFUSED",
      "site.yml:17:16: error: env:FLIGHTDECK_ADMIN_PASSWORD is refused: the server's own variables (FLIGHTDECK_*, SOPS_AGE_*) are never given to a site",
      "site.yml:21:63: error: env:SOPS_AGE_KEY is refused: the server's own variables (FLIGHTDECK_*, SOPS_AGE_*) are never given to a site",
    ]);
  });

  test("a name missing from the allow-list names it and the setting; the CLI (no policy) refuses nothing", () => {
    const strict = lint({ ...POLICY, envAllow: [] });
    assert.ok(strict.includes("site.yml:7:19: error: env:VAULT_TOKEN is refused: the server lets sites read only the environment variables listed in FLIGHTDECK_ENV_ALLOW (none); a server admin can add VAULT_TOKEN there"), strict.join("\n"));
    assert.ok(strict.some((d) => d.startsWith("site.yml:17:63: error: env:MAAS_API_KEY is refused")), "inside a list inside a map, too");
    assert.deepEqual(lint(undefined), []);
    assert.deepEqual(lint({}), [], "an empty policy allows everything, as the CLI does");
  });

  test("become on a local host is refused where it is written, only where local steps may run at all", () => {
    const site = `kind: inventory
api_version: v1beta1
spec:
  hosts: [{name: box, connection: {transport: local}}, {name: far}]
---
kind: blueprint
api_version: v1beta1
spec:
  name: b
  steps:
  - {name: plain, action: cmd.run, params: {cmd: "true"}}
  - {name: root, action: cmd.run, become: true, params: {cmd: "true"}}
---
kind: deployment
api_version: v1beta1
spec: {name: d, stages: [{name: s, operations: [{blueprints: [b], targets: [box]}, {blueprints: [b], targets: [far]}]}]}
`;
    const at = (policy: SitePolicy | undefined) => withPolicy(loadSite([{ path: "site.yml", content: site }]), policy).diagnostics.map(formatDiagnostic);
    assert.deepEqual(at({ files: { dirs: [], deny: [] } }), [
      "site.yml:12:43: error: become is refused in a local step on the server: local steps run sandboxed as an unprivileged user, with no way to gain privileges (sudo would leave the sandbox); run this step over ssh instead (box has transport: local)",
    ]);
    assert.deepEqual(at({ localRefused: "LOCAL REFUSED" }), ["site.yml:4:47: error: LOCAL REFUSED"], "the transport's refusal says it all");
    assert.deepEqual(at(undefined), [], "the CLI runs become through sudo, as before");
  });

  test("the server's settings are checked at start: no server variable can be allowed, key dirs are absolute", () => {
    assert.deepEqual(readEnv({ FLIGHTDECK_ENV_ALLOW: " MAAS_API_KEY, VAULT_TOKEN ,," }).FLIGHTDECK_ENV_ALLOW, ["MAAS_API_KEY", "VAULT_TOKEN"]);
    assert.throws(() => readEnv({ FLIGHTDECK_ENV_ALLOW: "MAAS_API_KEY,FLIGHTDECK_ADMIN_PASSWORD" }), /FLIGHTDECK_ENV_ALLOW: 'FLIGHTDECK_ADMIN_PASSWORD' is one of the server's own variables/);
    assert.throws(() => readEnv({ FLIGHTDECK_ENV_ALLOW: "A-B" }), /'A-B' is not an environment variable name/);
    assert.throws(() => readEnv({ FLIGHTDECK_KEY_DIRS: "keys" }), /FLIGHTDECK_KEY_DIRS: 'keys' is not an absolute directory/);
    assert.deepEqual(readEnv({}).FLIGHTDECK_ENV_ALLOW, []);
  });
});
