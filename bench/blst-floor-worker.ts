/**
 * One thread of the raw-blst floor benchmark (bench/http.ts): signs 32-byte roots with one secret
 * key for a fixed duration after the parent says "go", then reports how many it signed.
 * Each signature is also serialised (toBytes), as any signer must before replying.
 */
import { parentPort, workerData } from "node:worker_threads";
import { SecretKey } from "@chainsafe/blst";

interface FloorWorkerData {
  seed: number;
  roots: Uint8Array;
  durationMs: number;
}

const { seed, roots, durationMs } = workerData as FloorWorkerData;
const ikm = new Uint8Array(32).fill(0x5a);
new DataView(ikm.buffer).setUint32(0, seed);
const sk = SecretKey.fromKeygen(ikm);
const rootCount = Math.floor(roots.length / 32);
const root = (i: number) => roots.subarray(32 * (i % rootCount), 32 * (i % rootCount) + 32);

// Warm-up: first calls pay for lazy initialisation.
for (let i = 0; i < 50; i++) sk.sign(root(i)).toBytes();
parentPort!.postMessage({ type: "ready" });

parentPort!.once("message", () => {
  const started = performance.now();
  const deadline = started + durationMs;
  let count = 0;
  let now = started;
  while (now < deadline) {
    sk.sign(root(count)).toBytes();
    count++;
    now = performance.now();
  }
  parentPort!.postMessage({ type: "done", count, seconds: (now - started) / 1000 });
});
