/**
 * EIP-2335 keystore creation: the files decrypt with @chainsafe/bls-keystore, carry the fields
 * other tools expect, are written 0600 without overwriting, and the signer's own loader takes
 * them. Cheap pbkdf2 parameters everywhere except one check of the real scrypt defaults.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { decrypt, isValidKeystore, type IKeystore } from "@chainsafe/bls-keystore";
import { SecretKey } from "@chainsafe/blst";
import {
  createKeystore,
  createKeystores,
  type KdfChoice,
  KeystoreCreateError,
  keystoreFileName,
  writeKeystoreFile,
} from "../../src/keys/create-keystore.js";
import { deriveValidatorKeys } from "../../src/keys/derive.js";
import { loadKeystores } from "../../src/keys/load-keystores.js";
import { tempDir } from "../helpers/temp.js";

/** The same file format as a real keystore, microseconds to derive. */
function cheapKdf(): KdfChoice {
  return { function: "pbkdf2", params: { dklen: 32, c: 2, prf: "hmac-sha256", salt: randomBytes(32).toString("hex") } };
}

const SEED = new Uint8Array(64).fill(42);
const PASSWORD = "correct horse battery staple";

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("hex");
}

test("a keystore decrypts to its secret, names its path and pubkey, and has a description and UUID", async () => {
  const [key] = deriveValidatorKeys(SEED, 3, 1);
  const secret = key!.secretKey.toBytes();
  const keystore = await createKeystore(secret, PASSWORD, key!.path, { kdf: cheapKdf() });
  assert.ok(isValidKeystore(keystore), "passes the EIP-2335 JSON schema");
  assert.equal(keystore.version, 4);
  assert.equal(keystore.path, "m/12381/3600/3/0/0");
  assert.equal(keystore.pubkey, hex(key!.publicKey));
  assert.match(keystore.uuid, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.match(keystore.description ?? "", /m\/12381\/3600\/3\/0\/0/);
  assert.equal(hex(await decrypt(keystore, PASSWORD)), hex(secret));
  await assert.rejects(decrypt(keystore, "wrong password"));
});

test("two keystores of one key differ in salt, IV, UUID and ciphertext", async () => {
  const secret = deriveValidatorKeys(SEED, 0, 1)[0]!.secretKey.toBytes();
  const [a, b] = await Promise.all([
    createKeystore(secret, PASSWORD, "m/12381/3600/0/0/0", { kdf: cheapKdf() }),
    createKeystore(secret, PASSWORD, "m/12381/3600/0/0/0", { kdf: cheapKdf() }),
  ]);
  const params = (k: IKeystore) => k.crypto.kdf.params as { salt: string };
  assert.notEqual(params(a!).salt, params(b!).salt);
  assert.notEqual(a!.crypto.cipher.params.iv, b!.crypto.cipher.params.iv);
  assert.notEqual(a!.uuid, b!.uuid);
  assert.notEqual(a!.crypto.cipher.message, b!.crypto.cipher.message);
});

test("bad input is refused: short secret, invalid secret, malformed path", async () => {
  await assert.rejects(createKeystore(new Uint8Array(31), PASSWORD, "", { kdf: cheapKdf() }), KeystoreCreateError);
  await assert.rejects(createKeystore(new Uint8Array(32), PASSWORD, "", { kdf: cheapKdf() }), KeystoreCreateError);
  const secret = SecretKey.fromKeygen(new Uint8Array(32).fill(1)).toBytes();
  await assert.rejects(createKeystore(secret, PASSWORD, "m/12381/x", { kdf: cheapKdf() }));
  // A key that was not derived has an empty path, as EIP-2335 allows.
  const plain = await createKeystore(secret, PASSWORD, "", { kdf: cheapKdf() });
  assert.equal(plain.path, "");
});

test("the default KDF is scrypt n=262144 r=8 p=1 with a 32-byte random salt (made in a worker, verified)", async () => {
  const [key] = deriveValidatorKeys(SEED, 0, 1);
  const secret = key!.secretKey.toBytes();
  const [outcome] = await createKeystores([{ secretKey: secret.slice(), password: PASSWORD, path: key!.path }], { workers: 1 });
  assert.ok(outcome?.ok, outcome?.ok === false ? outcome.reason : "");
  const keystore = outcome.keystore;
  assert.equal(keystore.crypto.kdf.function, "scrypt");
  const params = keystore.crypto.kdf.params as { n: number; r: number; p: number; dklen: number; salt: string };
  assert.deepEqual({ n: params.n, r: params.r, p: params.p, dklen: params.dklen }, { n: 262144, r: 8, p: 1, dklen: 32 });
  assert.match(params.salt, /^[0-9a-f]{64}$/);
  assert.equal(keystore.crypto.cipher.function, "aes-128-ctr");
  assert.match(keystore.crypto.cipher.params.iv, /^[0-9a-f]{32}$/);
  assert.equal(keystore.crypto.checksum.function, "sha256");
  assert.equal(hex(await decrypt(keystore, PASSWORD)), hex(secret));
});

test("the worker pool keeps job order, reports progress, and keeps a failure to its own job", async () => {
  const keys = deriveValidatorKeys(SEED, 0, 5);
  let settled = 0;
  const jobs = keys.map((k) => ({ secretKey: k.secretKey.toBytes(), password: PASSWORD, path: k.path, kdf: cheapKdf() }));
  jobs[2] = { ...jobs[2]!, secretKey: new Uint8Array(32) }; // not a valid BLS secret
  const outcomes = await createKeystores(jobs, { workers: 2, onSettled: () => settled++ });
  assert.equal(settled, 5);
  outcomes.forEach((o, i) => {
    if (i === 2) {
      assert.equal(o.ok, false);
      assert.match(o.ok ? "" : o.reason, /not a valid BLS secret key/);
      return;
    }
    assert.ok(o.ok);
    assert.equal(o.keystore.pubkey, hex(keys[i]!.publicKey));
    assert.equal(o.keystore.path, keys[i]!.path);
  });
  // The caller's copies are untouched (only the worker's copies are zeroed).
  assert.notEqual(hex(jobs[0]!.secretKey), "00".repeat(32));
});

test("files are named like staking-deposit-cli's, written 0600, never overwritten, and load with the signer's loader", async (t) => {
  const dir = tempDir();
  t.after(dir.cleanup);
  assert.equal(keystoreFileName("m/12381/3600/12/0/0", 1700000000), "keystore-m_12381_3600_12_0_0-1700000000.json");

  const keys = deriveValidatorKeys(SEED, 0, 3);
  const timestamp = 1700000000;
  for (const key of keys) {
    const keystore = await createKeystore(key.secretKey.toBytes(), PASSWORD, key.path, { kdf: cheapKdf() });
    const path = await writeKeystoreFile(dir.path, keystoreFileName(key.path, timestamp), keystore);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.deepEqual(JSON.parse(readFileSync(path, "utf8")), keystore);
  }
  const first = join(dir.path, keystoreFileName(keys[0]!.path, timestamp));
  const before = readFileSync(first, "utf8");
  const again = await createKeystore(keys[0]!.secretKey.toBytes(), PASSWORD, keys[0]!.path, { kdf: cheapKdf() });
  await assert.rejects(writeKeystoreFile(dir.path, keystoreFileName(keys[0]!.path, timestamp), again), { code: "EEXIST" });
  assert.equal(readFileSync(first, "utf8"), before, "the existing file is untouched");

  // Only *.json files count as keystores, so the password file can sit beside them.
  const passwordFile = join(dir.path, "password.txt");
  writeFileSync(passwordFile, `${PASSWORD}\n`);
  const loaded = await loadKeystores({ keystoresDir: dir.path, passwordFile, workers: 2, progress: false });
  assert.deepEqual(
    loaded.map((k) => k.pubkey),
    keys.map((k) => `0x${hex(k.publicKey)}`),
  );
  loaded.forEach((k, i) => assert.equal(hex(k.secretKey), hex(keys[i]!.secretKey.toBytes())));
});
