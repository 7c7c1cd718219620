/**
 * The ProtectionStore every backend shares: the closed check, request and import validation, group
 * commit and the health answer live here once. A backend (sqlite/, postgres/) supplies only what
 * touches its database: one group's transaction (locks, candidate reads, the shared decision path,
 * writes, commit), imports, exports, prunes, a health probe and closing. A new table or method
 * goes into StorageBackend and each backend, and is exposed here.
 */
import { GroupCommit, type GroupCommitOptions } from "./group-commit.js";
import type { ValidatorHistory } from "./history.js";
import { assertImportable } from "./request-checks.js";
import { measureHealth } from "./store-health.js";
import {
  type CommitCallOptions,
  type ImportOptions,
  type ImportSummary,
  type PrepareOnDecisions,
  type ProtectionStore,
  ProtectionStoreError,
  type PruneSummary,
  type Recorded,
  type StoreHealth,
} from "./store.js";
import type { Decision, ProtectionRequest, Pubkey, Root } from "./types.js";

export interface StorageBackend {
  /**
   * Decides (decide.ts) and durably records one group in one transaction: calls `decided` with the
   * decisions once they are made and written, before COMMIT; resolves once COMMIT has returned;
   * rejects on any failure (GroupCommitOptions.commit).
   */
  commitGroup(requests: readonly ProtectionRequest[], decided: (decisions: Decision[]) => void): Promise<void>;
  /** GroupCommitOptions.takeReplies. */
  takeReplies?(): void;
  /** Merges validated history in one transaction. */
  importHistory(validators: readonly ValidatorHistory[], options: ImportOptions): Promise<ImportSummary>;
  exportHistory(pubkeys?: readonly Pubkey[]): AsyncIterable<ValidatorHistory> | Iterable<ValidatorHistory>;
  listValidators(): Promise<Pubkey[]>;
  /** Tombstones of deleted keys (ProtectionStore.tombstone): durable writes, never pruned. */
  tombstone(pubkeys: readonly Pubkey[]): Promise<void>;
  clearTombstones(pubkeys: readonly Pubkey[]): Promise<void>;
  listTombstones(): Promise<Pubkey[]>;
  prune(keepEpochs: number, slotsPerEpoch: number): Promise<PruneSummary>;
  /**
   * Why the database is unhealthy, or undefined when it is. `lastWriteError` is why the last
   * commit failed, if it did: answering undefined then says writes work again.
   */
  healthProblem(lastWriteError: string | undefined): Promise<string | undefined>;
  /** Called once every group has settled. */
  close(): Promise<void>;
}

/** How a backend's calls are grouped into transactions (group-commit.ts). */
export type GroupLimits = Omit<GroupCommitOptions, "commit">;

export abstract class BackedProtectionStore implements ProtectionStore {
  private readonly groups: GroupCommit;

  protected constructor(
    readonly genesisValidatorsRoot: Root,
    /** Whether this open created the database (ProtectionStore.created). */
    readonly created: boolean,
    private readonly backend: StorageBackend,
    limits: GroupLimits,
  ) {
    this.groups = new GroupCommit({ ...limits, commit: (requests, decided) => backend.commitGroup(requests, decided), takeReplies: backend.takeReplies?.bind(backend) });
  }

  async checkAndRecord(requests: readonly ProtectionRequest[]): Promise<Decision[]> {
    return (await this.groups.submit(requests, () => undefined)).decisions;
  }

  checkAndRecordWith<T>(requests: readonly ProtectionRequest[], prepare: PrepareOnDecisions<T>, options?: CommitCallOptions): Promise<Recorded<T>> {
    return this.groups.submit(requests, prepare, options);
  }

  async importHistory(genesisValidatorsRoot: Root, validators: readonly ValidatorHistory[], options: ImportOptions = {}): Promise<ImportSummary> {
    this.assertOpen();
    assertImportable(this.genesisValidatorsRoot, genesisValidatorsRoot, validators);
    return this.backend.importHistory(validators, options);
  }

  async *exportHistory(pubkeys?: readonly Pubkey[]): AsyncIterable<ValidatorHistory> {
    this.assertOpen();
    yield* this.backend.exportHistory(pubkeys);
  }

  async listValidators(): Promise<Pubkey[]> {
    this.assertOpen();
    return this.backend.listValidators();
  }

  async tombstone(pubkeys: readonly Pubkey[]): Promise<void> {
    this.assertOpen();
    return this.backend.tombstone(pubkeys);
  }

  async clearTombstones(pubkeys: readonly Pubkey[]): Promise<void> {
    this.assertOpen();
    return this.backend.clearTombstones(pubkeys);
  }

  async listTombstones(): Promise<Pubkey[]> {
    this.assertOpen();
    return this.backend.listTombstones();
  }

  async prune(keepEpochs: number, slotsPerEpoch: number): Promise<PruneSummary> {
    this.assertOpen();
    return this.backend.prune(keepEpochs, slotsPerEpoch);
  }

  health(): Promise<StoreHealth> {
    return measureHealth(async () => {
      this.assertOpen();
      const failure = this.groups.lastWriteError;
      const problem = await this.backend.healthProblem(failure);
      if (problem === undefined && failure !== undefined && this.groups.lastWriteError === failure) this.groups.lastWriteError = undefined;
      return problem;
    });
  }

  async close(): Promise<void> {
    if (this.groups.closed) return;
    // Let queued and running groups finish before the connections go away.
    await this.groups.close();
    await this.backend.close();
  }

  private assertOpen(): void {
    if (this.groups.closed) throw new ProtectionStoreError("slashing-protection database is closed");
  }
}
