/**
 * PostgreSQL protection store, shared by several signer instances (pg Pool).
 *
 * Every `checkAndRecord` group is ONE transaction (check-and-record.ts): advisory locks per
 * validator (locks.ts), the candidate records read under them, the shared decision path
 * (../decide.ts), the new records written, COMMIT before any promise resolves. Calls that arrive
 * while the pool is busy share a transaction (../group-commit.ts). Any failure rejects every call
 * of its group with ProtectionStoreError: the connection is destroyed, the server rolls the
 * transaction back, nothing is signed. The pool opens fresh connections when the database is back;
 * no restart is needed.
 */
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
import { checkAndRecordGroup } from "./check-and-record.js";
import { begin, commit, type Connection, createPool, type PostgresStoreOptions, withConnection } from "./connection.js";
import { exportHistory, importHistory, listValidators } from "./interchange.js";
import { migrate } from "./migrate.js";
import { prune } from "./prune.js";

/** Requests merged into one transaction at most (each distinct validator holds one lock). */
const MAX_GROUP_REQUESTS = 128;

export class PostgresProtectionStore implements ProtectionStore {
  private readonly groups: GroupCommit;

  private constructor(
    private readonly connection: Connection,
    readonly genesisValidatorsRoot: Root,
  ) {
    this.groups = new GroupCommit({
      maxGroupRequests: MAX_GROUP_REQUESTS,
      maxInFlight: connection.poolSize,
      commit: (requests) => withConnection(connection, (client) => checkAndRecordGroup(client, requests)),
    });
  }

  /** Where the data lives, without the password. */
  get location(): string {
    return this.connection.location;
  }

  /**
   * Connects, applies the pending migrations (under an advisory lock, so concurrent starts do not
   * race) and binds the database to one genesis validators root; refuses another root
   * (GenesisMismatchError) and a schema newer than this program (ProtectionStoreError).
   */
  static async open(url: string, genesisValidatorsRoot: Root, options: PostgresStoreOptions = {}): Promise<PostgresProtectionStore> {
    const gvr = genesisValidatorsRoot.toLowerCase();
    const connection = createPool(url, options);
    try {
      await migrate(connection, gvr, options.schema);
    } catch (err) {
      await connection.pool.end().catch(() => undefined);
      throw err;
    }
    return new PostgresProtectionStore(connection, gvr);
  }

  checkAndRecord(requests: readonly ProtectionRequest[]): Promise<Decision[]> {
    return this.groups.submit(requests);
  }

  async importHistory(genesisValidatorsRoot: Root, validators: readonly ValidatorHistory[], options: ImportOptions = {}): Promise<ImportSummary> {
    this.assertOpen();
    assertImportable(this.genesisValidatorsRoot, genesisValidatorsRoot, validators);
    return importHistory(this.connection, validators, options);
  }

  async *exportHistory(pubkeys?: readonly Pubkey[]): AsyncIterable<ValidatorHistory> {
    this.assertOpen();
    yield* exportHistory(this.connection, pubkeys);
  }

  async listValidators(): Promise<Pubkey[]> {
    this.assertOpen();
    return listValidators(this.connection);
  }

  async prune(keepEpochs: number, slotsPerEpoch: number): Promise<PruneSummary> {
    this.assertOpen();
    return prune(this.connection, keepEpochs, slotsPerEpoch);
  }

  health(): Promise<StoreHealth> {
    return measureHealth(async () => {
      this.assertOpen();
      const { rows } = await this.connection.pool.query<{ gvr: string | null }>(HEALTH_PROBE_SQL);
      if (rows[0]?.gvr !== this.genesisValidatorsRoot) return `database is bound to genesis validators root ${rows[0]?.gvr}`;
      const failure = this.groups.lastWriteError;
      if (failure === undefined) return undefined;
      // Reads work again; a durable write proves the database takes records again.
      try {
        await withConnection(this.connection, async (client) => {
          await client.query(
            `${begin()} INSERT INTO metadata (key, value) VALUES ('last_health_write', now()::text)
             ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`,
          );
          await commit(client);
        });
      } catch {
        return `last write failed: ${failure}`;
      }
      if (this.groups.lastWriteError === failure) this.groups.lastWriteError = undefined;
      return undefined;
    });
  }

  async close(): Promise<void> {
    if (this.groups.closed) return;
    // Let queued and running transactions finish before the connections go away.
    await this.groups.close();
    await this.connection.pool.end();
  }

  private assertOpen(): void {
    if (this.groups.closed) throw new ProtectionStoreError("slashing-protection database is closed");
  }
}
