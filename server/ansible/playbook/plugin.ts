/**
 * The callback plugin that ships with Flightdeck (server/ansible/callback/flightdeck.py), found at run time: from
 * this module's own place (run from source, or from the CLI's bundle in dist/), or from the working directory
 * (the server always runs from the project root; inside Next's route bundle this module's URL points into .next/).
 * Each run copies it into its private directory, where a sandboxed ansible-playbook can read it.
 */
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const PLUGIN_NAME = "flightdeck";
const RELATIVE = join("server", "ansible", "callback", `${PLUGIN_NAME}.py`);

let text: Promise<string> | undefined;

function candidates(): string[] {
  const out: string[] = [];
  try {
    let dir = dirname(fileURLToPath(import.meta.url));
    for (let i = 0; i < 8; i++) {
      out.push(join(dir, RELATIVE));
      const up = dirname(dir);
      if (up === dir) break;
      dir = up;
    }
  } catch {
    // no file URL for this module (bundled): the working directory below
  }
  out.push(join(/* turbopackIgnore: true */ process.cwd(), RELATIVE));
  return out;
}

/** The plugin's source. */
export function callbackPluginSource(): Promise<string> {
  text ??= (async () => {
    const tried = candidates();
    for (const path of tried) {
      const found = await readFile(path, "utf8").catch(() => undefined);
      if (found !== undefined) return found;
    }
    text = undefined;
    throw new Error(`Flightdeck's Ansible callback plugin is missing (looked for ${tried[0]} and ${tried.length - 1} other places); reinstall Flightdeck`);
  })();
  return text;
}
