/**
 * The aggregator's late-partial thread (src/pool/late-verify.ts): a real partial verifies, one by
 * another key or over another root does not, many at once each get their own verdict, the queue is
 * bounded, and a closed verifier answers "not valid" rather than hanging.
 */
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { SecretKey, Signature } from "@chainsafe/blst";
import { LatePartialVerifier } from "../../../src/pool/signing/late-verify.js";
import type { CandidatePartial } from "../../../src/pool/signing/quorum.js";

function partial(id: number, signer: SecretKey, claimedKey: SecretKey, root: Uint8Array): CandidatePartial {
  return { id, signature: Signature.fromBytes(signer.sign(root).toBytes(), true), componentKey: claimedKey.toPublicKey() };
}

describe("LatePartialVerifier", () => {
  const verifier = new LatePartialVerifier();
  after(() => verifier.close());
  const share = SecretKey.fromKeygen(randomBytes(32));
  const other = SecretKey.fromKeygen(randomBytes(32));
  const root = new Uint8Array(randomBytes(32));

  test("an honest partial verifies; one by another key, or over another root, does not", async () => {
    assert.equal(await verifier.verify(root, partial(1, share, share, root)), true);
    assert.equal(await verifier.verify(root, partial(2, other, share, root)), false);
    assert.equal(await verifier.verify(root, partial(3, share, share, new Uint8Array(randomBytes(32)))), false);
  });

  test("checks in flight together each get their own verdict", async () => {
    const honest = Array.from({ length: 6 }, (_, i) => verifier.verify(root, partial(i, share, share, root)));
    const forged = Array.from({ length: 6 }, (_, i) => verifier.verify(root, partial(i, other, share, root)));
    assert.deepEqual(await Promise.all(honest), Array(6).fill(true));
    assert.deepEqual(await Promise.all(forged), Array(6).fill(false));
  });

  test("beyond the queue's bound a late partial is left unchecked (undefined), the queued ones still get verdicts", async () => {
    const bounded = new LatePartialVerifier(2);
    try {
      const checks = [partial(1, share, share, root), partial(2, other, share, root), partial(3, share, share, root)].map((p) => bounded.verify(root, p));
      assert.deepEqual(await Promise.all(checks), [true, false, undefined]);
      // Once the queue has drained, checks are made again.
      assert.equal(await bounded.verify(root, partial(4, share, share, root)), true);
    } finally {
      await bounded.close();
    }
  });

  test("after close, a check answers not valid at once", async () => {
    const closed = new LatePartialVerifier();
    assert.equal(await closed.verify(root, partial(1, share, share, root)), true);
    await closed.close();
    assert.equal(await closed.verify(root, partial(1, share, share, root)), false);
  });
});
