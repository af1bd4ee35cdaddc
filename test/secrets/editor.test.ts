/** The dashboard's secrets API over a real store: a locked server identity, unlock, set, reveal, remove. */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { readEnv } from "../../server/env";
import { lockIdentityFile, newIdentityFile, SERVER_IDENTITY_FILE } from "../../server/secrets/keys";
import { createServices } from "../../server/services";
import { asUser } from "../api/callers";

const dir = mkdtempSync(join(tmpdir(), "fd-secrets-api-"));
after(() => rmSync(dir, { recursive: true, force: true }));

test("a passphrase-locked server identity is unlocked from the dashboard; values never come back unasked", async () => {
  mkdirSync(dir, { recursive: true });
  const { text, recipient } = await newIdentityFile();
  writeFileSync(join(dir, SERVER_IDENTITY_FILE), await lockIdentityFile(text, "correct horse", 10), { mode: 0o600 });
  const previous = process.env.FLIGHTDECK_AGE_PASSPHRASE;
  delete process.env.FLIGHTDECK_AGE_PASSPHRASE;
  const services = await createServices(readEnv({ FLIGHTDECK_DATA: dir, FLIGHTDECK_DEMO: "examples/ha-kvm" }));
  if (previous !== undefined) process.env.FLIGHTDECK_AGE_PASSPHRASE = previous;
  const { api } = await asUser(services, "ana", { isAdmin: true });
  try {
    const locked = await api.secrets.list({ slug: "ha-kvm" });
    assert.equal(locked.server.locked, true);
    assert.deepEqual(locked.keys, []);
    await assert.rejects(api.secrets.set({ slug: "ha-kvm", baseRevision: 1, key: "db.password", value: "hunter22" }), /locked/);
    await assert.rejects(api.secrets.unlock({ passphrase: "wrong" }), (e: Error) => /passphrase/i.test(e.message));

    assert.deepEqual((await api.secrets.unlock({ passphrase: "correct horse" })).recipients, [recipient]);
    const saved = await api.secrets.set({ slug: "ha-kvm", baseRevision: 1, key: "db.password", value: "hunter22" });
    assert.equal(saved.number, 2);
    const list = await api.secrets.list({ slug: "ha-kvm" });
    assert.deepEqual(list.keys, ["db.password"]);
    assert.deepEqual(list.recipients, [recipient]);
    assert.ok(!JSON.stringify(list).includes("hunter22"));
    const [revision] = await api.revisions.list({ slug: "ha-kvm" });
    assert.equal(revision!.message, "Set secret db.password");
    const stored = (await api.files.list({ slug: "ha-kvm" })).files.find((f) => f.path === "secrets.yml")!.content;
    assert.match(stored, /password: ENC\[AES256_GCM,/);
    assert.ok(!stored.includes("hunter22"));
    assert.deepEqual(await api.secrets.reveal({ slug: "ha-kvm", key: "db.password" }), { value: "hunter22" });
    // Who saw which key is audited, never the value.
    const audit = await services.auth.audit.query({ action: "secret." });
    assert.deepEqual(audit.entries.map((e) => [e.action, e.actor, e.target]).slice(0, 2), [["secret.revealed", "ana", "db.password"], ["secret.set", "ana", "db.password"]]);
    assert.ok(!JSON.stringify(audit).includes("hunter22"));

    await api.secrets.set({ slug: "ha-kvm", baseRevision: 2, key: "db.password", value: null });
    assert.deepEqual((await api.secrets.list({ slug: "ha-kvm" })).keys, []);
    await assert.rejects(api.secrets.set({ slug: "ha-kvm", baseRevision: 3, key: "nope", value: null }), /no key 'nope'/);
  } finally {
    await services.close();
  }
});
