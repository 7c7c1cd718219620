/**
 * "Record before release" (docs/SAFETY.md): a child records in a loop and acknowledges each record only
 * after check-and-record resolved; it is killed with SIGKILL at random moments. After every kill the
 * database opens cleanly and holds every acknowledged record.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { test } from "node:test";
import Database from "better-sqlite3";
import { SQLITE_FILE_NAME, SqliteProtectionStore } from "../../src/protection/sqlite-store.js";
import { tempDir } from "../helpers/temp.js";

const GVR = "0x" + "44".repeat(32);
const KEYS = 4;
// The child's signing roots are one byte repeated 32 times (n % 256); this one never is, so the final
// probe conflicts with the recorded vote whatever the last acknowledged epoch was. (A repeated-byte
// probe equalled the child's root whenever that epoch was 238 mod 256, and a harmless repeat is allowed.)
const CONFLICTING_ROOT = "0x" + "de".repeat(16) + "ad".repeat(16);
const ROUNDS = 8;
const child = new URL("./fixtures/sign-loop.js", import.meta.url).pathname;

function runUntilKilled(dataDir: string, start: number, killAfterMs: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [child, dataDir, GVR, String(start), String(KEYS)], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    let errors = "";
    let timer: NodeJS.Timeout | undefined;
    proc.stdout.on("data", (chunk: Buffer) => {
      output += chunk;
      // The clock starts once the child is signing, so every round kills mid-loop.
      if (timer === undefined && output.includes("ready\n")) timer = setTimeout(() => proc.kill("SIGKILL"), killAfterMs);
    });
    proc.stderr.on("data", (chunk: Buffer) => (errors += chunk));
    proc.on("exit", (_code, signal) => {
      if (signal !== "SIGKILL") return reject(new Error(`child ended without being killed: ${errors}`));
      const acks = output
        .split("\n")
        .filter((line) => line.startsWith("ack "))
        .map((line) => Number(line.slice(4)));
      resolve(acks);
    });
  });
}

test("every record acknowledged before a SIGKILL is present after restart", async () => {
  const dir = tempDir();
  try {
    const dataDir = join(dir.path, "data");
    let next = 0;
    let acknowledged: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const acks = await runUntilKilled(dataDir, next, 150 + Math.floor(Math.random() * 400));
      acknowledged = acknowledged.concat(acks);
      next = (acks.at(-1) ?? next) + 10;

      const db = new Database(join(dataDir, SQLITE_FILE_NAME), { readonly: true });
      assert.equal(db.pragma("integrity_check", { simple: true }), "ok");
      const attestations = new Set(
        (db.prepare("SELECT validator_id, source_epoch FROM signed_attestations").all() as { validator_id: number; source_epoch: number }[])
          .map((r) => `${r.validator_id}:${r.source_epoch}`),
      );
      const blocks = new Set(
        (db.prepare("SELECT validator_id, slot FROM signed_blocks").all() as { validator_id: number; slot: number }[]).map(
          (r) => `${r.validator_id}:${r.slot}`,
        ),
      );
      const validatorIds = (db.prepare("SELECT id FROM validators").all() as { id: number }[]).map((r) => r.id);
      db.close();
      if (acknowledged.length > 0) assert.equal(validatorIds.length, KEYS);
      for (const n of acknowledged) {
        for (const id of validatorIds) {
          assert.ok(attestations.has(`${id}:${n}`), `round ${round}: acknowledged attestation ${n} of validator ${id} lost`);
          assert.ok(blocks.has(`${id}:${n}`), `round ${round}: acknowledged block ${n} of validator ${id} lost`);
        }
      }
    }
    assert.ok(acknowledged.length > ROUNDS, `only ${acknowledged.length} records acknowledged: the child barely ran`);
    // The store still opens and enforces what it recorded.
    const store = SqliteProtectionStore.open({ dataDir, genesisValidatorsRoot: GVR });
    try {
      const last = acknowledged.at(-1)!;
      const [decision] = await store.checkAndRecord([
        { kind: "attestation", pubkey: "0x" + "00".repeat(48), sourceEpoch: last, targetEpoch: last + 1, signingRoot: CONFLICTING_ROOT },
      ]);
      assert.ok(decision !== undefined && !decision.allowed, `a second root for target ${last + 1} was allowed: ${JSON.stringify(decision)}`);
      assert.equal(decision.refusal.reason, "double-vote");
    } finally {
      await store.close();
    }
  } finally {
    dir.cleanup();
  }
});
