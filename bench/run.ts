/**
 * `npm run bench -- NAME [args]`: runs one benchmark from bench/. Add a benchmark by writing bench/NAME.ts
 * (exporting `description` and `run(args)`) and listing it here. Benchmarks report figures; they are not tests.
 */
export interface Benchmark {
  description: string;
  /** Returns the exit status: 0, or 1 when the measured output was wrong (not when a target was missed). */
  run(args: string[]): number | Promise<number>;
}

const BENCHMARKS: Record<string, () => Promise<Benchmark>> = {
  resolve: () => import("./resolve"),
  exec: () => import("./exec"),
  events: () => import("./events"),
  "ssh-floor": () => import("./ssh-floor"),
  ansible: () => import("./ansible"),
  scale: () => import("./scale"),
};

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  const load = name === undefined ? undefined : BENCHMARKS[name];
  if (!load) {
    if (name !== undefined) console.error(`bench: unknown benchmark '${name}'`);
    console.error("usage: npm run bench -- NAME [args]\n\nbenchmarks:");
    for (const [key, get] of Object.entries(BENCHMARKS)) console.error(`  ${key.padEnd(12)} ${(await get()).description}`);
    return 2;
  }
  return (await load()).run(args);
}

process.exitCode = await main(process.argv.slice(2));
