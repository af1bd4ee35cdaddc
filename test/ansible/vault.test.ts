/** Our Ansible Vault codec against the real `ansible-vault`: both directions, labels, inline `!vault` scalars, errors. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { isVaultText, passwordFromFile, vaultDecrypt, vaultEncrypt, vaultYamlScalar } from "../../server/ansible/vault";
import { ansibleInventory, ansibleMissing } from "./support";

const skip = ansibleMissing();
const temp = mkdtempSync(join(tmpdir(), "flightdeck-vault-"));
after(() => rmSync(temp, { recursive: true, force: true }));
const PASSWORD = "correct horse battery staple";
const pwFile = join(temp, "pw");
writeFileSync(pwFile, `${PASSWORD}\n`);
const labelledFile = join(temp, "pw-prod");
writeFileSync(labelledFile, "prod-password\n");

function ansibleVault(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync("ansible-vault", args, { cwd: temp, encoding: "utf8", env: { NODE_ENV: "test" as const, PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: temp, ANSIBLE_CONFIG: join(temp, "none.cfg") } });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The interpreter Ansible runs under (its scripts' shebang), so its Python API is importable. */
function ansiblePython(): string {
  const which = spawnSync("sh", ["-c", "command -v ansible-vault"], { encoding: "utf8" }).stdout.trim();
  const shebang = readFileSync(which, "utf8").split("\n")[0]!;
  return shebang.replace(/^#!\s*/, "").split(/\s+/)[0]!;
}

const SAMPLES = ["", "x", "exactly sixteen!", "hello\nworld\n", "ünïcödé ✓ 🚀", "a".repeat(1000)];

describe("Ansible Vault codec", () => {
  test("ansible-vault decrypts what we encrypt (1.1 and 1.2 with a label)", { skip }, () => {
    SAMPLES.forEach((plain, i) => {
      const file = join(temp, `ours-${i}`);
      writeFileSync(file, vaultEncrypt(plain, PASSWORD));
      const r = ansibleVault("decrypt", "--vault-password-file", pwFile, "--output", "-", file);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, plain);
    });
    const file = join(temp, "ours-labelled");
    const text = vaultEncrypt("labelled secret", "prod-password", { vaultId: "prod" });
    assert.match(text, /^\$ANSIBLE_VAULT;1\.2;AES256;prod\n/);
    writeFileSync(file, text);
    const r = ansibleVault("decrypt", "--vault-id", `prod@${labelledFile}`, "--output", "-", file);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, "labelled secret");
  });

  test("we decrypt what ansible-vault encrypts (files, labels, encrypt_string)", { skip }, () => {
    SAMPLES.forEach((plain, i) => {
      const file = join(temp, `theirs-${i}`);
      writeFileSync(file, plain);
      const r = ansibleVault("encrypt", "--vault-password-file", pwFile, file);
      assert.equal(r.status, 0, r.stderr);
      const text = readFileSync(file, "utf8");
      assert.ok(isVaultText(text));
      assert.equal(vaultDecrypt(text, [{ password: PASSWORD }]).plaintext.toString("utf8"), plain);
    });
    const r = ansibleVault("encrypt_string", "--vault-id", `prod@${labelledFile}`, "s3cr3t value", "--name", "db_password");
    assert.equal(r.status, 0, r.stderr);
    // `db_password: !vault |` then the indented envelope: what a YAML loader gives us is the dedented block.
    const envelope = r.stdout.split("\n").slice(1).map((l) => l.trim()).filter(Boolean).join("\n");
    assert.match(envelope, /^\$ANSIBLE_VAULT;1\.2;AES256;prod\n/);
    // The label is a hint only: every password is tried, in order.
    const opened = vaultDecrypt(envelope, [{ id: "dev", password: "wrong" }, { id: "prod", password: "prod-password" }]);
    assert.equal(opened.plaintext.toString(), "s3cr3t value");
    assert.equal(opened.vaultId, "prod");
  });

  test("a !vault scalar we write is read back by ansible-inventory with the password", { skip }, () => {
    const dir = mkdtempSync(join(temp, "inv-"));
    const scalar = vaultYamlScalar(vaultEncrypt("from flightdeck", PASSWORD), 8);
    writeFileSync(join(dir, "hosts.yml"), `all:\n  hosts:\n    h1:\n      secret: ${scalar}\n`);
    const inv = ansibleInventory(join(dir, "hosts.yml"), { vaultPasswordFile: pwFile, vaultPasswords: [{ password: PASSWORD }] });
    assert.equal(inv.hostvars.h1!.secret, "from flightdeck");
  });

  test("a given salt makes the output deterministic, and equal to Ansible's for that salt", { skip }, () => {
    const salt = Buffer.alloc(32, 7);
    const a = vaultEncrypt("same", PASSWORD, { salt });
    assert.equal(a, vaultEncrypt("same", PASSWORD, { salt }));
    assert.notEqual(vaultEncrypt("same", PASSWORD), vaultEncrypt("same", PASSWORD));
    // Ansible's own encryptor with the same salt, through its Python API.
    const py = spawnSync(
      ansiblePython(),
      [
        "-c",
        "import sys\nfrom ansible.parsing.vault import VaultLib, VaultSecret\nv = VaultLib([('default', VaultSecret(sys.argv[1].encode()))])\nsys.stdout.write(v.encrypt(b'same', salt=bytes([7]*32)).decode())",
        PASSWORD,
      ],
      { encoding: "utf8" },
    );
    assert.equal(py.status, 0, py.stderr);
    assert.equal(a, py.stdout);
  });

  test("a wrong password, a damaged envelope and an unknown cipher are errors with a kind, never a trace", () => {
    const text = vaultEncrypt("x", PASSWORD);
    assert.throws(() => vaultDecrypt(text, [{ password: "nope" }]), (e: Error & { kind?: string }) => e.kind === "password" && /does not decrypt/.test(e.message));
    assert.throws(() => vaultDecrypt(text, []), (e: Error & { kind?: string }) => e.kind === "no-password");
    assert.throws(() => vaultDecrypt(text.replace(/\n[0-9a-f]/, "\nzz"), [{ password: PASSWORD }]), (e: Error & { kind?: string }) => e.kind === "format");
    assert.throws(() => vaultDecrypt(text.replace("AES256", "AES"), [{ password: PASSWORD }]), (e: Error & { kind?: string }) => e.kind === "cipher");
    assert.throws(() => vaultDecrypt("plain text", [{ password: PASSWORD }]), (e: Error & { kind?: string }) => e.kind === "format");
  });

  test("a password file is read as Ansible reads it", () => {
    assert.equal(passwordFromFile(Buffer.from("  pw with spaces inside \r\n\n"), "f").toString(), "pw with spaces inside");
    assert.throws(() => passwordFromFile(Buffer.from(" \n"), "f"), /empty/);
  });
});
