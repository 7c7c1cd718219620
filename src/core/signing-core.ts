/**
 * The signing core: owns the keys (inside its signing pool) and the protection store. For every
 * request it parses the typed payload, computes the signing root itself for the configured network,
 * checks and records slashing data for blocks and attestations, signs what its protection allowed,
 * and releases a signature only once that record is durable.
 */
import { SignPool, type SignOptions } from "../bls/sign-pool.js";
import type { SealedKeyStore } from "../keys/sealed-store.js";
import type { Network } from "../config/networks.js";
import { BATCH_TYPES, computeSigningRoot, parseSigningRequest, type ProtectionFacts, type SigningRequest, type SigningRootResult } from "../eth/index.js";
import { signErrorOf } from "../errors/route.js";
import { checkBatchIdentifiers } from "../eth/batch-identifiers.js";
import { checkPolicy, type SigningPolicy, startGuardStatus } from "../protection/policy.js";
import { describeRefusal } from "../protection/rules.js";
import type { ProtectionStore } from "../protection/store.js";
import { protectionRequestOf } from "../protection/request-of.js";
import type { Refusal } from "../protection/types.js";
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

/** See signingThreadsBusy. */
const HOLD_BACKLOG_PER_THREAD = 24;

const refusalOf = (refusal: Refusal): SignOutcome => ({ ok: false, error: { code: "slashing", message: describeRefusal(refusal), reason: refusal.reason } });

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
    if (result.protection === null) return this.signRoot(key, result.signingRoot);
    const [outcome] = await this.protectAndSign([key], result.signingRoot, result.protection);
    return outcome!;
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
    const known = keys.filter((_, i) => results[i] === undefined);
    const outcomes =
      facts === null
        ? await Promise.all(known.map((key) => this.signRoot(key, result.signingRoot, { batched: true })))
        : await this.protectAndSign(known, result.signingRoot, facts, { batched: true });
    let k = 0;
    const signed = results.map((outcome) => outcome ?? outcomes[k++]!);
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

  /**
   * Record-before-release, the one path every request with slashing data takes: each request is
   * decided in its group's transaction; an allowed one is signed as soon as the decisions are made,
   * while the commit waits for the disk; its signature is handed back only once the commit has
   * returned (ProtectionStore.checkAndRecordWith). A refused request is never signed, and a failed
   * commit refuses every request of its group, dropping any signature made for it.
   */
  private async protectAndSign(keys: readonly string[], root: Uint8Array, facts: ProtectionFacts, options: SignOptions = {}): Promise<SignOutcome[]> {
    const started = performance.now();
    const requests = keys.map((key) => protectionRequestOf(key, root, facts));
    const recorded = this.store.checkAndRecordWith(
      requests,
      (decisions) => Promise.all(decisions.map((decision, i) => (decision.allowed ? this.signRoot(keys[i]!, root, options) : refusalOf(decision.refusal)))),
      { holdWhile: this.signingThreadsBusy },
    );
    // Until released: a key deleted meanwhile waits for this, so its exported history holds the record.
    for (const key of new Set(keys)) this.track(key, recorded);
    try {
      const { prepared, committedAt } = await recorded;
      this.observer?.protectionSeconds((committedAt - started) / 1000);
      return prepared;
    } catch (err) {
      this.observer?.protectionSeconds((performance.now() - started) / 1000);
      const outcome = fail("internal", `slashing protection unavailable, not signed: ${(err as Error).message}`);
      return keys.map(() => outcome);
    }
  }

  /**
   * The signing threads have enough queued that a commit held back for a fuller group costs no
   * signing time: HOLD_BACKLOG_PER_THREAD signatures each is several milliseconds of work.
   */
  private readonly signingThreadsBusy = () => this.pool.backlog >= HOLD_BACKLOG_PER_THREAD * this.pool.size;

  /** Keeps `work` in the key's in-flight set until it settles (removeKeys waits for the set). */
  private track(key: string, work: Promise<unknown>): void {
    const inFlight = this.signing.get(key) ?? new Set<Promise<unknown>>();
    this.signing.set(key, inFlight.add(work));
    const done = () => {
      inFlight.delete(work);
      if (inFlight.size === 0 && this.signing.get(key) === inFlight) this.signing.delete(key);
    };
    work.then(done, done);
  }

  private async signRoot(key: string, root: Uint8Array, options: SignOptions = {}): Promise<SignOutcome> {
    // A key removed while its request waited on the database must not sign.
    if (!this.keys.has(key)) return fail("unknown-key", `key ${key} was removed`);
    const started = performance.now();
    const signing = this.pool.sign(key, root, options);
    this.track(key, signing);
    try {
      const signature = await signing;
      return { ok: true, signature: "0x" + Buffer.from(signature).toString("hex") };
    } catch (err) {
      // Deleted while this request was on its way to the signing threads: nothing was signed.
      if (!this.keys.has(key)) return fail("unknown-key", `key ${key} was removed`);
      return fail("internal", (err as Error).message);
    } finally {
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
