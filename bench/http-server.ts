/**
 * Runs the real `bulwark serve` as a child process for the HTTP benchmarks, and observes it from
 * outside: start-up time, RSS and per-thread CPU time from /proc (Linux), Prometheus metrics, and
 * optional V8 CPU profiles (`--cpu-prof`) summarised by function and by package.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** Repository root: this file runs as dist/bench/http-server.js. */
const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BIN = join(REPO_ROOT, "bin", "bulwark.js");

export interface ServeOptions {
  dataDir: string;
  keystoresDir: string;
  passwordFile: string;
  /** Extra node flags placed before bin/bulwark.js, e.g. --cpu-prof. */
  nodeArgs?: string[];
  timeoutMs?: number;
}

export interface ServerHandle {
  pid: number;
  host: string;
  port: number;
  /** Spawn to the "bulwark signer ready" log line. */
  startupSeconds: number;
  /** The "loaded keystores" log line's own figure (discover + decrypt), when logged. */
  keystoreLoadMs: number | undefined;
  /** Log lines at warn level or above since start (refusals are logged at warn). */
  warnings(): number;
  lastLogLines(): string[];
  stop(): Promise<number | null>;
}

export async function startServe(options: ServeOptions): Promise<ServerHandle> {
  const args = [
    ...(options.nodeArgs ?? []),
    BIN,
    "serve",
    "--network", "mainnet",
    // The benchmarks sign epochs of 2024 right after start: the start guard would refuse them all.
    "--start-guard", "off",
    "--data-dir", options.dataDir,
    "--keystores", options.keystoresDir,
    "--keystores-password-file", options.passwordFile,
    "--http-host", "127.0.0.1",
    "--http-port", "0",
    "--log-level", "info",
  ];
  const started = performance.now();
  const child = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"] });
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);

  const tail: string[] = [];
  let warnings = 0;
  let keystoreLoadMs: number | undefined;
  let onReady: ((address: string) => void) | undefined;
  const remember = (line: string) => {
    tail.push(line);
    if (tail.length > 30) tail.shift();
  };
  let pending = "";
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
    pending += chunk;
    let nl: number;
    while ((nl = pending.indexOf("\n")) !== -1) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      remember(line);
      let entry: { level?: number; msg?: string; address?: string; ms?: number };
      try {
        entry = JSON.parse(line) as typeof entry;
      } catch {
        continue;
      }
      if ((entry.level ?? 0) >= 40) warnings++;
      if (entry.msg === "loaded keystores" && typeof entry.ms === "number") keystoreLoadMs = entry.ms;
      if (entry.msg === "bulwark signer ready" && typeof entry.address === "string") onReady?.(entry.address);
    }
  });
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
    for (const line of chunk.split("\n")) if (line.trim() !== "") remember(`stderr: ${line}`);
  });

  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => {
      exitCode = code;
      process.off("exit", killOnExit);
      resolve(code);
    }),
  );

  const address = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`bulwark serve not ready after ${options.timeoutMs ?? 120_000} ms:\n${tail.join("\n")}`));
    }, options.timeoutMs ?? 120_000);
    onReady = (addr) => {
      clearTimeout(timer);
      resolve(addr);
    };
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`bulwark serve exited with code ${code} before it was ready:\n${tail.join("\n")}`));
    });
  });
  const startupSeconds = (performance.now() - started) / 1000;
  const url = new URL(address);

  return {
    pid: child.pid!,
    host: url.hostname,
    port: Number(url.port),
    startupSeconds,
    keystoreLoadMs,
    warnings: () => warnings,
    lastLogLines: () => [...tail],
    stop: () => stopChild(child, exited, () => exitCode),
  };
}

async function stopChild(child: ChildProcess, exited: Promise<number | null>, code: () => number | null | undefined): Promise<number | null> {
  if (code() !== undefined) return code() ?? null;
  child.kill("SIGTERM");
  const timeout = new Promise<"timeout">((resolve) => setTimeout(() => resolve("timeout"), 15_000).unref());
  const result = await Promise.race([exited, timeout]);
  if (result === "timeout") {
    child.kill("SIGKILL");
    return exited;
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
// /proc observation (Linux only; undefined elsewhere).

/** USER_HZ: the unit of utime/stime in /proc/PID/stat; 100 on every mainstream Linux. */
const CLOCK_TICKS_PER_SECOND = 100;

/** CPU seconds (user + system) of every thread of a process, by thread id. */
export function threadCpuSeconds(pid: number): Map<number, number> | undefined {
  const dir = `/proc/${pid}/task`;
  if (!existsSync(dir)) return undefined;
  const result = new Map<number, number>();
  for (const tid of readdirSync(dir)) {
    try {
      const stat = readFileSync(`${dir}/${tid}/stat`, "utf8");
      // Fields after the parenthesised command name: state is field 3, utime 14, stime 15.
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      result.set(Number(tid), (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND);
    } catch {
      // The thread ended between readdir and read.
    }
  }
  return result;
}

export interface CpuSplit {
  total: number;
  main: number;
  /** The `busiest` most active other threads (with the signing pool, its workers). */
  busiest: number[];
  rest: number;
}

/** CPU seconds spent between two snapshots, split into main thread, busiest others and the rest. */
export function cpuBetween(pid: number, before: Map<number, number> | undefined, after: Map<number, number> | undefined, busiest: number): CpuSplit | undefined {
  if (before === undefined || after === undefined) return undefined;
  const deltas: Array<[number, number]> = [...after].map(([tid, s]) => [tid, s - (before.get(tid) ?? 0)]);
  const main = deltas.find(([tid]) => tid === pid)?.[1] ?? 0;
  const others = deltas.filter(([tid]) => tid !== pid).map(([, s]) => s).sort((a, b) => b - a);
  const top = others.slice(0, busiest);
  const rest = others.slice(busiest).reduce((a, b) => a + b, 0);
  return { total: main + top.reduce((a, b) => a + b, 0) + rest, main, busiest: top, rest };
}

/** Machine-wide CPU seconds from /proc/stat: busy (every non-idle state, steal excluded), idle + iowait, steal. */
export function machineCpuSeconds(): { busy: number; idle: number; steal: number } | undefined {
  try {
    const line = readFileSync("/proc/stat", "utf8").split("\n")[0]!;
    const [user, nice, system, idle, iowait, irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number) as number[];
    return {
      busy: (user! + nice! + system! + irq! + softirq!) / CLOCK_TICKS_PER_SECOND,
      idle: (idle! + iowait!) / CLOCK_TICKS_PER_SECOND,
      steal: (steal ?? 0) / CLOCK_TICKS_PER_SECOND,
    };
  } catch {
    return undefined;
  }
}

/** VmRSS and VmHWM (peak) of a process in MiB. */
export function memoryMiB(pid: number): { rss: number; peak: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN);
    return { rss: kb("VmRSS") / 1024, peak: kb("VmHWM") / 1024 };
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Prometheus metrics of the server.

/** Sum and count of a histogram (all label sets together) from the /metrics text. */
export type MetricTotals = Map<string, { sum: number; count: number }>;

export async function histogramTotals(host: string, port: number, names: readonly string[]): Promise<MetricTotals> {
  const text = await (await fetch(`http://${host}:${port}/metrics`)).text();
  const totals: MetricTotals = new Map();
  for (const name of names) {
    let sum = 0;
    let count = 0;
    for (const line of text.split("\n")) {
      if (line.startsWith(`${name}_sum`)) sum += Number(line.slice(line.lastIndexOf(" ") + 1));
      else if (line.startsWith(`${name}_count`)) count += Number(line.slice(line.lastIndexOf(" ") + 1));
    }
    totals.set(name, { sum, count });
  }
  return totals;
}

/** Mean in ms of a histogram between two snapshots. */
export function meanMsBetween(before: MetricTotals, after: MetricTotals, name: string): number {
  const a = after.get(name);
  const b = before.get(name);
  if (a === undefined || b === undefined || a.count === b.count) return NaN;
  return ((a.sum - b.sum) / (a.count - b.count)) * 1000;
}

// ---------------------------------------------------------------------------------------------
// V8 CPU profiles (.cpuprofile, as written by node --cpu-prof).

interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: CpuProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  file: string;
  /** Sampled wall time in ms, idle excluded. */
  busyMs: number;
  idleMs: number;
  topFunctions: Array<{ name: string; ms: number }>;
  byPackage: Array<{ name: string; ms: number }>;
}

function packageOf(url: string, functionName: string): string {
  if (url === "") return functionName.startsWith("(") ? functionName : "(native)";
  if (url.startsWith("node:")) return "node internals";
  const nm = url.lastIndexOf("/node_modules/");
  if (nm !== -1) {
    const parts = url.slice(nm + "/node_modules/".length).split("/");
    return parts[0]!.startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0]!;
  }
  const dist = url.indexOf("/dist/");
  if (dist !== -1) return url.slice(dist + 1).split("/").slice(0, 3).join("/");
  return url;
}

function shortLocation(url: string): string {
  const nm = url.lastIndexOf("/node_modules/");
  if (nm !== -1) return url.slice(nm + "/node_modules/".length);
  const dist = url.indexOf("/dist/");
  if (dist !== -1) return url.slice(dist + 1);
  return url;
}

/** Self time by function and by package for one profile. */
export function summariseProfile(path: string, top = 15): ProfileSummary {
  const profile = JSON.parse(readFileSync(path, "utf8")) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map<number, number>();
  // timeDeltas[i + 1] is the time spent in samples[i] (Chrome DevTools' convention).
  for (let i = 0; i < profile.samples.length; i++) {
    const delta = profile.timeDeltas[i + 1] ?? 0;
    selfUs.set(profile.samples[i]!, (selfUs.get(profile.samples[i]!) ?? 0) + Math.max(0, delta));
  }
  const functions = new Map<string, number>();
  const packages = new Map<string, number>();
  let idleUs = 0;
  let busyUs = 0;
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)!.callFrame;
    if (frame.functionName === "(idle)") {
      idleUs += us;
      continue;
    }
    busyUs += us;
    const name = frame.url === "" ? frame.functionName || "(anonymous)" : `${frame.functionName || "(anonymous)"} ${shortLocation(frame.url)}:${frame.lineNumber + 1}`;
    functions.set(name, (functions.get(name) ?? 0) + us);
    const pkg = packageOf(frame.url, frame.functionName);
    packages.set(pkg, (packages.get(pkg) ?? 0) + us);
  }
  const sorted = (m: Map<string, number>, n: number) =>
    [...m].sort((a, b) => b[1] - a[1]).slice(0, n).map(([name, us]) => ({ name, ms: us / 1000 }));
  return { file: path, busyMs: busyUs / 1000, idleMs: idleUs / 1000, topFunctions: sorted(functions, top), byPackage: sorted(packages, 12) };
}

/** Prints a summary of every .cpuprofile in `dir` (the main thread first). */
export function printProfiles(dir: string): void {
  if (!existsSync(dir)) return;
  const files = readdirSync(dir).filter((f) => f.endsWith(".cpuprofile")).sort();
  if (files.length === 0) {
    console.log(`  (no .cpuprofile written in ${dir})`);
    return;
  }
  // Names are CPU.<date>.<time>.<pid>.<thread id>.<seq>.cpuprofile; thread id 0 is the main thread.
  const threadOf = (f: string) => Number(f.split(".")[4] ?? NaN);
  files.sort((a, b) => threadOf(a) - threadOf(b));
  for (const file of files) {
    const s = summariseProfile(join(dir, file));
    if (s.busyMs < 50) continue;
    const thread = threadOf(file) === 0 ? "main thread" : `worker thread ${threadOf(file)}`;
    const pct = (ms: number) => `${((100 * ms) / s.busyMs).toFixed(1).padStart(5)}%`;
    console.log(`\n  CPU profile, ${thread}: ${(s.busyMs / 1000).toFixed(2)} s busy, ${(s.idleMs / 1000).toFixed(2)} s idle (${file})`);
    console.log("    self time by package:");
    for (const p of s.byPackage) console.log(`      ${pct(p.ms)}  ${p.name}`);
    console.log("    top functions (self time):");
    for (const f of s.topFunctions) console.log(`      ${pct(f.ms)}  ${f.name}`);
  }
}
