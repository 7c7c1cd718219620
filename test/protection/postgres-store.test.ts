/**
 * The PostgreSQL protection store on a real server (embedded PostgreSQL, or BULWARK_TEST_PG_URL):
 * migrations, chain binding, decisions, imports, exports, cross-process races, health.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { after, before, describe, test } from "node:test";
import { openProtectionStore } from "../../src/protection/open-store.js";
import { PostgresProtectionStore, READ_HISTORY_SQL } from "../../src/protection/postgres-store.js";
import { SqliteProtectionStore } from "../../src/protection/sqlite-store.js";
import { GenesisMismatchError, ProtectionStoreError, type ProtectionStore } from "../../src/protection/store.js";
import type { ValidatorHistory } from "../../src/protection/history.js";
import type { ProtectionRequest } from "../../src/protection/types.js";
import { startTestPostgres, type TestPostgres } from "../helpers/postgres.js";
import { memoryTempDir } from "../helpers/temp.js";

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
const block = (slot: number, n = 1, pubkey = PK): ProtectionRequest => ({ kind: "block", pubkey, slot, signingRoot: root(n) });
const fixture = (name: string) => new URL(`./fixtures/${name}.js`, import.meta.url).pathname;
const summarise = (decisions: { allowed: boolean; record?: boolean; refusal?: { reason: string } }[]) =>
  decisions.map((d) => (d.allowed ? (d.record ? "record" : "repeat") : d.refusal!.reason));

async function exportAll(store: ProtectionStore, pubkeys?: string[]): Promise<ValidatorHistory[]> {
  const out: ValidatorHistory[] = [];
  for await (const history of store.exportHistory(pubkeys)) out.push(history);
  return out;
}

describe("PostgreSQL protection store", () => {
  let server: TestPostgres;
  before(async () => {
    server = await startTestPostgres();
  });
  after(async () => {
    await server?.close();
  });

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

  test("is bound to one genesis validators root and refuses another", async () => {
    const url = await server.freshDatabase();
    await (await PostgresProtectionStore.open(url, GVR)).close();
    await assert.rejects(PostgresProtectionStore.open(url, OTHER_GVR), (err: Error) => {
      assert.ok(err instanceof GenesisMismatchError, String(err));
      assert.match(err.message, new RegExp(OTHER_GVR));
      assert.match(err.message, new RegExp(GVR));
      const password = new URL(url).password;
      if (password !== "") assert.ok(!err.message.includes(password), "no password in messages");
      return true;
    });
    const store = await PostgresProtectionStore.open(url, GVR);
    await assert.rejects(store.importHistory(OTHER_GVR, []), GenesisMismatchError);
    await store.close();
  });

  test("refuses a database written by a newer schema", async () => {
    const url = await server.freshDatabase();
    await (await PostgresProtectionStore.open(url, GVR)).close();
    await server.admin("INSERT INTO schema_migrations (version, name) VALUES (99, 'from the future')", [], url);
    await assert.rejects(
      PostgresProtectionStore.open(url, GVR),
      (err: Error) => err instanceof ProtectionStoreError && /schema version 99, newer than this program knows \(2\); upgrade Bulwark/.test(err.message),
    );
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

  test("records survive closing and reopening", async () => {
    const url = await server.freshDatabase();
    const first = await PostgresProtectionStore.open(url, GVR);
    assert.equal((await first.checkAndRecord([att(1, 2)]))[0]!.allowed, true);
    await first.close();
    const second = await PostgresProtectionStore.open(url, GVR);
    const [decision] = await second.checkAndRecord([att(1, 2, 2)]);
    assert.ok(!decision!.allowed && decision!.refusal.reason === "double-vote");
    await second.close();
  });

  test("a batch is decided in order and later requests see earlier records", async () => {
    const store = await PostgresProtectionStore.open(await server.freshDatabase(), GVR);
    const decisions = await store.checkAndRecord([att(1, 2, 1), att(1, 2, 2), att(1, 2, 1), att(0, 3, 1)]);
    assert.deepEqual(summarise(decisions), ["record", "double-vote", "repeat", "source-below-lowest-source"]);
    const blocks = await store.checkAndRecord([block(5, 1), block(5, 2), block(5, 1), block(4, 1), block(6, 1)]);
    assert.deepEqual(summarise(blocks), ["record", "double-block", "repeat", "block-below-lowest-slot", "record"]);
    // Several keys in one batch, a surround in both directions against the same batch's records.
    const other = "0x" + "cd".repeat(48);
    const mixed = await store.checkAndRecord([
      att(1, 2, 1, other),
      att(10, 20, 1, other),
      att(11, 19, 1, other),
      att(9, 21, 1, other),
      att(3, 4, 1),
      block(1, 1, other),
    ]);
    assert.deepEqual(summarise(mixed), ["record", "record", "surrounded-by-existing", "surrounds-existing", "record", "record"]);
    // The same against committed records.
    assert.deepEqual(summarise(await store.checkAndRecord([att(11, 19, 2, other), att(9, 21, 2, other)])), [
      "surrounded-by-existing",
      "surrounds-existing",
    ]);
    assert.deepEqual(await store.listValidators(), [PK, other]);
    await store.close();
  });

  test("50 concurrent conflicting calls for one key yield exactly one allowed", async () => {
    const store = await PostgresProtectionStore.open(await server.freshDatabase(), GVR, { poolSize: 4 });
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => store.checkAndRecord([att(10, 11, i + 1)])));
    assert.equal(results.filter(([d]) => d!.allowed).length, 1);
    const blocks = await Promise.all(Array.from({ length: 50 }, (_, i) => store.checkAndRecord([block(7, i + 1)])));
    assert.equal(blocks.filter(([d]) => d!.allowed).length, 1);
    await store.close();
  });

  test("3 processes with their own pools race 100 conflicting attestations and blocks each: exactly one of each is allowed", async () => {
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
    await Promise.all(children.map((c) => c.ready));
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

  test("an import merges all or nothing and counts duplicates; the export matches SQLite's", async () => {
    const dir = memoryTempDir();
    const url = await server.freshDatabase();
    const store = await PostgresProtectionStore.open(url, GVR);
    const sqlite = SqliteProtectionStore.open({ dataDir: dir.path, genesisValidatorsRoot: GVR });
    try {
      const good: ValidatorHistory = {
        pubkey: PK.toUpperCase().replace("0X", "0x"),
        blocks: [{ slot: 1, signingRoot: null }, { slot: 1, signingRoot: null }, { slot: 3, signingRoot: root(7) }],
        attestations: [{ sourceEpoch: 2, targetEpoch: 3, signingRoot: null }, { sourceEpoch: 9, targetEpoch: 4, signingRoot: root(8) }],
      };
      const bad = { pubkey: "0x" + "cd".repeat(48), blocks: [{ slot: 2, signingRoot: 42 as unknown as string }], attestations: [] };
      await assert.rejects(store.importHistory(GVR, [good, bad]), /nothing was written/);
      assert.deepEqual(await store.listValidators(), []);
      const empty = { pubkey: "0x" + "ef".repeat(48), blocks: [], attestations: [] };
      for (const target of [store, sqlite] as ProtectionStore[]) {
        const first = await target.importHistory(GVR, [good, empty]);
        assert.deepEqual(first, { validators: 2, blocksAdded: 2, attestationsAdded: 2, duplicatesSkipped: 1 });
        const again = await target.importHistory(GVR, [good]);
        assert.deepEqual(again, { validators: 1, blocksAdded: 0, attestationsAdded: 0, duplicatesSkipped: 5 });
        await target.checkAndRecord([att(5, 6, 3), block(4, 2)]);
      }
      assert.deepEqual(await exportAll(store), await exportAll(sqlite));
      const some = [PK, "0x" + "99".repeat(48), "0x" + "ef".repeat(48)];
      assert.deepEqual(await exportAll(store, some), await exportAll(sqlite, some));
      // The imported unknown root at slot 1 conflicts with everything there.
      assert.deepEqual(summarise(await store.checkAndRecord([block(1, 1), att(2, 3, 1)])), ["double-block", "double-vote"]);
    } finally {
      await store.close();
      await sqlite.close();
      dir.cleanup();
    }
  });

  test("exports stream many validators in pubkey order", async () => {
    const store = await PostgresProtectionStore.open(await server.freshDatabase(), GVR);
    const keys = Array.from({ length: 150 }, (_, i) => "0x" + (i * 7919 % 65536).toString(16).padStart(4, "0") + "11".repeat(46));
    await store.importHistory(
      GVR,
      keys.map((pubkey, i) => ({ pubkey, blocks: [{ slot: i, signingRoot: root(1) }], attestations: [{ sourceEpoch: i, targetEpoch: i + 1, signingRoot: null }] })),
    );
    const exported = await exportAll(store);
    assert.deepEqual(exported.map((h) => h.pubkey), [...keys].sort());
    assert.ok(exported.every((h) => h.blocks.length === 1 && h.attestations.length === 1));
    assert.deepEqual(await store.listValidators(), [...keys].sort());
    await store.close();
  });

  test("refuses requests whose numbers or hex are not exact, before touching the database", async () => {
    const store = await PostgresProtectionStore.open(await server.freshDatabase(), GVR);
    await assert.rejects(store.checkAndRecord([att(1, 2 ** 64)]), /unsigned safe integers/);
    await assert.rejects(store.checkAndRecord([att(-1, 2)]), /unsigned safe integers/);
    await assert.rejects(store.checkAndRecord([att(1.5, 2)]), /unsigned safe integers/);
    await assert.rejects(store.checkAndRecord([{ ...att(1, 2), signingRoot: "0x12" }]), /signing root/);
    await assert.rejects(store.checkAndRecord([att(1, 2, 1, "0x1234")]), /pubkey/);
    assert.deepEqual(await store.checkAndRecord([]), []);
    assert.deepEqual(await store.listValidators(), []);
    await store.close();
  });

  test("fails closed when a table is gone, rolls back the whole group, and recovers", async () => {
    const url = await server.freshDatabase();
    const store = await PostgresProtectionStore.open(url, GVR);
    assert.equal((await store.checkAndRecord([att(1, 2)]))[0]!.allowed, true);
    await server.admin("ALTER TABLE signed_blocks RENAME TO signed_blocks_away", [], url);
    await assert.rejects(
      store.checkAndRecord([att(2, 3), block(1)]),
      (err: Error) => err instanceof ProtectionStoreError && /nothing signed/.test(err.message),
    );
    const health = await store.health();
    assert.equal(health.ok, false);
    await server.admin("ALTER TABLE signed_blocks_away RENAME TO signed_blocks", [], url);
    // The attestation of the failed group was rolled back with it: another root for 2->3 is allowed.
    assert.equal((await store.checkAndRecord([att(2, 3, 9)]))[0]!.allowed, true);
    assert.equal((await store.health()).ok, true);
    await store.close();
    await assert.rejects(store.checkAndRecord([att(3, 4)]), ProtectionStoreError);
  });

  test("health reports a working database with its latency", async () => {
    const url = await server.freshDatabase();
    const store = await PostgresProtectionStore.open(url, GVR);
    const health = await store.health();
    assert.equal(health.ok, true, health.error);
    assert.ok(health.latencyMs >= 0);
    await store.close();
    assert.equal((await store.health()).ok, false);
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
