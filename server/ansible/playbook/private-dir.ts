/**
 * The private directory of one ansible-playbook run: its inventory (with decrypted secrets), keys, known_hosts
 * copies, ssh configuration, the callback plugin and a copy of the site's Ansible content. 0700, files 0600,
 * removed afterwards whatever happened. On a server it is the home of a sandbox workspace (server/transports/
 * sandbox.ts): ansible-playbook runs there as the sandbox's unprivileged user, which owns what is written, and
 * sees the directory as SANDBOX_HOME. In the CLI it is a temporary directory, and the program runs directly.
 */
import { chown, mkdir, mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { SANDBOX_HOME, type Sandbox } from "../../transports/sandbox";

export interface PrivateDir {
  /** The directory as this process sees it. */
  readonly outside: string;
  /** The same directory as ansible-playbook sees it. */
  readonly inside: string;
  readonly sandboxed: boolean;
  /** Write a file below the directory (parents made 0700), owned by whoever runs the program; returns its inside path. */
  write(path: string, content: string | Buffer, mode?: number): Promise<string>;
  /** Make a directory below it (0700); returns its inside path. */
  mkdir(path: string): Promise<string>;
  /** How to start `argv` with `env` there: in the sandbox (a clean environment plus `env`), or directly. */
  command(argv: readonly string[], env: Record<string, string>): { file: string; args: string[]; env: NodeJS.ProcessEnv };
  dispose(): Promise<void>;
}

/** Variables a direct run never inherits: the user's own Ansible settings would override the run's. */
const NOT_INHERITED = /^ANSIBLE_/;

export async function privateDir(sandbox: Sandbox | undefined): Promise<PrivateDir> {
  if (sandbox) {
    const workspace = await sandbox.workspace();
    try {
      const owner = await stat(workspace.home);
      return new Dir(workspace.home, SANDBOX_HOME, { uid: owner.uid, gid: owner.gid }, (argv, env) => {
        // The sandbox starts with PATH, HOME and LANG only; `env` sets the rest (none of it secret: ps shows it).
        const [file, ...args] = workspace.argv(["/usr/bin/env", ...Object.entries(env).map(([k, v]) => `${k}=${v}`), ...argv]);
        return { file: file!, args, env: workspace.env };
      }, () => workspace.dispose());
    } catch (e) {
      await workspace.dispose();
      throw e;
    }
  }
  const dir = await mkdtemp(join(tmpdir(), "flightdeck-ansible-"));
  return new Dir(dir, dir, undefined, (argv, env) => {
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !NOT_INHERITED.test(k)));
    return { file: argv[0]!, args: argv.slice(1), env: { ...inherited, ...env } as NodeJS.ProcessEnv };
  }, () => rm(dir, { recursive: true, force: true }));
}

class Dir implements PrivateDir {
  readonly sandboxed: boolean;

  constructor(
    readonly outside: string,
    readonly inside: string,
    private readonly owner: { uid: number; gid: number } | undefined,
    private readonly start: PrivateDir["command"],
    private readonly remove: () => Promise<void>,
  ) {
    this.sandboxed = owner !== undefined;
  }

  async mkdir(path: string): Promise<string> {
    await this.parents(join(path, "x"));
    return join(this.inside, path);
  }

  async write(path: string, content: string | Buffer, mode = 0o600): Promise<string> {
    await this.parents(path);
    const target = join(this.outside, path);
    await writeFile(target, content, { mode });
    if (this.owner) await chown(target, this.owner.uid, this.owner.gid);
    return join(this.inside, path);
  }

  private async parents(path: string) {
    const parts = dirname(path).split("/").filter((p) => p && p !== ".");
    let at = this.outside;
    for (const part of parts) {
      at = join(at, part);
      const made = await mkdir(at, { mode: 0o700 }).then(
        () => true,
        (e: NodeJS.ErrnoException) => {
          if (e.code === "EEXIST") return false;
          throw e;
        },
      );
      if (made && this.owner) await chown(at, this.owner.uid, this.owner.gid);
    }
  }

  command(argv: readonly string[], env: Record<string, string>) {
    return this.start(argv, env);
  }

  dispose(): Promise<void> {
    return this.remove();
  }
}
