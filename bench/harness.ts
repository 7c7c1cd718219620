/**
 * Small benchmark harness: a benchmark is a named async function returning rows of figures.
 * Benchmarks print numbers; they never pass or fail on timing.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface BenchRow {
  /** What was measured, e.g. "check-and-record, 1 key". */
  measurement: string;
  /** How many operations (or records) were timed. */
  count: number;
  /** Unit of `count`: "ops", "records", ... */
  unit: string;
  /** Wall-clock seconds for `count` operations. */
  seconds: number;
  /** Per-call latency, when each call was timed. */
  meanMs?: number;
  p99Ms?: number;
  note?: string;
}

export interface Benchmark {
  name: string;
  description: string;
  run(): Promise<BenchRow[]>;
}

export interface LatencyStats {
  meanMs: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export function latencyStats(samplesMs: number[]): LatencyStats {
  if (samplesMs.length === 0) return { meanMs: NaN, p50Ms: NaN, p99Ms: NaN, maxMs: NaN };
  const sorted = Float64Array.from(samplesMs).sort();
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
  let sum = 0;
  for (const v of sorted) sum += v;
  return { meanMs: sum / sorted.length, p50Ms: at(0.5), p99Ms: at(0.99), maxMs: sorted[sorted.length - 1]! };
}

/**
 * A value that the distribution's true q-quantile is at least, with the given confidence, from
 * its samples alone (no assumption about the distribution's shape): the (j+1)-th largest sample,
 * for the least j such that P(Binomial(n, 1 - q) <= j) >= confidence. The true quantile lies
 * below that sample only if more than j of the n samples fell above the quantile. For 300
 * samples, q = 0.99 and 95%: j = 6, the 7th largest sample. Undefined when no sample is such a
 * bound at that confidence.
 */
export function quantileLowerBound(samples: readonly number[], q: number, confidence: number): number | undefined {
  const n = samples.length;
  const p = 1 - q;
  // P(Binomial(n, p) = j), each term from the one before; the sum is P(Binomial(n, p) <= j).
  let term = Math.pow(q, n);
  let cumulative = term;
  let j = 0;
  while (cumulative < confidence) {
    if (j + 1 >= n) return undefined;
    term *= ((n - j) / (j + 1)) * (p / q);
    cumulative += term;
    j++;
  }
  const sorted = Float64Array.from(samples).sort();
  return sorted[n - 1 - j];
}

const liveDirs = new Set<string>();

/** A fresh temporary directory, removed by `removeTempDir` or when the process is interrupted. */
export function makeTempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `bulwark-bench-${prefix}-`));
  liveDirs.add(dir);
  return dir;
}

export function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  liveDirs.delete(dir);
}

export function removeAllTempDirs(): void {
  for (const dir of [...liveDirs]) removeTempDir(dir);
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    removeAllTempDirs();
    process.exit(130);
  });
}

export function formatRate(perSecond: number): string {
  if (!Number.isFinite(perSecond)) return "-";
  if (perSecond >= 1e6) return `${(perSecond / 1e6).toFixed(2)} M`;
  if (perSecond >= 1e4) return `${(perSecond / 1e3).toFixed(1)} k`;
  return perSecond.toFixed(perSecond >= 100 ? 0 : 1);
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1 << 20) return `${(bytes / (1 << 20)).toFixed(1)} MiB`;
  if (bytes >= 1 << 10) return `${(bytes / (1 << 10)).toFixed(1)} KiB`;
  return `${bytes} B`;
}

function formatMs(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return "-";
  return ms >= 100 ? ms.toFixed(0) : ms >= 1 ? ms.toFixed(2) : ms.toFixed(3);
}

/** Renders rows as an aligned text table. */
export function renderTable(rows: Array<BenchRow & { benchmark: string }>): string {
  const header = ["benchmark", "measurement", "count", "time (s)", "rate (/s)", "mean (ms)", "p99 (ms)", "note"];
  const body = rows.map((r) => [
    r.benchmark,
    r.measurement,
    `${r.count.toLocaleString("en-US")} ${r.unit}`,
    r.seconds.toFixed(3),
    `${formatRate(r.count / r.seconds)} ${r.unit}`,
    formatMs(r.meanMs),
    formatMs(r.p99Ms),
    r.note ?? "",
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((line) => line[i]!.length)));
  const numeric = new Set([2, 3, 4, 5, 6]);
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (numeric.has(i) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  const rule = widths.map((w) => "-".repeat(w)).join("  ");
  return [line(header), rule, ...body.map(line)].join("\n");
}
