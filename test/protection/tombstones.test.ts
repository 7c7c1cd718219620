// Key tombstones in both protection stores (SQLite file and PostgreSQL through its migration):
// recorded durably, listed, lifted, kept by prune, and a version-1 SQLite database upgraded in place.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import Database from "better-sqlite3";
import { PostgresProtectionStore } from "../../src/protection/postgres-store.js";
import { SQLITE_FILE_NAME, SqliteProtectionStore } from "../../src/protection/sqlite-store.js";
import type { ProtectionStore } from "../../src/protection/store.js";
import { startTestPostgres, type TestPostgres } from "../helpers/postgres.js";
import { tempDir } from "../helpers/temp.js";

const GVR = "0x" + "22".repeat(32);
const A = "0x" + "aa".repeat(48);
const B = "0x" + "bb".repeat(48);
const root = "0x" + "01".repeat(32);

/** The same checks on any store; `reopen` closes and opens the same database again. */
async function tombstoneBehaviour(open: () => Promise<ProtectionStore>): Promise<void> {
  let store = await open();
  try {
    assert.equal(store.created, true, "the first open creates the database");
    assert.deepEqual(await store.listTombstones(), []);
    // History of A, then A tombstoned (twice: idempotent), in upper case: stored lower case.
    await store.checkAndRecord([{ kind: "attestation", pubkey: A, sourceEpoch: 1, targetEpoch: 2, signingRoot: root }]);
    await store.tombstone([A.toUpperCase().replace("0X", "0x")]);
    await store.tombstone([A]);
    assert.deepEqual(await store.listTombstones(), [A]);
    await store.close();
    store = await open();
    assert.equal(store.created, false, "a reopen finds it");
    assert.deepEqual(await store.listTombstones(), [A], "durable across a reopen");
    // Prune removes history, never tombstones.
    await store.checkAndRecord([{ kind: "attestation", pubkey: A, sourceEpoch: 500, targetEpoch: 501, signingRoot: root }]);
    const pruned = await store.prune(10, 32);
    assert.equal(pruned.attestationsRemoved, 1);
    assert.deepEqual(await store.listTombstones(), [A]);
    await store.tombstone([B]);
    assert.deepEqual(await store.listTombstones(), [A, B]);
    await store.clearTombstones([A]);
    assert.deepEqual(await store.listTombstones(), [B]);
    await store.clearTombstones([]);
    await store.tombstone([]);
    assert.deepEqual(await store.listTombstones(), [B]);
  } finally {
    await store.close();
  }
}

describe("key tombstones: SQLite", () => {
  const dir = tempDir();
  after(dir.cleanup);

  test("tombstone, list, clear; durable; prune keeps them", async () => {
    const dataDir = join(dir.path, "a");
    await tombstoneBehaviour(async () => SqliteProtectionStore.open({ dataDir, genesisValidatorsRoot: GVR }));
  });

  test("a version-1 database (no tombstone table) is upgraded in place and keeps its history", async () => {
    const dataDir = join(dir.path, "v1");
    const store = SqliteProtectionStore.open({ dataDir, genesisValidatorsRoot: GVR });
    await store.checkAndRecord([{ kind: "block", pubkey: A, slot: 7, signingRoot: root }]);
    await store.close();
    const db = new Database(join(dataDir, SQLITE_FILE_NAME));
    db.exec("DROP TABLE key_tombstones");
    db.prepare("UPDATE metadata SET value = '1' WHERE key = 'schema_version'").run();
    db.close();
    const upgraded = SqliteProtectionStore.open({ dataDir, genesisValidatorsRoot: GVR });
    try {
      assert.deepEqual(await upgraded.listTombstones(), []);
      await upgraded.tombstone([A]);
      assert.deepEqual(await upgraded.listTombstones(), [A]);
      const [decision] = await upgraded.checkAndRecord([{ kind: "block", pubkey: A, slot: 7, signingRoot: "0x" + "02".repeat(32) }]);
      assert.equal(decision?.allowed, false, "the history survived the upgrade");
    } finally {
      await upgraded.close();
    }
    const check = new Database(join(dataDir, SQLITE_FILE_NAME), { readonly: true });
    assert.equal((check.prepare("SELECT value FROM metadata WHERE key = 'schema_version'").get() as { value: string }).value, "2");
    check.close();
  });
});

describe("key tombstones: PostgreSQL", () => {
  let server: TestPostgres;
  before(async () => {
    server = await startTestPostgres();
  });
  after(async () => {
    await server?.close();
  });

  test("tombstone, list, clear; durable; prune keeps them (migration 2)", async () => {
    const url = await server.freshDatabase();
    await tombstoneBehaviour(() => PostgresProtectionStore.open(url, GVR));
    const versions = await server.admin<{ version: number; name: string }>("SELECT version, name FROM schema_migrations ORDER BY version", [], url);
    assert.deepEqual(versions.map((v) => [v.version, v.name]), [[1, "initial schema"], [2, "key tombstones"]]);
  });
});
