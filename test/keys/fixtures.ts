/** Keystore fixtures for the key-loading tests: real EIP-2335 files with a deliberately cheap KDF. */
import { randomBytes } from "node:crypto";
import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create, type IKeystore } from "@chainsafe/bls-keystore";
import { SecretKey } from "@chainsafe/blst";

export interface TestKey {
  secretKey: Uint8Array;
  pubkey: string;
}

export function testKey(seed: number): TestKey {
  const ikm = new Uint8Array(32).fill(seed & 0xff);
  ikm[0] = (seed >> 8) & 0xff;
  const sk = SecretKey.fromKeygen(ikm);
  return { secretKey: sk.toBytes(), pubkey: sk.toPublicKey().toHex() };
}

/** pbkdf2 with c=2: the same file format as a real keystore, microseconds to decrypt. */
export async function cheapKeystore(key: TestKey, password: string, declaredPubkey = key.pubkey): Promise<IKeystore> {
  const kdf = { function: "pbkdf2" as const, params: { dklen: 32, c: 2, prf: "hmac-sha256" as const, salt: randomBytes(32).toString("hex") } };
  const pubkeyBytes = Buffer.from(declaredPubkey.replace(/^0x/, ""), "hex");
  return create(password, key.secretKey, pubkeyBytes, "m/12381/3600/0/0/0", null, kdf);
}

export interface Layout {
  root: string;
  keystores: string;
  passwords: string;
}

export async function tempLayout(): Promise<Layout> {
  const root = await mkdtemp(join(tmpdir(), "bulwark-keys-"));
  const layout = { root, keystores: join(root, "validator_keys"), passwords: join(root, "secrets") };
  await mkdir(layout.keystores);
  await mkdir(layout.passwords);
  return layout;
}

export async function removeLayout(layout: Layout): Promise<void> {
  await rm(layout.root, { recursive: true, force: true });
}

export function keystoreName(index: number): string {
  return `keystore-m_12381_3600_${index}_0_0-1700000000.json`;
}

/** Writes a keystore as staking-deposit-cli names it, with its password file beside the others. */
export async function writeKeystore(layout: Layout, name: string, keystore: IKeystore, password?: string): Promise<string> {
  const path = join(layout.keystores, name);
  await writeFile(path, JSON.stringify(keystore, null, 2));
  if (password !== undefined) await writeFile(join(layout.passwords, name.replace(/\.json$/, ".txt")), `${password}\n`);
  return path;
}

export function hex(bytes: Uint8Array): string {
  return `0x${Buffer.from(bytes).toString("hex")}`;
}
