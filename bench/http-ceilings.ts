/**
 * Ceilings for the HTTP goals, from floors measured in this run, one after another with nothing
 * else running:
 *
 *   - the HTTP stack alone (bench/http-stack.ts): node:http, fastify, and fastify that also validates
 *     the request and computes its signing root, at the goals' connection counts, with the load
 *     generator's own CPU per request against it;
 *   - the durable record alone (bench/record-floor.ts): the SQLite store at its busiest;
 *   - raw blst, right before and right after.
 *
 * Every signature the HTTP goals count needs one blst signature, one validated request and its
 * signing root through fastify, one durable record before release, and (here) the load
 * generator's work for its request, all on the same cores. So a ratio to the raw floor cannot
 * exceed blst / (blst + stack + record + load generator), with each term at its flat-out least.
 * The slower of the two blst floors is used: the more CPU a signature takes, the smaller the rest
 * weighs, so the ceiling errs on the generous side.
 *
 * Beside them, the signer with its protection taken out (fastify + signing root + the signer's own
 * signing pool, recording nothing), measured against the floor like bulwark serve: what the HTTP
 * and hand-off design reaches before any record is made.
 */
import { recordCeiling } from "./goals.js";
import type { BenchRow } from "./harness.js";
import { measureRecordFloor } from "./record-floor.js";
import { measureStackFloor, type StackFloor } from "./http-stack.js";

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
  /** The load generator's CPU per request in the bursts (the least of them). */
  burstClientCpuPerRequest: number | undefined;
  /** The batch goal's keys per request. */
  batchSize: number;
}

const STACK_SECONDS = 4;
const us = (seconds: number) => `${(seconds * 1e6).toFixed(0)} us`;

export async function measureCeilings(input: CeilingInputs): Promise<{ lines: string[]; rows: BenchRow[] }> {
  const lines: string[] = [];
  const rows: BenchRow[] = [];
  const before = await input.floor();

  const stacks: StackFloor[] = [];
  for (const variant of ["node-http", "fastify", "fastify+root"] as const) stacks.push(await measureStackFloor(variant, 128, input.request, STACK_SECONDS));
  stacks.push(await measureStackFloor("fastify+root", 16, input.request, STACK_SECONDS));
  // Like bulwark serve's phases, against the faster of the floors right before and right after.
  const unprotected: Array<{ stack: StackFloor; floor: FloorSample }> = [];
  let floorBefore = await input.floor();
  for (const connections of [16, 128]) {
    const stack = await measureStackFloor("fastify+root+sign", connections, input.request, STACK_SECONDS);
    const floorAfter = await input.floor();
    unprotected.push({ stack, floor: floorAfter.rate > floorBefore.rate ? floorAfter : floorBefore });
    floorBefore = floorAfter;
  }
  const single = await measureRecordFloor(128, 1);
  const batch = await measureRecordFloor(4, input.batchSize);
  const after = await input.floor();
  const blst = Math.max(before.cpuPerSig, after.cpuPerSig);

  lines.push(
    `floors for the ceilings (measured one after another, nothing else running; raw blst ${us(before.cpuPerSig)} per signature before, ${us(after.cpuPerSig)} after, the slower used):`,
  );
  for (const s of stacks.filter((s) => s.variant !== "fastify+root+sign")) {
    const what = s.variant === "fastify+root" ? "fastify + request validation and signing root" : `${s.variant}, fixed answer`;
    lines.push(
      `  HTTP stack alone (${what}), ${s.connections} connections: server ${us(s.cpuPerRequest)} CPU per request, load generator ${us(s.clientCpuPerRequest)}` +
        `; ${(s.requests / s.seconds).toFixed(0)} requests/s`,
    );
    rows.push({
      measurement: `HTTP stack alone, ${s.variant}, ${s.connections} conns`,
      count: s.requests,
      unit: "reqs",
      seconds: s.seconds,
      note: `server ${us(s.cpuPerRequest)} CPU/request, load generator ${us(s.clientCpuPerRequest)}`,
    });
  }
  for (const r of [single, batch]) {
    lines.push(`  durable record alone (SQLite store, ${r.shape}): ${us(r.cpuPerRecord)} CPU per record; ${(r.records / r.seconds).toFixed(0)} records/s`);
    rows.push({ measurement: `durable record alone, ${r.shape}`, count: r.records, unit: "records", seconds: r.seconds, note: `${us(r.cpuPerRecord)} CPU/record` });
  }

  const stackAt = (connections: number) => stacks.find((s) => s.variant === "fastify+root" && s.connections === connections)!;
  const ceilingOf = (terms: Array<[string, number]>) => {
    const overhead = terms.reduce((sum, [, seconds]) => sum + seconds, 0);
    return { value: blst / (blst + overhead), how: `blst ${us(blst)} / (blst + ${terms.map(([name, s]) => `${name} ${us(s)}`).join(" + ")})` };
  };
  for (const connections of [128, 16] as const) {
    const stack = stackAt(connections);
    const wall = ceilingOf([
      ["stack", stack.cpuPerRequest],
      ["record", single.cpuPerRecord],
      ["load generator", stack.clientCpuPerRequest],
    ]);
    const serverOnly = ceilingOf([
      ["stack", stack.cpuPerRequest],
      ["record", single.cpuPerRecord],
    ]);
    const open = unprotected.find((u) => u.stack.connections === connections)!;
    const openRatio = open.stack.requests / open.stack.seconds / open.floor.rate;
    recordCeiling(
      connections === 128 ? "http-128" : "http-16",
      wall.value,
      `${wall.how} = ${wall.value.toFixed(2)}; without the load generator (the CPU-normalised figure's ceiling) ${serverOnly.value.toFixed(2)}; ` +
        `the signer with protection taken out reached ${openRatio.toFixed(2)} x floor here (main thread and signing pool ${us(open.stack.cpuPerRequest)} CPU per signature)`,
    );
    lines.push(
      `ceiling, ${connections} connections: ${wall.how} = ${wall.value.toFixed(2)} x floor; without the load generator ${serverOnly.value.toFixed(2)}`,
      `  the signer with protection taken out (fastify + signing root + signing pool, no record), ${connections} connections: ` +
        `${(open.stack.requests / open.stack.seconds).toFixed(0)} sigs/s = ${openRatio.toFixed(2)} x floor ${open.floor.rate.toFixed(0)}; ` +
        `server ${us(open.stack.cpuPerRequest)} CPU per signature (blst included), load generator ${us(open.stack.clientCpuPerRequest)}`,
    );
    rows.push({
      measurement: `signer without protection, ${connections} conns`,
      count: open.stack.requests,
      unit: "sigs",
      seconds: open.stack.seconds,
      note: `${openRatio.toFixed(2)} x floor; the floors' ceiling ${wall.value.toFixed(2)}`,
    });
  }

  // The burst: the 99th percentile answer comes after at least 99% of the 2,000 requests' work, on
  // `cores` cores; the reference is all 2,000 signatures' blst alone on them.
  if (input.burstClientCpuPerRequest !== undefined) {
    const stack = stackAt(128);
    const perRequest = blst + stack.cpuPerRequest + single.cpuPerRecord + input.burstClientCpuPerRequest;
    const least = (0.99 * perRequest) / blst;
    recordCeiling(
      "burst",
      least,
      `0.99 x (blst ${us(blst)} + stack ${us(stack.cpuPerRequest)} + record ${us(single.cpuPerRecord)} + load generator ${us(input.burstClientCpuPerRequest)}) / blst ${us(blst)} = ${least.toFixed(2)}: ` +
        "the least p99 / reference any signer here allows",
    );
    lines.push(`least burst p99 / reference: ${least.toFixed(2)} (0.99 x the least work per request / blst)`);
  }

  // The batch: one request, one signing root and one transaction per 100 signatures; the record stays per signature.
  const batchCeiling = ceilingOf([["record", batch.cpuPerRecord]]);
  recordCeiling("batch", batchCeiling.value, `${batchCeiling.how} = ${batchCeiling.value.toFixed(2)} (the HTTP request and signing root, shared by ${input.batchSize} signatures, left out)`);
  lines.push(`ceiling, batch: ${batchCeiling.how} = ${batchCeiling.value.toFixed(2)} x floor`);
  return { lines, rows };
}
