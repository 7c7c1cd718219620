/**
 * Share envelopes: a round trip through JSON, and each refusal with its own error: tampering
 * (any byte of any field), another pool, another participant, another recipient, an unknown
 * version, a malformed envelope.
 */
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { SecretKey } from "@chainsafe/blst";
import { initThreshold, splitSecret, verifyShare, type ThresholdSplit } from "../../../src/bls/threshold.js";
import { generateIdentity, importIdentityPrivateKey, type OperatorIdentity } from "../../../src/pool/identity.js";
import {
  decryptShare,
  encryptShare,
  IntegrityError,
  MalformedEnvelopeError,
  ParticipantMismatchError,
  PoolMismatchError,
  RecipientMismatchError,
  SHARE_ENVELOPE_VERSION,
  ShareEnvelopeError,
  UnsupportedEnvelopeVersionError,
  type ShareEnvelope,
} from "../../../src/pool/ceremony/share-crypto.js";

const hex = (bytes: Uint8Array) => "0x" + Buffer.from(bytes).toString("hex");

let pool: ThresholdSplit;
let otherPool: ThresholdSplit;
let operators: OperatorIdentity[];
let envelopes: ShareEnvelope[];

before(async () => {
  await initThreshold();
  pool = splitSecret(SecretKey.fromKeygen(randomBytes(32)).toBytes(), 2, 3);
  otherPool = splitSecret(SecretKey.fromKeygen(randomBytes(32)).toBytes(), 2, 3);
  operators = pool.shares.map(() => generateIdentity());
  // The ceremony: each share to its operator, through JSON as it would travel.
  envelopes = pool.shares.map((share, i) =>
    JSON.parse(
      JSON.stringify(
        encryptShare({
          shareSecret: share.secretKey,
          shareId: share.id,
          compositePublicKey: pool.compositePublicKey,
          recipientIdentityPublicKey: operators[i]!.id,
        }),
      ),
    ) as ShareEnvelope,
  );
});

const expectedFor = (i: number) => ({ compositePublicKey: pool.compositePublicKey, shareId: pool.shares[i]!.id });

/** Asserts that `fn` throws the given ShareEnvelopeError subclass (and code), and returns its message. */
function refusal(fn: () => unknown, kind: new (...args: never[]) => ShareEnvelopeError, code: string): string {
  let message = "";
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof kind, `expected ${kind.name}, got ${String(error)}`);
    assert.ok(error instanceof ShareEnvelopeError);
    assert.equal(error.code, code);
    message = error.message;
    return true;
  });
  return message;
}

describe("round trip", () => {
  test("every operator decrypts its own share, which verifies against the commitments", () => {
    pool.shares.forEach((share, i) => {
      const envelope = envelopes[i]!;
      assert.equal(envelope.version, SHARE_ENVELOPE_VERSION);
      assert.equal(envelope.shareId, share.id);
      assert.equal(envelope.compositePublicKey, hex(pool.compositePublicKey));
      assert.equal(envelope.recipient, operators[i]!.id);
      assert.deepEqual(Object.keys(envelope).sort(), [
        "ciphertext",
        "compositePublicKey",
        "ephemeralPublicKey",
        "nonce",
        "recipient",
        "salt",
        "shareId",
        "tag",
        "version",
      ]);
      assert.ok(!JSON.stringify(envelope).includes(Buffer.from(share.secretKey).toString("hex")));
      assert.ok(!JSON.stringify(envelope).includes(Buffer.from(share.secretKey).toString("base64url")));
      const secret = decryptShare(envelope, operators[i]!.privateKey, expectedFor(i));
      assert.deepEqual(secret, share.secretKey);
      assert.ok(verifyShare(share.id, secret, pool.commitments));
    });
  });

  test("the composite key may be given as hex, either case", () => {
    const upper = "0x" + Buffer.from(pool.compositePublicKey).toString("hex").toUpperCase();
    const secret = decryptShare(envelopes[0]!, operators[0]!.privateKey, { compositePublicKey: upper, shareId: 1 });
    assert.deepEqual(secret, pool.shares[0]!.secretKey);
  });

  test("each encryption is fresh: ephemeral key, salt, nonce and ciphertext differ", () => {
    const input = {
      shareSecret: pool.shares[0]!.secretKey,
      shareId: 1,
      compositePublicKey: hex(pool.compositePublicKey),
      recipientIdentityPublicKey: operators[0]!.publicKey,
    };
    const a = encryptShare(input);
    const b = encryptShare(input);
    for (const field of ["ephemeralPublicKey", "salt", "nonce", "ciphertext", "tag"] as const) assert.notEqual(a[field], b[field], field);
    assert.deepEqual(decryptShare(b, operators[0]!.privateKey, expectedFor(0)), pool.shares[0]!.secretKey);
  });

  test("the input share is left untouched", () => {
    const copy = Uint8Array.from(pool.shares[1]!.secretKey);
    encryptShare({ shareSecret: copy, shareId: 2, compositePublicKey: pool.compositePublicKey, recipientIdentityPublicKey: operators[1]!.id });
    assert.deepEqual(copy, pool.shares[1]!.secretKey);
  });
});

test("a version 1 envelope made earlier still decrypts (the format is frozen)", () => {
  // Recipient: RFC 7748 section 6.1's Bob. Share: the 2-of-3 vector's share 1 (secret 3) of the
  // composite key 1·G1.
  const bob = importIdentityPrivateKey(Buffer.from("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb", "hex"));
  const composite = "0x97f1d3a73197d7942695638c4fa9ac0fc3688c4f9774b905a14e3a3f171bac586c55e83ff97a1aeffb3af00adb22c6bb";
  const frozen = {
    version: 1,
    shareId: 1,
    compositePublicKey: composite,
    recipient: "x25519:3p7bfXt9wbTTW2HC7OQ1Nz-DQ8hbeGdNrfx-FG-IK08",
    ephemeralPublicKey: "x25519:6hJ_dgalEeZGW75SNckLH_TfWW0C1XXCDNVunWLVyUQ",
    salt: "7pp3WoacWui6r4L1wgbxsOYOiZoEpSNAdQxC3_TMtck",
    nonce: "vgPttJK6Xu0bnZhu",
    ciphertext: "qYq3idy-4dX7-urv8jiao5s0VV7uwelG3WZ5A8JFCaI",
    tag: "h0-Z5v8hkOd0D_ceFHxV5A",
  };
  assert.equal(bob.id, frozen.recipient);
  const secret = decryptShare(frozen, bob.privateKey, { compositePublicKey: composite, shareId: 1 });
  assert.equal(Buffer.from(secret).toString("hex"), "00".repeat(31) + "03");
});

describe("refusals", () => {
  const decrypt0 = (envelope: unknown) => () => decryptShare(envelope, operators[0]!.privateKey, expectedFor(0));

  test("a tampered ciphertext or tag", () => {
    const envelope = envelopes[0]!;
    for (const field of ["ciphertext", "tag"] as const) {
      const bytes = Buffer.from(envelope[field], "base64url");
      for (const position of [0, bytes.length - 1]) {
        const tampered = Buffer.from(bytes);
        tampered[position]! ^= 0x01;
        const message = refusal(decrypt0({ ...envelope, [field]: tampered.toString("base64url") }), IntegrityError, "integrity-failure");
        assert.match(message, /altered or corrupted/);
      }
    }
  });

  test("a tampered salt, nonce or ephemeral key", () => {
    const envelope = envelopes[0]!;
    for (const field of ["salt", "nonce"] as const) {
      const bytes = Buffer.from(envelope[field], "base64url");
      bytes[3]! ^= 0x80;
      refusal(decrypt0({ ...envelope, [field]: bytes.toString("base64url") }), IntegrityError, "integrity-failure");
    }
    refusal(decrypt0({ ...envelope, ephemeralPublicKey: generateIdentity().id }), IntegrityError, "integrity-failure");
  });

  test("a share for another pool", () => {
    const message = refusal(
      () => decryptShare(envelopes[0]!, operators[0]!.privateKey, { compositePublicKey: otherPool.compositePublicKey, shareId: 1 }),
      PoolMismatchError,
      "pool-mismatch",
    );
    assert.ok(message.includes(hex(pool.compositePublicKey)) && message.includes(hex(otherPool.compositePublicKey)), message);
    // Relabelling the envelope for the other pool does not get past authentication.
    refusal(
      () =>
        decryptShare({ ...envelopes[0]!, compositePublicKey: hex(otherPool.compositePublicKey) }, operators[0]!.privateKey, {
          compositePublicKey: otherPool.compositePublicKey,
          shareId: 1,
        }),
      IntegrityError,
      "integrity-failure",
    );
  });

  test("another participant's share", () => {
    // Operator 0 is participant 1; the envelope for participant 2 is refused by id first.
    const message = refusal(
      () => decryptShare(envelopes[1]!, operators[0]!.privateKey, expectedFor(0)),
      ParticipantMismatchError,
      "participant-mismatch",
    );
    assert.match(message, /share of participant 2, this operator is participant 1/);
    // An envelope for participant 1 relabelled as participant 2 does not authenticate.
    refusal(
      () => decryptShare({ ...envelopes[0]!, shareId: 2 }, operators[0]!.privateKey, expectedFor(1)),
      IntegrityError,
      "integrity-failure",
    );
  });

  test("the wrong recipient key", () => {
    const stranger = generateIdentity();
    const message = refusal(
      () => decryptShare(envelopes[0]!, stranger.privateKey, expectedFor(0)),
      RecipientMismatchError,
      "recipient-mismatch",
    );
    assert.ok(message.includes(operators[0]!.id) && message.includes(stranger.id), message);
    // Readdressing the envelope to the stranger does not let the stranger decrypt it.
    refusal(
      () => decryptShare({ ...envelopes[0]!, recipient: stranger.id }, stranger.privateKey, expectedFor(0)),
      IntegrityError,
      "integrity-failure",
    );
    // Nor does readdressing an envelope to operator 0 that was made for operator 1 (same share id).
    const forOperator1 = encryptShare({
      shareSecret: pool.shares[0]!.secretKey,
      shareId: 1,
      compositePublicKey: pool.compositePublicKey,
      recipientIdentityPublicKey: operators[1]!.id,
    });
    refusal(decrypt0({ ...forOperator1, recipient: operators[0]!.id }), IntegrityError, "integrity-failure");
  });

  test("an unknown version", () => {
    for (const version of [0, 2, "1", null, 1.5]) {
      const message = refusal(decrypt0({ ...envelopes[0]!, version }), UnsupportedEnvelopeVersionError, "unsupported-version");
      assert.match(message, /is not supported \(this program reads version 1\)/);
    }
    // A future version is refused as such even if its other fields are unknown here.
    refusal(decrypt0({ version: 2, kem: "ml-kem-768" }), UnsupportedEnvelopeVersionError, "unsupported-version");
  });

  test("malformed envelopes", () => {
    const envelope = envelopes[0]!;
    const { tag: _tag, ...withoutTag } = envelope;
    const { version: _version, ...withoutVersion } = envelope;
    const cases: [unknown, RegExp][] = [
      [null, /not a JSON object/],
      ["{}", /not a JSON object/],
      [[envelope], /not a JSON object/],
      [withoutVersion, /no "version" field/],
      [{ ...envelope, version: undefined }, /no "version" field/],
      [withoutTag, /no "tag" field/],
      [{ ...envelope, extra: 1 }, /unknown field "extra"/],
      [{ ...envelope, shareId: 0 }, /share id/],
      [{ ...envelope, shareId: "1" }, /share id/],
      [{ ...envelope, compositePublicKey: envelope.compositePublicKey.slice(0, 90) }, /96 hex digits/],
      [{ ...envelope, compositePublicKey: "0x" + "00".repeat(48) }, /not a valid BLS public key/],
      [{ ...envelope, recipient: "x25519:short" }, /"recipient"/],
      [{ ...envelope, ephemeralPublicKey: "x25519:" + Buffer.alloc(32).toString("base64url") }, /"ephemeralPublicKey".*small order/],
      [{ ...envelope, nonce: envelope.nonce + "AA" }, /"nonce" must encode 12 bytes/],
      [{ ...envelope, salt: envelope.salt + "=" }, /"salt" is not unpadded base64url/],
      [{ ...envelope, ciphertext: Buffer.alloc(33).toString("base64url") }, /"ciphertext" must encode 32 bytes/],
    ];
    for (const [bad, message] of cases) {
      assert.throws(decrypt0(bad), (error: unknown) => error instanceof MalformedEnvelopeError && message.test(error.message), String(message));
    }
  });

  test("bad arguments to encryptShare and decryptShare", () => {
    const base = {
      shareSecret: pool.shares[0]!.secretKey,
      shareId: 1,
      compositePublicKey: pool.compositePublicKey,
      recipientIdentityPublicKey: operators[0]!.id,
    };
    assert.throws(() => encryptShare({ ...base, shareSecret: new Uint8Array(31) }), /32 bytes/);
    assert.throws(() => encryptShare({ ...base, shareId: 0 }), /share id/);
    assert.throws(() => encryptShare({ ...base, compositePublicKey: new Uint8Array(48) }), /not a valid BLS public key/);
    assert.throws(() => encryptShare({ ...base, recipientIdentityPublicKey: "x25519:nope" }), /43 base64url/);
    assert.throws(() => encryptShare({ ...base, recipientIdentityPublicKey: operators[0]!.privateKey }), /public key/);
    assert.throws(() => decryptShare(envelopes[0], operators[0]!.publicKey, expectedFor(0)), /private key/);
    assert.throws(() => decryptShare(envelopes[0], operators[0]!.privateKey, { ...expectedFor(0), shareId: -1 }), /expected share id/);
  });

  test("no refusal message contains the share", () => {
    const secretHex = Buffer.from(pool.shares[0]!.secretKey).toString("hex");
    const attempts = [
      () => decryptShare(envelopes[0]!, generateIdentity().privateKey, expectedFor(0)),
      () => decryptShare({ ...envelopes[0]!, tag: Buffer.alloc(16).toString("base64url") }, operators[0]!.privateKey, expectedFor(0)),
    ];
    for (const attempt of attempts) {
      try {
        attempt();
        assert.fail("expected a refusal");
      } catch (error) {
        assert.ok(error instanceof ShareEnvelopeError);
        assert.ok(!`${error.message}\n${error.stack ?? ""}`.includes(secretHex));
      }
    }
  });
});
