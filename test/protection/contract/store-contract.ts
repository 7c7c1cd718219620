/**
 * The contract every protection store keeps, as one suite: `describeProtectionStore(name, backend)`
 * runs it against a backend (SQLite, PostgreSQL, any new one), which only says how to make a fresh
 * database, open a store on it and damage it the way a broken disk or a careless operator would.
 * What is particular to one backend (file modes, query plans, migrations, cross-process races
 * through its own locks) stays in that backend's test file.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { listSuiteFiles, runConformanceFile } from "../../../src/protection/conformance.js";
import type { ValidatorHistory } from "../../../src/protection/history.js";
import { GenesisMismatchError, ProtectionStoreError, type ProtectionStore } from "../../../src/protection/store.js";
import type { Root } from "../../../src/protection/types.js";
import { att, block, exportAll, GVR, OTHER_GVR, PK, root, summarise } from "../../helpers/protection-records.js";
import { SHARED_DIR } from "../../helpers/temp.js";
import { assertCoverage, exportImportProperty, modelProperty, PROPERTY_GVR, pruneExamples, pruneProperty } from "./properties.js";

const SUITE_DIR = join(SHARED_DIR, "vectors/eip3076-interchange-tests/tests");

export interface ProtectionBackend {
  /** A new, empty database (a data directory, a database URL...). Called inside tests only. */
  freshDatabase(): Promise<string>;
  /** Opens a store on `database`; `concurrency` is a hint for backends with connection pools. */
  open(database: string, genesisValidatorsRoot: Root, options?: { concurrency?: number }): Promise<ProtectionStore>;
  /** Makes the database claim it was written by schema version 99. */
  markNewerSchema(database: string): Promise<void>;
  /** Takes the block table away under running stores, and puts it back. */
  hideBlockTable(database: string): Promise<void>;
  restoreBlockTable(database: string): Promise<void>;
  /** Runs of each property test (a slow backend runs fewer). */
  propertyRuns: { model: number; exportImport: number; prune: number };
}

/** Secrets a database name may carry (a URL's password): they must never appear in messages. */
function secretOf(database: string): string | undefined {
  try {
    const password = new URL(database).password;
    return password === "" ? undefined : decodeURIComponent(password);
  } catch {
    return undefined;
  }
}

const TOMBSTONE_A = "0x" + "aa".repeat(48);
const TOMBSTONE_B = "0x" + "bb".repeat(48);
const TOMBSTONE_ROOT = "0x" + "01".repeat(32);

/** Tombstones: recorded durably (idempotent, lower case), listed, lifted, kept by prune. */
async function tombstoneBehaviour(open: () => Promise<ProtectionStore>): Promise<void> {
  const A = TOMBSTONE_A;
  const B = TOMBSTONE_B;
  const root = TOMBSTONE_ROOT;
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


export function describeProtectionStore(name: string, backend: ProtectionBackend): void {
  describe(`${name} protection store: the contract of every store`, () => {
    test("is bound to one genesis validators root and refuses another", async () => {
      const database = await backend.freshDatabase();
      await (await backend.open(database, GVR)).close();
      await assert.rejects(backend.open(database, OTHER_GVR), (err: Error) => {
        assert.ok(err instanceof GenesisMismatchError, String(err));
        assert.match(err.message, new RegExp(OTHER_GVR));
        assert.match(err.message, new RegExp(GVR));
        const secret = secretOf(database);
        if (secret !== undefined) assert.ok(!err.message.includes(secret), "no password in messages");
        return true;
      });
      const store = await backend.open(database, GVR);
      await assert.rejects(store.importHistory(OTHER_GVR, []), GenesisMismatchError);
      await store.close();
    });

    test("refuses a database written by a newer schema", async () => {
      const database = await backend.freshDatabase();
      await (await backend.open(database, GVR)).close();
      await backend.markNewerSchema(database);
      await assert.rejects(
        backend.open(database, GVR),
        (err: Error) => err instanceof ProtectionStoreError && /schema version 99, newer than this program knows \(2\); upgrade Bulwark/.test(err.message),
      );
    });

    test("tombstones of deleted keys: durable, idempotent, lifted, kept by prune; `created` only on the first open", async () => {
      const database = await backend.freshDatabase();
      await tombstoneBehaviour(() => backend.open(database, GVR));
    });

    test("records survive closing and reopening", async () => {
      const database = await backend.freshDatabase();
      const first = await backend.open(database, GVR);
      assert.equal((await first.checkAndRecord([att(1, 2)]))[0]!.allowed, true);
      await first.close();
      const second = await backend.open(database, GVR);
      const [decision] = await second.checkAndRecord([att(1, 2, 2)]);
      assert.ok(!decision!.allowed && decision!.refusal.reason === "double-vote");
      await second.close();
    });

    test("a batch is decided in order and later requests see earlier records", async () => {
      const store = await backend.open(await backend.freshDatabase(), GVR);
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

    test("checkAndRecordWith: the work gets the group's decisions, and its result comes back once the records are durable", async () => {
      const database = await backend.freshDatabase();
      const store = await backend.open(database, GVR);
      // Opened inside the try: if the second open fails, the first store is still closed.
      let other: ProtectionStore | undefined;
      try {
        other = await backend.open(database, GVR);
        const seen: string[][] = [];
        const first = store.checkAndRecordWith([att(1, 2, 1), att(1, 2, 2)], (decisions) => (seen.push(summarise(decisions)), "signed"));
        const second = store.checkAndRecordWith([att(1, 2, 1)], async (decisions) => (seen.push(summarise(decisions)), "repeat signed"));
        const [a, b] = await Promise.all([first, second]);
        assert.deepEqual(seen, [["record", "double-vote"], ["repeat"]], "each call's work saw its own decisions, in order");
        assert.equal(a.prepared, "signed");
        assert.equal(b.prepared, "repeat signed");
        assert.deepEqual(summarise(a.decisions), ["record", "double-vote"]);
        // Resolved means committed: another connection sees the record at once.
        assert.deepEqual(summarise(await other.checkAndRecord([att(1, 2, 3)])), ["double-vote"]);
        // Work that fails reaches its caller; the records of its group were committed all the same.
        await assert.rejects(store.checkAndRecordWith([att(2, 3, 1)], () => Promise.reject(new Error("signing failed"))), /signing failed/);
        assert.deepEqual(summarise(await other.checkAndRecord([att(2, 3, 2)])), ["double-vote"]);
      } finally {
        await other?.close();
        await store.close();
      }
    });

    test("50 concurrent conflicting calls for one key yield exactly one allowed", async () => {
      const store = await backend.open(await backend.freshDatabase(), GVR, { concurrency: 4 });
      const results = await Promise.all(Array.from({ length: 50 }, (_, i) => store.checkAndRecord([att(10, 11, i + 1)])));
      assert.equal(results.filter(([d]) => d!.allowed).length, 1);
      const blocks = await Promise.all(Array.from({ length: 50 }, (_, i) => store.checkAndRecord([block(7, i + 1)])));
      assert.equal(blocks.filter(([d]) => d!.allowed).length, 1);
      await store.close();
    });

    test("an import merges all or nothing and counts duplicates; the export is the merged history", async () => {
      const store = await backend.open(await backend.freshDatabase(), GVR);
      try {
        const good: ValidatorHistory = {
          pubkey: PK.toUpperCase().replace("0X", "0x"),
          blocks: [{ slot: 1, signingRoot: null }, { slot: 1, signingRoot: null }, { slot: 3, signingRoot: root(7) }],
          attestations: [{ sourceEpoch: 2, targetEpoch: 3, signingRoot: null }, { sourceEpoch: 9, targetEpoch: 4, signingRoot: root(8) }],
        };
        // A malformed record (which the parser never produces) must not leave the good one behind.
        const bad = { pubkey: "0x" + "cd".repeat(48), blocks: [{ slot: 2, signingRoot: 42 as unknown as string }], attestations: [] };
        await assert.rejects(store.importHistory(GVR, [good, bad]), /nothing was written/);
        assert.deepEqual(await store.listValidators(), []);
        const empty = { pubkey: "0x" + "ef".repeat(48), blocks: [], attestations: [] };
        assert.deepEqual(await store.importHistory(GVR, [good, empty]), { validators: 2, blocksAdded: 2, attestationsAdded: 2, duplicatesSkipped: 1 });
        assert.deepEqual(await store.importHistory(GVR, [good]), { validators: 1, blocksAdded: 0, attestationsAdded: 0, duplicatesSkipped: 5 });
        // 5->6 surrounds the imported 9->4 (slashable data imported as it was).
        assert.deepEqual(summarise(await store.checkAndRecord([att(5, 6, 3), block(4, 2)])), ["surrounds-existing", "record"]);
        const merged: ValidatorHistory = {
          pubkey: PK,
          blocks: [{ slot: 1, signingRoot: null }, { slot: 3, signingRoot: root(7) }, { slot: 4, signingRoot: root(2) }],
          attestations: [
            { sourceEpoch: 2, targetEpoch: 3, signingRoot: null },
            { sourceEpoch: 9, targetEpoch: 4, signingRoot: root(8) },
          ],
        };
        const emptyHistory = { pubkey: "0x" + "ef".repeat(48), blocks: [], attestations: [] };
        assert.deepEqual(await exportAll(store), [merged, emptyHistory]);
        const unknown = { pubkey: "0x" + "99".repeat(48), blocks: [], attestations: [] };
        assert.deepEqual(await exportAll(store, [PK, unknown.pubkey, emptyHistory.pubkey]), [merged, unknown, emptyHistory]);
        // The imported unknown root at slot 1 conflicts with everything there.
        assert.deepEqual(summarise(await store.checkAndRecord([block(1, 1), att(2, 3, 1)])), ["double-block", "double-vote"]);
      } finally {
        await store.close();
      }
    });

    test("exports stream many validators in pubkey order", async () => {
      const store = await backend.open(await backend.freshDatabase(), GVR);
      const keys = Array.from({ length: 150 }, (_, i) => "0x" + ((i * 7919) % 65536).toString(16).padStart(4, "0") + "11".repeat(46));
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
      const store = await backend.open(await backend.freshDatabase(), GVR);
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
      const database = await backend.freshDatabase();
      const store = await backend.open(database, GVR);
      assert.equal((await store.checkAndRecord([att(1, 2)]))[0]!.allowed, true);
      await backend.hideBlockTable(database);
      await assert.rejects(
        store.checkAndRecord([att(2, 3), block(1)]),
        (err: Error) => err instanceof ProtectionStoreError && /nothing signed/.test(err.message),
      );
      assert.equal((await store.health()).ok, false);
      await assert.rejects(store.checkAndRecord([block(2)]), ProtectionStoreError, "still failing while the block table is gone");
      await backend.restoreBlockTable(database);
      // The attestation of the failed group was rolled back with it: another root for 2->3 is allowed.
      assert.equal((await store.checkAndRecord([att(2, 3, 9)]))[0]!.allowed, true);
      const [history] = await exportAll(store, [PK]);
      assert.deepEqual(
        history!.attestations.filter((a) => a.targetEpoch === 3).map((a) => a.signingRoot),
        [root(9)],
      );
      assert.deepEqual(history!.blocks, [], "no block of the failed groups was recorded");
      const health = await store.health();
      assert.equal(health.ok, true, health.error);
      await store.close();
      await assert.rejects(store.checkAndRecord([att(3, 4)]), ProtectionStoreError);
    });

    test("health reports a working database with its latency", async () => {
      const store = await backend.open(await backend.freshDatabase(), GVR);
      const health = await store.health();
      assert.equal(health.ok, true, health.error);
      assert.ok(health.latencyMs >= 0);
      await store.close();
      assert.equal((await store.health()).ok, false);
    });

    test("prune: examples", async () => {
      const database = await backend.freshDatabase();
      await pruneExamples(() => backend.open(database, PROPERTY_GVR, { concurrency: 2 }));
    });

    let run = 0;
    const nextRun = () => run++;

    test("every decision of a random sequence matches the reference model", async () => {
      const store = await backend.open(await backend.freshDatabase(), PROPERTY_GVR, { concurrency: 2 });
      try {
        await modelProperty(store, nextRun, backend.propertyRuns.model);
      } finally {
        await store.close();
      }
    });

    test("export then import into a fresh database refuses exactly what the original refuses", async () => {
      const original = await backend.open(await backend.freshDatabase(), PROPERTY_GVR, { concurrency: 2 });
      // Opened inside the try: if the second open fails, the first store is still closed.
      let copy: ProtectionStore | undefined;
      try {
        copy = await backend.open(await backend.freshDatabase(), PROPERTY_GVR, { concurrency: 2 });
        await exportImportProperty(original, copy, nextRun, backend.propertyRuns.exportImport);
      } finally {
        await original.close();
        await copy?.close();
      }
    });

    test("prune never allows what the unpruned history refuses", async () => {
      const original = await backend.open(await backend.freshDatabase(), PROPERTY_GVR, { concurrency: 2 });
      // Opened inside the try: if the second open fails, the first store is still closed.
      let pruned: ProtectionStore | undefined;
      try {
        pruned = await backend.open(await backend.freshDatabase(), PROPERTY_GVR, { concurrency: 2 });
        const pair = { original, pruned };
        assertCoverage(await pruneProperty(() => pair, nextRun, backend.propertyRuns.prune)());
      } finally {
        await original.close();
        await pruned?.close();
      }
    });

    describe("the EIP-3076 interchange suite", () => {
      if (!existsSync(SUITE_DIR)) {
        test("interchange suite", (t) => t.skip(`suite not found at ${SUITE_DIR} (../shared is absent)`));
        return;
      }
      const files = listSuiteFiles(SUITE_DIR);
      test("the suite has all 38 files", () => assert.equal(files.length, 38));
      for (const file of files) {
        test(file.split("/").at(-1)!, async () => {
          const database = await backend.freshDatabase();
          const result = await runConformanceFile(file, (gvr) => backend.open(database, gvr, { concurrency: 2 }));
          assert.ok(result.checks > 0);
          assert.deepEqual(result.failures, []);
        });
      }
    });
  });
}
