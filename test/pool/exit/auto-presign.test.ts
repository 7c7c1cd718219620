/**
 * The aggregator pre-signs the exit by itself once the beacon node reports the validator active,
 * keeps asking while it is not known, and destroys the whole key only after the exit is stored.
 */
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { after, test } from "node:test";
import { PublicKey, Signature, verify } from "@chainsafe/blst";
import { pino } from "pino";
import { startAutoPresign } from "../../../src/pool/exit/auto-presign.js";
import { readPresignedExit } from "../../../src/pool/exit/exit.js";
import { wholeKeyState } from "../../../src/pool/storage/whole-key.js";
import { fromHex, HOODI, makeAggregator, makeOperator, makePool, Scratch, SECRET } from "../ceremony/ceremony-fixtures.js";
import { lodestarExitSigningRoot, startBeaconStandIn } from "./exit-beacon.js";

const scratch = new Scratch();
after(() => scratch.cleanup());

test("pre-signs once the beacon node knows the validator, then the whole key is gone", async (t) => {
  const operators = await Promise.all([1, 2, 3, 4].map(() => makeOperator(scratch)));
  const aggregator = makeAggregator(scratch);
  const created = await makePool(scratch, aggregator, operators);
  const composite = created.pool.compositePublicKey;
  const validators: Record<number, string> = {};
  const beacon = await startBeaconStandIn(HOODI, validators);
  // Closed even if the pre-signer fails to start, before the try below.
  t.after(() => beacon.close());
  const lines: Array<{ msg: string }> = [];
  const logger = pino(
    { level: "info" },
    new Writable({
      write(chunk: Buffer, _encoding, callback) {
        lines.push(JSON.parse(chunk.toString("utf8")) as { msg: string });
        callback();
      },
    }),
  );
  const presigner = startAutoPresign({ dataDir: aggregator, pool: created.pool, beaconNodes: [beacon.url], sealingSecret: SECRET, logger, intervalMs: 100 });
  try {
    // Not deposited yet: it keeps the key and asks again.
    await new Promise((resolve) => setTimeout(resolve, 350));
    assert.equal(await wholeKeyState(aggregator, composite, SECRET), "present");
    assert.ok(lines.filter((l) => /not known to the beacon node yet/.test(l.msg)).length >= 2, JSON.stringify(lines));
    assert.throws(() => readPresignedExit(aggregator, created.pool));

    validators[4242] = composite;
    await Promise.race([presigner.done, new Promise((_, reject) => setTimeout(() => reject(new Error("not pre-signed in 10 s")), 10_000))]);

    const stored = readPresignedExit(aggregator, created.pool).json as { message: { epoch: string; validator_index: string }; signature: string };
    assert.equal(stored.message.validator_index, "4242");
    const root = lodestarExitSigningRoot(HOODI, Number(stored.message.epoch), 4242);
    assert.ok(verify(root, PublicKey.fromBytes(fromHex(composite)), Signature.fromBytes(fromHex(stored.signature), true, true)));
    assert.notEqual(await wholeKeyState(aggregator, composite, SECRET), "present");
    assert.ok(lines.some((l) => /the whole validator key is destroyed/.test(l.msg)));
  } finally {
    presigner.stop();
  }
});
