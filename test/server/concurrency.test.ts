// Serialisation (docs/SAFETY.md) over real HTTP: concurrent conflicting requests for one validator yield exactly one
// signature, and the one recorded message is the one that was signed.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { ForkName } from "@lodestar/params";
import { attestationCase, headerBlockCase, type SigningCase, startSlot } from "./cases.js";
import { expectedSignature, type Signer, startSigner, type TestKey, verifies } from "./harness.js";

const N = 50;

interface Exported {
  data: Array<{
    pubkey: string;
    signed_blocks: Array<{ slot: string; signing_root?: string }>;
    signed_attestations: Array<{ source_epoch: string; target_epoch: string; signing_root?: string }>;
  }>;
}

describe("concurrent conflicting requests over HTTP", () => {
  let signer: Signer;
  before(async () => {
    signer = await startSigner({ keys: 4 });
  });
  after(async () => {
    await signer?.close();
  });

  /** Fires every case at once for one key; returns [case index, status, body] per request. */
  async function burst(key: TestKey, cases: SigningCase[]) {
    return Promise.all(
      cases.map(async (c, i) => {
        const response = await signer.post(`/api/v1/eth2/sign/${key.pubkey}`, c.body, { accept: "application/json" });
        return { i, status: response.status, json: (await response.json()) as Record<string, unknown> };
      }),
    );
  }

  /** Exactly one 200 whose signature is the key's over its own case's root; the rest 412. */
  function exactlyOneWinner(key: TestKey, cases: SigningCase[], results: Awaited<ReturnType<typeof burst>>) {
    const winners = results.filter((r) => r.status === 200);
    const refused = results.filter((r) => r.status === 412);
    assert.equal(winners.length, 1, `statuses: ${results.map((r) => r.status).join(",")}`);
    assert.equal(refused.length, N - 1);
    for (const r of refused) assert.equal(r.json.signature, undefined);
    const winner = winners[0]!;
    const signature = winner.json.signature as string;
    assert.equal(signature, expectedSignature(key, cases[winner.i]!.root));
    assert.ok(verifies(key, cases[winner.i]!.root, signature));
    return cases[winner.i]!;
  }

  test(`${N} concurrent attestations for one target with different roots: one 200, ${N - 1} × 412`, async () => {
    const key = signer.keys[0]!;
    const cases = Array.from({ length: N }, (_, i) => attestationCase(300, 301, 100 + i));
    assert.equal(new Set(cases.map((c) => c.root)).size, N);
    const results = await burst(key, cases);
    const won = exactlyOneWinner(key, cases, results);
    for (const r of results.filter((r) => r.status === 412)) assert.match(r.json.message as string, /double vote for target 301/);
    // The database holds exactly the signed vote.
    const exported = JSON.parse(await signer.core.exportProtection([key.pubkey])) as Exported;
    assert.deepEqual(exported.data[0]!.signed_attestations, [{ source_epoch: "300", target_epoch: "301", signing_root: won.root }]);
  });

  test(`${N} concurrent blocks for one slot with different roots: one 200, ${N - 1} × 412`, async () => {
    const key = signer.keys[1]!;
    const slot = startSlot(ForkName.fulu) + 12345;
    const cases = Array.from({ length: N }, (_, i) => headerBlockCase("FULU", slot, 100 + i));
    assert.equal(new Set(cases.map((c) => c.root)).size, N);
    const results = await burst(key, cases);
    const won = exactlyOneWinner(key, cases, results);
    for (const r of results.filter((r) => r.status === 412)) assert.match(r.json.message as string, new RegExp(`double block at slot ${slot}`));
    const exported = JSON.parse(await signer.core.exportProtection([key.pubkey])) as Exported;
    assert.deepEqual(exported.data[0]!.signed_blocks, [{ slot: String(slot), signing_root: won.root }]);
  });

  test(`${N} concurrent mutually surrounding attestations: exactly one is signed`, async () => {
    // Votes (s, t) with s = 400 - i, t = 500 + i all surround each other pairwise: only one may win.
    const key = signer.keys[2]!;
    const cases = Array.from({ length: N }, (_, i) => attestationCase(400 - i, 500 + i));
    const results = await burst(key, cases);
    exactlyOneWinner(key, cases, results);
    const exported = JSON.parse(await signer.core.exportProtection([key.pubkey])) as Exported;
    assert.equal(exported.data[0]!.signed_attestations.length, 1);
  });

  test(`${N} concurrent identical attestations all sign, with one record`, async () => {
    const key = signer.keys[3]!;
    const c = attestationCase(600, 601, 7);
    const results = await burst(key, Array.from({ length: N }, () => c));
    const expected = expectedSignature(key, c.root);
    for (const r of results) {
      assert.equal(r.status, 200, JSON.stringify(r.json));
      assert.equal(r.json.signature, expected);
    }
    const exported = JSON.parse(await signer.core.exportProtection([key.pubkey])) as Exported;
    assert.deepEqual(exported.data[0]!.signed_attestations, [{ source_epoch: "600", target_epoch: "601", signing_root: c.root }]);
  });
});
