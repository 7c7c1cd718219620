/**
 * Embedded SQLite protection store (better-sqlite3): WAL journal with synchronous=FULL, so every
 * commit is fsync'd before `checkAndRecord` resolves. Signing groups are committed by a thread of
 * their own (commit-thread.ts), the rest (imports, exports, prunes, health) on this thread. Calls
 * that arrive while a commit runs, or in the same event-loop turn, share one transaction and one
 * fsync (../group-commit.ts); each request is still decided after every earlier one
 * (../decide.ts). Transactions are BEGIN IMMEDIATE: another process writing the same file waits
 * for the lock.
 */
import type Database from "better-sqlite3";
import { BackedProtectionStore, type StorageBackend } from "../backed-store.js";
import { HEALTH_PROBE_SQL } from "../store-health.js";
import type { Root } from "../types.js";
import { SqliteCommitThread } from "./commit-thread.js";
import { prepareInterchange } from "./interchange.js";
import { prune } from "./prune.js";
import { openDatabase } from "./schema.js";
import { prepareTombstones } from "./tombstones.js";

/** Requests merged into one transaction at most, so that signing can start on the first group of a burst. */
const GROUP_COMMIT_LIMIT = 128;

export interface SqliteStoreOptions {
  dataDir: string;
  genesisValidatorsRoot: Root;
}

/**
 * `db` is this thread's connection; signing groups commit on the commit thread's own connection,
 * so the event loop goes on parsing requests and handing out signatures while a commit waits for
 * its fsync.
 */
function sqliteBackend(db: Database.Database, path: string): StorageBackend {
  const commitThread = new SqliteCommitThread(path);
  const interchange = prepareInterchange(db);
  const tombstones = prepareTombstones(db);
  return {
    commitGroup: (requests, decided) => commitThread.commit(requests, decided),
    takeReplies: () => commitThread.takeReplies(),
    importHistory: async (validators, options) => interchange.importHistory(validators, options),
    exportHistory: (pubkeys) => interchange.exportHistory(pubkeys),
    listValidators: async () => interchange.listValidators(),
    tombstone: async (pubkeys) => tombstones.tombstone(pubkeys),
    clearTombstones: async (pubkeys) => tombstones.clearTombstones(pubkeys),
    listTombstones: async () => tombstones.listTombstones(),
    prune: async (keepEpochs, slotsPerEpoch) => prune(db, keepEpochs, slotsPerEpoch),
    async healthProblem(lastWriteError) {
      db.prepare(HEALTH_PROBE_SQL).get();
      // Only a commit that succeeds clears a failed one.
      return lastWriteError === undefined ? undefined : `last write failed: ${lastWriteError}`;
    },
    async close() {
      await commitThread.close();
      db.close();
    },
  };
}

export class SqliteProtectionStore extends BackedProtectionStore {
  private constructor(
    db: Database.Database,
    genesisValidatorsRoot: Root,
    readonly path: string,
    created: boolean,
  ) {
    super(genesisValidatorsRoot, created, sqliteBackend(db, path), {
      maxGroupRequests: GROUP_COMMIT_LIMIT,
      // One writer: a second group only queues on the commit thread, behind the one committing.
      maxInFlight: 2,
      partialGroupsWait: true,
    });
  }

  /** Opens (creating if needed) the database in `dataDir`, bound to one genesis validators root. */
  static open(options: SqliteStoreOptions): SqliteProtectionStore {
    const gvr = options.genesisValidatorsRoot.toLowerCase();
    const { db, path, created } = openDatabase(options.dataDir, gvr);
    return new SqliteProtectionStore(db, gvr, path, created);
  }
}
