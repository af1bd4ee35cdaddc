/** A process whose log pipes close under it keeps running (and exits as it means to) instead of dying or spinning on EPIPE. */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { test } from "node:test";

const CHILD = `
  const { survivePipeLoss } = await import(${JSON.stringify(new URL("../server/stdio.ts", import.meta.url).href)});
  if (process.argv[1] === "guarded") survivePipeLoss();
  process.stdout.write("ready\\n");
  // Writes after the parent closed the pipes: each fails with EPIPE.
  let n = 0;
  const timer = setInterval(() => {
    console.log("line", n);
    console.error("line", n);
    if (++n === 50) { clearInterval(timer); process.exitCode = 7; }
  }, 2);
`;

async function closeLogsUnder(mode: "guarded" | "bare") {
  const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", CHILD, mode], { stdio: ["ignore", "pipe", "pipe"] });
  await once(child.stdout, "data");
  child.stdout.destroy();
  child.stderr.destroy();
  const [code] = (await once(child, "exit")) as [number | null];
  return code;
}

test("with survivePipeLoss, a process outlives its closed log pipes and exits with its own code", async () => {
  assert.equal(await closeLogsUnder("guarded"), 7);
});

test("without it, the same writes end the process on EPIPE (what the guard is for)", async () => {
  assert.notEqual(await closeLogsUnder("bare"), 7);
});
