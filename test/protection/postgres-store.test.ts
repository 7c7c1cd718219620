/**
 * The PostgreSQL protection store on a real server (embedded PostgreSQL, or BULWARK_TEST_PG_URL):
 * the contract every store keeps (contract/store-contract.ts), plus what only PostgreSQL has:
 * versioned migrations, concurrent starts, the --db switch, several processes with their own pools,
 * query plans, batched prunes, schemas.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { after, before, describe, test } from "node:test";
import { openProtectionStore } from "../../src/protection/open-store.js";
import { PostgresProtectionStore, READ_HISTORY_SQL } from "../../src/protection/postgres-store.js";
import { SqliteProtectionStore } from "../../src/protection/sqlite-store.js";
import { att, exportAll, GVR, OTHER_GVR, PK, root } from "../helpers/protection-records.js";
import { startTestPostgres, type TestPostgres } from "../helpers/postgres.js";
import { memoryTempDir } from "../helpers/temp.js";
import { describeProtectionStore } from "./contract/store-contract.js";

const fixture = (name: string) => new URL(`./fixtures/${name}.js`, import.meta.url).pathname;

// One server for the whole file: the contract suite and the PostgreSQL tests below.
let server: TestPostgres;
before(async () => {
  server = await startTestPostgres();
});
after(async () => {
  await server?.close();
});

describeProtectionStore("PostgreSQL", {
  freshDatabase: () => server.freshDatabase(),
  open: (url, genesisValidatorsRoot, options) =>
    PostgresProtectionStore.open(url, genesisValidatorsRoot, options?.concurrency === undefined ? {} : { poolSize: options.concurrency }),
  markNewerSchema: async (url) => void (await server.admin("INSERT INTO schema_migrations (version, name) VALUES (99, 'from the future')", [], url)),
  hideBlockTable: async (url) => void (await server.admin("ALTER TABLE signed_blocks RENAME TO signed_blocks_away", [], url)),
  restoreBlockTable: async (url) => void (await server.admin("ALTER TABLE signed_blocks_away RENAME TO signed_blocks", [], url)),
  propertyRuns: { model: 150, exportImport: 60, prune: 100 },
});

describe("PostgreSQL protection store", () => {
  test("creates its schema through versioned migrations and records them", async () => {
    const url = await server.freshDatabase();
    const store = await PostgresProtectionStore.open(url, GVR);
    await store.close();
    const versions = await server.admin<{ version: number; name: string }>("SELECT version, name FROM schema_migrations ORDER BY version", [], url);
    assert.deepEqual(versions.map((v) => v.version), [1, 2]);
    const tables = await server.admin<{ t: string }>(
      "SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY 1",
      [],
      url,
    );
    assert.deepEqual(tables.map((r) => r.t), ["key_tombstones", "metadata", "schema_migrations", "signed_attestations", "signed_blocks", "validators"]);
    // A second open finds the schema up to date and changes nothing.
    await (await PostgresProtectionStore.open(url, GVR)).close();
    assert.equal((await server.admin("SELECT 1 FROM schema_migrations", [], url)).length, 2);
  });

  test("several instances starting at once on an empty database all come up (advisory lock)", async () => {
    const url = await server.freshDatabase();
    const stores = await Promise.all(Array.from({ length: 6 }, () => PostgresProtectionStore.open(url, GVR, { poolSize: 2 })));
    const decisions = await Promise.all(stores.map((store, i) => store.checkAndRecord([att(1, 2, i + 1)])));
    assert.equal(decisions.filter(([d]) => d!.allowed).length, 1);
    await Promise.all(stores.map((store) => store.close()));
  });

  test("openProtectionStore picks the store from --db and keeps the SQLite default", async () => {
    const dir = memoryTempDir();
    try {
      const sqlite = await openProtectionStore({ dataDir: dir.path, genesisValidatorsRoot: GVR });
      assert.ok(sqlite instanceof SqliteProtectionStore);
      await sqlite.close();
      const explicit = await openProtectionStore({ dataDir: dir.path, genesisValidatorsRoot: GVR, db: "sqlite" });
      assert.ok(explicit instanceof SqliteProtectionStore);
      await explicit.close();
      const url = await server.freshDatabase();
      const postgres = await openProtectionStore({ dataDir: dir.path, genesisValidatorsRoot: GVR, db: url, poolSize: 3, statementTimeoutMs: 2000 });
      assert.ok(postgres instanceof PostgresProtectionStore);
      await postgres.close();
      const postgresql = await openProtectionStore({ dataDir: dir.path, genesisValidatorsRoot: GVR, db: url.replace(/^postgres:/, "postgresql:") });
      assert.ok(postgresql instanceof PostgresProtectionStore);
      await postgresql.close();
      await assert.rejects(openProtectionStore({ dataDir: dir.path, genesisValidatorsRoot: GVR, db: "mysql://x" }), /expected "sqlite" or a postgres:\/\/ URL/);
    } finally {
      dir.cleanup();
    }
  });

  test("3 processes with their own pools race 100 conflicting attestations and blocks each: exactly one of each is allowed", async (t) => {
    const url = await server.freshDatabase();
    await (await PostgresProtectionStore.open(url, GVR)).close();
    const children = [0, 1, 2].map((id) => {
      const child = spawn(process.execPath, [fixture("postgres-race"), url, GVR, String(id)], { stdio: ["pipe", "pipe", "inherit"] });
      let output = "";
      let signalReady: () => void;
      const ready = new Promise<void>((resolve) => (signalReady = resolve));
      child.stdout.on("data", (chunk: Buffer) => {
        output += chunk;
        if (output.includes("ready\n")) signalReady();
      });
      const result = new Promise<{ allowed: number; blockAllowed: number }>((resolve, reject) =>
        child.on("exit", (code) =>
          code === 0 ? resolve(JSON.parse(output.slice(output.indexOf("ready\n") + 6))) : reject(new Error(`child exited ${code}`)),
        ),
      );
      return { child, ready, result };
    });
    // Whatever fails below, no child is left waiting for its "go" (a no-op for those that exited).
    t.after(() => {
      for (const { child } of children) child.kill("SIGKILL");
    });
    // A child that exits before it is ready fails the test with its exit code, instead of the wait never ending.
    await Promise.all(children.map((c) => Promise.race([c.ready, c.result])));
    for (const { child } of children) child.stdin.write("go\n");
    const results = await Promise.all(children.map((c) => c.result));
    assert.equal(results.reduce((sum, r) => sum + r.allowed, 0), 1, JSON.stringify(results));
    assert.equal(results.reduce((sum, r) => sum + r.blockAllowed, 0), 1, JSON.stringify(results));
    const rows = await server.admin<{ n: number }>(
      "SELECT (SELECT COUNT(*) FROM signed_attestations)::int + (SELECT COUNT(*) FROM signed_blocks)::int AS n",
      [],
      url,
    );
    assert.equal(rows[0]!.n, 2);
  });

  test("the candidate queries use their indexes (no full scan of a key's history)", async () => {
    const url = await server.freshDatabase();
    const store = await PostgresProtectionStore.open(url, GVR);
    await store.importHistory(GVR, [
      {
        pubkey: PK,
        blocks: Array.from({ length: 3000 }, (_, i) => ({ slot: i * 32, signingRoot: root(1) })),
        attestations: Array.from({ length: 3000 }, (_, i) => ({ sourceEpoch: i, targetEpoch: i + 1, signingRoot: root(2) })),
      },
      ...Array.from({ length: 50 }, (_, k) => ({
        pubkey: "0x" + (k + 1).toString(16).padStart(2, "0").repeat(48),
        blocks: [],
        attestations: Array.from({ length: 100 }, (_, i) => ({ sourceEpoch: i, targetEpoch: i + 1, signingRoot: root(2) })),
      })),
    ]);
    await store.close();
    await server.admin("ANALYZE", [], url);
    const plan = (
      await server.admin<{ "QUERY PLAN": string }>(
        `EXPLAIN ${READ_HISTORY_SQL}`,
        [[0, 1], [PK.slice(2), PK.slice(2)], [1, 0], [3000, 96000], [3001, 0]],
        url,
      )
    )
      .map((row) => row["QUERY PLAN"])
      .join("\n");
    assert.doesNotMatch(plan, /Seq Scan on signed_(attestations|blocks)/, plan);
    assert.match(plan, /Index (Only )?Scan using signed_attestations_by_target/, plan);
    assert.match(plan, /Index (Only )?Scan using signed_attestations_by_source/, plan);
  });

  test("prune works through many keys in batches, each key under its own lock", async () => {
    const store = await PostgresProtectionStore.open(await server.freshDatabase(), GVR);
    const keys = Array.from({ length: 600 }, (_, i) => "0x" + i.toString(16).padStart(4, "0") + "12".repeat(46));
    await store.importHistory(
      GVR,
      keys.map((pubkey) => ({
        pubkey,
        blocks: [0, 1, 2].map((slot) => ({ slot, signingRoot: root(1) })),
        attestations: [0, 1, 2].map((e) => ({ sourceEpoch: e, targetEpoch: e + 1, signingRoot: root(2) })),
      })),
    );
    const [pruning, signing] = await Promise.all([store.prune(0, 1), store.checkAndRecord([att(1, 2, 1, keys[599])])]);
    assert.deepEqual(pruning, { validators: 600, blocksRemoved: 1200, attestationsRemoved: 1200, attestationsKept: 0 });
    // Signed while (or before) its key was pruned, and refused either way: 1->2 existed.
    assert.equal(signing[0]!.allowed, false);
    const exported = await exportAll(store, [keys[0]!, keys[599]!]);
    assert.deepEqual(exported.map((h) => [h.blocks.map((b) => b.slot), h.attestations.map((a) => a.targetEpoch)]), [
      [[2], [3]],
      [[2], [3]],
    ]);
    await store.close();
  });

  test("the schema option keeps the tables in their own schema", async () => {
    const url = await server.freshDatabase();
    const a = await PostgresProtectionStore.open(url, GVR, { schema: "chain_a" });
    const b = await PostgresProtectionStore.open(url, OTHER_GVR, { schema: "chain_b" });
    assert.equal((await a.checkAndRecord([att(1, 2, 1)]))[0]!.allowed, true);
    assert.equal((await b.checkAndRecord([att(1, 2, 2)]))[0]!.allowed, true);
    assert.equal((await a.checkAndRecord([att(1, 2, 2)]))[0]!.allowed, false);
    await a.close();
    await b.close();
    const schemas = await server.admin<{ s: string }>(
      "SELECT DISTINCT schemaname AS s FROM pg_tables WHERE tablename = 'signed_attestations' ORDER BY 1",
      [],
      url,
    );
    assert.deepEqual(schemas.map((r) => r.s), ["chain_a", "chain_b"]);
  });
});
