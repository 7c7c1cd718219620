/**
 * EIP-2333 key derivation (blst's own deriveMasterEip2333 / deriveChildEip2333) and EIP-2334 paths:
 * `m/12381/3600/i/0/0` is validator i's signing key, `m/12381/3600/i/0` its withdrawal key.
 */
import { SecretKey } from "@chainsafe/blst";
import { codedError } from "../errors/bulwark-error.js";

export const EIP2334_PURPOSE = 12381;
export const EIP2334_COIN_TYPE = 3600;
/** EIP-2333 child indices are 32-bit unsigned integers. */
export const MAX_CHILD_INDEX = 0xffff_ffff;
/** EIP-2333 requires at least 32 bytes of seed. */
export const MIN_SEED_BYTES = 32;

export class DerivationPathError extends codedError("derivation-path") {
  override name = "DerivationPathError";
}

/**
 * Parses an EIP-2333 path (`m` followed by `/`-separated decimal indices, each 0..2^32-1, without
 * leading zeros) into its indices. `m` alone is the master key.
 */
export function parsePath(path: string): number[] {
  const parts = path.split("/");
  if (parts[0] !== "m") throw new DerivationPathError(`derivation path "${path}" must start with "m"`);
  return parts.slice(1).map((part, i) => {
    if (!/^(0|[1-9][0-9]*)$/.test(part)) {
      throw new DerivationPathError(`derivation path "${path}": component ${i + 1} ("${part}") is not a decimal index`);
    }
    const index = Number(part);
    if (index > MAX_CHILD_INDEX) {
      throw new DerivationPathError(`derivation path "${path}": component ${i + 1} exceeds 2^32-1`);
    }
    return index;
  });
}

export type Eip2334KeyKind = "signing" | "withdrawal";

export interface Eip2334Path {
  /** The validator (account) index i. */
  index: number;
  kind: Eip2334KeyKind;
}

/**
 * Validates an EIP-2334 validator path: `m/12381/3600/i/0/0` (signing) or `m/12381/3600/i/0`
 * (withdrawal). Throws DerivationPathError for anything else.
 */
export function parseEip2334Path(path: string): Eip2334Path {
  const indices = parsePath(path);
  const [purpose, coinType, index, use, signing] = indices;
  const shaped =
    (indices.length === 4 || indices.length === 5) &&
    purpose === EIP2334_PURPOSE &&
    coinType === EIP2334_COIN_TYPE &&
    use === 0 &&
    (indices.length === 4 || signing === 0);
  if (!shaped || index === undefined) {
    throw new DerivationPathError(
      `derivation path "${path}" is not an EIP-2334 validator path (m/12381/3600/i/0/0 for signing, m/12381/3600/i/0 for withdrawal)`,
    );
  }
  return { index, kind: indices.length === 5 ? "signing" : "withdrawal" };
}

function assertIndex(index: number): void {
  if (!Number.isInteger(index) || index < 0 || index > MAX_CHILD_INDEX) {
    throw new RangeError(`validator index must be an integer from 0 to 2^32-1, got ${index}`);
  }
}

/** `m/12381/3600/i/0/0` */
export function signingKeyPath(index: number): string {
  assertIndex(index);
  return `m/${EIP2334_PURPOSE}/${EIP2334_COIN_TYPE}/${index}/0/0`;
}

/** `m/12381/3600/i/0` */
export function withdrawalKeyPath(index: number): string {
  assertIndex(index);
  return `m/${EIP2334_PURPOSE}/${EIP2334_COIN_TYPE}/${index}/0`;
}

/** EIP-2333 master key of a seed (at least 32 bytes; a BIP-39 seed has 64). */
export function deriveMasterKey(seed: Uint8Array): SecretKey {
  if (seed.length < MIN_SEED_BYTES) {
    throw new RangeError(`EIP-2333 needs a seed of at least ${MIN_SEED_BYTES} bytes, got ${seed.length}`);
  }
  return SecretKey.deriveMasterEip2333(seed);
}

/** EIP-2333 child of `parent` at each index of `indices` in turn. */
export function deriveChildren(parent: SecretKey, indices: readonly number[]): SecretKey {
  let key = parent;
  for (const index of indices) {
    assertIndex(index);
    key = key.deriveChildEip2333(index);
  }
  return key;
}

/** The key at an EIP-2333 path (`m/...`) below the master key of `seed`. */
export function deriveKeyAtPath(seed: Uint8Array, path: string): SecretKey {
  return deriveChildren(deriveMasterKey(seed), parsePath(path));
}

export interface ValidatorKey {
  index: number;
  /** `m/12381/3600/i/0/0` */
  path: string;
  /** blst secret key; turn it into bytes only where needed and zero those bytes afterwards. */
  secretKey: SecretKey;
  /** Compressed public key, 48 bytes. */
  publicKey: Uint8Array;
}

/** The signing key of validator `index` (EIP-2334 `m/12381/3600/index/0/0`) of a seed. */
export function deriveValidatorKey(seed: Uint8Array, index: number): ValidatorKey {
  return validatorKeyBelow(deriveChildren(deriveMasterKey(seed), [EIP2334_PURPOSE, EIP2334_COIN_TYPE]), index);
}

/**
 * The signing keys of validators `start` .. `start + count - 1`; the master and `m/12381/3600`
 * keys are derived once for all of them.
 */
export function deriveValidatorKeys(seed: Uint8Array, start: number, count: number): ValidatorKey[] {
  assertIndex(start);
  if (!Number.isInteger(count) || count < 0 || start + count - 1 > MAX_CHILD_INDEX) {
    throw new RangeError(`cannot derive ${count} keys from index ${start}`);
  }
  const coinRoot = deriveChildren(deriveMasterKey(seed), [EIP2334_PURPOSE, EIP2334_COIN_TYPE]);
  return Array.from({ length: count }, (_, i) => validatorKeyBelow(coinRoot, start + i));
}

function validatorKeyBelow(coinRoot: SecretKey, index: number): ValidatorKey {
  const secretKey = deriveChildren(coinRoot, [index, 0, 0]);
  return { index, path: signingKeyPath(index), secretKey, publicKey: secretKey.toPublicKey().toBytes(true) };
}
