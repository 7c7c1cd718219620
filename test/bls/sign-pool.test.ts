/**
 * The signing pool (src/bls/sign-pool.ts): every signature it hands out is the one blst makes with
 * that item's own key over that item's own root, whatever the chunking, the number of workers and
 * the order replies arrive in; keys it does not hold (never loaded, or removed) are refused.
 */
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { SecretKey } from "@chainsafe/blst";
import { SignPool } from "../../src/bls/sign-pool.js";

const hex = (bytes: Uint8Array) => "0x" + Buffer.from(bytes).toString("hex");

function makeKeys(count: number): Array<{ pubkey: string; secret: SecretKey; secretKey: Uint8Array }> {
  return Array.from({ length: count }, () => {
    const secret = SecretKey.fromKeygen(randomBytes(32));
    return { pubkey: hex(secret.toPublicKey().toBytes()), secret, secretKey: secret.toBytes() };
  });
}

describe("SignPool", () => {
  const pools: SignPool[] = [];
  after(async () => {
    await Promise.all(pools.map((pool) => pool.close()));
  });
  const open = (size: number) => {
    const pool = new SignPool(size);
    pools.push(pool);
    return pool;
  };

  test("a burst larger than a chunk, over two workers: each item gets its own key's signature of its own root", async () => {
    const pool = open(2);
    const keys = makeKeys(7);
    pool.addKeys(keys);
    // 150 items: several chunks per worker, and more than one reply per chunk on a slow machine.
    const items = Array.from({ length: 150 }, (_, i) => ({ key: keys[i % keys.length]!, root: new Uint8Array(randomBytes(32)) }));
    const signatures = await Promise.all(items.map(({ key, root }) => pool.sign(key.pubkey, root)));
    signatures.forEach((signature, i) => {
      const { key, root } = items[i]!;
      assert.equal(hex(signature), hex(key.secret.sign(root).toBytes()), `item ${i}`);
    });
  });

  test("batch items and single items interleaved in one turn: each gets its own key's signature of its own root", async () => {
    const pool = open(2);
    const keys = makeKeys(5);
    pool.addKeys(keys);
    // Batch items travel in chunks of their own (one reply per chunk): the split must not mix them up.
    const items = Array.from({ length: 90 }, (_, i) => ({ key: keys[i % keys.length]!, root: new Uint8Array(randomBytes(32)), batched: i % 3 !== 0 }));
    const signatures = await Promise.all(items.map(({ key, root, batched }) => pool.sign(key.pubkey, root, { batched })));
    signatures.forEach((signature, i) => {
      const { key, root } = items[i]!;
      assert.equal(hex(signature), hex(key.secret.sign(root).toBytes()), `item ${i} (${items[i]!.batched ? "batched" : "single"})`);
    });
  });

  test("requests spread over several event-loop turns, one worker", async () => {
    const pool = open(1);
    const keys = makeKeys(3);
    pool.addKeys(keys);
    const pending: Array<Promise<void>> = [];
    for (let turn = 0; turn < 5; turn++) {
      for (const key of keys) {
        const root = new Uint8Array(randomBytes(32));
        pending.push(pool.sign(key.pubkey, root).then((signature) => assert.equal(hex(signature), hex(key.secret.sign(root).toBytes()))));
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all(pending);
  });

  test("the root is copied when the request is made: changing the caller's buffer afterwards changes nothing", async () => {
    const pool = open(1);
    const [key] = makeKeys(1);
    pool.addKeys([key!]);
    const root = new Uint8Array(randomBytes(32));
    const expected = hex(key!.secret.sign(root).toBytes());
    const signing = pool.sign(key!.pubkey, root);
    root.fill(0);
    assert.equal(hex(await signing), expected);
  });

  test("a key never loaded and a removed key are refused; the others still sign", async () => {
    const pool = open(2);
    const [kept, removed, never] = makeKeys(3);
    pool.addKeys([kept!, removed!]);
    pool.removeKeys([removed!.pubkey]);
    const root = new Uint8Array(32).fill(7);
    await assert.rejects(pool.sign(removed!.pubkey, root), /no secret key loaded for 0x/);
    await assert.rejects(pool.sign(never!.pubkey, root), /no secret key loaded for 0x/);
    assert.equal(hex(await pool.sign(kept!.pubkey, root)), hex(kept!.secret.sign(root).toBytes()));
    // Loaded again after removal: signs again.
    pool.addKeys([removed!]);
    assert.equal(hex(await pool.sign(removed!.pubkey, root)), hex(removed!.secret.sign(root).toBytes()));
  });

  test("a key loaded again signs with the secret given last, and one removal removes it", async () => {
    const pool = open(2);
    const [first, second] = makeKeys(2);
    // The same pubkey handed over twice, the second time with another secret (the core never does
    // this): the last one signs, and a single removal leaves none.
    pool.addKeys([first!]);
    pool.addKeys([{ pubkey: first!.pubkey, secretKey: second!.secretKey }]);
    const root = new Uint8Array(32).fill(9);
    assert.equal(hex(await pool.sign(first!.pubkey, root)), hex(second!.secret.sign(root).toBytes()));
    pool.removeKeys([first!.pubkey]);
    await assert.rejects(pool.sign(first!.pubkey, root), /no secret key loaded/);
  });

  test("a root that is not 32 bytes is refused before it reaches a worker", async () => {
    const pool = open(1);
    const [key] = makeKeys(1);
    pool.addKeys([key!]);
    await assert.rejects(pool.sign(key!.pubkey, new Uint8Array(31)), /32 bytes, not 31/);
  });

  test("within one long event-loop turn, as in a burst: a request reaches an idle thread and its signature comes back", async () => {
    const pool = open(1);
    const [key] = makeKeys(1);
    pool.addKeys([key!]);
    await pool.sign(key!.pubkey, new Uint8Array(32));
    const root = new Uint8Array(randomBytes(32));
    let signature: Uint8Array | undefined;
    void pool.sign(key!.pubkey, root).then((made) => (signature = made));
    // Only microtasks from here on: neither the request nor the reply can wait for the loop's next turn.
    const deadline = performance.now() + 10_000;
    while (signature === undefined) {
      assert.ok(performance.now() < deadline, "the signature did not come back within one turn");
      assert.ok(pool.backlog <= 1);
      await Promise.resolve();
    }
    assert.equal(hex(signature), hex(key!.secret.sign(root).toBytes()));
    assert.equal(pool.backlog, 0);
  });

  test("a closed pool refuses to sign", async () => {
    const pool = new SignPool(1);
    const [key] = makeKeys(1);
    pool.addKeys([key!]);
    await pool.close();
    await assert.rejects(pool.sign(key!.pubkey, new Uint8Array(32)), /signing pool is closed/);
  });
});
