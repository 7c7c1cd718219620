/**
 * The floor under the signer's per-request overhead: the same attestation load (128 connections)
 * against the bare HTTP stack (bench/bare-http-server.ts: node:http, then fastify, answering the
 * sign route with a fixed signature; then fastify that also validates the request and computes its
 * signing root, as every correct signer must). Their CPU per request is what no change inside the
 * signer can remove; with the raw blst CPU per signature it bounds the HTTP/floor ratio any Node.js
 * signer could reach on these cores: blst / (blst + stack). What the signer adds beyond the last
 * one is protection (its commit thread), the hand-off to the signing threads, metrics and GC.
 * The `fastify+root+sign` variant adds the signing back (the signer's signing pool, real blst on
 * every core) but still records nothing: bulwark serve without its slashing protection. The
 * `fastify+root+sign-per-core` variant does the same work with no hand-off at all: one process
 * per core, each signing in its own event loop (its CPU is that of every process).
 * The `fastify+root+held` variant serves a given rate instead of flat out (`pacedTo`): its answers
 * are held back until the closed loop runs at that rate, so the stack is measured at the rate a
 * goal asks of the signer, with as many requests open as the signer would have.
 * `measureStackBurstWindows` measures fastify + signing root in the burst's own shape instead: one
 * request on each of thousands of pre-opened connections, all written at once, as the burst goal
 * sends them; a stack that reads a whole burst in one turn costs a different amount per request
 * than one serving a steady closed loop.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { type ClosedLoopResult, closedLoop, openConnections, requestBytes } from "./http-client.js";
import { threadCpuSeconds } from "./http-server.js";

const SERVER = fileURLToPath(new URL("./bare-http-server.js", import.meta.url));

export interface StackFloor {
  variant: "node-http" | "fastify" | "fastify+root" | "fastify+root+held" | "fastify+root+sign" | "fastify+root+sign-per-core";
  /** A closed loop on `connections` connections, or bursts of one request on each of them. */
  shape: "closed loop" | "burst";
  connections: number;
  /** How long each answer was held (fastify+root+held), in milliseconds; 0 when flat out. */
  holdMs: number;
  requests: number;
  seconds: number;
  /** CPU seconds of the server process per request (every thread). */
  cpuPerRequest: number;
  /** CPU seconds of this process (the load generator) per request. */
  clientCpuPerRequest: number;
}

/**
 * One server, warmed once, then `windows` measured windows of the same load; `between` runs after
 * each window with no load on the server (the caller measures its raw blst floor there).
 */
export async function measureStackWindows<T>(
  variant: StackFloor["variant"],
  connections: number,
  request: () => { path: string; body: string },
  seconds: number,
  windows: number,
  between: () => Promise<T>,
  /** Requests per second to hold the load to (fastify+root+held only). */
  pacedTo?: number,
): Promise<Array<{ stack: StackFloor; after: T }>> {
  if ((pacedTo !== undefined) !== (variant === "fastify+root+held")) throw new Error("a paced rate goes with the fastify+root+held variant, and only with it");
  const child = spawn(process.execPath, [SERVER, variant], { stdio: [pacedTo === undefined ? "ignore" : "pipe", "pipe", "inherit"] });
  try {
    const { port, pids } = await readyPort(child, variant);
    const host = `127.0.0.1:${port}`;
    const load = () =>
      closedLoop({ host: "127.0.0.1", port }, {
        connections,
        seconds,
        request: () => {
          const { path, body } = request();
          return requestBytes("POST", path, host, body);
        },
      });
    const warm = await load(); // warm-up: JIT and connections
    const holdMs = pacedTo === undefined ? 0 : await holdFor(pacedTo, connections, warm, (ms) => child.stdin!.write(`${ms}\n`), load);
    const measured: Array<{ stack: StackFloor; after: T }> = [];
    for (let window = 0; window < windows; window++) {
      const { value: result, cpu, client } = await withCpu(pids, load);
      if (result.non2xx > 0 || result.errors > 0) throw new Error(`bare ${variant} server: ${result.non2xx} non-2xx, ${result.errors} errors`);
      const stack: StackFloor = {
        variant,
        shape: "closed loop",
        connections,
        holdMs,
        requests: result.ok,
        seconds: result.seconds,
        cpuPerRequest: cpu / result.ok,
        clientCpuPerRequest: client / result.ok,
      };
      measured.push({ stack, after: await between() });
    }
    return measured;
  } finally {
    child.kill("SIGKILL");
  }
}

/** Closed-loop seconds, then bursts, that warm the burst-shaped stack before it is measured (JIT, socket buffers). */
const BURST_WARM_SECONDS = 2;
const BURST_WARM_BURSTS = 3;

/**
 * fastify + signing root in the burst's shape: `connections` keep-alive connections opened up
 * front, then `windows` measured bursts of one request on each, all written in one event-loop turn
 * (as bench/http.ts sends the burst goal's), after a closed-loop warm-up and a few warm bursts.
 * `request(k)` is connection k's request of the next burst (each call a new, never-refused one).
 */
export async function measureStackBurstWindows<T>(
  connections: number,
  request: (k: number) => { path: string; body: string },
  windows: number,
  between: () => Promise<T>,
): Promise<Array<{ stack: StackFloor; after: T }>> {
  const variant = "fastify+root";
  const child = spawn(process.execPath, [SERVER, variant], { stdio: ["ignore", "pipe", "inherit"] });
  let open: Awaited<ReturnType<typeof openConnections>> = [];
  try {
    const { port, pids } = await readyPort(child, variant);
    const host = `127.0.0.1:${port}`;
    const bytes = (k: number) => {
      const { path, body } = request(k);
      return requestBytes("POST", path, host, body);
    };
    await closedLoop({ host: "127.0.0.1", port }, { connections: 128, seconds: BURST_WARM_SECONDS, request: () => bytes(0) });
    open = await openConnections("127.0.0.1", port, connections);
    const burst = async () => {
      const requests = open.map((_, k) => bytes(k));
      const started = performance.now();
      const responses = await Promise.all(open.map((c, k) => c.send(requests[k]!)));
      const bad = responses.filter((r) => r.status !== 200).length;
      if (bad > 0) throw new Error(`bare ${variant} server: ${bad} of a burst's ${connections} answers not 200`);
      return (Math.max(...responses.map((r) => r.receivedAt)) - started) / 1000;
    };
    for (let b = 0; b < BURST_WARM_BURSTS; b++) await burst();
    const measured: Array<{ stack: StackFloor; after: T }> = [];
    for (let window = 0; window < windows; window++) {
      const { value: seconds, cpu, client } = await withCpu(pids, burst);
      const stack: StackFloor = {
        variant,
        shape: "burst",
        connections,
        holdMs: 0,
        requests: connections,
        seconds,
        cpuPerRequest: cpu / connections,
        clientCpuPerRequest: client / connections,
      };
      measured.push({ stack, after: await between() });
    }
    return measured;
  } finally {
    for (const c of open) c.close();
    child.kill("SIGKILL");
  }
}

/** The server's port, and the processes whose CPU is the server's (the child, and those it says serve). */
function readyPort(child: ReturnType<typeof spawn>, variant: string): Promise<{ port: number; pids: number[] }> {
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
      out += chunk;
      const match = /ready (\d+)(?: ([\d,]+))?\n/.exec(out);
      if (match) resolve({ port: Number(match[1]), pids: [child.pid!, ...(match[2]?.split(",").map(Number) ?? [])] });
    });
    child.once("exit", (code) => reject(new Error(`bare ${variant} server exited with code ${code}`)));
  });
}

/** Runs `work`, with the server's CPU seconds (every thread of its processes) and this process's (the load generator's) over it. */
async function withCpu<V>(pids: readonly number[], work: () => Promise<V>): Promise<{ value: V; cpu: number; client: number }> {
  const before = pids.map(threadCpuSeconds);
  const clientBefore = process.cpuUsage();
  const value = await work();
  const client = process.cpuUsage(clientBefore);
  const after = pids.map(threadCpuSeconds);
  let cpu = 0;
  pids.forEach((_, i) => {
    const [b, a] = [before[i], after[i]];
    cpu += b && a ? [...a].reduce((sum, [tid, s]) => sum + s - (b.get(tid) ?? 0), 0) : NaN;
  });
  return { value, cpu, client: (client.user + client.system) / 1e6 };
}

const CALIBRATION_STEPS = 8;

/**
 * Finds the hold that brings the closed loop to `rate` or just above it (within 5%; above, since
 * the stack's CPU per request falls as the rate rises, so a faster window errs on the generous
 * side), from the flat-out window's own latency. Returns the hold set last.
 */
async function holdFor(
  rate: number,
  connections: number,
  flatOut: ClosedLoopResult,
  setHold: (ms: number) => void,
  load: () => Promise<ClosedLoopResult>,
): Promise<number> {
  const latencyMs = (perSecond: number) => (1000 * connections) / perSecond;
  let hold = Math.max(0, latencyMs(rate) - latencyMs(flatOut.ok / flatOut.seconds));
  for (let step = 0; step < CALIBRATION_STEPS; step++) {
    setHold(hold);
    const probe = await load();
    const reached = probe.ok / probe.seconds;
    if (reached >= rate && reached <= rate * 1.05) break;
    // Each request's latency is connections / rate: move the hold by the latency still missing.
    hold = Math.max(0, hold + latencyMs(rate) - latencyMs(reached) - (reached < rate ? 0.05 * latencyMs(rate) : 0));
  }
  setHold(hold);
  return hold;
}
