/**
 * EIP-2333 derivation against the EIP's own vectors (../shared/vectors/eip2333.json), EIP-2334
 * paths, and known answers from staking-deposit-cli (a Python implementation) for a fixed mnemonic.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { SecretKey } from "@chainsafe/blst";
import {
  DerivationPathError,
  deriveChildren,
  deriveKeyAtPath,
  deriveMasterKey,
  deriveValidatorKey,
  deriveValidatorKeys,
  parseEip2334Path,
  parsePath,
  signingKeyPath,
  withdrawalKeyPath,
} from "../../src/keys/derive.js";
import { mnemonicToSeed } from "../../src/keys/mnemonic.js";
import { SHARED_DIR } from "../helpers/temp.js";
import { STAKING_DEPOSIT_CLI_MNEMONIC } from "./known-answers.js";

interface Eip2333Case {
  seed: string;
  master_SK: string;
  child_index: number;
  child_SK: string;
}

const EIP2333_FILE = join(SHARED_DIR, "vectors", "eip2333.json");

/** The vectors' secret keys are decimal integers; keys are 32-byte big-endian. */
function decimalToKey(decimal: string): string {
  return BigInt(decimal).toString(16).padStart(64, "0");
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("hex");
}

test("EIP-2333 vectors: master and child secret keys", (t) => {
  if (!existsSync(EIP2333_FILE)) {
    t.skip(`${EIP2333_FILE} is absent (../shared is not checked out next to the project)`);
    return;
  }
  const { cases } = JSON.parse(readFileSync(EIP2333_FILE, "utf8")) as { cases: Eip2333Case[] };
  assert.ok(cases.length >= 4, "the file holds the EIP's cases");
  for (const c of cases) {
    const seed = Buffer.from(c.seed, "hex");
    const master = deriveMasterKey(seed);
    assert.equal(hex(master.toBytes()), decimalToKey(c.master_SK), `master of seed ${c.seed.slice(0, 16)}...`);
    const child = deriveChildren(master, [c.child_index]);
    assert.equal(hex(child.toBytes()), decimalToKey(c.child_SK), `child ${c.child_index}`);
    assert.equal(hex(deriveKeyAtPath(seed, `m/${c.child_index}`).toBytes()), decimalToKey(c.child_SK));
  }
});

test("EIP-2334 paths: signing and withdrawal, parsed and refused", () => {
  assert.equal(signingKeyPath(0), "m/12381/3600/0/0/0");
  assert.equal(withdrawalKeyPath(7), "m/12381/3600/7/0");
  assert.deepEqual(parsePath("m"), []);
  assert.deepEqual(parsePath("m/12381/3600/4294967295/0/0"), [12381, 3600, 4294967295, 0, 0]);
  assert.deepEqual(parseEip2334Path("m/12381/3600/5/0/0"), { index: 5, kind: "signing" });
  assert.deepEqual(parseEip2334Path("m/12381/3600/5/0"), { index: 5, kind: "withdrawal" });
  for (const bad of ["", "x/1", "m/", "m//1", "m/01", "m/-1", "m/1.5", "m/4294967296", "m/0x10", "m/ 1", "M/1"]) {
    assert.throws(() => parsePath(bad), DerivationPathError, bad);
  }
  for (const bad of ["m", "m/12381/3600/5", "m/12381/3600/5/1/0", "m/12381/3600/5/0/1", "m/12381/60/0/0/0", "m/44/3600/0/0/0", "m/12381/3600/0/0/0/0"]) {
    assert.throws(() => parseEip2334Path(bad), DerivationPathError, bad);
  }
  assert.throws(() => signingKeyPath(-1), RangeError);
  assert.throws(() => signingKeyPath(2 ** 32), RangeError);
  assert.throws(() => deriveMasterKey(new Uint8Array(31)), RangeError);
});

test("deriveValidatorKey walks m/12381/3600/i/0/0 with blst's EIP-2333 functions", () => {
  const seed = new Uint8Array(64).map((_, i) => i * 7 + 3);
  for (const index of [0, 1, 99, 2 ** 31, 2 ** 32 - 1]) {
    const key = deriveValidatorKey(seed, index);
    const byHand = SecretKey.deriveMasterEip2333(seed)
      .deriveChildEip2333(12381)
      .deriveChildEip2333(3600)
      .deriveChildEip2333(index)
      .deriveChildEip2333(0)
      .deriveChildEip2333(0);
    assert.equal(key.index, index);
    assert.equal(key.path, `m/12381/3600/${index}/0/0`);
    assert.equal(hex(key.secretKey.toBytes()), hex(byHand.toBytes()));
    assert.equal(hex(key.publicKey), hex(byHand.toPublicKey().toBytes(true)));
    assert.equal(hex(deriveKeyAtPath(seed, key.path).toBytes()), hex(byHand.toBytes()));
  }
  const batch = deriveValidatorKeys(seed, 10, 3);
  assert.deepEqual(batch.map((k) => k.index), [10, 11, 12]);
  batch.forEach((k) => assert.equal(hex(k.secretKey.toBytes()), hex(deriveValidatorKey(seed, k.index).secretKey.toBytes())));
  assert.throws(() => deriveValidatorKeys(seed, 2 ** 32 - 1, 2), RangeError);
});

test("known answers from staking-deposit-cli: signing pubkeys and 0x00 withdrawal credentials of a fixed mnemonic", () => {
  const seed = mnemonicToSeed(STAKING_DEPOSIT_CLI_MNEMONIC.mnemonic);
  for (const expected of STAKING_DEPOSIT_CLI_MNEMONIC.keys) {
    assert.equal(hex(deriveValidatorKey(seed, expected.index).publicKey), expected.pubkey, `pubkey of validator ${expected.index}`);
    if (expected.blsWithdrawalCredentials === undefined) continue;
    // 0x00 credentials: 0x00 ++ sha256(withdrawal pubkey)[1:], the withdrawal key at m/12381/3600/i/0.
    const withdrawalPubkey = deriveKeyAtPath(seed, withdrawalKeyPath(expected.index)).toPublicKey().toBytes(true);
    const credentials = createHash("sha256").update(withdrawalPubkey).digest();
    credentials[0] = 0;
    assert.equal(credentials.toString("hex"), expected.blsWithdrawalCredentials, `withdrawal credentials of validator ${expected.index}`);
  }
});
