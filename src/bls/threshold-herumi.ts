/**
 * The part of bls-eth-wasm (herumi BLS compiled to WebAssembly) that threshold signing uses: share
 * evaluation and Lagrange recovery of secret keys, public keys and signatures. @chainsafe/blst does
 * signing and verification but has no point arithmetic, so these come from herumi.
 *
 * The package's own typings omit `Id`, `setETHmode` and the wasm module, so they are declared here.
 * The module is one WebAssembly instance per thread (per JavaScript realm), set up once by
 * `initHerumi()`; everything else in this file is synchronous.
 */
import bls from "bls-eth-wasm";

/** Fields common to herumi's value classes. Values live in `a_` (a Uint32Array) on the JS side. */
interface HerumiValue {
  serialize(): Uint8Array;
  deserialize(bytes: Uint8Array): void;
  isEqual(other: this): boolean;
  /** Zeroes the JavaScript-side copy of the value. */
  clear(): void;
}

export interface HerumiId extends HerumiValue {
  setInt(x: number): void;
}

export interface HerumiSecretKey extends HerumiValue {
  isZero(): boolean;
  setLittleEndianMod(bytes: Uint8Array): void;
  share(msk: HerumiSecretKey[], id: HerumiId): void;
  getPublicKey(): HerumiPublicKey;
  sign(message: Uint8Array): HerumiSignature;
}

export interface HerumiPublicKey extends HerumiValue {
  isZero(): boolean;
  deserializeUncompressed(bytes: Uint8Array): void;
  share(mpk: HerumiPublicKey[], id: HerumiId): void;
  recover(pks: HerumiPublicKey[], ids: HerumiId[]): void;
}

export interface HerumiSignature extends HerumiValue {
  isZero(): boolean;
  deserializeUncompressed(bytes: Uint8Array): void;
  recover(sigs: HerumiSignature[], ids: HerumiId[]): void;
}

interface HerumiModule {
  BLS12_381: number;
  ETH_MODE_DRAFT_07: number;
  init(curve: number): Promise<void>;
  setETHmode(mode: number): void;
  verifySignatureOrder(check: boolean): void;
  verifyPublicKeyOrder(check: boolean): void;
  getCurveOrder(): string;
  Id: new () => HerumiId;
  SecretKey: new () => HerumiSecretKey;
  PublicKey: new () => HerumiPublicKey;
  Signature: new () => HerumiSignature;
  mod: {
    readonly HEAP8: Int8Array;
    stackSave(): number;
  };
}

const herumi = bls as unknown as HerumiModule;

/** The BLS12-381 group order r, to check that the wasm build is the curve we expect. */
const CURVE_ORDER = "52435875175126190479447740508185965837690552500527637822603658699938581184513";

let ready: Promise<void> | undefined;
let initialised = false;

/**
 * Loads and sets up the wasm module (about 80 ms, once per thread). Idempotent; concurrent callers
 * share one initialisation.
 */
export function initHerumi(): Promise<void> {
  ready ??= (async () => {
    await herumi.init(herumi.BLS12_381);
    // Ethereum's ciphersuite (BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_): public keys in G1,
    // signatures in G2, ZCash compressed serialisation as blst uses it.
    herumi.setETHmode(herumi.ETH_MODE_DRAFT_07);
    // Deserialisation refuses points outside the prime-order subgroups (herumi's default in this
    // build; set explicitly so that a change of default cannot weaken it).
    herumi.verifySignatureOrder(true);
    herumi.verifyPublicKeyOrder(true);
    if (herumi.getCurveOrder() !== CURVE_ORDER) throw new Error("bls-eth-wasm is not set up for BLS12-381");
    initialised = true;
  })().catch((error: unknown) => {
    ready = undefined;
    throw error;
  });
  return ready;
}

/** The module, or a clear error when `initThreshold()` has not been awaited in this thread. */
export function herumiModule(): HerumiModule {
  if (!initialised) {
    throw new Error("threshold BLS is not initialised in this thread: await initThreshold() once before use");
  }
  return herumi;
}

/**
 * How much of the wasm stack below the current stack pointer `scrubWasmStack` zeroes. Measured
 * deepest use by a secret-key operation: about 33 KiB (getPublicKey); sign about 21 KiB. The stack
 * is 1 MiB; 128 KiB leaves a wide margin and costs a few microseconds.
 */
const SCRUB_BYTES = 128 * 1024;

/**
 * herumi copies its operands (secret keys included) onto the wasm stack and leaves them there
 * when a call returns. Zeroes the region that secret-key operations use, so that a share or a
 * polynomial coefficient does not linger in wasm memory after the operation.
 */
export function scrubWasmStack(): void {
  const mod = herumi.mod;
  const sp = mod.stackSave();
  mod.HEAP8.fill(0, Math.max(0, sp - SCRUB_BYTES), sp);
}

/**
 * herumi points from uncompressed encodings that blst has already validated (on the curve, in
 * the subgroup, not infinity). herumi's own order check on deserialisation is the slow part of
 * recovery (about 0.37 ms per compressed G2 point in wasm, against 0.07 ms for blst's check and
 * 0.003 ms for herumi reading an uncompressed point without it), so it is switched off for just
 * this call; herumi still checks that the point is on the curve.
 */
export function herumiSignatureFromValidated(uncompressed: Uint8Array): HerumiSignature {
  const bls = herumiModule();
  const point = new bls.Signature();
  bls.verifySignatureOrder(false);
  try {
    point.deserializeUncompressed(uncompressed);
  } finally {
    bls.verifySignatureOrder(true);
  }
  return point;
}

/** As `herumiSignatureFromValidated`, for G1 (public keys). */
export function herumiPublicKeyFromValidated(uncompressed: Uint8Array): HerumiPublicKey {
  const bls = herumiModule();
  const point = new bls.PublicKey();
  bls.verifyPublicKeyOrder(false);
  try {
    point.deserializeUncompressed(uncompressed);
  } finally {
    bls.verifyPublicKeyOrder(true);
  }
  return point;
}
