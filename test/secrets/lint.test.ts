/** Lint of `secret:` references against the key names of the site's secrets file, with no private key. */
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { generateX25519Identity, identityToRecipient } from "age-encryption";
import { writeSecretsFile } from "../../server/secrets";
import { lint, yml } from "../inventory/helpers";

let secrets = "";

before(async () => {
  // The private key is thrown away: lint must not need it.
  const recipient = await identityToRecipient(await generateX25519Identity());
  secrets = await writeSecretsFile(null, { maas: { dc1_key: "k" }, db: { password: "p" }, ssh: { deploy_key: "-----BEGIN...\n" } }, [recipient]);
});

const INVENTORY = yml`
  kind: inventory
  api_version: v1beta1
  spec:
    hosts:
    - name: web-1
      connection: {key_file: secret:ssh.deploy_key}
      data:
        db_password: secret:db.password
        tokens: [plain, secret:maas.dc2_key]
    groups:
    - name: all
      data:
        maas: {key: secret:maas.dc1_key, other: secret:maas}
    - name: web
      members: [web-1]
      data: {pw: secret:db.pasword}
`;

const PROFILE = yml`
  kind: profile
  api_version: v1beta1
  spec:
    name: base
    connection: {user: secret:ssh.user}
`;

describe("secret: references", () => {
  test("each missing key is an error at the value; existing keys and maps pass; no identity needed", () => {
    assert.deepEqual(lint({ "inv.yml": INVENTORY, "profiles.yml": PROFILE, "secrets.yml": secrets }), [
      "inv.yml:9:23: error: secret 'maas.dc2_key' is not a key of secrets.yml (did you mean 'maas.dc1_key'?)",
      "inv.yml:16:16: error: secret 'db.pasword' is not a key of secrets.yml (did you mean 'db.password'?)",
      "profiles.yml:5:22: error: secret 'ssh.user' is not a key of secrets.yml",
    ]);
  });

  test("secrets.yaml is read too", () => {
    assert.equal(lint({ "inv.yml": INVENTORY, "secrets.yaml": secrets }).length, 2);
  });

  test("references without a secrets file", () => {
    const out = lint({ "profiles.yml": PROFILE });
    assert.deepEqual(out, ["profiles.yml:5:22: error: secret 'ssh.user' is referenced, but the site has no secrets.yml"]);
  });

  test("a secrets.yml that is not sops-encrypted is an error on that file (a plaintext secret must not sit in the site)", () => {
    const out = lint({ "secrets.yml": "db:\n  password: hunter2\n" });
    assert.ok(out.includes("secrets.yml:1:1: error: not a sops-encrypted file: it has no top-level 'sops' metadata (encrypt it with `flightdeck secrets` or sops)"), out.join("\n"));
  });

  test("both secrets.yml and secrets.yaml: a warning, secrets.yml is used", () => {
    assert.deepEqual(lint({ "secrets.yml": secrets, "secrets.yaml": secrets }), ["secrets.yaml:1:1: warning: both secrets.yml and secrets.yaml exist; only secrets.yml is used"]);
  });

  test("a site without references or secrets has no secret diagnostics", () => {
    assert.deepEqual(lint({ "inv.yml": "kind: inventory\napi_version: v1beta1\nspec:\n  hosts: [{name: h, data: {x: 'secret'}}]\n" }), []);
  });
});
