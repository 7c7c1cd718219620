/**
 * Key management of the signing core: imports EIP-2335 keystores and EIP-3076 history, generates
 * keys inside the core, deletes keys and hands back their history. The keys themselves are held
 * by the SigningCore (./signing-core.ts), which delegates these calls here; nothing here signs.
 */
import { randomBytes } from "node:crypto";
import { availableParallelism } from "node:os";
import { SecretKey } from "@chainsafe/blst";
import { type IKeystore, schemaValidationErrors } from "@chainsafe/bls-keystore";
import type { Network } from "../config/networks.js";
import { codedError } from "../errors/bulwark-error.js";
import { createDeposit, DEFAULT_DEPOSIT_GWEI, DepositError, executionWithdrawalCredentials, parseExecutionAddress } from "../eth/deposit.js";
import { decryptAll } from "../keys/decrypt-pool.js";
import type { SealedKeyStore } from "../keys/sealed-store.js";
import { isHex } from "../util/hex.js";
import { InterchangeFormatError, serializeInterchange, validateInterchange } from "../protection/interchange.js";
import { GenesisMismatchError, type ProtectionStore } from "../protection/store.js";
import type {
  GeneratedKey,
  KeyDeletion,
  KeyGenerationRequest,
  KeyImportStatus,
  KeyProvenanceRecorder,
  KeystoreImport,
  KeyToLoad,
  ProtectionImportResult,
} from "./api.js";

/** The EIP-3076 data given with an import is unusable; nothing was imported. */
export class ProtectionImportError extends codedError("protection-import") {
  override name = "ProtectionImportError";
}

export class KeyImportUnavailableError extends codedError("no-sealed-store") {
  override name = "KeyImportUnavailableError";
}

/** The key generation request is invalid (count, address, amount). */
export class KeyGenerationError extends codedError("key-generation") {
  override name = "KeyGenerationError";
}

/** The signing core's set of loaded keys, as key management changes it. */
export interface LoadedKeys {
  /** The loaded key (undefined when not loaded); `readonly` keys come from a keystore directory. */
  loadedKey(pubkey: string): { readonly: boolean } | undefined;
  addKeys(keys: readonly KeyToLoad[], options: { readonly: boolean }): void;
  /** Stops signing with them; settles once the signatures already being made are done. */
  removeKeys(pubkeys: readonly string[]): Promise<void>;
}

export interface KeyManagementOptions {
  network: Network;
  store: ProtectionStore;
  keys: LoadedKeys;
  sealedStore?: SealedKeyStore;
  provenance?: KeyProvenanceRecorder;
}

export class KeyManagement {
  private readonly network: Network;
  private readonly store: ProtectionStore;
  private readonly keys: LoadedKeys;
  private sealedStore: SealedKeyStore | undefined;
  private readonly provenance: KeyProvenanceRecorder | undefined;

  constructor(options: KeyManagementOptions) {
    this.network = options.network;
    this.store = options.store;
    this.keys = options.keys;
    this.sealedStore = options.sealedStore;
    this.provenance = options.provenance;
  }

  /** Gives key management a sealed store created after the core started (a `keys import` into a fresh data dir). */
  attachSealedStore(store: SealedKeyStore): void {
    this.sealedStore ??= store;
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
      if (this.keys.loadedKey(outcome.pubkey) !== undefined || seen.has(outcome.pubkey)) {
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
    this.keys.addKeys(toAdd, { readonly: false });
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
    this.keys.addKeys(generated, { readonly: false });
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
      const loaded = this.keys.loadedKey(pubkey);
      if (!isHex(pubkey, 48)) statuses.push({ status: "error", message: `${pubkey} is not a 48-byte hex public key` });
      else if (loaded?.readonly) statuses.push({ status: "error", message: "read-only key (loaded from a keystore directory): remove its file and reload" });
      else if (loaded !== undefined) {
        deletable.push(pubkey);
        statuses.push({ status: "deleted" });
      } else statuses.push({ status: withHistory.has(pubkey) ? "not_active" : "not_found" });
    }
    await this.keys.removeKeys(deletable);
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

  async importProtection(interchange: unknown): Promise<ProtectionImportResult> {
    try {
      const parsed = validateInterchange(interchange);
      return await this.store.importHistory(parsed.genesisValidatorsRoot, parsed.validators);
    } catch (err) {
      if (err instanceof InterchangeFormatError || err instanceof GenesisMismatchError) {
        throw new ProtectionImportError(`slashing protection data: ${err.message}`, { cause: err });
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
}

/** The keys an EIP-3076 document (as given to the keymanager API) carries history for. */
function historyPubkeys(interchange: unknown): Set<string> {
  const data = (interchange as { data?: unknown } | null | undefined)?.data;
  if (!Array.isArray(data)) return new Set();
  return new Set(data.flatMap((entry) => (typeof (entry as { pubkey?: unknown })?.pubkey === "string" ? [(entry as { pubkey: string }).pubkey.toLowerCase()] : [])));
}
