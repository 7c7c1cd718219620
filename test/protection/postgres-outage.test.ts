/**
 * Fail closed through a database outage, and come back without a restart: the embedded server is
 * stopped under load, every call then rejects and nothing is allowed; once the server is started
 * again on the same data directory, the SAME store object allows again, and every record that was
 * acknowledged before the outage is still there.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { PostgresProtectionStore } from "../../src/protection/postgres-store.js";
import { ProtectionStoreError } from "../../src/protection/store.js";
import type { ProtectionRequest } from "../../src/protection/types.js";
import { startTestPostgres, TEST_PG_URL_ENV, type TestPostgres } from "../helpers/postgres.js";

const GVR = "0x" + "55".repeat(32);
const KEYS = ["0x" + "a1".repeat(48), "0x" + "b2".repeat(48), "0x" + "c3".repeat(48), "0x" + "d4".repeat(48)];
const PROBE_KEY = "0x" + "e5".repeat(48);
const root = (n: number) => "0x" + n.toString(16).padStart(64, "0");
const att = (pubkey: string, epoch: number, n = 1): ProtectionRequest => ({
  kind: "attestation",
  pubkey,
  sourceEpoch: epoch,
  targetEpoch: epoch + 1,
  signingRoot: root(n),
});

async function waitFor(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await condition())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

describe("PostgreSQL store through a server outage", () => {
  let server: TestPostgres;
  before(async () => {
    server = await startTestPostgres();
  });
  after(async () => {
    await server?.close();
  });

  test("rejects everything while the server is down, resumes by itself, loses no acknowledged record", { timeout: 60_000 }, async (t) => {
    if (!server.embedded) {
      t.skip(`needs the embedded server to stop and start it (${TEST_PG_URL_ENV} is set)`);
      return;
    }
    const url = await server.freshDatabase();
    const store = await PostgresProtectionStore.open(url, GVR, { poolSize: 4, statementTimeoutMs: 2000 });
    const acknowledged: { pubkey: string; epoch: number }[] = [];
    let failures = 0;
    let running = true;
    // One worker per key, each signing the next epoch as soon as the last one was answered.
    const workers = KEYS.map(async (pubkey) => {
      for (let epoch = 1; running; epoch++) {
        try {
          const [decision] = await store.checkAndRecord([att(pubkey, epoch)]);
          assert.ok(decision!.allowed, `epoch ${epoch} refused: ${JSON.stringify(decision)}`);
          acknowledged.push({ pubkey, epoch });
        } catch (err) {
          if (!(err instanceof ProtectionStoreError)) throw err;
          failures++;
          await sleep(2);
        }
      }
    });
    const stopWorkers = async () => {
      running = false;
      await Promise.all(workers);
    };

    try {
      await waitFor(() => acknowledged.length >= 200, "200 records acknowledged before the outage");
      await server.stopServer();
      // Answers already on the wire when the server went away may still be delivered; then nothing.
      await sleep(50);
      const acknowledgedAtStop = acknowledged.length;

      const probes = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => store.checkAndRecord([att(PROBE_KEY, 100 + i)])));
      assert.ok(
        probes.every((p) => p.status === "rejected" && p.reason instanceof ProtectionStoreError && /nothing signed/.test(p.reason.message)),
        JSON.stringify(probes.map((p) => (p.status === "rejected" ? String(p.reason) : p.value))),
      );
      const health = await store.health();
      assert.equal(health.ok, false);
      assert.ok(health.error !== undefined);
      await sleep(300);
      assert.equal(acknowledged.length, acknowledgedAtStop, "nothing may be allowed while the database is down");
      assert.ok(failures > 0, "the workers kept trying and failing");

      await server.startServer();
      const restarted = performance.now();
      // The same store object, never reopened.
      let resumed = false;
      await waitFor(async () => {
        try {
          resumed ||= (await store.checkAndRecord([att(PROBE_KEY, 1000)]))[0]!.allowed;
        } catch (err) {
          assert.ok(err instanceof ProtectionStoreError, String(err));
        }
        return resumed;
      }, "the store allowing again after the server restarted");
      const resumedAfterMs = performance.now() - restarted;
      const before = acknowledged.length;
      await waitFor(() => acknowledged.length >= before + 100, "the workers signing again");
      await stopWorkers();
      assert.equal((await store.health()).ok, true);

      // Every acknowledged record is in the database, and enforced: another root for it is refused.
      const recorded = new Set<string>();
      for await (const history of store.exportHistory()) {
        for (const a of history.attestations) recorded.add(`${history.pubkey}/${a.sourceEpoch}/${a.targetEpoch}`);
      }
      const lost = acknowledged.filter(({ pubkey, epoch }) => !recorded.has(`${pubkey}/${epoch}/${epoch + 1}`));
      assert.deepEqual(lost, []);
      for (const pubkey of KEYS) {
        const mine = acknowledged.filter((a) => a.pubkey === pubkey).slice(-50);
        const decisions = await store.checkAndRecord(mine.map(({ epoch }) => att(pubkey, epoch, 2)));
        assert.ok(decisions.every((d) => !d.allowed && d.refusal.reason === "double-vote"));
      }
      t.diagnostic(
        `${acknowledgedAtStop} acknowledged before the outage, ${failures} calls failed in all, resumed ${resumedAfterMs.toFixed(0)} ms after the server, ${acknowledged.length} acknowledged in all`,
      );
    } finally {
      // Whatever failed above, the workers must stop, or the test file never ends.
      await stopWorkers().catch(() => undefined);
      await store.close();
    }
  });
});
