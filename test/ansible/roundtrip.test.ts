/**
 * Import -> export round trip (issue 12, item 3): each Ansible inventory of test/ansible/fixtures/ imported as a
 * Flightdeck site, that site exported as an Ansible bundle, and the bundle's `ansible-inventory --list` compared
 * with the original's: the same hosts, hostvars and group membership. Vaulted values travel as `secret:`
 * references into secrets.yml and back out vault-encrypted (as `export --reveal` writes them: strings as inline
 * `!vault` values, anything else in a vars file encrypted whole), and are compared decrypted.
 */
import { join } from "node:path";
import { describe, test } from "node:test";
import { generateX25519Identity, identityToRecipient } from "age-encryption";
import { ansibleBundle } from "../../server/ansible/export/bundle";
import { importAnsible } from "../../server/ansible/import";
import { vaultEncrypt } from "../../server/ansible/vault";
import { loadSite, type SiteFile } from "../../server/inventory";
import { readSecretsFile, secretValue, writeSecretsFile } from "../../server/secrets";
import { writeFiles } from "./export-helpers";
import { FIXTURES, fixtureSource, VAULT_PASSWORD } from "./fixtures";
import { ansibleInventory, ansibleMissing, assertSameInventory } from "./support";

describe("import -> export gives Ansible the same inventory", { skip: ansibleMissing() }, () => {
  for (const fixture of FIXTURES) {
    test(fixture.name, async () => {
      const source = fixtureSource(fixture);
      const vault = source.password ? [{ password: source.password }] : [];
      const identity = await generateX25519Identity();
      const recipient = await identityToRecipient(identity);
      const imported = await importAnsible(source.path, { vault, encryptSecrets: (values) => writeSecretsFile(null, values, [recipient]) });
      const files: SiteFile[] = [...imported.files].map(([path, content]) => ({ path, content }));
      const site = loadSite(files);

      // Secrets go back out as --reveal writes them: decrypted from secrets.yml, vault-encrypted with the password.
      const secretsText = imported.files.get("secrets.yml");
      const secrets = secretsText ? (await readSecretsFile(secretsText, [identity])).values : {};
      // (A value that is not a string keeps its type in a vars file vault-encrypted whole.)
      const bundle = ansibleBundle(site, {
        secret: (ref) => {
          if (!ref.startsWith("secret:")) throw new Error(`unexpected reference ${ref}`);
          const value = secretValue(secrets, ref.slice("secret:".length));
          return typeof value === "string" ? { vault: vaultEncrypt(value, VAULT_PASSWORD) } : { vaultFile: value };
        },
        vaultFile: (text) => vaultEncrypt(text, VAULT_PASSWORD),
      });
      const exported = ansibleInventory(join(writeFiles(bundle), "hosts"), { vaultPasswordFile: source.passwordFile, vaultPasswords: vault });
      const original = ansibleInventory(source.path, { vaultPasswordFile: source.passwordFile, vaultPasswords: vault });
      assertSameInventory(exported, original, fixture.name);
    });
  }
});
