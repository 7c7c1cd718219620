/**
 * `npm run bench [-- NAME...]`: runs the benchmarks one after another and prints a table.
 * NAME selects benchmarks by exact name or name prefix; `--list` lists them. Figures only: a
 * benchmark never fails on timing (it exits non-zero only if one crashes).
 */
import { availableParallelism, cpus, platform, release } from "node:os";
import { useFastHasher } from "../src/util/fast-hasher.js";
import { renderGoals } from "./goals.js";
import { type Benchmark, type BenchRow, removeAllTempDirs, renderTable } from "./harness.js";
import { httpBenchmarks } from "./http.js";
import { poolBenchmarks } from "./pool.js";
import { postgresHttpBenchmarks } from "./postgres-http.js";
import { protectionBenchmarks } from "./protection.js";
import { startupBenchmarks } from "./startup.js";
import { thresholdBenchmarks } from "./threshold.js";

// The in-process benchmarks (pool, threshold) hash as the real program does (src/cli/main.ts).
useFastHasher();

const ALL: Benchmark[] = [
  ...protectionBenchmarks,
  ...httpBenchmarks,
  ...postgresHttpBenchmarks,
  ...startupBenchmarks,
  ...thresholdBenchmarks,
  ...poolBenchmarks,
];

function select(args: string[]): Benchmark[] | undefined {
  if (args.length === 0) return ALL;
  const chosen: Benchmark[] = [];
  for (const arg of args) {
    const matches = ALL.filter((b) => b.name === arg || b.name.startsWith(arg));
    if (matches.length === 0) {
      console.error(`unknown benchmark "${arg}"; available: ${ALL.map((b) => b.name).join(", ")}`);
      return undefined;
    }
    for (const m of matches) if (!chosen.includes(m)) chosen.push(m);
  }
  return chosen;
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  if (args.includes("--list") || args.includes("--help") || args.includes("-h")) {
    console.log("usage: npm run bench [-- NAME...]   (NAME: exact name or prefix)\n");
    for (const b of ALL) console.log(`  ${b.name.padEnd(22)} ${b.description}`);
    return 0;
  }
  const chosen = select(args);
  if (chosen === undefined) return 2;

  const cpu = cpus()[0]?.model ?? "unknown cpu";
  console.log(`bulwark bench: node ${process.version}, ${platform()} ${release()}, ${availableParallelism()} cores (${cpu})`);
  const rows: Array<BenchRow & { benchmark: string }> = [];
  let crashed = 0;
  const started = performance.now();
  for (const bench of chosen) {
    console.log(`\n== ${bench.name}: ${bench.description}`);
    const t0 = performance.now();
    try {
      const result = await bench.run();
      const mine = result.map((row) => ({ ...row, benchmark: bench.name }));
      rows.push(...mine);
      console.log(renderTable(mine));
      console.log(`(${((performance.now() - t0) / 1000).toFixed(1)} s)`);
    } catch (err) {
      crashed++;
      console.error(`${bench.name} crashed: ${(err as Error).stack ?? String(err)}`);
    }
  }
  if (chosen.length > 1 && rows.length > 0) {
    console.log(`\n== summary (${((performance.now() - started) / 1000).toFixed(1)} s in all)`);
    console.log(renderTable(rows));
  }
  const goals = renderGoals();
  if (goals !== undefined) console.log(`\n== goals: measured in this run (figures, not a verdict on the code: the machine sets the floor)\n${goals}`);
  return crashed === 0 ? 0 : 1;
}

try {
  process.exitCode = await main();
} finally {
  removeAllTempDirs();
}
