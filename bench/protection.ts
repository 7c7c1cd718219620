/**
 * Slashing-protection benchmarks on the real embedded SQLite store (WAL, synchronous=FULL) in a
 * temporary directory, and EIP-3076 interchange import/export through the code paths the CLI uses.
 */
import { randomBytes } from "node:crypto";
import { createWriteStream, readFileSync, statSync } from "node:fs";
import { once } from "node:events";
import { join } from "node:path";
import { parseInterchange, serializeInterchange } from "../src/protection/interchange.js";
import { SqliteProtectionStore } from "../src/protection/sqlite-store.js";
import type { AttestationRequest, Decision } from "../src/protection/types.js";
import {
  type Benchmark,
  type BenchRow,
  formatBytes,
  latencyStats,
  makeTempDir,
  removeTempDir,
} from "./harness.js";

const GVR = "0x4b363db94e286120d76eb905340fdd4e54bfe9f06bf33ff6cf5ad27f511bfe95";

/** Sequential single-key run: stop after this many calls or this much time, whichever is first. */
const ONE_KEY_MAX_OPS = 20_000;
const ONE_KEY_MAX_SECONDS = 5;
const ONE_KEY_WARMUP = 20;

const STREAMS = 16;
const STREAMS_SECONDS = 5;

const MANY_KEYS = 10_000;
const MANY_KEYS_ROUNDS = 10;

const INTERCHANGE_VALIDATORS = 10_000;
const INTERCHANGE_BLOCKS = 20;
const INTERCHANGE_ATTESTATIONS = 80;

const hex = (bytes: Buffer) => "0x" + bytes.toString("hex");

/** Many distinct random 32-byte roots, cheaply (one random buffer, sliced). */
function rootSource(count: number): (i: number) => string {
  const pool = randomBytes(32 * count);
  return (i) => "0x" + pool.toString("hex", 32 * (i % count), 32 * (i % count) + 32);
}

function attestation(pubkey: string, epoch: number, signingRoot: string): AttestationRequest {
  return { kind: "attestation", pubkey, sourceEpoch: epoch, targetEpoch: epoch + 1, signingRoot };
}

/** A row of timed calls. */
function callsRow(measurement: string, latencies: number[], seconds: number, note: string): BenchRow {
  const stats = latencyStats(latencies);
  return { measurement, count: latencies.length, unit: "ops", seconds, meanMs: stats.meanMs, p99Ms: stats.p99Ms, note };
}

function refusals(decisions: Decision[][]): number {
  let n = 0;
  for (const call of decisions) for (const d of call) if (!d.allowed) n++;
  return n;
}

async function withStore<T>(label: string, body: (store: SqliteProtectionStore, dir: string) => Promise<T>): Promise<T> {
  const dir = makeTempDir(label);
  const store = SqliteProtectionStore.open({ dataDir: join(dir, "data"), genesisValidatorsRoot: GVR });
  try {
    return await body(store, dir);
  } finally {
    await store.close();
    removeTempDir(dir);
  }
}

const oneKey: Benchmark = {
  name: "protection-one-key",
  description: "check-and-record, one key, sequential attestations (each call awaited: one fsync per call)",
  run: () =>
    withStore("one-key", async (store) => {
      const pubkey = hex(randomBytes(48));
      const root = rootSource(ONE_KEY_MAX_OPS + ONE_KEY_WARMUP);
      for (let i = 0; i < ONE_KEY_WARMUP; i++) await store.checkAndRecord([attestation(pubkey, i, root(i))]);

      const latencies: number[] = [];
      const decisions: Decision[][] = [];
      const deadline = performance.now() + ONE_KEY_MAX_SECONDS * 1000;
      const started = performance.now();
      for (let i = ONE_KEY_WARMUP; i < ONE_KEY_WARMUP + ONE_KEY_MAX_OPS && performance.now() < deadline; i++) {
        const t0 = performance.now();
        decisions.push(await store.checkAndRecord([attestation(pubkey, i, root(i))]));
        latencies.push(performance.now() - t0);
      }
      const seconds = (performance.now() - started) / 1000;
      const stats = latencyStats(latencies);
      const refused = refusals(decisions);
      return [
        {
          measurement: "check-and-record, 1 key, sequential",
          count: latencies.length,
          unit: "ops",
          seconds,
          meanMs: stats.meanMs,
          p99Ms: stats.p99Ms,
          note: `p50 ${stats.p50Ms.toFixed(2)} ms, max ${stats.maxMs.toFixed(1)} ms${refused ? `, ${refused} REFUSED (unexpected)` : ""}`,
        },
      ];
    }),
};

const manyKeys: Benchmark = {
  name: "protection-10k-keys",
  description: `check-and-record, ${MANY_KEYS} keys, ${MANY_KEYS_ROUNDS} rounds of one attestation per key issued concurrently (group commit)`,
  run: () =>
    withStore("10k-keys", async (store) => {
      const pubkeys = Array.from({ length: MANY_KEYS }, () => hex(randomBytes(48)));
      const root = rootSource(MANY_KEYS * MANY_KEYS_ROUNDS);
      const latencies: number[] = [];
      const roundSeconds: number[] = [];
      let refused = 0;
      const started = performance.now();
      for (let round = 0; round < MANY_KEYS_ROUNDS; round++) {
        const roundStart = performance.now();
        const calls = pubkeys.map(async (pubkey, k) => {
          const t0 = performance.now();
          const decision = await store.checkAndRecord([attestation(pubkey, round, root(round * MANY_KEYS + k))]);
          latencies.push(performance.now() - t0);
          return decision;
        });
        refused += refusals(await Promise.all(calls));
        roundSeconds.push((performance.now() - roundStart) / 1000);
      }
      const seconds = (performance.now() - started) / 1000;
      const first = roundSeconds[0]!;
      const rest = roundSeconds.slice(1);
      const restMean = rest.reduce((a, b) => a + b, 0) / Math.max(rest.length, 1);
      return [
        callsRow(
          `check-and-record, ${MANY_KEYS.toLocaleString("en-US")} keys, concurrent rounds`,
          latencies,
          seconds,
          `round 1 (new keys) ${(first * 1000).toFixed(0)} ms, later rounds ${(restMean * 1000).toFixed(0)} ms each` +
            (refused ? `, ${refused} REFUSED (unexpected)` : ""),
        ),
      ];
    }),
};

/**
 * What a validator client with a few hundred keys does to the store through 16 connections: 16
 * callers each awaiting one attestation after another. Besides the rate, the event-loop time each
 * call costs (eventLoopUtilization): the time HTTP parsing and handing out signatures could not
 * run. The commit's fsync runs on the store's commit thread, so it is not in that figure.
 */
const streams: Benchmark = {
  name: "protection-16-streams",
  description: `check-and-record, ${STREAMS} concurrent callers of sequential attestations (one key each) for ${STREAMS_SECONDS} s: rate, latency, event-loop time per call`,
  run: () =>
    withStore("16-streams", async (store) => {
      const pubkeys = Array.from({ length: STREAMS }, () => hex(randomBytes(48)));
      const root = rootSource(1 << 16);
      const latencies: number[] = [];
      let refused = 0;
      let n = 0;
      const loop0 = performance.eventLoopUtilization();
      const started = performance.now();
      const deadline = started + STREAMS_SECONDS * 1000;
      await Promise.all(
        pubkeys.map(async (pubkey) => {
          for (let epoch = 0; performance.now() < deadline; epoch++) {
            const t0 = performance.now();
            refused += refusals([await store.checkAndRecord([attestation(pubkey, epoch, root(n++))])]);
            latencies.push(performance.now() - t0);
          }
        }),
      );
      const seconds = (performance.now() - started) / 1000;
      const loop = performance.eventLoopUtilization(loop0);
      return [
        callsRow(
          `check-and-record, ${STREAMS} concurrent callers`,
          latencies,
          seconds,
          `event loop busy ${((loop.active * 1000) / latencies.length).toFixed(0)} us per call ` +
            `(${(100 * loop.utilization).toFixed(0)}% of the time)` +
            (refused ? `, ${refused} REFUSED (unexpected)` : ""),
        ),
      ];
    }),
};

/** Writes a synthetic interchange file directly (not with the serializer under test). */
async function generateInterchange(path: string): Promise<{ records: number; bytes: number }> {
  const stream = createWriteStream(path);
  const write = async (text: string) => {
    if (!stream.write(text)) await once(stream, "drain");
  };
  const perValidator = INTERCHANGE_BLOCKS + INTERCHANGE_ATTESTATIONS;
  const root = rootSource(1 << 16);
  let n = 0;
  await write(`{"metadata":{"interchange_format_version":"5","genesis_validators_root":"${GVR}"},"data":[`);
  for (let v = 0; v < INTERCHANGE_VALIDATORS; v++) {
    const blocks: string[] = [];
    for (let j = 0; j < INTERCHANGE_BLOCKS; j++) {
      blocks.push(`{"slot":"${1_000_000 + j * 32 + (v % 32)}","signing_root":"${root(n++)}"}`);
    }
    const attestations: string[] = [];
    for (let j = 0; j < INTERCHANGE_ATTESTATIONS; j++) {
      const source = 200_000 + j;
      attestations.push(`{"source_epoch":"${source}","target_epoch":"${source + 1}","signing_root":"${root(n++)}"}`);
    }
    await write(
      `${v === 0 ? "" : ","}\n{"pubkey":"${hex(randomBytes(48))}","signed_blocks":[${blocks.join(",")}],"signed_attestations":[${attestations.join(",")}]}`,
    );
  }
  await write("\n]}\n");
  stream.end();
  await once(stream, "finish");
  return { records: INTERCHANGE_VALIDATORS * perValidator, bytes: statSync(path).size };
}

/** The CLI's export path: exportHistory -> serializeInterchange -> file stream with back-pressure. */
async function exportToFile(store: SqliteProtectionStore, path: string): Promise<{ validators: number; records: number }> {
  let validators = 0;
  let records = 0;
  async function* counted() {
    for await (const v of store.exportHistory()) {
      validators++;
      records += v.blocks.length + v.attestations.length;
      yield v;
    }
  }
  const stream = createWriteStream(path, { mode: 0o600 });
  for await (const chunk of serializeInterchange(store.genesisValidatorsRoot, counted())) {
    if (!stream.write(chunk)) await once(stream, "drain");
  }
  stream.end();
  await once(stream, "finish");
  return { validators, records };
}

const interchange: Benchmark = {
  name: "interchange-1m",
  description: `EIP-3076 interchange: ${INTERCHANGE_VALIDATORS} validators x (${INTERCHANGE_BLOCKS} blocks + ${INTERCHANGE_ATTESTATIONS} attestations)`,
  run: async () => {
    const dir = makeTempDir("interchange");
    const rows: BenchRow[] = [];
    try {
      const input = join(dir, "input.json");
      let t0 = performance.now();
      const generated = await generateInterchange(input);
      rows.push({
        measurement: "generate file",
        count: generated.records,
        unit: "records",
        seconds: (performance.now() - t0) / 1000,
        note: `file ${formatBytes(generated.bytes)}`,
      });

      const store = SqliteProtectionStore.open({ dataDir: join(dir, "data"), genesisValidatorsRoot: GVR });
      try {
        // Parse and import exactly as `bulwark slashing-protection import` does.
        t0 = performance.now();
        const parsed = parseInterchange(readFileSync(input, "utf8"));
        const parseSeconds = (performance.now() - t0) / 1000;
        const t1 = performance.now();
        const summary = await store.importHistory(parsed.genesisValidatorsRoot, parsed.validators);
        const importSeconds = (performance.now() - t1) / 1000;
        const added = summary.blocksAdded + summary.attestationsAdded;
        const mismatch = added !== generated.records ? `, ONLY ${added} ADDED (unexpected)` : "";
        rows.push({ measurement: "parse (read + parseInterchange)", count: generated.records, unit: "records", seconds: parseSeconds });
        rows.push({
          measurement: "import (store.importHistory)",
          count: generated.records,
          unit: "records",
          seconds: importSeconds,
          note: `one transaction${mismatch}`,
        });
        rows.push({
          measurement: "parse + import",
          count: generated.records,
          unit: "records",
          seconds: parseSeconds + importSeconds,
          note: `database ${formatBytes(statSync(join(dir, "data", "slashing-protection.sqlite")).size)}`,
        });

        const output = join(dir, "export.json");
        t0 = performance.now();
        const exported = await exportToFile(store, output);
        const exportSeconds = (performance.now() - t0) / 1000;
        const exportMismatch =
          exported.records !== generated.records || exported.validators !== INTERCHANGE_VALIDATORS
            ? `, ${exported.validators} validators / ${exported.records} records (unexpected)`
            : "";
        rows.push({
          measurement: "export (exportHistory + serialize + write)",
          count: exported.records,
          unit: "records",
          seconds: exportSeconds,
          note: `file ${formatBytes(statSync(output).size)}${exportMismatch}`,
        });
      } finally {
        await store.close();
      }
    } finally {
      removeTempDir(dir);
    }
    return rows;
  },
};

export const protectionBenchmarks: Benchmark[] = [oneKey, streams, manyKeys, interchange];
