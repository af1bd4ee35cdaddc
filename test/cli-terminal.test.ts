/**
 * `flightdeck exec`'s live display on a real terminal: the CLI runs inside tmux on a site of `local` hosts with
 * 40 steps; the test resizes the window between 100, 60 and 40 columns while the hosts wait at a gate step, and
 * reads the screen back with `capture-pane`. Every host line must fit the width with whole escape sequences,
 * and each redraw must replace the previous frame without leaving any of it behind.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { stripVTControlCharacters } from "node:util";
import stringWidth from "string-width";
import { chipStrip, fit, frameLines } from "../server/cli/frame";
import { eraseRows, rowsAt } from "../server/cli/live-area";
import { planDeployment, RunTracker, type StepStatus } from "../server/engine";
import { loadSite } from "../server/inventory";
import { localInventory, workflow } from "./engine/fleet-site";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const TMUX = "/usr/bin/tmux";
const HOSTS = ["host-01", "host-02", "host-03", "host-04", "host-05", "host-06"];
const STEPS = 40;
const SUMMARY = "run succeeded: 6 hosts (0 ok, 6 changed, 0 failed, 0 unreachable, 0 skipped, 0 cancelled)";

const temp = mkdtempSync(join(tmpdir(), "flightdeck-term-"));
after(() => rmSync(temp, { recursive: true, force: true }));

/** Every escape in `line` is a whole SGR sequence (`ESC [ digits m`). */
function escapesWhole(line: string): boolean {
  // eslint-disable-next-line no-control-regex
  return !line.replace(/\x1b\[[0-9;]*m/g, "").includes("\x1b");
}

describe("frame lines", () => {
  const LONG = "a-very-long-host-name-that-goes-on-and-on";
  const tracker = (steps: number, done: number) => {
    const list = Array.from({ length: steps }, (_, i) => `  - {name: s${i + 1}, action: cmd.run, params: {cmd: "true"}}`).join("\n");
    const t = new RunTracker(planDeployment(loadSite([{ path: "s.yml", content: `${localInventory([LONG, "b"])}---\n${workflow(list)}` }])));
    t.apply({ type: "stage.started", stage: 0, name: "s" });
    for (let i = 0; i < done; i++) for (const host of [LONG, "b"]) t.apply({ type: "step.status", host, step: `s${i + 1}`, status: "changed" });
    // A message with a newline and an escape of its own stays on its line.
    if (done < steps) t.apply({ type: "step.status", host: "b", step: `s${done + 1}`, status: "running", message: "line one\nline two\x1b[31m" });
    return t.snapshot;
  };

  test("every line fits columns - 1 with whole escapes, at any width and step count", () => {
    for (const steps of [1, 14, 40, 120])
      for (let columns = 8; columns <= 160; columns += 7) {
        const lines = frameLines(tracker(steps, Math.floor(steps / 2)), { columns, rows: 30 }, 12_000);
        for (const line of lines) {
          assert.ok(stringWidth(line) <= columns - 1, `${steps} steps, ${columns} columns: ${JSON.stringify(line)} is ${stringWidth(line)} wide`);
          assert.ok(escapesWhole(line), `${steps} steps, ${columns} columns: broken escape in ${JSON.stringify(line)}`);
          assert.ok(!line.includes("\n"), "a step's message must not add a line");
        }
      }
  });

  test("a host's step statuses cut at 14 steps on 100 columns keep their colours (the old code cut inside an escape)", () => {
    const lines = frameLines(tracker(14, 7), { columns: 100, rows: 30 }, 0);
    const b = lines.find((l) => l.startsWith("b "))!;
    assert.equal(b.split("\x1b[33m●\x1b[0m").length - 1, 7);
    // The running icon is one column everywhere (▶ is an emoji that string-width counts as two).
    assert.ok(b.endsWith(`\x1b[36m►\x1b[0m${"\x1b[2m·\x1b[0m".repeat(6)} running s8: line one line two`), JSON.stringify(b));
  });

  test("more steps than columns: a window around the running step, with ellipses for what is left out", () => {
    const statuses: StepStatus[] = [...Array<StepStatus>(30).fill("ok"), "running", ...Array<StepStatus>(29).fill("pending")];
    const plain = stripVTControlCharacters(chipStrip(statuses, 12, 30));
    assert.equal(plain, "…✓✓✓✓✓►····…");
    assert.equal(fit("\x1b[32m✓✓✓✓\x1b[0m", 3), "\x1b[32m✓✓…\x1b[39m");
  });

  test("after a resize, the old frame's rows are counted as the terminal re-wraps them", () => {
    assert.equal(rowsAt([99, 60, 59, 10], 60), 2 + 1 + 1 + 1);
    assert.equal(rowsAt([0, 39], 40), 2);
    assert.equal(eraseRows(2), "\x1b[2K\x1b[1A\x1b[2K\x1b[1A\x1b[2K\r");
  });
});

/** One tmux server of our own (its socket in the temp dir) with one window running a command. */
class Terminal {
  private readonly socket: string;
  constructor(name: string) {
    this.socket = join(temp, `${name}.sock`);
  }

  tmux(...args: string[]): string {
    const r = spawnSync(TMUX, ["-S", this.socket, "-f", "/dev/null", ...args], { encoding: "utf8", env: { ...process.env, LC_ALL: "C.UTF-8", TMUX: "" }, timeout: 10_000 });
    if (r.status !== 0) throw new Error(`tmux ${args.join(" ")}: ${r.stderr}`);
    return r.stdout;
  }

  start(command: string, columns: number, rows: number) {
    this.tmux("new-session", "-d", "-s", "t", "-x", String(columns), "-y", String(rows), command);
  }

  resize(columns: number) {
    this.tmux("resize-window", "-t", "t", "-x", String(columns));
  }

  /**
   * With `history`, the scrollback and the screen, wrapped rows joined (a line the terminal wrapped reads wider
   * than the window); else the screen's rows as they are (a wrapped line's second row matches no line of the
   * display). Rows are not joined there: the first row may continue a line in the scrollback, and tmux then
   * leaves it out.
   */
  capture(history: boolean): string[] {
    const text = this.tmux("capture-pane", "-p", "-t", "t", ...(history ? ["-J", "-S", "-"] : []));
    return text.split("\n").map((l) => l.trimEnd());
  }

  /** Resolves when the command in the window signals `done` (it runs `tmux wait-for -S done`, then waits on its input to keep the window). */
  done(): Promise<void> {
    return new Promise((resolve, reject) => {
      const child = spawn(TMUX, ["-S", this.socket, "wait-for", "done"], { stdio: "ignore" });
      const timer = setTimeout(() => child.kill(), 120_000);
      child.on("exit", (code) => {
        clearTimeout(timer);
        if (code === 0) resolve();
        else reject(new Error(`tmux wait-for: ${code}`));
      });
    });
  }

  /** Polls the screen until `check` finds nothing wrong; fails with the last problem and the screen after 30 s. */
  async until(history: boolean, check: (lines: string[]) => string | null): Promise<string[]> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const lines = this.capture(history);
      const problem = check(lines);
      if (problem === null) return lines;
      if (Date.now() > deadline) assert.fail(`${problem}\n--- screen ---\n${lines.join("\n")}${history ? "" : `\n--- with the scrollback ---\n${this.capture(true).join("\n")}`}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  kill() {
    if (existsSync(this.socket)) this.tmux("kill-server");
  }
}

/**
 * What is wrong with the captured lines, or null: every line is a whole line of the frame (the bar once, each
 * host once, each fitting `columns - 1` and matching `host`), the earlier output `1`..`40`, the summary, or
 * blank. A left-over piece of an earlier frame, a wrapped line or a broken escape matches none of these.
 */
function problem(lines: string[], columns: number, host: RegExp, finished = false): string | null {
  let bars = 0;
  const seen = new Map<string, number>();
  for (const line of lines) {
    if (line.includes("\x1b") || /\[[0-9;]*m/.test(line)) return `a broken escape sequence: ${JSON.stringify(line)}`;
    if (line === "" || /^\d+$/.test(line)) continue;
    // The summary is written after the frame, and may wrap.
    if (finished && (SUMMARY.includes(line) || line === "exit=0")) continue;
    const width = stringWidth(line);
    if (/^[█░]+ \d+\/240 steps/.test(line)) {
      bars++;
      if (width > columns - 1) return `the bar is ${width} columns wide on ${columns}: ${line}`;
      continue;
    }
    const name = /^host-0\d /.exec(line)?.[0].trim();
    if (!name) return `not a line of the display: ${JSON.stringify(line)}`;
    seen.set(name, (seen.get(name) ?? 0) + 1);
    if (width > columns - 1) return `${name}'s line is ${width} columns wide on ${columns}: ${line}`;
    if (!host.test(line)) return `${name}'s line is not ${host}: ${line}`;
  }
  if (bars !== 1) return `${bars} bars`;
  for (const h of HOSTS) if (seen.get(h) !== 1) return `${h} is shown ${seen.get(h) ?? 0} times`;
  return null;
}

describe("flightdeck exec in a terminal", { skip: existsSync(TMUX) ? false : `${TMUX} is missing (apt-get install tmux)` }, () => {
  const gate = (name: string) => `while [ ! -e ${join(temp, name)} ]; do sleep 0.05; done`;
  const site = (name: string) => {
    const dir = join(temp, name);
    mkdirSync(dir);
    // Steps 20 and 30 wait for a file the test creates: the run holds still while the window is resized.
    const steps = Array.from({ length: STEPS }, (_, i) => {
      const n = i + 1;
      const cmd = n === 20 ? gate(`${name}-gate1`) : n === 30 ? gate(`${name}-gate2`) : "true";
      return `  - {name: s${String(n).padStart(2, "0")}, action: cmd.run, params: {cmd: '${cmd}'}}`;
    }).join("\n");
    writeFileSync(join(dir, "site.yml"), `${localInventory(HOSTS)}---\n${workflow(steps)}`);
    return dir;
  };
  const exec = (dir: string, before = "") => `cd ${ROOT} && ${before}${process.execPath} bin/flightdeck.mjs exec ${dir}; echo exit=$?; tmux wait-for -S done; read -r _`;
  const waiting = (step: number) => new RegExp(`^host-0\\d [✓●]{${step - 1}}►·{${STEPS - step}} running s${step}$`);

  test("below earlier output: resized to 60, 40 and 100 columns mid-run, the scrollback holds exactly one frame", { timeout: 180_000 }, async () => {
    const dir = site("below");
    const term = new Terminal("below");
    try {
      // A screen already full of earlier output, as in a shell session.
      term.start(exec(dir, "seq 1 40; "), 100, 30);
      await term.until(true, (l) => problem(l, 100, waiting(20)));
      term.resize(60);
      // 8 + 40 chips fit; the note is cut to the width.
      await term.until(true, (l) => problem(l, 60, /^host-0\d [✓●]{19}►·{20} running s…$/));
      term.resize(40);
      // Fewer columns than steps: a window around the running step, and the note whole.
      await term.until(true, (l) => problem(l, 40, /^host-0\d …[✓●]+►·+… running s20$/));
      writeFileSync(join(temp, "below-gate1"), "");
      await term.until(true, (l) => problem(l, 40, /^host-0\d …[✓●]+►·+… running s30$/));
      term.resize(100);
      await term.until(true, (l) => problem(l, 100, waiting(30)));
      term.resize(60);
      await term.until(true, (l) => problem(l, 60, /^host-0\d [✓●]{29}►·{10} running s…$/));
      writeFileSync(join(temp, "below-gate2"), "");
      await term.done();
      const lines = await term.until(true, (l) => problem(l, 60, /^host-0\d [✓●]{40}$/, true));
      assert.ok(lines.includes("exit=0"), lines.join("\n"));
      // The earlier output is all still there, in order, above the frame.
      assert.deepEqual(
        lines.filter((l) => /^\d+$/.test(l)),
        Array.from({ length: 40 }, (_, i) => String(i + 1)),
      );
    } finally {
      term.kill();
    }
  });

  test("at the top of a new terminal: the visible screen keeps one whole frame through resizes", { timeout: 180_000 }, async () => {
    // Here tmux pushes the top rows of a re-wrapped frame into its scrollback, out of reach of any cursor
    // movement (it keeps the cursor's row), so only the screen is checked: the frame on it is whole.
    const dir = site("top");
    const term = new Terminal("top");
    try {
      term.start(exec(dir), 100, 30);
      await term.until(false, (l) => problem(l, 100, waiting(20)));
      term.resize(60);
      await term.until(false, (l) => problem(l, 60, /^host-0\d [✓●]{19}►·{20} running s…$/));
      writeFileSync(join(temp, "top-gate1"), "");
      writeFileSync(join(temp, "top-gate2"), "");
      await term.done();
      await term.until(false, (l) => problem(l, 60, /^host-0\d [✓●]{40}$/, true));
    } finally {
      term.kill();
    }
  });
});
