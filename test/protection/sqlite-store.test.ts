/**
 * The SQLite protection store: the contract every store keeps (contract/store-contract.ts), plus
 * what only SQLite has: the private file and its durable settings, several processes sharing one
 * file, the index plans of the candidate queries.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import Database from "better-sqlite3";
import { SQLITE_FILE_NAME, SqliteProtectionStore } from "../../src/protection/sqlite-store.js";
import { att, GVR } from "../helpers/protection-records.js";
import { memoryTempDir, tempDir } from "../helpers/temp.js";
import { describeProtectionStore } from "./contract/store-contract.js";

const fixture = (name: string) => new URL(`./fixtures/${name}.js`, import.meta.url).pathname;

/** Runs one statement on the database file through a connection of its own. */
function onFile(dataDir: string, sql: string): void {
  const db = new Database(join(dataDir, SQLITE_FILE_NAME));
  try {
    db.exec(sql);
  } finally {
    db.close();
  }
}

const contractDir = memoryTempDir();
after(contractDir.cleanup);
let databases = 0;
describeProtectionStore("SQLite", {
  freshDatabase: async () => join(contractDir.path, `db${databases++}`),
  open: async (dataDir, genesisValidatorsRoot) => SqliteProtectionStore.open({ dataDir, genesisValidatorsRoot }),
  markNewerSchema: async (dataDir) => onFile(dataDir, "UPDATE metadata SET value = '99' WHERE key = 'schema_version'"),
  hideBlockTable: async (dataDir) => onFile(dataDir, "ALTER TABLE signed_blocks RENAME TO signed_blocks_away"),
  restoreBlockTable: async (dataDir) => onFile(dataDir, "ALTER TABLE signed_blocks_away RENAME TO signed_blocks"),
  propertyRuns: { model: 500, exportImport: 200, prune: 500 },
});

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

  test("refuses another genesis validators root as soon as it opens", async () => {
    const dataDir = freshDir();
    await SqliteProtectionStore.open({ dataDir, genesisValidatorsRoot: GVR }).close();
    assert.throws(() => SqliteProtectionStore.open({ dataDir, genesisValidatorsRoot: "0x" + "33".repeat(32) }), /genesis validators root/);
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

  test("a group's decisions and its returned commit reach its caller within one long event-loop turn, as in a burst", async () => {
    const store = SqliteProtectionStore.open({ dataDir: freshDir(), genesisValidatorsRoot: GVR });
    try {
      await store.checkAndRecord([att(1, 2)]);
      let decided = false;
      let committed = false;
      const call = store.checkAndRecordWith([att(2, 3)], () => (decided = true)).then(() => (committed = true));
      // The group goes to the commit thread at the end of this turn; from here on only microtasks
      // run, so nothing arrives by the event loop: each call takes the replies that have arrived.
      await new Promise((resolve) => setImmediate(resolve));
      const deadline = performance.now() + 10_000;
      while (!committed) {
        assert.ok(performance.now() < deadline, "the commit thread's replies were not taken within one turn");
        await store.checkAndRecord([]);
      }
      assert.equal(decided, true);
      assert.equal((await call) && committed, true);
      // Nothing taken twice or lost: the next call is decided against the record just made.
      assert.deepEqual((await store.checkAndRecord([att(2, 3, 9)])).map((d) => d.allowed), [false]);
    } finally {
      await store.close();
    }
  });

  test("the surround queries use their indexes (no full scan of a key's history)", async () => {
    const dataDir = freshDir();
    await SqliteProtectionStore.open({ dataDir, genesisValidatorsRoot: GVR }).close();
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
