// Entry of a worker's event storage thread (as check-thread.mjs: Node 20 starts a worker only from a .js/.mjs
// file and does not give it the parent's `--import tsx`, so this registers tsx's loader and then loads it).
import { register } from "tsx/esm/api";

register();
await import("./sink-worker.ts");
