/**
 * Embedded SQLite protection store (better-sqlite3): WAL journal with synchronous=FULL, so every
 * commit is fsync'd before `checkAndRecord` resolves. Signing groups are committed by a thread of
 * their own (commit-thread.ts), the rest (imports, exports, prunes, health) on this thread. Calls that arrive while a commit runs, or in
 * the same event-loop turn, share one transaction and one fsync (../group-commit.ts); each request
 * is still decided after every earlier one (../decide.ts). Transactions are BEGIN IMMEDIATE:
 * another process writing the same file waits for the lock.
 */
import type Database from "better-sqlite3";
import { GroupCommit } from "../group-commit.js";
import type { ValidatorHistory } from "../history.js";
import { assertImportable } from "../request-checks.js";
import { HEALTH_PROBE_SQL, measureHealth } from "../store-health.js";
import {
  type ImportOptions,
  type ImportSummary,
  type ProtectionStore,
  ProtectionStoreError,
  type PruneSummary,
  type StoreHealth,
} from "../store.js";
import type { Decision, ProtectionRequest, Pubkey, Root } from "../types.js";
import { SqliteCommitThread } from "./commit-thread.js";
import { prepareInterchange } from "./interchange.js";
import { prune } from "./prune.js";
import { openDatabase } from "./schema.js";

/** Requests merged into one transaction at most, so that signing can start on the first group of a burst. */
const GROUP_COMMIT_LIMIT = 128;

export interface SqliteStoreOptions {
  dataDir: string;
  genesisValidatorsRoot: Root;
}

export class SqliteProtectionStore implements ProtectionStore {
  private readonly groups: GroupCommit;
  private readonly commitThread: SqliteCommitThread;
  private readonly interchange;

  private constructor(
    /** This thread's connection: opening, imports, exports, prunes, health. */
    private readonly db: Database.Database,
    readonly genesisValidatorsRoot: Root,
    readonly path: string,
  ) {
    // Signing groups commit on a connection of their own in a thread of their own: the event loop
    // goes on parsing requests and handing out signatures while a commit waits for its fsync.
    this.commitThread = new SqliteCommitThread(path);
    this.groups = new GroupCommit({
      maxGroupRequests: GROUP_COMMIT_LIMIT,
      maxInFlight: 1,
      commit: (requests) => this.commitThread.commit(requests),
    });
    this.interchange = prepareInterchange(db);
  }

  /** Opens (creating if needed) the database in `dataDir`, bound to one genesis validators root. */
  static open(options: SqliteStoreOptions): SqliteProtectionStore {
    const gvr = options.genesisValidatorsRoot.toLowerCase();
    const { db, path } = openDatabase(options.dataDir, gvr);
    return new SqliteProtectionStore(db, gvr, path);
  }

  checkAndRecord(requests: readonly ProtectionRequest[]): Promise<Decision[]> {
    return this.groups.submit(requests);
  }

  async importHistory(genesisValidatorsRoot: Root, validators: readonly ValidatorHistory[], options: ImportOptions = {}): Promise<ImportSummary> {
    this.assertOpen();
    assertImportable(this.genesisValidatorsRoot, genesisValidatorsRoot, validators);
    return this.interchange.importHistory(validators, options);
  }

  async *exportHistory(pubkeys?: readonly Pubkey[]): AsyncIterable<ValidatorHistory> {
    this.assertOpen();
    yield* this.interchange.exportHistory(pubkeys);
  }

  async listValidators(): Promise<Pubkey[]> {
    this.assertOpen();
    return this.interchange.listValidators();
  }

  async prune(keepEpochs: number, slotsPerEpoch: number): Promise<PruneSummary> {
    this.assertOpen();
    return prune(this.db, keepEpochs, slotsPerEpoch);
  }

  health(): Promise<StoreHealth> {
    return measureHealth(async () => {
      this.assertOpen();
      this.db.prepare(HEALTH_PROBE_SQL).get();
      const failure = this.groups.lastWriteError;
      return failure === undefined ? undefined : `last write failed: ${failure}`;
    });
  }

  async close(): Promise<void> {
    if (this.groups.closed) return;
    // Let any queued group commit finish before the connection goes away.
    await this.groups.close();
    await this.commitThread.close();
    this.db.close();
  }

  private assertOpen(): void {
    if (this.groups.closed) throw new ProtectionStoreError("slashing-protection database is closed");
  }
}
