/**
 * Operator identities: generation, the `x25519:` text form and its strict parsing, raw private
 * key export and import.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { diffieHellman, generateKeyPairSync } from "node:crypto";
import {
  exportIdentityPrivateKey,
  formatIdentity,
  generateIdentity,
  IDENTITY_PREFIX,
  IdentityError,
  identityPublicKeyBytes,
  importIdentityPrivateKey,
  parseIdentity,
  publicKeyFromBytes,
} from "../../src/pool/identity.js";

const b64 = (hex: string) => Buffer.from(hex, "hex").toString("base64url");

test("generate, format and parse back", () => {
  const identity = generateIdentity();
  assert.match(identity.id, /^x25519:[A-Za-z0-9_-]{43}$/);
  assert.equal(identity.id, formatIdentity(identity.publicKey));
  assert.equal(identity.id, formatIdentity(identity.privateKey), "a private key formats as its public key");
  const parsed = parseIdentity(identity.id);
  assert.equal(formatIdentity(parsed), identity.id);
  assert.deepEqual(identityPublicKeyBytes(parsed), identityPublicKeyBytes(identity.publicKey));
  assert.equal(formatIdentity(parseIdentity(`  ${identity.id}\n`)), identity.id, "surrounding whitespace is ignored");
  // The parsed key agrees with the original in a key exchange.
  const other = generateKeyPairSync("x25519");
  assert.deepEqual(
    diffieHellman({ privateKey: other.privateKey, publicKey: parsed }),
    diffieHellman({ privateKey: identity.privateKey, publicKey: other.publicKey }),
  );
  assert.notEqual(generateIdentity().id, identity.id);
});

test("the text form is the raw key in base64url (RFC 7748 test key)", () => {
  // RFC 7748 section 6.1: Alice's private key and public key.
  const alice = importIdentityPrivateKey(Buffer.from("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a", "hex"));
  assert.equal(alice.id, IDENTITY_PREFIX + b64("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"));
});

test("private key export and import round trip", () => {
  const identity = generateIdentity();
  const raw = exportIdentityPrivateKey(identity.privateKey);
  assert.equal(raw.length, 32);
  const again = importIdentityPrivateKey(raw);
  assert.equal(again.id, identity.id);
  assert.deepEqual(exportIdentityPrivateKey(again.privateKey), raw);
  assert.throws(() => exportIdentityPrivateKey(identity.publicKey), IdentityError);
  assert.throws(() => importIdentityPrivateKey(raw.subarray(1)), /32 bytes/);
  const ed = generateKeyPairSync("ed25519");
  assert.throws(() => exportIdentityPrivateKey(ed.privateKey), IdentityError);
  assert.throws(() => formatIdentity(ed.publicKey), /not an X25519 key/);
});

test("malformed identities are refused", () => {
  const good = generateIdentity().id;
  const encoded = good.slice(IDENTITY_PREFIX.length);
  const refused: [string, RegExp][] = [
    ["", /does not start with "x25519:"/],
    [encoded, /does not start with "x25519:"/],
    [`ed25519:${encoded}`, /does not start with/],
    [`X25519:${encoded}`, /does not start with/],
    [`x25519:${encoded.slice(1)}`, /43 base64url characters/],
    [`x25519:${encoded}A`, /43 base64url characters/],
    [`x25519:${encoded}=`, /43 base64url characters/],
    [`x25519:${Buffer.from(identityPublicKeyBytes(parseIdentity(good))).toString("base64")}`, /base64url|43/],
    [`x25519:${encoded.slice(0, 20)} ${encoded.slice(21)}`, /43 base64url characters/],
    [`x25519:${Buffer.from(identityPublicKeyBytes(parseIdentity(good))).toString("hex")}`, /43 base64url characters/],
  ];
  for (const [text, message] of refused) {
    assert.throws(() => parseIdentity(text), (error: unknown) => error instanceof IdentityError && message.test(error.message), text);
  }
  // The 43rd character carries 4 bits of padding; a non-zero padding is not canonical.
  const last = encoded[42]!;
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const sibling = alphabet[alphabet.indexOf(last) ^ 1]!;
  assert.throws(() => parseIdentity(`x25519:${encoded.slice(0, 42)}${sibling}`), /canonical base64url/);
  assert.throws(() => parseIdentity(42 as unknown as string), IdentityError);
});

test("small-order and non-canonical points are refused", () => {
  const p = "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"; // 2^255 - 19, little-endian
  const cases: [string, RegExp][] = [
    ["0000000000000000000000000000000000000000000000000000000000000000", /small order/],
    ["0100000000000000000000000000000000000000000000000000000000000000", /small order/],
    ["e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800", /small order/],
    ["5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157", /small order/],
    ["ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", /small order/], // p - 1
    [p, /not canonically encoded/],
    ["eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", /not canonically encoded/], // p + 1
    ["0900000000000000000000000000000000000000000000000000000000000080", /not canonically encoded/], // top bit
  ];
  for (const [hex, message] of cases) {
    assert.throws(() => parseIdentity(IDENTITY_PREFIX + b64(hex)), (error: unknown) => error instanceof IdentityError && message.test(error.message), hex);
  }
  // The base point u = 9 is a fine public key.
  assert.doesNotThrow(() => publicKeyFromBytes(Buffer.from("09" + "00".repeat(31), "hex")));
  assert.throws(() => publicKeyFromBytes(new Uint8Array(31)), /32 bytes/);
});
