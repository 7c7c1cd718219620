/**
 * Threshold BLS: the remote-signing-api 2-of-3 vector (../shared/vectors/threshold-2-of-3.json),
 * recovery from every M-subset of random splits checked against blst signing with the whole key,
 * and the refusals (too few partials, duplicate / zero / out-of-range ids, bad shares, bad points).
 */
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { PublicKey, SecretKey, Signature, verify } from "@chainsafe/blst";
import {
  componentPublicKey,
  initThreshold,
  recoverPublicKey,
  recoverSignature,
  secretKeyToPublicKey,
  splitSecret,
  splitWithCoefficients,
  ThresholdError,
  verifyShare,
  type PartialSignature,
  type ThresholdSplit,
} from "../../src/bls/threshold.js";
import { herumiModule } from "../../src/bls/threshold-herumi.js";
import { SHARED_DIR } from "../helpers/temp.js";

const VECTOR_FILE = join(SHARED_DIR, "vectors", "threshold-2-of-3.json");

/** A G1 / G2 encoding that is on the curve but outside the prime-order subgroup (blst refuses it). */
const G1_NOT_IN_SUBGROUP = Buffer.from("8123456789abcdef".repeat(6), "hex");
const CURVE_ORDER = 0x73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001n;
const G2_NOT_IN_SUBGROUP = Buffer.from("8123456789abcdef".repeat(12), "hex");

interface Vector {
  threshold: string;
  polynomial_coefficients: string[];
  signing_data: { object_root: string; domain: string };
  signing_root: string;
  composite_public_key: string;
  participants: { id: string; secret_key: string; public_key: string; signature: string }[];
  recovered_signature: string;
}

const hex = (bytes: Uint8Array) => "0x" + Buffer.from(bytes).toString("hex");
const unhex = (text: string) => Uint8Array.from(Buffer.from(text.replace(/^0x/, ""), "hex"));
const scalar = (decimal: string) => unhex(BigInt(decimal).toString(16).padStart(64, "0"));

function blstSign(secret: Uint8Array, root: Uint8Array): Uint8Array {
  return SecretKey.fromBytes(secret).sign(root).toBytes();
}

function blstVerify(root: Uint8Array, publicKey: Uint8Array, signature: Uint8Array): boolean {
  return verify(root, PublicKey.fromBytes(publicKey, true), Signature.fromBytes(signature, true));
}

/** Every k-element subset of 0..n-1, in lexicographic order. */
function subsets(n: number, k: number): number[][] {
  const out: number[][] = [];
  const walk = (start: number, chosen: number[]) => {
    if (chosen.length === k) {
      out.push([...chosen]);
      return;
    }
    for (let i = start; i <= n - (k - chosen.length); i++) walk(i + 1, [...chosen, i]);
  };
  walk(0, []);
  return out;
}

function assertThresholdError(fn: () => unknown, code: string, message?: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof ThresholdError, `expected a ThresholdError, got ${String(error)}`);
    assert.equal(error.code, code);
    if (message) assert.match(error.message, message);
    return true;
  });
}

before(async () => {
  await initThreshold();
});

describe("remote-signing-api 2-of-3 vector", () => {
  const present = existsSync(VECTOR_FILE);
  const vector = present ? (JSON.parse(readFileSync(VECTOR_FILE, "utf8")) as Vector) : undefined;
  const skip = present ? false : `${VECTOR_FILE} is absent (../shared is not checked out next to the project)`;

  test("signing root is hash_tree_root(SigningData)", { skip }, () => {
    const v = vector!;
    const root = createHash("sha256")
      .update(unhex(v.signing_data.object_root))
      .update(unhex(v.signing_data.domain))
      .digest();
    assert.equal(hex(root), v.signing_root);
  });

  test("shares, component keys and composite key from the polynomial coefficients", { skip }, () => {
    const v = vector!;
    const split = splitWithCoefficients(v.polynomial_coefficients.map(scalar), v.participants.length);
    assert.equal(split.threshold, Number(v.threshold));
    assert.equal(hex(split.compositePublicKey), v.composite_public_key);
    assert.equal(hex(split.commitments[0]!), v.composite_public_key);
    for (const p of v.participants) {
      const share = split.shares.find((s) => s.id === Number(p.id))!;
      assert.equal(hex(share.secretKey), p.secret_key, `share ${p.id}`);
      assert.equal(hex(componentPublicKey(split.commitments, share.id)), p.public_key, `component key ${p.id}`);
      assert.equal(hex(secretKeyToPublicKey(share.secretKey)), p.public_key);
      assert.equal(SecretKey.fromBytes(share.secretKey).toPublicKey().toHex(true), p.public_key, "blst agrees");
      assert.equal(verifyShare(share.id, share.secretKey, split.commitments), true);
    }
  });

  test("partial signatures (blst) and the recovered signature from every pair", { skip }, () => {
    const v = vector!;
    const root = unhex(v.signing_root);
    const partials: PartialSignature[] = v.participants.map((p) => {
      const signature = blstSign(unhex(p.secret_key), root);
      assert.equal(hex(signature), p.signature, `partial of ${p.id}`);
      assert.ok(blstVerify(root, unhex(p.public_key), signature));
      return { id: Number(p.id), signature };
    });
    for (const pair of subsets(3, 2)) {
      const chosen = pair.map((i) => partials[i]!);
      const recovered = recoverSignature(chosen, 2, { participants: 3 });
      assert.equal(hex(recovered), v.recovered_signature, `ids ${pair.map((i) => i + 1).join(",")}`);
      assert.equal(hex(recoverSignature([...chosen].reverse(), 2, { participants: 3 })), v.recovered_signature, "order does not matter");
    }
    assert.ok(blstVerify(root, unhex(v.composite_public_key), unhex(v.recovered_signature)));
    // The composite secret is the polynomial's constant coefficient: blst signing with it agrees.
    assert.equal(hex(blstSign(scalar(v.polynomial_coefficients[0]!), root)), v.recovered_signature);
    const components = v.participants.map((p) => ({ id: Number(p.id), publicKey: unhex(p.public_key) }));
    assert.equal(hex(recoverPublicKey(components.slice(1), 2, { participants: 3 })), v.composite_public_key);
  });
});

describe("random splits: every M-subset recovers the whole key's signature", () => {
  for (const [m, n] of [
    [2, 3],
    [3, 4],
    [5, 7],
    [7, 10],
  ] as const) {
    test(`${m}-of-${n}`, () => {
      const whole = SecretKey.fromKeygen(randomBytes(32));
      const secret = whole.toBytes();
      const split = splitSecret(secret, m, n);
      assert.equal(split.threshold, m);
      assert.equal(split.participants, n);
      assert.equal(split.commitments.length, m);
      assert.deepEqual(split.shares.map((s) => s.id), Array.from({ length: n }, (_, i) => i + 1));
      assert.equal(hex(split.compositePublicKey), whole.toPublicKey().toHex(true));

      const root = randomBytes(32);
      const direct = whole.sign(root).toBytes();
      const partials = split.shares.map((share) => {
        assert.ok(verifyShare(share.id, share.secretKey, split.commitments), `share ${share.id} verifies`);
        const publicKey = componentPublicKey(split.commitments, share.id);
        assert.equal(hex(publicKey), SecretKey.fromBytes(share.secretKey).toPublicKey().toHex(true));
        const signature = blstSign(share.secretKey, root);
        assert.ok(blstVerify(root, publicKey, signature), `partial ${share.id} verifies against its component key`);
        return { id: share.id, signature, publicKey };
      });

      const all = subsets(n, m);
      for (const subset of all) {
        const chosen = subset.map((i) => partials[i]!);
        const recovered = recoverSignature(chosen, m, { participants: n });
        assert.equal(hex(recovered), hex(direct), `subset ${subset.map((i) => i + 1).join(",")}`);
        assert.ok(blstVerify(root, split.compositePublicKey, recovered));
        assert.equal(hex(recoverPublicKey(chosen, m, { participants: n })), hex(split.compositePublicKey));
      }
      // Uncompressed encodings (as a coordinator holding blst objects has them) give the same.
      const uncompressed = partials.slice(n - m).map((p) => ({
        id: p.id,
        signature: Signature.fromBytes(p.signature).toBytes(false),
        publicKey: PublicKey.fromBytes(p.publicKey).toBytes(false),
      }));
      assert.equal(hex(recoverSignature(uncompressed, m, { participants: n })), hex(direct));
      assert.equal(hex(recoverPublicKey(uncompressed, m, { participants: n })), hex(split.compositePublicKey));
      // A wrong partial among M gives a signature that does not verify. gives a signature that does not verify.
      const wrong = blstSign(SecretKey.fromKeygen(randomBytes(32)).toBytes(), root);
      const forged = recoverSignature([...partials.slice(0, m - 1), { id: m, signature: wrong }], m, { participants: n });
      assert.equal(blstVerify(root, split.compositePublicKey, forged), false);
    });
  }

  test("two splits of one secret use different polynomials", () => {
    const secret = SecretKey.fromKeygen(randomBytes(32)).toBytes();
    const a = splitSecret(secret, 3, 4);
    const b = splitSecret(secret, 3, 4);
    assert.equal(hex(a.compositePublicKey), hex(b.compositePublicKey));
    assert.notEqual(hex(a.commitments[1]!), hex(b.commitments[1]!));
    assert.notEqual(hex(a.shares[0]!.secretKey), hex(b.shares[0]!.secretKey));
    assert.equal(hex(secret), hex(SecretKey.fromBytes(secret).toBytes()), "the input secret is left untouched");
  });

  test("the secret and the shares do not linger in wasm memory", () => {
    // herumi copies operands onto the wasm stack: big-endian as serialised, little-endian and in
    // Montgomery form (x * 2^256 mod r) as Fr holds them. None of the forms may remain.
    const forms = (bytes: Uint8Array): Buffer[] => {
      const x = BigInt(hex(bytes));
      const littleEndian = (v: bigint) => Buffer.from(v.toString(16).padStart(64, "0"), "hex").reverse();
      return [Buffer.from(bytes), littleEndian(x), littleEndian((x << 256n) % CURVE_ORDER)];
    };
    const assertAbsent = (when: string, secrets: Uint8Array[]) => {
      const memory = Buffer.from(herumiModule().mod.HEAP8.buffer);
      secrets.forEach((secret, i) =>
        forms(secret).forEach((form, f) => assert.equal(memory.indexOf(form), -1, `${when}: secret ${i}, form ${f}`)),
      );
    };
    const secret = SecretKey.fromKeygen(randomBytes(32)).toBytes();
    const split = splitSecret(secret, 3, 4);
    const all = [secret, ...split.shares.map((s) => s.secretKey)];
    assertAbsent("after splitSecret", all);
    assert.ok(verifyShare(2, split.shares[1]!.secretKey, split.commitments));
    assertAbsent("after verifyShare", all);
    secretKeyToPublicKey(split.shares[2]!.secretKey);
    assertAbsent("after secretKeyToPublicKey", all);
  });

  test("more than M partials: the first M are used", () => {
    const whole = SecretKey.fromKeygen(randomBytes(32));
    const split = splitSecret(whole.toBytes(), 3, 5);
    const root = randomBytes(32);
    const partials = split.shares.map((s) => ({ id: s.id, signature: blstSign(s.secretKey, root) }));
    assert.equal(hex(recoverSignature(partials, 3, { participants: 5 })), hex(whole.sign(root).toBytes()));
  });
});

describe("refusals", () => {
  let split: ThresholdSplit;
  let partials: PartialSignature[];
  const root = randomBytes(32);

  before(() => {
    split = splitSecret(SecretKey.fromKeygen(randomBytes(32)).toBytes(), 3, 4);
    partials = split.shares.map((s) => ({ id: s.id, signature: blstSign(s.secretKey, root) }));
  });

  test("M-1 partials are refused", () => {
    assertThresholdError(() => recoverSignature(partials.slice(0, 2), 3, { participants: 4 }), "too-few-partials", /2 partial signatures given, 3 needed/);
    assertThresholdError(() => recoverSignature([], 3, { participants: 4 }), "too-few-partials");
    const keys = split.shares.map((s) => ({ id: s.id, publicKey: componentPublicKey(split.commitments, s.id) }));
    assertThresholdError(() => recoverPublicKey(keys.slice(0, 2), 3, { participants: 4 }), "too-few-partials");
  });

  test("duplicate ids are refused, even with enough distinct ones", () => {
    const dup = [partials[0]!, partials[1]!, partials[0]!];
    assertThresholdError(() => recoverSignature(dup, 3, { participants: 4 }), "duplicate-id", /participant id 1 appears more than once/);
    assertThresholdError(() => recoverSignature([...partials.slice(0, 3), partials[2]!], 3, { participants: 4 }), "duplicate-id");
    // The same signature under two ids is a duplicate of another kind: it recovers garbage, which
    // the coordinator's final verification catches.
    const relabelled = [partials[0]!, partials[1]!, { id: 4, signature: partials[2]!.signature }];
    assert.equal(blstVerify(root, split.compositePublicKey, recoverSignature(relabelled, 3, { participants: 4 })), false);
  });

  test("id 0, ids above N and non-integer ids are refused", () => {
    const withId = (id: number) => [{ id, signature: partials[0]!.signature }, partials[1]!, partials[2]!];
    assertThresholdError(() => recoverSignature(withId(0), 3, { participants: 4 }), "invalid-id", /0 is the secret itself/);
    assertThresholdError(() => recoverSignature(withId(5), 3, { participants: 4 }), "invalid-id", /from 1 to 4/);
    assertThresholdError(() => recoverSignature(withId(-1), 3, { participants: 4 }), "invalid-id");
    assertThresholdError(() => recoverSignature(withId(1.5), 3, { participants: 4 }), "invalid-id");
    assertThresholdError(() => recoverSignature(withId(Number.NaN), 3, { participants: 4 }), "invalid-id");
    assertThresholdError(() => recoverSignature(withId(2 ** 40), 3), "invalid-id");
  });

  test("malformed partial signatures are refused", () => {
    const withSig = (signature: Uint8Array) => [{ id: 1, signature }, partials[1]!, partials[2]!];
    assertThresholdError(() => recoverSignature(withSig(new Uint8Array(95)), 3, { participants: 4 }), "invalid-signature", /participant 1 is not 96 bytes/);
    assertThresholdError(() => recoverSignature(withSig(new Uint8Array(96)), 3, { participants: 4 }), "invalid-signature", /not a valid G2 point/);
    assertThresholdError(() => recoverSignature(withSig(G2_NOT_IN_SUBGROUP), 3, { participants: 4 }), "invalid-signature", /not a valid G2 point/);
    const infinity = new Uint8Array(96);
    infinity[0] = 0xc0;
    assertThresholdError(() => recoverSignature(withSig(infinity), 3, { participants: 4 }), "invalid-signature", /infinity/);
    assert.throws(() => Signature.fromBytes(G2_NOT_IN_SUBGROUP, true), "blst agrees the point is outside G2");
    const uncompressedOffCurve = Signature.fromBytes(partials[0]!.signature).toBytes(false);
    uncompressedOffCurve[100]! ^= 0x01;
    assertThresholdError(() => recoverSignature(withSig(uncompressedOffCurve), 3, { participants: 4 }), "invalid-signature", /not a valid G2 point/);
    // herumi's own subgroup checks, switched off while it reads blst-validated points, are back on.
    assert.throws(() => new (herumiModule().Signature)().deserialize(G2_NOT_IN_SUBGROUP));
    assert.throws(() => new (herumiModule().PublicKey)().deserialize(G1_NOT_IN_SUBGROUP));
  });

  test("bad threshold or participants are refused", () => {
    assertThresholdError(() => recoverSignature(partials, 0, { participants: 4 }), "invalid-parameters");
    assertThresholdError(() => recoverSignature(partials, 5, { participants: 4 }), "invalid-parameters");
    const secret = SecretKey.fromKeygen(randomBytes(32)).toBytes();
    assertThresholdError(() => splitSecret(secret, 1, 3), "invalid-parameters", /threshold/);
    assertThresholdError(() => splitSecret(secret, 4, 3), "invalid-parameters", /threshold/);
    assertThresholdError(() => splitSecret(secret, 2, 1), "invalid-parameters", /participants/);
    assertThresholdError(() => splitSecret(secret, 2, 1001), "invalid-parameters", /participants/);
    assertThresholdError(() => splitSecret(secret, 2.5, 3), "invalid-parameters");
  });

  test("invalid secrets are refused", () => {
    assertThresholdError(() => splitSecret(new Uint8Array(32), 2, 3), "invalid-secret", /zero/);
    assertThresholdError(() => splitSecret(new Uint8Array(31).fill(1), 2, 3), "invalid-secret", /32 bytes/);
    const order = unhex("73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001");
    assertThresholdError(() => splitSecret(order, 2, 3), "invalid-secret", /group order/);
    assertThresholdError(() => splitWithCoefficients([scalar("1"), new Uint8Array(32)], 3), "invalid-secret", /coefficient 1 is zero/);
  });

  test("a wrong or tampered share fails verifyShare", () => {
    const [s1, s2] = split.shares;
    assert.equal(verifyShare(1, s1!.secretKey, split.commitments), true);
    assert.equal(verifyShare(2, s1!.secretKey, split.commitments), false, "share 1 presented as id 2");
    assert.equal(verifyShare(1, s2!.secretKey, split.commitments), false, "share 2 presented as id 1");
    for (const position of [0, 15, 31]) {
      const tampered = Uint8Array.from(s1!.secretKey);
      tampered[position]! ^= 0x01;
      assert.equal(verifyShare(1, tampered, split.commitments), false, `bit flipped in byte ${position}`);
    }
    assert.equal(verifyShare(1, new Uint8Array(32), split.commitments), false, "zero share");
    assert.equal(verifyShare(1, new Uint8Array(32).fill(0xff), split.commitments), false, "not a scalar");
    assert.equal(verifyShare(1, s1!.secretKey.subarray(1), split.commitments), false, "short share");
    const other = splitSecret(SecretKey.fromKeygen(randomBytes(32)).toBytes(), 3, 4);
    assert.equal(verifyShare(1, s1!.secretKey, other.commitments), false, "commitments of another pool");
    // Commitments of a lower-degree polynomial or a swapped order do not match either.
    // (At x = 1 every power of x is 1, so the order of the commitments shows only from x = 2.)
    assert.equal(verifyShare(1, s1!.secretKey, split.commitments.slice(0, 2)), false);
    assert.equal(verifyShare(2, s2!.secretKey, split.commitments), true);
    assert.equal(verifyShare(2, s2!.secretKey, [...split.commitments].reverse()), false);
  });

  test("invalid commitments or ids are refused by verifyShare and componentPublicKey", () => {
    const share = split.shares[0]!.secretKey;
    assertThresholdError(() => verifyShare(0, share, split.commitments), "invalid-id");
    assertThresholdError(() => componentPublicKey(split.commitments, 0), "invalid-id");
    assertThresholdError(() => verifyShare(1, share, [split.commitments[0]!]), "invalid-commitments");
    const withCommitment = (c: Uint8Array) => [split.commitments[0]!, split.commitments[1]!, c];
    assertThresholdError(() => verifyShare(1, share, withCommitment(new Uint8Array(47))), "invalid-commitments", /commitment 2 is not 48 bytes/);
    assertThresholdError(() => verifyShare(1, share, withCommitment(G1_NOT_IN_SUBGROUP)), "invalid-commitments", /not a valid G1 point/);
    const infinity = new Uint8Array(48);
    infinity[0] = 0xc0;
    assertThresholdError(() => verifyShare(1, share, withCommitment(infinity)), "invalid-commitments", /infinity/);
    assert.throws(() => PublicKey.fromBytes(G1_NOT_IN_SUBGROUP, true), "blst agrees the point is outside G1");
  });
});
