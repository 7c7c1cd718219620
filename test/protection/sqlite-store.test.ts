import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import Database from "better-sqlite3";
import { SQLITE_FILE_NAME, SqliteProtectionStore } from "../../src/protection/sqlite-store.js";
import { GenesisMismatchError, ProtectionStoreError } from "../../src/protection/store.js";
import type { ProtectionRequest } from "../../src/protection/types.js";
import { tempDir } from "../helpers/temp.js";

const GVR = "0x" + "22".repeat(32);
const OTHER_GVR = "0x" + "33".repeat(32);
const PK = "0x" + "ab".repeat(48);
const root = (n: number) => "0x" + n.toString(16).padStart(2, "0").repeat(32);
const att = (sourceEpoch: number, targetEpoch: number, n = 1, pubkey = PK): ProtectionRequest => ({
  kind: "attestation",
  pubkey,
  sourceEpoch,
  targetEpoch,
  signingRoot: root(n),
});
const fixture = (name: string) => new URL(`./fixtures/${name}.js`, import.meta.url).pathname;

describe("SQLite protection store", () => {
  const dir = tempDir();
  after(dir.cleanup);
  let n = 0;
  const freshDir = () => join(dir.path, `db${n++}`);

  test("creates a private data directory and database file with durable settings", async () => {
    const dataDir = freshDir();
    const store = SqliteProtectionStore.open({ dataDir, genesisValidatorsRoot: GVR });
    await store.close();
    assert.equal(statSync(dataDir).mode & 0o777, 0o700);
    assert.equal(statSync(join(dataDir, SQLITE_FILE_NAME)).mode & 0o777, 0o600);
    const db = new Database(join(dataDir, SQLITE_FILE_NAME));
    assert.equal(db.pragma("journal_mode", { simple: true }), "wal");
    db.close();
  });

  test("is bound to one genesis validators root and refuses another", async () => {
    const dataDir = freshDir();
    await SqliteProtectionStore.open({ dataDir, genesisValidatorsRoot: GVR }).close();
    assert.throws(() => SqliteProtectionStore.open({ dataDir, genesisValidatorsRoot: OTHER_GVR }), (err: Error) => {
      assert.ok(err instanceof GenesisMismatchError);
      assert.match(err.message, new RegExp(OTHER_GVR));
      assert.match(err.message, new RegExp(GVR));
      return true;
    });
    const store = SqliteProtectionStore.open({ dataDir, genesisValidatorsRoot: GVR });
    await assert.rejects(store.importHistory(OTHER_GVR, []), GenesisMismatchError);
    await store.close();
  });

  test("refuses a database written by a newer schema", async () => {
    const dataDir = freshDir();
    await SqliteProtectionStore.open({ dataDir, genesisValidatorsRoot: GVR }).close();
    const db = new Database(join(dataDir, SQLITE_FILE_NAME));
    db.prepare("UPDATE metadata SET value = '99' WHERE key = 'schema_version'").run();
    db.close();
    assert.throws(() => SqliteProtectionStore.open({ dataDir, genesisValidatorsRoot: GVR }), /schema version 99/);
  });

  test("records survive closing and reopening", async () => {
    const dataDir = freshDir();
    const first = SqliteProtectionStore.open({ dataDir, genesisValidatorsRoot: GVR });
    assert.equal((await first.checkAndRecord([att(1, 2)]))[0]!.allowed, true);
    await first.close();
    const second = SqliteProtectionStore.open({ dataDir, genesisValidatorsRoot: GVR });
    const [decision] = await second.checkAndRecord([att(1, 2, 2)]);
    assert.ok(!decision!.allowed && decision!.refusal.reason === "double-vote");
    await second.close();
  });

  test("a batch is decided in order and later requests see earlier records", async () => {
    const store = SqliteProtectionStore.open({ dataDir: freshDir(), genesisValidatorsRoot: GVR });
    const decisions = await store.checkAndRecord([att(1, 2, 1), att(1, 2, 2), att(1, 2, 1), att(0, 3, 1)]);
    assert.deepEqual(
      decisions.map((d) => (d.allowed ? (d.record ? "record" : "repeat") : d.refusal.reason)),
      ["record", "double-vote", "repeat", "source-below-lowest-source"],
    );
    await store.close();
  });

  test("50 concurrent conflicting calls for one key yield exactly one allowed", async () => {
    const store = SqliteProtectionStore.open({ dataDir: freshDir(), genesisValidatorsRoot: GVR });
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => store.checkAndRecord([att(10, 11, i + 1)])),
    );
    assert.equal(results.filter(([d]) => d!.allowed).length, 1);
    const blocks = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        store.checkAndRecord([{ kind: "block", pubkey: PK, slot: 7, signingRoot: root(i + 1) }]),
      ),
    );
    assert.equal(blocks.filter(([d]) => d!.allowed).length, 1);
    await store.close();
  });

  test("several processes racing on one database file release at most one conflicting record", async () => {
    const dataDir = freshDir();
    await SqliteProtectionStore.open({ dataDir, genesisValidatorsRoot: GVR }).close();
    const goFile = join(dataDir, "go");
    const children = [0, 1, 2, 3].map((id) => {
      const child = spawn(process.execPath, [fixture("race"), dataDir, GVR, goFile, String(id)], {
        stdio: ["ignore", "pipe", "inherit"],
      });
      let output = "";
      child.stdout.on("data", (chunk) => (output += chunk));
      return new Promise<{ allowed: number; blockAllowed: number }>((resolve, reject) =>
        child.on("exit", (code) => (code === 0 ? resolve(JSON.parse(output)) : reject(new Error(`child exited ${code}`)))),
      );
    });
    await new Promise((resolve) => setTimeout(resolve, 500));
    writeFileSync(goFile, "");
    const results = await Promise.all(children);
    assert.equal(results.reduce((sum, r) => sum + r.allowed, 0), 1, JSON.stringify(results));
    assert.equal(results.reduce((sum, r) => sum + r.blockAllowed, 0), 1, JSON.stringify(results));
  });

  test("fails closed when the database breaks underneath it, and nothing is recorded", async () => {
    const dataDir = freshDir();
    const store = SqliteProtectionStore.open({ dataDir, genesisValidatorsRoot: GVR });
    assert.equal((await store.checkAndRecord([att(1, 2)]))[0]!.allowed, true);
    const vandal = new Database(join(dataDir, SQLITE_FILE_NAME));
    vandal.exec("DROP TABLE signed_blocks");
    vandal.close();
    await assert.rejects(
      store.checkAndRecord([att(2, 3), { kind: "block", pubkey: PK, slot: 1, signingRoot: root(1) }]),
      (err: Error) => err instanceof ProtectionStoreError && /nothing signed/.test(err.message),
    );
    // The attestation of the failed group was rolled back with it: another root for 2->3 is allowed.
    const [again] = await store.checkAndRecord([att(2, 3, 9)]);
    assert.equal(again!.allowed, true);
    const check = new Database(join(dataDir, SQLITE_FILE_NAME));
    const rows = check.prepare("SELECT signing_root FROM signed_attestations WHERE target_epoch = 3").all() as { signing_root: Buffer }[];
    check.close();
    assert.deepEqual(rows.map((r) => "0x" + r.signing_root.toString("hex")), [root(9)]);
    await assert.rejects(
      store.checkAndRecord([{ kind: "block", pubkey: PK, slot: 2, signingRoot: root(1) }]),
      ProtectionStoreError,
      "still failing while the block table is gone",
    );
    await store.close();
    await assert.rejects(store.checkAndRecord([att(3, 4)]), ProtectionStoreError);
  });

  test("an import is all or nothing", async () => {
    const dataDir = freshDir();
    const store = SqliteProtectionStore.open({ dataDir, genesisValidatorsRoot: GVR });
    const good = { pubkey: PK, blocks: [{ slot: 1, signingRoot: null }], attestations: [] };
    // A malformed record (which the parser never produces) fails half-way through the transaction.
    const bad = { pubkey: "0x" + "cd".repeat(48), blocks: [{ slot: 2, signingRoot: 42 as unknown as string }], attestations: [] };
    await assert.rejects(store.importHistory(GVR, [good, bad]), /nothing was written/);
    assert.deepEqual(await store.listValidators(), []);
    await store.close();
  });

  test("refuses requests whose numbers or hex are not exact, before touching the database", async () => {
    const store = SqliteProtectionStore.open({ dataDir: freshDir(), genesisValidatorsRoot: GVR });
    await assert.rejects(store.checkAndRecord([att(1, 2 ** 64)]), /unsigned safe integers/);
    await assert.rejects(store.checkAndRecord([att(-1, 2)]), /unsigned safe integers/);
    await assert.rejects(store.checkAndRecord([att(1.5, 2)]), /unsigned safe integers/);
    await assert.rejects(store.checkAndRecord([{ ...att(1, 2), signingRoot: "0x12" }]), /signing root/);
    await assert.rejects(store.checkAndRecord([att(1, 2, 1, "0x1234")]), /pubkey/);
    assert.deepEqual(await store.listValidators(), []);
    await store.close();
  });

  test("health reports a working database with its latency", async () => {
    const store = SqliteProtectionStore.open({ dataDir: freshDir(), genesisValidatorsRoot: GVR });
    const health = await store.health();
    assert.equal(health.ok, true);
    assert.ok(health.latencyMs >= 0);
    await store.close();
    assert.equal((await store.health()).ok, false);
  });

  test("the surround queries use their indexes (no full scan of a key's history)", () => {
    const dataDir = freshDir();
    SqliteProtectionStore.open({ dataDir, genesisValidatorsRoot: GVR }).close();
    const db = new Database(join(dataDir, SQLITE_FILE_NAME));
    const plan = (sql: string) =>
      (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(1, 2, 3) as { detail: string }[]).map((r) => r.detail).join(";");
    assert.match(
      plan("SELECT 1 FROM signed_attestations INDEXED BY signed_attestations_by_target WHERE validator_id = ? AND target_epoch > ? AND source_epoch < ?"),
      /USING (COVERING )?INDEX signed_attestations_by_target \(validator_id=\? AND target_epoch>\?\)/,
    );
    db.close();
  });
});
