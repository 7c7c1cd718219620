// Key tombstones, what is particular to each backend: a version-1 SQLite database upgraded in place,
// PostgreSQL's migration 2. What every store does with tombstones is in contract/store-contract.ts.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import Database from "better-sqlite3";
import { PostgresProtectionStore } from "../../src/protection/postgres-store.js";
import { SQLITE_FILE_NAME, SqliteProtectionStore } from "../../src/protection/sqlite-store.js";
import { startTestPostgres, type TestPostgres } from "../helpers/postgres.js";
import { tempDir } from "../helpers/temp.js";

const GVR = "0x" + "22".repeat(32);
const A = "0x" + "aa".repeat(48);
const root = "0x" + "01".repeat(32);

describe("key tombstones: SQLite", () => {
  const dir = tempDir();
  after(dir.cleanup);

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

  test("migration 2 creates the tombstone table", async () => {
    const url = await server.freshDatabase();
    await (await PostgresProtectionStore.open(url, GVR)).close();
    const versions = await server.admin<{ version: number; name: string }>("SELECT version, name FROM schema_migrations ORDER BY version", [], url);
    assert.deepEqual(versions.map((v) => [v.version, v.name]), [[1, "initial schema"], [2, "key tombstones"]]);
  });
});
