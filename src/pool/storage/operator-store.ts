/**
 * A node operator's pool state in its data directory (layout: POOL_FILES in definition.ts):
 *
 * - `pool-identity.json`: the X25519 identity. The private key is sealed under the sealing secret
 *   (scrypt + AES-256-GCM, see src/keys/sealed-secret.ts); the public identity is in clear in the same file,
 *   bound into the authenticated data, so `pool operator-id` can print it without the secret.
 * - `pool-shares.json`: the key shares, a SealedKeyStore file whose records are
 *   [composite public key | 32-byte share].
 * - `pools/<composite>.json`: the definition of every pool joined. A share's participant id is the
 *   one whose component public key in that definition is the share's public key.
 */
import { SecretKey } from "@chainsafe/blst";
import { join } from "node:path";
import { SealedKeyStore, SealedStoreError } from "../../keys/sealed-store.js";
import { POOL_FILES, type PoolDefinition } from "../definition.js";
import { PoolError } from "../errors.js";
import {
  exportIdentityPrivateKey,
  generateIdentity,
  importIdentityPrivateKey,
  type OperatorIdentity,
} from "../identity.js";
import { loadPoolDefinitionCopy } from "./pool-files.js";
import { readSealedSecret, readSealedSecretPublic, SealedSecretError, writeSealedSecret, type SealSecretOptions } from "../../keys/sealed-secret.js";

const IDENTITY_FORMAT = "bulwark-pool-identity";

export interface OperatorShare {
  pool: PoolDefinition;
  participantId: number;
  /** The 32-byte share secret: the caller wipes it when done. */
  shareSecret: Uint8Array;
}

export function identityPath(dataDir: string): string {
  return join(dataDir, POOL_FILES.identity);
}

export function sharesPath(dataDir: string): string {
  return join(dataDir, POOL_FILES.shares);
}

function asBuffer(secret: Uint8Array): Buffer {
  return Buffer.isBuffer(secret) ? secret : Buffer.from(secret.buffer, secret.byteOffset, secret.byteLength);
}

function sealedError(err: unknown): never {
  if (err instanceof SealedSecretError) {
    throw new PoolError(err.problem === "missing" ? "no-identity" : err.problem === "exists" ? "identity-exists" : "sealed-store", err.message, { cause: err });
  }
  if (err instanceof SealedStoreError) throw new PoolError("sealed-store", err.message, { cause: err });
  throw err;
}

/**
 * Creates the operator's identity in `dataDir` and returns its public form (`x25519:…`). Refuses to
 * replace an existing identity: shares already encrypted to it would become unreadable.
 */
export async function createOperatorIdentity(dataDir: string, sealingSecret: Uint8Array, options: SealSecretOptions = {}): Promise<string> {
  const path = identityPath(dataDir);
  const identity = generateIdentity();
  const raw = exportIdentityPrivateKey(identity.privateKey);
  try {
    await writeSealedSecret(path, IDENTITY_FORMAT, { identity: identity.id }, raw, sealingSecret, options);
  } catch (err) {
    if (err instanceof SealedSecretError && err.problem === "exists") {
      throw new PoolError(
        "identity-exists",
        `an operator identity already exists in ${path} (${operatorIdentityId(dataDir)}); it is kept, since shares encrypted to it would be lost`,
      );
    }
    sealedError(err);
  } finally {
    raw.fill(0);
  }
  return identity.id;
}

/** The operator's public identity, read without the sealing secret. */
export function operatorIdentityId(dataDir: string): string {
  try {
    const id = readSealedSecretPublic(identityPath(dataDir), IDENTITY_FORMAT).identity;
    if (id === undefined) throw new PoolError("no-identity", `${identityPath(dataDir)} has no public identity`);
    return id;
  } catch (err) {
    if (err instanceof SealedSecretError && err.problem === "missing") {
      throw new PoolError("no-identity", `no operator identity in ${dataDir}: run \`bulwark pool operator-init\` first`);
    }
    return sealedError(err);
  }
}

/** Unseals the operator's identity key pair. Checks that it is the public identity the file shows. */
export async function openOperatorIdentity(dataDir: string, sealingSecret: Uint8Array): Promise<OperatorIdentity> {
  const path = identityPath(dataDir);
  let opened: Awaited<ReturnType<typeof readSealedSecret>>;
  try {
    opened = await readSealedSecret(path, IDENTITY_FORMAT, sealingSecret);
  } catch (err) {
    if (err instanceof SealedSecretError && err.problem === "missing") {
      throw new PoolError("no-identity", `no operator identity in ${dataDir}: run \`bulwark pool operator-init\` first`);
    }
    return sealedError(err);
  }
  try {
    const identity = importIdentityPrivateKey(opened.secret);
    if (identity.id !== opened.publicFields.identity) {
      throw new PoolError("sealed-store", `${path} is corrupted: its private key is not that of ${String(opened.publicFields.identity)}`);
    }
    return identity;
  } finally {
    opened.secret.fill(0);
  }
}

/** Opens (creating if asked) the operator's sealed share store. */
export async function openShareStore(dataDir: string, sealingSecret: Uint8Array, create: boolean): Promise<SealedKeyStore> {
  try {
    return await SealedKeyStore.open(dataDir, asBuffer(sealingSecret), { create, fileName: POOL_FILES.shares });
  } catch (err) {
    return sealedError(err);
  }
}

/** The public key (48 bytes compressed, 0x-hex) of a share secret. */
export function sharePublicKey(shareSecret: Uint8Array): string {
  return "0x" + Buffer.from(SecretKey.fromBytes(shareSecret).toPublicKey().toBytes(true)).toString("hex");
}

/**
 * Every share this operator holds, with its pool definition and participant id. Fails closed: a
 * share without its pool definition, or whose public key is no participant's component key, is an
 * error rather than skipped. No share store yet: no shares.
 */
export async function loadOperatorShares(dataDir: string, secret: Uint8Array): Promise<OperatorShare[]> {
  if (!SealedKeyStore.exists(dataDir, POOL_FILES.shares)) return [];
  const store = await openShareStore(dataDir, secret, false);
  const keys = store.keys();
  const shares: OperatorShare[] = [];
  try {
    for (const { pubkey: composite, secretKey } of keys) {
      const pool = loadPoolDefinitionCopy(dataDir, composite);
      if (pool === undefined) {
        throw new PoolError("invalid-pool", `the share for ${composite} in ${store.path} has no pool definition in ${join(dataDir, POOL_FILES.definitionsDir)}`);
      }
      const publicKey = sharePublicKey(secretKey);
      const participant = pool.participants.find((p) => p.componentPublicKey === publicKey);
      if (participant === undefined) {
        throw new PoolError("invalid-share", `the share for ${composite} in ${store.path} is no participant's share of that pool (public key ${publicKey})`);
      }
      shares.push({ pool, participantId: participant.id, shareSecret: Uint8Array.from(secretKey) });
    }
  } catch (err) {
    for (const share of shares) share.shareSecret.fill(0);
    throw err;
  } finally {
    for (const key of keys) key.secretKey.fill(0);
  }
  return shares;
}

/** This operator's share of one pool, or PoolError("not-joined"). */
export async function loadOperatorShare(dataDir: string, secret: Uint8Array, compositePublicKey: string): Promise<OperatorShare> {
  const shares = await loadOperatorShares(dataDir, secret);
  const composite = compositePublicKey.toLowerCase();
  const found = shares.find((s) => s.pool.compositePublicKey === composite);
  for (const other of shares) if (other !== found) other.shareSecret.fill(0);
  if (found === undefined) {
    throw new PoolError("not-joined", `this operator (${dataDir}) holds no share of pool ${composite}: run \`bulwark pool join\` first`);
  }
  return found;
}
