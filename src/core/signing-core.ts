/**
 * The signing core: owns the keys (inside its signing pool) and the protection store. For every
 * request it parses the typed payload, computes the signing root itself for the configured network,
 * checks and durably records slashing data for blocks and attestations, and only then signs.
 */
import { SignPool, type SignOptions } from "../bls/sign-pool.js";
import type { SealedKeyStore } from "../keys/sealed-store.js";
import type { Network } from "../config/networks.js";
import { BATCH_TYPES, computeSigningRoot, parseSigningRequest, type SigningRequest, type SigningRootResult } from "../eth/index.js";
import { signErrorOf } from "../errors/route.js";
import { checkBatchIdentifiers } from "../eth/batch-identifiers.js";
import { checkPolicy, type SigningPolicy, startGuardStatus } from "../protection/policy.js";
import { describeRefusal } from "../protection/rules.js";
import type { ProtectionStore } from "../protection/store.js";
import { protectionRequestOf } from "../protection/request-of.js";
import type { ProtectionRequest } from "../protection/types.js";
import type {
  BatchOutcome,
  CoreHealth,
  CoreObserver,
  GeneratedKey,
  KeyProvenanceRecorder,
  KeyDeletion,
  KeyGenerationRequest,
  KeyImportStatus,
  KeyInfo,
  KeystoreImport,
  KeyToLoad,
  ProtectionImportResult,
  SignError,
  SignErrorCode,
  SigningCoreApi,
  SignOutcome,
} from "./api.js";
import { type CommitBoostRootRequest, commitBoostSigningRoot } from "./commit-boost-root.js";
import { KeyManagement, type LoadedKeys } from "./key-management.js";

export interface SigningCoreOptions {
  network: Network;
  store: ProtectionStore;
  /** Signing threads; defaults to one per core. */
  signingThreads?: number;
  observer?: CoreObserver;
  /** Where keys imported or generated through the core are kept; without it the core cannot import. */
  sealedStore?: SealedKeyStore;
  /** With attestation on: provenance statements for generated keys, recorded before they are sealed. */
  provenance?: KeyProvenanceRecorder;
  /** What is refused whatever the history says (time horizon, start guard, deposits, ...). */
  policy: SigningPolicy;
  /** The wall clock, Unix ms (tests move it); default Date.now. */
  now?: () => number;
}

const fail = (code: SignErrorCode, message: string): { ok: false; error: SignError } => ({
  ok: false,
  error: { code, message },
});

/**
 * The one implementation of SigningCoreApi: the sign path is here, key management (import,
 * generation, deletion, EIP-3076 data) is delegated to ./key-management.ts over the keys held here.
 */
export class SigningCore implements SigningCoreApi, LoadedKeys {
  /** Loaded keys; `readonly` ones come from a keystore directory and cannot be deleted through the core. */
  private readonly keys = new Map<string, { readonly: boolean }>();
  /** Signatures being made, per key, so that a deletion can wait for them. */
  private readonly signing = new Map<string, Set<Promise<unknown>>>();
  private readonly pool: SignPool;
  private readonly network: Network;
  private readonly store: ProtectionStore;
  private readonly observer: CoreObserver | undefined;
  private readonly keyManagement: KeyManagement;

  private readonly policy: SigningPolicy;
  private readonly now: () => number;

  constructor(options: SigningCoreOptions) {
    this.policy = options.policy;
    this.now = options.now ?? Date.now;
    this.network = options.network;
    this.store = options.store;
    this.observer = options.observer;
    this.pool = new SignPool(options.signingThreads);
    this.keyManagement = new KeyManagement({
      network: options.network,
      store: options.store,
      keys: this,
      ...(options.sealedStore !== undefined ? { sealedStore: options.sealedStore } : {}),
      ...(options.provenance !== undefined ? { provenance: options.provenance } : {}),
    });
  }

  /**
   * Hands secret keys to the signing threads and wipes the caller's copies: after this call the
   * only copies live inside the core's threads (and, for its own keys, the sealed store).
   */
  addKeys(keys: readonly KeyToLoad[], options: { readonly: boolean } = { readonly: true }): void {
    const fresh = keys.filter((key) => !this.keys.has(key.pubkey.toLowerCase()));
    this.pool.addKeys(fresh.map((key) => ({ pubkey: key.pubkey.toLowerCase(), secretKey: key.secretKey })));
    for (const key of fresh) this.keys.set(key.pubkey.toLowerCase(), { readonly: options.readonly });
    for (const key of keys) key.secretKey.fill(0);
  }

  /**
   * Like addKeys, for keys read from disk (sealed store, keystore directory): a key deleted through
   * the keymanager API or `keys delete` is tombstoned in the protection database and does not load
   * again, even when an older copy of the file brings it back. Returns the keys left out.
   */
  async loadKeys(keys: readonly KeyToLoad[], options: { readonly: boolean } = { readonly: true }): Promise<string[]> {
    const tombstoned = new Set(await this.store.listTombstones());
    const refused = keys.filter((key) => tombstoned.has(key.pubkey.toLowerCase()));
    for (const key of refused) key.secretKey.fill(0);
    this.addKeys(keys.filter((key) => !tombstoned.has(key.pubkey.toLowerCase())), options);
    return refused.map((key) => key.pubkey.toLowerCase());
  }

  /**
   * Stops signing with these keys at once: requests that have not reached the signing threads are
   * refused as unknown keys, and the returned promise settles once those already there are done.
   */
  async removeKeys(pubkeys: readonly string[]): Promise<void> {
    const lower = pubkeys.map((pubkey) => pubkey.toLowerCase());
    for (const pubkey of lower) this.keys.delete(pubkey);
    this.pool.removeKeys(lower);
    const pending = lower.flatMap((pubkey) => [...(this.signing.get(pubkey) ?? [])]);
    await Promise.allSettled(pending);
  }

  /** Gives the core a sealed store created after it started (a `keys import` into a fresh data dir). */
  attachSealedStore(store: SealedKeyStore): void {
    this.keyManagement.attachSealedStore(store);
  }

  hasKey(pubkey: string): boolean {
    return this.keys.has(pubkey.toLowerCase());
  }

  loadedKey(pubkey: string): { readonly: boolean } | undefined {
    return this.keys.get(pubkey.toLowerCase());
  }

  async listKeys(): Promise<string[]> {
    return [...this.keys.keys()];
  }

  async listKeyInfo(): Promise<KeyInfo[]> {
    return [...this.keys].map(([pubkey, { readonly }]) => ({ pubkey, readonly }));
  }

  importKeystores(keystores: readonly KeystoreImport[], slashingProtection?: unknown): Promise<KeyImportStatus[]> {
    return this.keyManagement.importKeystores(keystores, slashingProtection);
  }

  generateKeys(request: KeyGenerationRequest): Promise<GeneratedKey[]> {
    return this.keyManagement.generateKeys(request);
  }

  deleteKeys(pubkeys: readonly string[]): Promise<KeyDeletion> {
    return this.keyManagement.deleteKeys(pubkeys);
  }

  importProtection(interchange: unknown): Promise<ProtectionImportResult> {
    return this.keyManagement.importProtection(interchange);
  }

  exportProtection(pubkeys?: readonly string[]): Promise<string> {
    return this.keyManagement.exportProtection(pubkeys);
  }

  async sign(pubkey: string, body: unknown): Promise<SignOutcome> {
    const key = pubkey.toLowerCase();
    if (!this.keys.has(key)) return fail("unknown-key", `no key loaded for ${pubkey}`);
    const prepared = this.prepare(body);
    if (!prepared.ok) return prepared;
    const { result } = prepared;
    if (prepared.refusal !== undefined) return prepared.refusal;
    if (result.protection !== null) {
      const refusal = await this.checkProtection([protectionRequestOf(key, result.signingRoot, result.protection)]);
      if (refusal[0] !== undefined) return refusal[0];
    }
    return this.signRoot(key, result.signingRoot);
  }

  async signBatch(pubkeys: readonly string[], body: unknown): Promise<BatchOutcome> {
    const type = (body as { type?: unknown } | null)?.type;
    if (typeof type !== "string" || !BATCH_TYPES.has(type.toUpperCase())) {
      return fail("bad-request", `type: batch signing supports ${[...BATCH_TYPES].join(", ")}; got ${JSON.stringify(type)}`);
    }
    const checked = checkBatchIdentifiers(pubkeys, this.keys.size);
    if (!checked.ok) return fail("bad-request", checked.message);
    const { keys } = checked;

    const prepared = this.prepare(body);
    if (!prepared.ok) return prepared;
    const { result } = prepared;
    const results: Array<SignOutcome | undefined> = keys.map((key) =>
      !this.keys.has(key) ? fail("unknown-key", `no key loaded for ${key}`) : prepared.refusal,
    );
    const facts = result.protection;
    if (facts !== null) {
      const known = keys.filter((_, i) => results[i] === undefined);
      const refusals = await this.checkProtection(known.map((key) => protectionRequestOf(key, result.signingRoot, facts)));
      let k = 0;
      keys.forEach((_, i) => {
        if (results[i] === undefined) results[i] = refusals[k++];
      });
    }
    const signed = await Promise.all(
      keys.map((key, i) => results[i] ?? this.signRoot(key, result.signingRoot, { batched: true })),
    );
    return { ok: true, results: signed };
  }

  /**
   * Commit-Boost proposer commitments and proxy delegations: signs only the root this core computes
   * under the Commit-Boost domain (./commit-boost-root.ts); no caller supplies a root or a domain.
   */
  async signCommitBoost(pubkey: string, request: CommitBoostRootRequest): Promise<SignOutcome> {
    const key = pubkey.toLowerCase();
    if (!this.keys.has(key)) return fail("unknown-key", `no key loaded for ${pubkey}`);
    const root = commitBoostSigningRoot(this.network, request, key);
    if (!root.ok) return root;
    return this.signRoot(key, root.signingRoot);
  }

  /** Parses and computes the root; `refusal` is set when the signing policy refuses the request. */
  private prepare(body: unknown): { ok: true; result: SigningRootResult; refusal?: SignOutcome } | { ok: false; error: SignError } {
    let request: SigningRequest;
    try {
      request = parseSigningRequest(body);
      const result = computeSigningRoot(this.network, request);
      const decision = checkPolicy(this.policy, request, result.protection, this.now());
      if (decision.allowed) return { ok: true, result };
      return { ok: true, result, refusal: { ok: false, error: { code: "policy", message: decision.message, reason: decision.reason } } };
    } catch (err) {
      return { ok: false, error: signErrorOf(err, "cannot compute signing root: ") };
    }
  }

  /** One refusal (or undefined when allowed) per request; any storage failure refuses them all. */
  private async checkProtection(requests: ProtectionRequest[]): Promise<Array<SignOutcome | undefined>> {
    const started = performance.now();
    try {
      const decisions = await this.store.checkAndRecord(requests);
      return decisions.map((decision) =>
        decision.allowed
          ? undefined
          : { ok: false as const, error: { code: "slashing" as const, message: describeRefusal(decision.refusal), reason: decision.refusal.reason } },
      );
    } catch (err) {
      const outcome = fail("internal", `slashing protection unavailable, not signed: ${(err as Error).message}`);
      return requests.map(() => outcome);
    } finally {
      this.observer?.protectionSeconds((performance.now() - started) / 1000);
    }
  }

  private async signRoot(key: string, root: Uint8Array, options: SignOptions = {}): Promise<SignOutcome> {
    // A key removed while its request waited on the database must not sign.
    if (!this.keys.has(key)) return fail("unknown-key", `key ${key} was removed`);
    const started = performance.now();
    const signing = this.pool.sign(key, root, options);
    const inFlight = this.signing.get(key) ?? new Set<Promise<unknown>>();
    this.signing.set(key, inFlight.add(signing));
    try {
      const signature = await signing;
      return { ok: true, signature: "0x" + Buffer.from(signature).toString("hex") };
    } catch (err) {
      // Deleted while this request was on its way to the signing threads: nothing was signed.
      if (!this.keys.has(key)) return fail("unknown-key", `key ${key} was removed`);
      return fail("internal", (err as Error).message);
    } finally {
      inFlight.delete(signing);
      if (inFlight.size === 0) this.signing.delete(key);
      this.observer?.signSeconds((performance.now() - started) / 1000);
    }
  }

  async health(): Promise<CoreHealth> {
    const protection = await this.store.health();
    const broken = this.pool.brokenReason;
    return {
      ok: protection.ok && broken === undefined,
      keysLoaded: this.keys.size,
      protection,
      signing: broken === undefined ? { ok: true } : { ok: false, error: broken },
      startGuard: startGuardStatus(this.policy, this.now()),
    };
  }

  async close(): Promise<void> {
    await this.pool.close();
    await this.store.close();
  }
}
