/**
 * The least CPU a durable slashing-protection record costs per signature on this machine: the
 * signer's own SQLite store (WAL, synchronous=FULL, its commit thread), in this process, with
 * nothing else running, kept as busy as it can be: many concurrent callers of one attestation each
 * (the HTTP load's shape), or calls of 100 attestations (the batch load's). Its CPU (every thread of
 * this process: the callers' event loop and the commit thread) per record is a floor under what
 * record-before-release adds to each signature: no signer that records every attestation durably
 * before releasing it can spend less on the record here, and bulwark serve's groups are smaller
 * than these, so its own cost per record is higher.
 */
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { SqliteProtectionStore } from "../src/protection/sqlite-store.js";
import type { AttestationRequest } from "../src/protection/types.js";
import { makeTempDir, removeTempDir } from "./harness.js";
import { threadCpuSeconds } from "./http-server.js";

const GVR = "0x4b363db94e286120d76eb905340fdd4e54bfe9f06bf33ff6cf5ad27f511bfe95";
const KEYS = 2_000;
const WARMUP_MS = 1_000;
const WINDOW_MS = 2_000;

export interface RecordFloor {
  shape: string;
  records: number;
  seconds: number;
  /** CPU seconds of this process (all threads) per record. */
  cpuPerRecord: number;
}

/**
 * `callers` concurrent callers, each recording `perCall` attestations (distinct keys, rising epochs)
 * per call: `windows` measured windows on one store, `between` run after each with the store idle.
 */
export async function measureRecordWindows<T>(callers: number, perCall: number, windows: number, between: () => Promise<T>): Promise<Array<{ record: RecordFloor; after: T }>> {
  const dir = makeTempDir("record-floor");
  const store = SqliteProtectionStore.open({ dataDir: join(dir, "data"), genesisValidatorsRoot: GVR });
  const pubkeys = Array.from({ length: KEYS }, () => "0x" + randomBytes(48).toString("hex"));
  const roots = randomBytes(32 * 4096);
  let epoch = 420_000;
  let call = 0;
  const nextCall = (): AttestationRequest[] => {
    const first = (call++ * perCall) % KEYS;
    const source = epoch++;
    return Array.from({ length: perCall }, (_, i) => {
      const at = (32 * (call + i)) % roots.length;
      return {
        kind: "attestation",
        pubkey: pubkeys[(first + i) % KEYS]!,
        sourceEpoch: source,
        targetEpoch: source + 1,
        signingRoot: "0x" + roots.toString("hex", at, at + 32),
      };
    });
  };
  const run = async (ms: number): Promise<number> => {
    const deadline = performance.now() + ms;
    let records = 0;
    await Promise.all(
      Array.from({ length: callers }, async () => {
        while (performance.now() < deadline) {
          const decisions = await store.checkAndRecord(nextCall());
          if (decisions.some((d) => !d.allowed)) throw new Error("record floor: a new attestation was refused (the benchmark's bug)");
          records += decisions.length;
        }
      }),
    );
    return records;
  };
  try {
    await run(WARMUP_MS);
    const measured: Array<{ record: RecordFloor; after: T }> = [];
    for (let window = 0; window < windows; window++) {
      const before = threadCpuSeconds(process.pid);
      const started = performance.now();
      const records = await run(WINDOW_MS);
      const seconds = (performance.now() - started) / 1000;
      const after = threadCpuSeconds(process.pid);
      const cpu = before && after ? [...after].reduce((sum, [tid, s]) => sum + s - (before.get(tid) ?? 0), 0) : NaN;
      measured.push({ record: { shape: `${callers} callers x ${perCall} per call`, records, seconds, cpuPerRecord: cpu / records }, after: await between() });
    }
    return measured;
  } finally {
    await store.close();
    removeTempDir(dir);
  }
}
