/** On a server, a site's key_file and known_hosts are read only inside FLIGHTDECK_KEY_DIRS, judged on the real path. */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import ssh2 from "ssh2";
import { allowedSiteFile } from "../../server/transports/site-files";
import { sshTransport } from "../../server/transports/ssh";
import { HostKeyError, UnreachableError } from "../../server/transports/types";

const dir = mkdtempSync(join(tmpdir(), "fd-site-files-"));
const keys = join(dir, "keys", "lab");
const data = join(dir, "data");
mkdirSync(keys, { recursive: true });
mkdirSync(data);
writeFileSync(join(keys, "deploy"), "key");
writeFileSync(join(data, "age-identity.txt"), "(the server's age identity would be here)\n");
symlinkSync(join(data, "age-identity.txt"), join(keys, "sneaky"));
symlinkSync("/etc/passwd", join(keys, "passwd"));
const files = { dirs: [keys, data], deny: [data] };
after(() => rmSync(dir, { recursive: true, force: true }));

test("inside a listed directory: allowed (a file still to be created too)", async () => {
  assert.equal(await allowedSiteFile(join(keys, "deploy"), "key_file", files), join(keys, "deploy"));
  assert.equal(await allowedSiteFile(join(keys, "known_hosts"), "known_hosts", files), join(keys, "known_hosts"));
});

test("a symlink, '..', a relative path or the data directory cannot lead out", async () => {
  await assert.rejects(allowedSiteFile(join(keys, "sneaky"), "key_file", files), /leads to .*age-identity\.txt, which is outside the directories the server allows .* or inside its data directory/);
  await assert.rejects(allowedSiteFile(join(keys, "passwd"), "key_file", files), /leads to \/etc\/passwd/);
  await assert.rejects(allowedSiteFile(join(keys, "..", "..", "data", "age-identity.txt"), "key_file", files), /inside the server's data directory/);
  await assert.rejects(allowedSiteFile("keys/deploy", "key_file", files), /a path must be absolute/);
  await assert.rejects(allowedSiteFile("~/.ssh/id_ed25519", "key_file", files), /a path must be absolute/);
  await assert.rejects(allowedSiteFile("/root/.ssh/id_ed25519", "key_file", files), /outside the directories the server allows: use a directory listed in FLIGHTDECK_KEY_DIRS/);
});

test("the ssh transport refuses before connecting, and lends a site no ssh-agent", async () => {
  const settings = { host: "web-1", transport: "ssh", address: "127.0.0.1", port: 1, host_key_checking: "strict" as const };
  const signal = new AbortController().signal;
  await assert.rejects(sshTransport.connect({ ...settings, key_file: "/root/.ssh/id_ed25519" }, { signal, files }), (e: Error) => e instanceof UnreachableError && /key_file \/root\/.ssh\/id_ed25519 is outside/.test(e.message));
  const agent = process.env.SSH_AUTH_SOCK;
  process.env.SSH_AUTH_SOCK = join(dir, "agent.sock");
  try {
    await assert.rejects(sshTransport.connect(settings, { signal, files }), /no key to log in with: .*the server's ssh-agent is not lent to sites/);
  } finally {
    if (agent === undefined) delete process.env.SSH_AUTH_SOCK;
    else process.env.SSH_AUTH_SOCK = agent;
  }
  const { private: key } = ssh2.utils.generateKeyPairSync("ed25519");
  await assert.rejects(
    sshTransport.connect({ ...settings, private_key: key, known_hosts: join(data, "known_hosts") }, { signal, files }),
    (e: Error) => e instanceof HostKeyError && /known_hosts .* is inside the server's data directory/.test(e.message),
  );
});
