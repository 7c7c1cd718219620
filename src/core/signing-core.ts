/**
 * The signing core: owns the keys (inside its signing pool) and the protection store. For every
 * request it parses the typed payload, computes the signing root itself for the configured network,
 * checks and durably records slashing data for blocks and attestations, and only then signs.
 */
import { randomBytes } from "node:crypto";
import { availableParallelism } from "node:os";
import { SecretKey } from "@chainsafe/blst";
import { createDeposit, DEFAULT_DEPOSIT_GWEI, DepositError, executionWithdrawalCredentials, parseExecutionAddress } from "../eth/deposit.js";
import { type IKeystore, schemaValidationErrors } from "@chainsafe/bls-keystore";
import { SignPool } from "../bls/sign-pool.js";
import { decryptAll } from "../keys/decrypt-pool.js";
import type { SealedKeyStore } from "../keys/sealed-store.js";
import type { Network } from "../config/networks.js";
import { BATCH_TYPES, computeSigningRoot, parseSigningRequest, type SigningRequest, type SigningRootResult } from "../eth/index.js";
import { signErrorOf } from "../errors/route.js";
import { isHex } from "../protection/hex.js";
import { checkBatchIdentifiers } from "./batch-identifiers.js";
import { InterchangeFormatError, serializeInterchange, validateInterchange } from "../protection/interchange.js";
import { checkPolicy, type SigningPolicy, startGuardStatus } from "../protection/policy.js";
import { describeRefusal } from "../protection/rules.js";
import { GenesisMismatchError, type ProtectionStore } from "../protection/store.js";
import type { ProtectionRequest } from "../protection/types.js";
import type {
  BatchOutcome,
  CoreHealth,
  GeneratedKey,
  KeyProvenanceRecorder,
  KeyDeletion,
  KeyGenerationRequest,
  KeyImportStatus,
  KeyInfo,
  KeystoreImport,
  ProtectionImportResult,
  SignError,
  SignErrorCode,
  SigningCoreApi,
  SignOutcome,
} from "./api.js";
import { type CommitBoostRootRequest, commitBoostSigningRoot } from "./commit-boost-root.js";
import { BulwarkError } from "../errors/bulwark-error.js";

/** Batch-eligible request types: the `batch` column of eth/request-types.ts (re-exported for the pool). */
export { BATCH_TYPES };

/** Timing hooks for metrics; the core itself never depends on a metrics library. */
export interface CoreObserver {
  protectionSeconds(seconds: number): void;
  signSeconds(seconds: number): void;
}

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

export interface KeyToLoad {
  pubkey: string;
  secretKey: Uint8Array;
}

export class ProtectionImportError extends BulwarkError<"protection-import"> {
  override name = "ProtectionImportError";

  constructor(message: string, options?: ErrorOptions) {
    super("protection-import", message, options);
  }
}

export class KeyImportUnavailableError extends BulwarkError<"no-sealed-store"> {
  override name = "KeyImportUnavailableError";

  constructor(message: string, options?: ErrorOptions) {
    super("no-sealed-store", message, options);
  }
}

/** The key generation request is invalid (count, address, amount). */
export class KeyGenerationError extends BulwarkError<"key-generation"> {
  override name = "KeyGenerationError";

  constructor(message: string, options?: ErrorOptions) {
    super("key-generation", message, options);
  }
}

const fail = (code: SignErrorCode, message: string): { ok: false; error: SignError } => ({
  ok: false,
  error: { code, message },
});

export class SigningCore implements SigningCoreApi {
  /** Loaded keys; `readonly` ones come from a keystore directory and cannot be deleted through the core. */
  private readonly keys = new Map<string, { readonly: boolean }>();
  /** Signatures being made, per key, so that a deletion can wait for them. */
  private readonly signing = new Map<string, Set<Promise<unknown>>>();
  private readonly pool: SignPool;
  private readonly network: Network;
  private readonly store: ProtectionStore;
  private readonly observer: CoreObserver | undefined;
  private sealedStore: SealedKeyStore | undefined;
  private readonly provenance: KeyProvenanceRecorder | undefined;

  private readonly policy: SigningPolicy;
  private readonly now: () => number;

  constructor(options: SigningCoreOptions) {
    this.provenance = options.provenance;
    this.policy = options.policy;
    this.now = options.now ?? Date.now;
    this.network = options.network;
    this.store = options.store;
    this.observer = options.observer;
    this.sealedStore = options.sealedStore;
    this.pool = new SignPool(options.signingThreads);
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
    this.sealedStore ??= store;
  }

  hasKey(pubkey: string): boolean {
    return this.keys.has(pubkey.toLowerCase());
  }

  async listKeys(): Promise<string[]> {
    return [...this.keys.keys()];
  }

  async listKeyInfo(): Promise<KeyInfo[]> {
    return [...this.keys].map(([pubkey, { readonly }]) => ({ pubkey, readonly }));
  }

  async importKeystores(keystores: readonly KeystoreImport[], slashingProtection?: unknown): Promise<KeyImportStatus[]> {
    const sealed = this.sealedStore;
    if (sealed === undefined) {
      throw new KeyImportUnavailableError("this signer has no sealed key store: start it with a sealing secret to import keys");
    }
    // History first: once a key is in the signing threads it can sign.
    if (slashingProtection !== undefined) await this.importProtection(slashingProtection);
    const tombstoned = new Set(await this.store.listTombstones());
    const withHistory = historyPubkeys(slashingProtection);
    const statuses: Array<KeyImportStatus | undefined> = keystores.map(({ keystore }) => {
      const problems = schemaValidationErrors(keystore);
      return problems === null ? undefined : { status: "error", message: `invalid EIP-2335 keystore: ${JSON.stringify(problems).slice(0, 300)}` };
    });
    const jobs = keystores.flatMap((entry, i) =>
      statuses[i] === undefined ? [{ index: i, job: { keystore: entry.keystore as IKeystore, password: entry.password } }] : [],
    );
    const outcomes = await decryptAll(jobs.map((j) => j.job), { workers: Math.min(jobs.length, availableParallelism()) || 1 });
    const toAdd: KeyToLoad[] = [];
    const seen = new Set<string>();
    jobs.forEach(({ index }, k) => {
      const outcome = outcomes[k]!;
      if (!outcome.ok) {
        statuses[index] = { status: "error", message: outcome.reason };
        return;
      }
      if (this.keys.has(outcome.pubkey) || seen.has(outcome.pubkey)) {
        outcome.secretKey.fill(0);
        statuses[index] = { status: "duplicate", pubkey: outcome.pubkey };
        return;
      }
      if (tombstoned.has(outcome.pubkey) && !withHistory.has(outcome.pubkey)) {
        outcome.secretKey.fill(0);
        statuses[index] = {
          status: "error",
          message: `${outcome.pubkey} was deleted from this signer earlier: import it again together with its slashing_protection history`,
        };
        return;
      }
      seen.add(outcome.pubkey);
      toAdd.push({ pubkey: outcome.pubkey, secretKey: outcome.secretKey });
      statuses[index] = { status: "imported", pubkey: outcome.pubkey };
    });
    try {
      await sealed.add(toAdd);
      // Imported anew with its history: the deletion no longer stands.
      await this.store.clearTombstones(toAdd.map((key) => key.pubkey).filter((pubkey) => tombstoned.has(pubkey)));
    } catch (err) {
      for (const key of toAdd) key.secretKey.fill(0);
      const message = `not stored: ${(err as Error).message}`;
      return statuses.map((status) => (status?.status === "imported" ? { status: "error", message } : status!));
    }
    this.addKeys(toAdd, { readonly: false });
    return statuses.map((status) => status!);
  }

  async generateKeys(request: KeyGenerationRequest): Promise<GeneratedKey[]> {
    const sealed = this.sealedStore;
    if (sealed === undefined) {
      throw new KeyImportUnavailableError("this signer has no sealed key store: start it with a sealing secret to generate keys");
    }
    if (!Number.isInteger(request.count) || request.count < 1 || request.count > 1000) {
      throw new KeyGenerationError("count: expected an integer from 1 to 1000");
    }
    let withdrawalCredentials: Uint8Array;
    try {
      withdrawalCredentials = executionWithdrawalCredentials(parseExecutionAddress(request.withdrawalAddress), request.compounding === true);
    } catch (err) {
      throw new KeyGenerationError(`withdrawal_address: ${(err as Error).message}`);
    }
    const generated: Array<GeneratedKey & { secretKey: Uint8Array }> = [];
    try {
      for (let i = 0; i < request.count; i++) {
        const ikm = randomBytes(32);
        const secret = SecretKey.fromKeygen(ikm);
        ikm.fill(0);
        const depositData = createDeposit(secret, {
          withdrawalCredentials,
          amount: request.amountGwei ?? DEFAULT_DEPOSIT_GWEI,
          network: this.network,
        });
        generated.push({ pubkey: secret.toPublicKey().toHex(true).toLowerCase(), depositData, secretKey: secret.toBytes() });
      }
    } catch (err) {
      for (const key of generated) key.secretKey.fill(0);
      if (err instanceof DepositError) throw new KeyGenerationError(err.message);
      throw err;
    }
    const provenance = await this.recordProvenance(generated);
    // Persisted before they can sign: a key that signs must survive a restart.
    await sealed.add(generated);
    this.addKeys(generated, { readonly: false });
    return generated.map(({ pubkey, depositData }, i) => ({ pubkey, depositData, ...(provenance[i] !== undefined ? { provenance: provenance[i] } : {}) }));
  }

  /** Provenance first: no key generated with attestation on is ever sealed without its not-exportable mark. */
  private async recordProvenance(generated: Array<GeneratedKey & { secretKey: Uint8Array }>): Promise<Array<GeneratedKey["provenance"]>> {
    if (this.provenance === undefined) return [];
    try {
      return await this.provenance.recordKeyProvenance(generated.map(({ pubkey, depositData }) => ({ pubkey, depositData })));
    } catch (err) {
      for (const key of generated) key.secretKey.fill(0);
      throw err;
    }
  }

  async deleteKeys(pubkeys: readonly string[]): Promise<KeyDeletion> {
    const requested = pubkeys.map((pubkey) => pubkey.toLowerCase());
    const withHistory = new Set(await this.store.listValidators());
    const statuses: KeyDeletion["statuses"] = [];
    const deletable: string[] = [];
    for (const pubkey of requested) {
      const loaded = this.keys.get(pubkey);
      if (!isHex(pubkey, 48)) statuses.push({ status: "error", message: `${pubkey} is not a 48-byte hex public key` });
      else if (loaded?.readonly) statuses.push({ status: "error", message: "read-only key (loaded from a keystore directory): remove its file and reload" });
      else if (loaded !== undefined) {
        deletable.push(pubkey);
        statuses.push({ status: "deleted" });
      } else statuses.push({ status: withHistory.has(pubkey) ? "not_active" : "not_found" });
    }
    await this.removeKeys(deletable);
    try {
      // Tombstoned before the sealed store forgets them, so no older copy of it can bring them back.
      await this.store.tombstone(deletable);
      await this.sealedStore?.remove(deletable);
    } catch (err) {
      // The keys no longer sign here, but they would come back at restart: say so.
      const message = `stopped signing but could not record the deletion or remove the key from the sealed store: ${(err as Error).message}`;
      statuses.forEach((status, i) => {
        if (status.status === "deleted" && deletable.includes(requested[i]!)) statuses[i] = { status: "error", message };
      });
    }
    // The history of every requested key that has one, deleted or not, so the operator can move it.
    const exported = [...new Set(requested.filter((pubkey, i) => statuses[i]!.status === "deleted" || withHistory.has(pubkey)))];
    const slashingProtection = await this.exportProtection(exported);
    return { statuses, slashingProtection };
  }

  async sign(pubkey: string, body: unknown): Promise<SignOutcome> {
    const key = pubkey.toLowerCase();
    if (!this.keys.has(key)) return fail("unknown-key", `no key loaded for ${pubkey}`);
    const prepared = this.prepare(body);
    if (!prepared.ok) return prepared;
    const { result } = prepared;
    if (prepared.refusal !== undefined) return prepared.refusal;
    if (result.protection !== null) {
      const refusal = await this.checkProtection([protectionRequest(key, result)]);
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
    if (result.protection !== null) {
      const known = keys.filter((_, i) => results[i] === undefined);
      const refusals = await this.checkProtection(known.map((key) => protectionRequest(key, result)));
      let k = 0;
      keys.forEach((_, i) => {
        if (results[i] === undefined) results[i] = refusals[k++];
      });
    }
    const signed = await Promise.all(
      keys.map((key, i) => results[i] ?? this.signRoot(key, result.signingRoot)),
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

  private async signRoot(key: string, root: Uint8Array): Promise<SignOutcome> {
    // A key removed while its request waited on the database must not sign.
    if (!this.keys.has(key)) return fail("unknown-key", `key ${key} was removed`);
    const started = performance.now();
    const signing = this.pool.sign(key, root);
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

  async importProtection(interchange: unknown): Promise<ProtectionImportResult> {
    try {
      const parsed = validateInterchange(interchange);
      return await this.store.importHistory(parsed.genesisValidatorsRoot, parsed.validators);
    } catch (err) {
      if (err instanceof InterchangeFormatError || err instanceof GenesisMismatchError) {
        throw new ProtectionImportError(`slashing protection data: ${err.message}`);
      }
      throw err;
    }
  }

  async exportProtection(pubkeys?: readonly string[]): Promise<string> {
    let text = "";
    for await (const chunk of serializeInterchange(this.store.genesisValidatorsRoot, this.store.exportHistory(pubkeys))) {
      text += chunk;
    }
    return text;
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

function protectionRequest(pubkey: string, result: SigningRootResult): ProtectionRequest {
  const signingRoot = "0x" + Buffer.from(result.signingRoot).toString("hex");
  const facts = result.protection!;
  return facts.kind === "block"
    ? { kind: "block", pubkey, slot: facts.slot, signingRoot }
    : { kind: "attestation", pubkey, sourceEpoch: facts.sourceEpoch, targetEpoch: facts.targetEpoch, signingRoot };
}

/** The keys an EIP-3076 document (as given to the keymanager API) carries history for. */
function historyPubkeys(interchange: unknown): Set<string> {
  const data = (interchange as { data?: unknown } | null | undefined)?.data;
  if (!Array.isArray(data)) return new Set();
  return new Set(data.flatMap((entry) => (typeof (entry as { pubkey?: unknown })?.pubkey === "string" ? [(entry as { pubkey: string }).pubkey.toLowerCase()] : [])));
}
