/**
 * Ceilings for the HTTP goals, from floors measured in this run, one after another with nothing
 * else running:
 *
 *   - the HTTP stack alone (bench/http-stack.ts): node:http, fastify, and fastify that also validates
 *     the request and computes its signing root, at the goals' connection counts and in the burst's
 *     shape (one request on each of the burst's connections, all at once), with the load
 *     generator's own CPU per request against it;
 *   - the durable record alone (bench/record-floor.ts): the SQLite store at its busiest with as
 *     many callers as the goal has requests in flight (16 or 128; a group holds at most 128), and
 *     with the batch goal's calls;
 *   - raw blst, right before and right after.
 *
 * Every signature the HTTP goals count needs one blst signature, one validated request and its
 * signing root through fastify, one durable record before release, and (here) the load
 * generator's work for its request, all on the same cores. So a ratio to the raw floor cannot
 * exceed blst / (blst + stack + record + load generator), with each term at its flat-out least.
 * Each term is a share of one blst signature's CPU measured right before and right after it (the
 * host's speed drifts within seconds), the slower of the two, and the least of three windows: the
 * more CPU a signature takes and the less the rest does, the higher the ceiling, so it errs on the
 * generous side.
 *
 * Flat out, the stack is at its cheapest per request (each event-loop wake-up and each write serve
 * many). A signer serves a few thousand requests a second at most, where the stack costs more per
 * request. So each HTTP goal is also held against the stack at the goal's own rate (fastify +
 * signing root, answers held back until the closed loop runs at the target x the raw floor): if at
 * that rate the work each signature needs exceeds the cores, neither that rate nor any faster one
 * fits, and a slower one costs at least as much per request. The goal's ceiling is then that one.
 *
 * Beside them, the signer with its protection taken out (fastify + signing root + the signer's own
 * signing pool, recording nothing), measured against the floor like bulwark serve: what the HTTP
 * and hand-off design reaches before any record is made. And the same work with no hand-off (one
 * process per core, each signing in its own event loop): what a design that never leaves the event
 * loop reaches before it records, with the record's CPU added as a figure (a closed loop that keeps
 * the cores busy runs at cores / CPU per signature, so r becomes 1 / (1/r + record / blst)). Neither
 * is a ceiling (some other design could do better), so neither decides "within reach".
 */
import { GOALS, type GoalId, recordCeiling } from "./goals.js";
import type { BenchRow } from "./harness.js";
import { measureRecordWindows } from "./record-floor.js";
import { measureStackBurstWindows, measureStackWindows, type StackFloor } from "./http-stack.js";

export interface FloorSample {
  /** Signatures per second, all cores together. */
  rate: number;
  /** CPU seconds per signature of the signing threads. */
  cpuPerSig: number;
}

export interface CeilingInputs {
  /** Measures the raw blst floor now (a short run). */
  floor: () => Promise<FloorSample>;
  /** The next attestation request of the load (a distinct validator or a rising epoch: never refused). */
  request: () => { path: string; body: string };
  /** The burst goal's requests at once, and connection k's request of the next burst (a new, never-refused one each call). */
  burst: { connections: number; request: (k: number) => { path: string; body: string } };
  /** The batch goal's keys per request. */
  batchSize: number;
}

const STACK_SECONDS = 2;
/** Windows measured of each floor the ceilings use; the least share is kept. */
const WINDOWS = 3;
const goalOf = (connections: 128 | 16): GoalId => (connections === 128 ? "http-128" : "http-16");
const us = (seconds: number) => `${(seconds * 1e6).toFixed(0)} us`;
/** A cost per signature as a share of one blst signature measured beside it. */
interface Term {
  name: string;
  seconds: number;
  blst: number;
}

/** A signing window's rate against the faster of the raw floors right before and right after it, as bulwark serve's phases are compared. */
function againstFloor(window: { stack: StackFloor; before: FloorSample; after: FloorSample }): { rate: number; floor: number; ratio: number } {
  const rate = window.stack.requests / window.stack.seconds;
  const floor = Math.max(window.before.rate, window.after.rate);
  return { rate, floor, ratio: rate / floor };
}

function ceilingOf(terms: readonly Term[]): { value: number; how: string } {
  const shares = terms.reduce((sum, t) => sum + t.seconds / t.blst, 0);
  const parts = terms.map((t) => `${t.name} ${us(t.seconds)} / blst ${us(t.blst)}`).join(" + ");
  return { value: 1 / (1 + shares), how: `1 / (1 + ${parts})` };
}

export async function measureCeilings(input: CeilingInputs): Promise<{ lines: string[]; rows: BenchRow[] }> {
  const lines: string[] = [];
  const rows: BenchRow[] = [];
  // The host's speed drifts within seconds, and not alike for every kind of work: each window of a
  // floor is set against the raw blst floors right before and right after it (the slower), and of
  // WINDOWS windows the one with the least share is kept.
  let last = await input.floor();
  const least = <W>(windows: ReadonlyArray<{ after: FloorSample } & W>, cost: (window: W) => number): W & { blst: number; before: FloorSample; after: FloorSample } => {
    let best: (W & { blst: number; before: FloorSample; after: FloorSample }) | undefined;
    let bestShare = Infinity;
    for (const window of windows) {
      const before = last;
      last = window.after;
      const blst = Math.max(before.cpuPerSig, window.after.cpuPerSig);
      const share = cost(window) / blst;
      if (share < bestShare) [best, bestShare] = [{ ...window, blst, before }, share];
    }
    return best!;
  };
  const stackWindows = (variant: StackFloor["variant"], connections: number, windows: number, pacedTo?: number) =>
    measureStackWindows(variant, connections, input.request, STACK_SECONDS, windows, input.floor, pacedTo).then((measured) =>
      least(measured, ({ stack }) => stack.cpuPerRequest + stack.clientCpuPerRequest),
    );

  const stacks = [];
  for (const variant of ["node-http", "fastify"] as const) stacks.push(await stackWindows(variant, 128, 1));
  const root128 = await stackWindows("fastify+root", 128, WINDOWS);
  const root16 = await stackWindows("fastify+root", 16, WINDOWS);
  stacks.push(root128, root16);
  const burstStack = least(await measureStackBurstWindows(input.burst.connections, input.burst.request, WINDOWS, input.floor), ({ stack }) => stack.cpuPerRequest + stack.clientCpuPerRequest);
  stacks.push(burstStack);
  // The same stack held to the rate each goal asks for (its target x the raw floor measured last).
  const goalRate = (connections: 128 | 16) => GOALS[goalOf(connections)].target * last.rate;
  const paced = new Map<128 | 16, { rate: number; window: Awaited<ReturnType<typeof stackWindows>> }>();
  for (const connections of [128, 16] as const) {
    const rate = goalRate(connections);
    paced.set(connections, { rate, window: await stackWindows("fastify+root+held", connections, WINDOWS, rate) });
  }
  stacks.push(paced.get(128)!.window, paced.get(16)!.window);
  const unprotected = [];
  const perCore = [];
  for (const connections of [16, 128]) {
    unprotected.push(await stackWindows("fastify+root+sign", connections, 1));
    perCore.push(await stackWindows("fastify+root+sign-per-core", connections, 1));
  }
  // A group can hold no more records than there are requests in flight: at 16 connections a
  // commit serves at most 16, and its cost per record is higher than at 128.
  const single = least(await measureRecordWindows(128, 1, WINDOWS, input.floor), ({ record }) => record.cpuPerRecord);
  const single16 = least(await measureRecordWindows(16, 1, WINDOWS, input.floor), ({ record }) => record.cpuPerRecord);
  const batch = least(await measureRecordWindows(4, input.batchSize, WINDOWS, input.floor), ({ record }) => record.cpuPerRecord);

  lines.push(
    "floors for the ceilings (one after another, nothing else running; each window beside the raw blst floors right before and right after it, the slower used; " +
      `of ${WINDOWS} windows the least share kept for fastify + signing root and for the records; a burst's "requests/s" is its requests over the time to its last answer):`,
  );
  for (const { stack: s, blst } of stacks) {
    const what =
      s.variant === "fastify+root"
        ? "fastify + request validation and signing root"
        : s.variant === "fastify+root+held"
          ? `the same, each answer held ${s.holdMs.toFixed(2)} ms to serve a goal's rate`
          : `${s.variant}, fixed answer`;
    lines.push(
      `  HTTP stack alone (${what}), ${s.shape === "burst" ? `bursts of ${s.connections} requests at once` : `${s.connections} connections`}: server ${us(s.cpuPerRequest)} CPU per request, load generator ${us(s.clientCpuPerRequest)}` +
        `; ${(s.requests / s.seconds).toFixed(0)} requests/s; blst ${us(blst)}`,
    );
    rows.push({
      measurement: `HTTP stack alone, ${s.variant}, ${s.shape === "burst" ? `${s.connections}-request bursts` : `${s.connections} conns`}`,
      count: s.requests,
      unit: "reqs",
      seconds: s.seconds,
      note: `server ${us(s.cpuPerRequest)} CPU/request, load generator ${us(s.clientCpuPerRequest)}; blst ${us(blst)}`,
    });
  }
  for (const { record: r, blst } of [single, single16, batch]) {
    lines.push(`  durable record alone (SQLite store, ${r.shape}): ${us(r.cpuPerRecord)} CPU per record; ${(r.records / r.seconds).toFixed(0)} records/s; blst ${us(blst)}`);
    rows.push({ measurement: `durable record alone, ${r.shape}`, count: r.records, unit: "records", seconds: r.seconds, note: `${us(r.cpuPerRecord)} CPU/record; blst ${us(blst)}` });
  }

  const recordOf = (window: typeof single): Term => ({ name: `record (${window.record.shape.replace(" x 1 per call", "")})`, seconds: window.record.cpuPerRecord, blst: window.blst });
  for (const connections of [128, 16] as const) {
    const record = recordOf(connections === 128 ? single : single16);
    const stack = connections === 128 ? root128 : root16;
    const serverTerms: Term[] = [{ name: "stack", seconds: stack.stack.cpuPerRequest, blst: stack.blst }, record];
    const wall = ceilingOf([...serverTerms, { name: "load generator", seconds: stack.stack.clientCpuPerRequest, blst: stack.blst }]);
    const serverOnly = ceilingOf(serverTerms);
    const atRate = paced.get(connections)!;
    const reached = atRate.window.stack.requests / atRate.window.stack.seconds;
    const pacedTerms: Term[] = [{ name: "stack at the goal's rate", seconds: atRate.window.stack.cpuPerRequest, blst: atRate.window.blst }, record];
    const pacedWall = ceilingOf([...pacedTerms, { name: "load generator at that rate", seconds: atRate.window.stack.clientCpuPerRequest, blst: atRate.window.blst }]);
    const pacedServerOnly = ceilingOf(pacedTerms);
    // Meeting the goal means serving its rate or more. If at that rate the work each signature needs
    // already takes more than the cores, no faster rate fits either (the stack's CPU per second only
    // grows with the rate), and any slower rate costs at least as much per request: the ratio then
    // stays under the paced ceiling. A window that fell short of the rate bounds nothing.
    const rateHeld = reached >= 0.99 * atRate.rate;
    const target = GOALS[goalOf(connections)].target;
    const bounded = (flat: number, atGoalRate: number) => (rateHeld && atGoalRate < target ? Math.min(flat, atGoalRate) : flat);
    const value = bounded(wall.value, pacedWall.value);
    const serverValue = bounded(serverOnly.value, pacedServerOnly.value);
    const pacedHow =
      `at the goal's rate (${atRate.rate.toFixed(0)} requests/s; the held stack served ${reached.toFixed(0)}${rateHeld ? "" : ", short of it: not a bound"}): ` +
      `${pacedWall.how} = ${pacedWall.value.toFixed(2)}, without the load generator ${pacedServerOnly.value.toFixed(2)}`;
    const open = unprotected[connections === 16 ? 0 : 1]!;
    const withoutHandOff = perCore[connections === 16 ? 0 : 1]!;
    const { rate: openRate, floor: openFloor, ratio: openRatio } = againstFloor(open);
    const { rate: perCoreRate, floor: perCoreFloor, ratio: perCoreRatio } = againstFloor(withoutHandOff);
    const perCoreRecorded = 1 / (1 / perCoreRatio + record.seconds / record.blst);
    recordCeiling(
      goalOf(connections),
      value,
      `flat out ${wall.how} = ${wall.value.toFixed(2)}; ${pacedHow}; the ceiling ${value.toFixed(2)}, without the load generator (the CPU-normalised figure's) ${serverValue.toFixed(2)}; ` +
        `the signer with protection taken out reached ${openRatio.toFixed(2)} x floor here (its server ${us(open.stack.cpuPerRequest)} CPU per signature, blst included); ` +
        `with no hand-off either (one process per core) ${perCoreRatio.toFixed(2)}, ${perCoreRecorded.toFixed(2)} with a record's CPU added`,
    );
    lines.push(
      `ceiling, ${connections} connections, flat out: ${wall.how} = ${wall.value.toFixed(2)} x floor; without the load generator ${serverOnly.value.toFixed(2)}`,
      `  ${pacedHow}`,
      `  the ceiling: ${value.toFixed(2)} x floor, without the load generator ${serverValue.toFixed(2)}`,
      `  the signer with protection taken out (fastify + signing root + signing pool, no record), ${connections} connections: ` +
        `${openRate.toFixed(0)} sigs/s = ${openRatio.toFixed(2)} x floor ${openFloor.toFixed(0)}; ` +
        `server ${us(open.stack.cpuPerRequest)} CPU per signature (blst included), load generator ${us(open.stack.clientCpuPerRequest)}`,
      `  the same work with no hand-off (one process per core, each signing in its event loop, no record), ${connections} connections: ` +
        `${perCoreRate.toFixed(0)} sigs/s = ${perCoreRatio.toFixed(2)} x floor ${perCoreFloor.toFixed(0)}; ` +
        `server ${us(withoutHandOff.stack.cpuPerRequest)} CPU per signature (blst included), load generator ${us(withoutHandOff.stack.clientCpuPerRequest)}; ` +
        `with the record's CPU added: 1 / (1 / ${perCoreRatio.toFixed(2)} + ${record.name} ${us(record.seconds)} / blst ${us(record.blst)}) = ${perCoreRecorded.toFixed(2)}`,
    );
    rows.push({
      measurement: `signer without protection, ${connections} conns`,
      count: open.stack.requests,
      unit: "sigs",
      seconds: open.stack.seconds,
      note: `${openRatio.toFixed(2)} x floor; the floors' ceiling ${wall.value.toFixed(2)}`,
    });
    rows.push({
      measurement: `no hand-off, no protection, ${connections} conns`,
      count: withoutHandOff.stack.requests,
      unit: "sigs",
      seconds: withoutHandOff.stack.seconds,
      note: `${perCoreRatio.toFixed(2)} x floor, one process per core; ${perCoreRecorded.toFixed(2)} with a record's CPU added`,
    });
  }

  // The burst: the 99th percentile answer comes after at least 99% of the 2,000 requests' work, on
  // the same cores; the reference is all 2,000 signatures' blst alone on them. The stack and its
  // load generator are measured in the burst's own shape; its groups are full (128 records each).
  const burstShares = ceilingOf([
    { name: "stack in bursts", seconds: burstStack.stack.cpuPerRequest, blst: burstStack.blst },
    recordOf(single),
    { name: "its load generator", seconds: burstStack.stack.clientCpuPerRequest, blst: burstStack.blst },
  ]);
  const leastBurst = 0.99 / burstShares.value;
  recordCeiling(
    "burst",
    leastBurst,
    `0.99 x (${burstShares.how.slice(5, -1)}) = ${leastBurst.toFixed(2)}, the stack and its load generator measured in bursts: the least p99 / reference any signer here allows`,
  );
  lines.push(`least burst p99 / reference: 0.99 x (${burstShares.how.slice(5, -1)}) = ${leastBurst.toFixed(2)}`);

  // The batch: one request, one signing root and one transaction per 100 signatures; the record stays per signature.
  const batchCeiling = ceilingOf([{ name: "record", seconds: batch.record.cpuPerRecord, blst: batch.blst }]);
  recordCeiling("batch", batchCeiling.value, `${batchCeiling.how} = ${batchCeiling.value.toFixed(3)} (the HTTP request and signing root, shared by ${input.batchSize} signatures, left out)`);
  lines.push(`ceiling, batch: ${batchCeiling.how} = ${batchCeiling.value.toFixed(3)} x floor`);
  return { lines, rows };
}
