/**
 * Threshold aggregator overhead: what the coordinator adds to a signature once the partials are
 * in. Per request: verify M partial signatures against their component keys (blst), recover the
 * signature at x = 0 (herumi bls-eth-wasm), verify it against the composite key (blst).
 * DESIGN.md target: under 5 ms for 3-of-4. The aggregator as built (src/pool/signing/quorum.ts) takes path C below;
 * the full path (all partials verified first) is the one it falls back to when C fails.
 *
 * Component and composite public keys are parsed once (as a coordinator does when it loads a
 * pool); partial signatures arrive as bytes and are parsed (with subgroup checks) in the timed
 * part. Each iteration signs a different root. Alternatives measured alongside: a batch check of
 * the partials (A), recovering first and batch-checking partials and result together (B), and
 * checking only the result, the partials only when it fails (C). A single blst verify in the
 * same run gives the scale when the machine is busy. Not registered in bench/run.ts: call
 * `runThresholdBench()`, or run `node dist/bench/threshold.js` after a build.
 */
import { randomBytes } from "node:crypto";
import { pathToFileURL } from "node:url";
import { PublicKey, SecretKey, Signature, verify, verifyMultipleAggregateSignatures } from "@chainsafe/blst";
import { initThreshold, recoverSignature, splitSecret } from "../src/bls/threshold.js";
import { type Benchmark, type BenchRow, latencyStats, renderTable } from "./harness.js";

const ITERATIONS = 200;
const WARM_UP = 20;
const SCHEMES: readonly (readonly [number, number])[] = [
  [3, 4],
  [7, 10],
];

interface Request {
  root: Uint8Array;
  partials: { id: number; signature: Uint8Array }[];
}

async function measureScheme(threshold: number, participants: number): Promise<BenchRow[]> {
  await initThreshold();
  const whole = SecretKey.fromKeygen(randomBytes(32));
  const split = splitSecret(whole.toBytes(), threshold, participants);
  const composite = PublicKey.fromBytes(split.compositePublicKey, true);
  const shareKeys = split.shares.map((s) => SecretKey.fromBytes(s.secretKey));
  const componentKeys = new Map(split.shares.map((s, i) => [s.id, shareKeys[i]!.toPublicKey()] as const));

  // Each request is answered by a different M of the N participants, in rotation.
  const requests: Request[] = [];
  for (let i = 0; i < WARM_UP + ITERATIONS; i++) {
    const root = randomBytes(32);
    const ids = Array.from({ length: threshold }, (_, k) => ((i + k) % participants) + 1);
    requests.push({ root, partials: ids.map((id) => ({ id, signature: shareKeys[id - 1]!.sign(root).toBytes() })) });
  }

  const samples = {
    verify: [] as number[],
    recover: [] as number[],
    final: [] as number[],
    total: [] as number[],
    batchPartials: [] as number[],
    recoverThenBatch: [] as number[],
    optimistic: [] as number[],
    oneVerify: [] as number[],
  };
  requests.forEach((request, i) => {
    const { root, partials } = request;
    const partialSets = () =>
      partials.map((p) => ({ msg: root, pk: componentKeys.get(p.id)!, sig: Signature.fromBytes(p.signature, true) }));

    // The path DESIGN.md describes: each partial verified on arrival, then recover, then verify.
    const t0 = performance.now();
    for (const partial of partials) {
      const signature = Signature.fromBytes(partial.signature, true);
      if (!verify(root, componentKeys.get(partial.id)!, signature)) throw new Error(`partial ${partial.id} did not verify`);
    }
    const t1 = performance.now();
    const recovered = recoverSignature(partials, threshold, { participants });
    const t2 = performance.now();
    if (!verify(root, composite, Signature.fromBytes(recovered, true))) throw new Error("recovered signature did not verify");
    const t3 = performance.now();

    // Alternative A: one randomised batch check of the M partials instead of M single checks.
    if (!verifyMultipleAggregateSignatures(partialSets())) throw new Error("batch verification failed");
    const t4 = performance.now();

    // Alternative B: recover first, then one batch check of the M partials and the result
    // (on failure a coordinator would fall back to single checks to find the bad partial).
    const recoveredB = recoverSignature(partials, threshold, { participants });
    const sets = [...partialSets(), { msg: root, pk: composite, sig: Signature.fromBytes(recoveredB, true) }];
    if (!verifyMultipleAggregateSignatures(sets)) throw new Error("batch verification failed");
    const t5 = performance.now();

    // Alternative C: recover and verify the result only; partials checked only if that fails.
    const recoveredC = recoverSignature(partials, threshold, { participants });
    if (!verify(root, composite, Signature.fromBytes(recoveredC, true))) throw new Error("recovered signature did not verify");
    const t6 = performance.now();

    // Reference in the same run (the machine may be busy): one blst verify of a 96-byte signature.
    const first = partials[0]!;
    verify(root, componentKeys.get(first.id)!, Signature.fromBytes(first.signature, true));
    const t7 = performance.now();

    if (i < WARM_UP) return;
    samples.verify.push(t1 - t0);
    samples.recover.push(t2 - t1);
    samples.final.push(t3 - t2);
    samples.total.push(t3 - t0);
    samples.batchPartials.push(t4 - t3);
    samples.recoverThenBatch.push(t5 - t4);
    samples.optimistic.push(t6 - t5);
    samples.oneVerify.push(t7 - t6);
  });
  for (const secret of split.shares) secret.secretKey.fill(0);

  const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
  const oneVerify = latencyStats(samples.oneVerify);
  const label = `${threshold}-of-${participants}`;
  const row = (measurement: string, values: number[], note: string): BenchRow => {
    const stats = latencyStats(values);
    return { measurement, count: values.length, unit: "ops", seconds: sum(values) / 1000, meanMs: stats.meanMs, p99Ms: stats.p99Ms, note };
  };
  const part = (values: number[]) => `${((100 * sum(values)) / sum(samples.total)).toFixed(0)}% of total`;
  const inVerifies = (values: number[]) => `${(latencyStats(values).meanMs / oneVerify.meanMs).toFixed(1)} verifies`;
  const built = latencyStats(samples.optimistic);
  const target = threshold === 3 && participants === 4 ? `; DESIGN < 5 ms: mean ${built.meanMs < 5 ? "met" : "NOT met"}, p99 ${built.p99Ms < 5 ? "met" : "NOT met"}` : "";
  return [
    row(`${label} full path: verify partials, recover, verify`, samples.total, `${inVerifies(samples.total)}; the fallback when C fails`),
    row(`${label}   verify ${threshold} partials (blst)`, samples.verify, part(samples.verify)),
    row(`${label}   recover (herumi wasm)`, samples.recover, part(samples.recover)),
    row(`${label}   final verify (blst)`, samples.final, part(samples.final)),
    row(`${label}   alt A: batch-verify partials`, samples.batchPartials, `replaces the ${threshold} single verifies`),
    row(`${label}   alt B: recover, batch-verify all`, samples.recoverThenBatch, `whole path, ${inVerifies(samples.recoverThenBatch)}`),
    row(`${label}   C (as built): recover, verify result`, samples.optimistic, `whole path, ${inVerifies(samples.optimistic)}${target}`),
    row(`${label}   reference: 1 blst verify`, samples.oneVerify, "same run, for scale"),
  ];
}

export const thresholdBenchmarks: Benchmark[] = SCHEMES.map(([m, n]) => ({
  name: `threshold-${m}-of-${n}`,
  description: `aggregator overhead for ${m}-of-${n}: verify ${m} partials, recover, verify (${ITERATIONS} requests)`,
  run: () => measureScheme(m, n),
}));

/** Runs the threshold benchmarks and prints their figures. */
export async function runThresholdBench(): Promise<void> {
  for (const bench of thresholdBenchmarks) {
    console.log(`\n== ${bench.name}: ${bench.description}`);
    const rows = await bench.run();
    console.log(renderTable(rows.map((row) => ({ ...row, benchmark: bench.name }))));
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runThresholdBench();
}
