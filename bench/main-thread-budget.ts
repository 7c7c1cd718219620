/**
 * Where the server's main thread spends its time per request, from a V8 CPU profile of a real
 * `bulwark serve` (node --cpu-prof) cut to the load phases: each sample is charged to the
 * innermost frame of its stack that names a stage (HTTP parse, JSON, SSZ hashing, protection,
 * worker hand-off, response, ...). Node's stream and socket internals are charged only when
 * nothing more specific is on the stack. Timestamps: V8's profile clock and process.hrtime are
 * both CLOCK_MONOTONIC on Linux, so a window measured in the bench process selects the server's
 * samples of that window.
 *
 * Across stages, the budget also names the native calls that hand work to another thread or
 * process: a socket write (the kernel delivers it to the client and wakes it) and a postMessage
 * (which wakes the receiving thread). Their cost is mostly the wake-up, so it depends on whether
 * the other side was asleep, which the stages cannot show.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface BudgetWindow {
  label: string;
  /** process.hrtime in microseconds. */
  startUs: number;
  endUs: number;
  /** Requests answered in the window. */
  requests: number;
}

export interface Budget {
  window: BudgetWindow;
  /** Main-thread busy microseconds per request, by stage, largest first. */
  stages: Array<{ stage: string; usPerRequest: number }>;
  busyUsPerRequest: number;
  /** Share of the window the main thread was idle (waiting for I/O or other threads). */
  idleShare: number;
  /** Native calls that hand work to another thread or process (part of the stages' time), largest first. */
  handOffCalls: Array<{ call: string; usPerRequest: number }>;
}

type Rule = (frame: ProfileNode["callFrame"]) => string | undefined;

const has = (url: string, ...parts: string[]) => parts.some((part) => url.includes(part));

/** Decisive: the stage is known as soon as such a frame is on the stack. */
const STAGE_RULES: Rule[] = [
  ({ functionName, url }) => (functionName === "(garbage collector)" ? "garbage collection" : undefined),
  ({ url }) => (has(url, "/src/protection/", "better-sqlite3") ? "protection (group commit, hand-off to the commit thread)" : undefined),
  ({ functionName, url }) =>
    has(url, "/src/bls/sign-pool", "node:internal/worker", "messageport") || (url === "" && functionName === "postMessage")
      ? "worker hand-off (thread messages: signing pool, commit thread)"
      : undefined,
  ({ url }) => (has(url, "@chainsafe/ssz", "@chainsafe/as-sha256", "persistent-merkle-tree", "hashtree", "/src/eth/") ? "SSZ parse + hashing (signing root)" : undefined),
  ({ functionName, url }) =>
    (url === "" && functionName === "parse") || has(url, "secure-json-parse", "fastify/lib/contentTypeParser") ? "JSON parse (request body)" : undefined,
  ({ functionName, url }) =>
    (url === "" && functionName === "stringify") || has(url, "fast-json-stringify", "fastify/lib/reply", "node:_http_outgoing")
      ? "response (serialise + write)"
      : undefined,
  ({ url }) => (has(url, "pino", "sonic-boom") ? "logging" : undefined),
  ({ url }) => (has(url, "prom-client", "/src/server/metrics") ? "metrics" : undefined),
  ({ url }) => (has(url, "node:_http_server", "node:_http_common", "node:_http_incoming") ? "HTTP parse (llhttp + request objects)" : undefined),
  ({ url }) => (has(url, "fastify", "avvio", "find-my-way", "light-my-request") ? "fastify routing + hooks" : undefined),
  ({ url }) => (has(url, "/src/core/", "/src/server/") ? "signing core + API handlers" : undefined),
];

/** Only when nothing decisive is on the stack. */
const FALLBACK_RULES: Rule[] = [
  ({ url }) => (has(url, "node:net", "node:internal/stream_base", "node:internal/streams", "node:stream") ? "socket I/O (node streams)" : undefined),
  ({ url }) => (has(url, "node:internal/process/task_queues", "node:internal/timers") ? "event loop (timers, microtasks)" : undefined),
  ({ functionName }) => (functionName === "(program)" ? "V8 + native (program)" : undefined),
];

function stageOf(leaf: number, byId: Map<number, ProfileNode>, parent: Map<number, number>): string {
  let fallback: string | undefined;
  for (let id: number | undefined = leaf; id !== undefined; id = parent.get(id)) {
    const frame = byId.get(id)!.callFrame;
    for (const rule of STAGE_RULES) {
      const stage = rule(frame);
      if (stage !== undefined) return stage;
    }
    if (fallback === undefined) {
      for (const rule of FALLBACK_RULES) {
        fallback = rule(frame);
        if (fallback !== undefined) break;
      }
    }
  }
  return fallback ?? "other";
}

const SOCKET_WRITES = new Set(["writev", "writeBuffer", "writeUtf8String", "writeLatin1String", "writeAsciiString"]);

/** The hand-off call a sample's leaf is, if it is one; `stack` is the leaf and its callers' urls, innermost first. */
function handOffCallOf(leaf: ProfileNode["callFrame"], stack: readonly string[]): string | undefined {
  if (leaf.url !== "") return undefined;
  if (SOCKET_WRITES.has(leaf.functionName)) return "socket writes (responses to the client)";
  if (leaf.functionName !== "postMessage") return undefined;
  if (stack.some((url) => url.includes("/src/protection/"))) return "postMessage to the commit thread";
  if (stack.some((url) => url.includes("/src/bls/sign-pool"))) return "postMessage to the signing threads";
  return "postMessage, other";
}

/** The main thread's profile in `dir` (thread id 0 in the file name). */
export function mainThreadProfile(dir: string): string | undefined {
  const file = readdirSync(dir).find((f) => f.endsWith(".cpuprofile") && f.split(".")[4] === "0");
  return file === undefined ? undefined : join(dir, file);
}

export function budgetOf(profilePath: string, windows: readonly BudgetWindow[]): Budget[] {
  const profile = JSON.parse(readFileSync(profilePath, "utf8")) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const stageCache = new Map<number, string>();
  const handOffCache = new Map<number, string | undefined>();
  const handOffCall = (leaf: number) => {
    if (!handOffCache.has(leaf)) {
      const urls: string[] = [];
      for (let id: number | undefined = leaf; id !== undefined; id = parent.get(id)) urls.push(byId.get(id)!.callFrame.url);
      handOffCache.set(leaf, handOffCallOf(byId.get(leaf)!.callFrame, urls));
    }
    return handOffCache.get(leaf);
  };
  const totals = windows.map(() => ({ stages: new Map<string, number>(), handOff: new Map<string, number>(), busyUs: 0, idleUs: 0 }));
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] ?? 0;
    // timeDeltas[i + 1] is the time spent in samples[i] (Chrome DevTools' convention).
    const spent = Math.max(0, profile.timeDeltas[i + 1] ?? 0);
    const w = windows.findIndex((window) => t >= window.startUs && t < window.endUs);
    if (w === -1) continue;
    const node = profile.samples[i]!;
    const total = totals[w]!;
    if (byId.get(node)!.callFrame.functionName === "(idle)") {
      total.idleUs += spent;
      continue;
    }
    let stage = stageCache.get(node);
    if (stage === undefined) stageCache.set(node, (stage = stageOf(node, byId, parent)));
    total.stages.set(stage, (total.stages.get(stage) ?? 0) + spent);
    total.busyUs += spent;
    const call = handOffCall(node);
    if (call !== undefined) total.handOff.set(call, (total.handOff.get(call) ?? 0) + spent);
  }
  return windows.map((window, w) => {
    const total = totals[w]!;
    const requests = Math.max(1, window.requests);
    return {
      window,
      stages: [...total.stages].sort((a, b) => b[1] - a[1]).map(([stage, us]) => ({ stage, usPerRequest: us / requests })),
      busyUsPerRequest: total.busyUs / requests,
      idleShare: total.idleUs / Math.max(1, window.endUs - window.startUs),
      handOffCalls: [...total.handOff].sort((a, b) => b[1] - a[1]).map(([call, us]) => ({ call, usPerRequest: us / requests })),
    };
  });
}

export function describeBudget(budget: Budget): string[] {
  const { window } = budget;
  const lines = [
    `main-thread budget, ${window.label}: ${budget.busyUsPerRequest.toFixed(0)} us busy per request over ${window.requests} requests ` +
      `(idle ${(100 * budget.idleShare).toFixed(0)}% of the window)`,
  ];
  for (const { stage, usPerRequest } of budget.stages) {
    if (usPerRequest < 0.5) continue;
    lines.push(`  ${usPerRequest.toFixed(1).padStart(7)} us  ${((100 * usPerRequest) / budget.busyUsPerRequest).toFixed(0).padStart(3)}%  ${stage}`);
  }
  const handOff = budget.handOffCalls.filter((c) => c.usPerRequest >= 0.5);
  if (handOff.length > 0) {
    const sum = handOff.reduce((s, c) => s + c.usPerRequest, 0);
    lines.push(
      `  of which native calls that wake another thread or process: ${sum.toFixed(1)} us (${((100 * sum) / budget.busyUsPerRequest).toFixed(0)}%): ` +
        handOff.map((c) => `${c.call} ${c.usPerRequest.toFixed(1)} us`).join(", "),
    );
  }
  return lines;
}
