/**
 * PostgreSQL protection store, shared by several signer instances (pg Pool).
 *
 * Every `checkAndRecord` group is ONE transaction: READ COMMITTED, synchronous_commit on (set in the
 * transaction itself, whatever the server default), a shared advisory lock that only imports and
 * prunes take exclusively, then `pg_advisory_xact_lock` for every validator of the group in sorted
 * key order (no deadlocks), one statement reading exactly the history the pure rules need (the same
 * candidate queries as the SQLite store), the decisions in order, one statement inserting the
 * allowed records, and COMMIT before any promise resolves. The advisory lock is released only when
 * the commit is visible, and the read runs in a statement begun after the lock was granted, so two
 * transactions for one validator, in this process or another, are strictly serialised.
 *
 * Calls that arrive while the pool is busy share a transaction (group commit); each request is
 * still decided after every earlier one. Any failure rejects every call of its group with
 * ProtectionStoreError: the connection is destroyed, the server rolls the transaction back, nothing
 * is signed. The pool opens fresh connections when the database is back; no restart is needed.
 */
import { invalidRequestReason } from "./request-checks.js";
import { createHash } from "node:crypto";
import pg from "pg";
import { LATEST_SCHEMA_VERSION, MIGRATIONS, SCHEMA_MIGRATIONS_DDL } from "./migrations/index.js";
import { assertPruneArguments, attestationCutoffsSql, attestationsKeptSql, keptSlots } from "./prune.js";
import { checkAttestation, checkBlock } from "./rules.js";
import type { ValidatorHistory } from "./history.js";
import {
  GenesisMismatchError,
  type ImportOptions,
  type ImportSummary,
  type ProtectionStore,
  ProtectionStoreError,
  type PruneSummary,
  type StoreHealth,
} from "./store.js";
import type { AttestationRecord, BlockRecord, Decision, ProtectionRequest, Pubkey, Root } from "./types.js";

export interface PostgresStoreOptions {
  /** Connections in the pool; also how many transactions run at once (default 10). */
  poolSize?: number;
  /**
   * Server-side limit of one statement, lock waits included (default 5000 ms). A request that
   * cannot be decided in time is refused (fail closed).
   */
  statementTimeoutMs?: number;
  /** Schema holding the tables (created if needed); default: the connection's search_path. */
  schema?: string;
}

export const DEFAULT_POOL_SIZE = 10;
export const DEFAULT_STATEMENT_TIMEOUT_MS = 5_000;
/** Client-side grace after the server's statement timeout, for a server that stopped answering. */
const CLIENT_TIMEOUT_MARGIN_MS = 2_000;
/** Imports, prunes and migrations may take long; they run without a statement timeout. */
const MAINTENANCE_TIMEOUT_MS = 60 * 60 * 1000;
/** Requests merged into one transaction at most (each distinct validator holds one lock). */
const MAX_GROUP_REQUESTS = 128;
const IMPORT_CHUNK_RECORDS = 20_000;
const IMPORT_CHUNK_VALIDATORS = 10_000;
const EXPORT_CHUNK_VALIDATORS = 64;
/** Keys pruned per transaction (each holds its key's lock for the duration). */
const PRUNE_BATCH_VALIDATORS = 256;

/** A 64-bit advisory lock key from a name: the first 8 bytes of its SHA-256. */
export function advisoryLockKey(name: string): bigint {
  return createHash("sha256").update(name).digest().readBigInt64BE(0);
}

/** Taken shared by every signing transaction, exclusively by imports and prunes. */
const WRITERS_LOCK = advisoryLockKey("bulwark/slashing-protection/writers");
const MIGRATION_LOCK = advisoryLockKey("bulwark/slashing-protection/migrations");

export function validatorLockKey(pubkey: Pubkey): bigint {
  return advisoryLockKey(`bulwark/slashing-protection/validator/${pubkey.toLowerCase()}`);
}

/** The URL without its password, for messages and logs. */
export function redactDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== "") parsed.password = "****";
    // node-postgres also takes passwords from the query string.
    for (const key of ["password", "sslpassword"]) if (parsed.searchParams.has(key)) parsed.searchParams.set(key, "****");
    return parsed.toString();
  } catch {
    return "(unparseable database URL)";
  }
}

interface PendingCall {
  requests: readonly ProtectionRequest[];
  resolve: (decisions: Decision[]) => void;
  reject: (error: Error) => void;
}

interface HistoryRow {
  i: number;
  tag: "m" | "b" | "w" | "a";
  x: string | null;
  y: string | null;
  root: Buffer | null;
}

interface RecordRow {
  validator_id: string;
  kind: number;
  a: string;
  b: string | null;
  signing_root: Buffer;
}

/** What one request's check needs, read under the locks. */
interface ReadHistory {
  lowest: number | null;
  lowestTarget: number | null;
  blocks: BlockRecord[];
  attestations: AttestationRecord[];
}

/** Exported for the query-plan test. */
export const READ_HISTORY_SQL = `
WITH r AS MATERIALIZED (
  SELECT r.i, r.kind, r.a, r.b, v.id
  FROM unnest($1::int[], $2::text[], $3::int[], $4::bigint[], $5::bigint[]) AS r(i, pk, kind, a, b)
  JOIN validators v ON v.pubkey = decode(r.pk, 'hex')
)
SELECT r.i, 'm' AS tag, (SELECT MIN(slot) FROM signed_blocks x WHERE x.validator_id = r.id) AS x,
       NULL::bigint AS y, NULL::bytea AS root
FROM r WHERE r.kind = 0
UNION ALL
SELECT r.i, 'b', x.slot, NULL, x.signing_root
FROM r JOIN signed_blocks x ON x.validator_id = r.id AND x.slot = r.a WHERE r.kind = 0
UNION ALL
SELECT r.i, 'w', (SELECT MIN(source_epoch) FROM signed_attestations x WHERE x.validator_id = r.id),
       (SELECT MIN(target_epoch) FROM signed_attestations x WHERE x.validator_id = r.id), NULL
FROM r WHERE r.kind = 1
UNION ALL
SELECT r.i, 'a', x.source_epoch, x.target_epoch, x.signing_root
FROM r JOIN signed_attestations x ON x.validator_id = r.id AND x.target_epoch = r.b WHERE r.kind = 1
UNION ALL
-- Recorded votes surrounding the request: scans only targets above the request's (few rows, since
-- new votes have the newest target). "+ 0" keeps the planner off the source index.
SELECT r.i, 'a', s.source_epoch, s.target_epoch, s.signing_root FROM r CROSS JOIN LATERAL (
  SELECT source_epoch, target_epoch, signing_root FROM signed_attestations x
  WHERE x.validator_id = r.id AND x.target_epoch > r.b AND x.source_epoch + 0 < r.a LIMIT 1
) s WHERE r.kind = 1
UNION ALL
-- Recorded votes surrounded by the request: scans only sources above the request's.
SELECT r.i, 'a', s.source_epoch, s.target_epoch, s.signing_root FROM r CROSS JOIN LATERAL (
  SELECT source_epoch, target_epoch, signing_root FROM signed_attestations x
  WHERE x.validator_id = r.id AND x.source_epoch > r.a AND x.target_epoch + 0 < r.b LIMIT 1
) s WHERE r.kind = 1`;

/** Plain INSERTs: a duplicate can only be a bug, and then the transaction fails (backstop). */
const RECORD_SQL = `
WITH keys AS (SELECT DISTINCT decode(k, 'hex') AS pubkey FROM unnest($1::text[]) AS k),
known AS (SELECT v.id, v.pubkey FROM validators v JOIN keys ON keys.pubkey = v.pubkey),
added AS (
  INSERT INTO validators (pubkey) SELECT pubkey FROM keys WHERE pubkey NOT IN (SELECT pubkey FROM known)
  RETURNING id, pubkey
),
ids AS (SELECT id, pubkey FROM known UNION ALL SELECT id, pubkey FROM added),
blocks AS (
  INSERT INTO signed_blocks (validator_id, slot, signing_root)
  SELECT ids.id, r.slot, decode(r.root, 'hex')
  FROM unnest($2::text[], $3::bigint[], $4::text[]) AS r(pk, slot, root) JOIN ids ON ids.pubkey = decode(r.pk, 'hex')
  RETURNING 1
),
attestations AS (
  INSERT INTO signed_attestations (validator_id, source_epoch, target_epoch, signing_root)
  SELECT ids.id, r.source, r.target, decode(r.root, 'hex')
  FROM unnest($5::text[], $6::bigint[], $7::bigint[], $8::text[]) AS r(pk, source, target, root)
  JOIN ids ON ids.pubkey = decode(r.pk, 'hex')
  RETURNING 1
)
SELECT (SELECT COUNT(*) FROM blocks)::int AS blocks, (SELECT COUNT(*) FROM attestations)::int AS attestations`;

const READ_RECORDS_SQL = `
SELECT validator_id, 0 AS kind, slot AS a, NULL::bigint AS b, signing_root
FROM signed_blocks WHERE validator_id = ANY($1::bigint[])
UNION ALL
SELECT validator_id, 1, source_epoch, target_epoch, signing_root
FROM signed_attestations WHERE validator_id = ANY($1::bigint[])
ORDER BY 1, 2, 4, 3, 5`;

/** BEGIN with the settings every writing transaction needs, whatever the server's defaults. */
function begin(statementTimeout?: "none"): string {
  return (
    "BEGIN ISOLATION LEVEL READ COMMITTED; SET LOCAL synchronous_commit TO on;" +
    (statementTimeout === "none" ? " SET LOCAL statement_timeout TO 0;" : "")
  );
}

export class PostgresProtectionStore implements ProtectionStore {
  private pending: PendingCall[] = [];
  private flushScheduled = false;
  private closed = false;
  private inFlight = 0;
  private readonly running = new Set<Promise<void>>();
  /** Why the last write failed, until one succeeds. */
  private lastWriteError: string | undefined;

  private constructor(
    private readonly pool: pg.Pool,
    readonly genesisValidatorsRoot: Root,
    /** Where the data lives, without the password. */
    readonly location: string,
    private readonly poolSize: number,
    readonly created: boolean,
  ) {}

  /**
   * Connects, applies the pending migrations (under an advisory lock, so concurrent starts do not
   * race) and binds the database to one genesis validators root; refuses another root
   * (GenesisMismatchError) and a schema newer than this program (ProtectionStoreError).
   */
  static async open(url: string, genesisValidatorsRoot: Root, options: PostgresStoreOptions = {}): Promise<PostgresProtectionStore> {
    const gvr = genesisValidatorsRoot.toLowerCase();
    const poolSize = options.poolSize ?? DEFAULT_POOL_SIZE;
    const statementTimeoutMs = options.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS;
    if (!Number.isSafeInteger(poolSize) || poolSize < 1) throw new RangeError(`poolSize must be a positive integer, got ${poolSize}`);
    if (!Number.isSafeInteger(statementTimeoutMs) || statementTimeoutMs < 1) {
      throw new RangeError(`statementTimeoutMs must be a positive integer, got ${statementTimeoutMs}`);
    }
    if (options.schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(options.schema)) {
      throw new RangeError(`schema must be a lowercase SQL identifier, got ${JSON.stringify(options.schema)}`);
    }
    const location = redactDatabaseUrl(url) + (options.schema === undefined ? "" : ` (schema ${options.schema})`);
    let connectionString: string;
    try {
      connectionString = options.schema === undefined ? url : withSearchPath(url, options.schema);
    } catch (err) {
      throw new ProtectionStoreError(`invalid database URL ${location}: ${(err as Error).message}`);
    }
    const pool = new pg.Pool({
      connectionString,
      max: poolSize,
      statement_timeout: statementTimeoutMs,
      query_timeout: statementTimeoutMs + CLIENT_TIMEOUT_MARGIN_MS,
      // A process that stalls inside a transaction must not hold validator locks for long.
      idle_in_transaction_session_timeout: Math.max(30_000, 2 * statementTimeoutMs),
      connectionTimeoutMillis: statementTimeoutMs,
      keepAlive: true,
      application_name: "bulwark",
    });
    // An idle connection that breaks is dropped by the pool; without a listener it would crash
    // the process. The next transaction opens a new connection.
    pool.on("error", () => undefined);
    let created: boolean;
    try {
      created = await migrate(pool, gvr, location, options.schema);
    } catch (err) {
      await pool.end().catch(() => undefined);
      throw err;
    }
    return new PostgresProtectionStore(pool, gvr, location, poolSize, created);
  }

  checkAndRecord(requests: readonly ProtectionRequest[]): Promise<Decision[]> {
    if (this.closed) return Promise.reject(new ProtectionStoreError("slashing-protection database is closed"));
    const invalid = requests.map(invalidRequestReason).find((reason) => reason !== undefined);
    if (invalid !== undefined) return Promise.reject(new ProtectionStoreError(`invalid protection request: ${invalid}`));
    if (requests.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      this.pending.push({ requests, resolve, reject });
      this.scheduleFlush();
    });
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    // Calls made in the same event-loop turn join one transaction.
    setImmediate(() => {
      this.flushScheduled = false;
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.pending.length > 0 && this.inFlight < this.poolSize) {
      const calls: PendingCall[] = [];
      let size = 0;
      while (this.pending.length > 0 && (calls.length === 0 || size + this.pending[0]!.requests.length <= MAX_GROUP_REQUESTS)) {
        const call = this.pending.shift()!;
        calls.push(call);
        size += call.requests.length;
      }
      this.inFlight++;
      const run: Promise<void> = this.runGroup(calls)
        .then(
          (results) => {
            this.lastWriteError = undefined;
            calls.forEach((call, i) => call.resolve(results[i]!));
          },
          (err: Error) => {
            this.lastWriteError = err.message;
            const error = new ProtectionStoreError(`slashing-protection database write failed, nothing signed: ${err.message}`);
            for (const call of calls) call.reject(error);
          },
        )
        .finally(() => {
          this.inFlight--;
          this.running.delete(run);
          if (this.pending.length > 0) this.scheduleFlush();
        });
      this.running.add(run);
    }
  }

  private async runGroup(calls: PendingCall[]): Promise<Decision[][]> {
    const requests = calls.flatMap((call) => call.requests);
    const decisions = await this.inTransaction((client) => this.decideAndRecord(client, requests));
    let offset = 0;
    return calls.map((call) => {
      const part = decisions.slice(offset, offset + call.requests.length);
      offset += call.requests.length;
      return part;
    });
  }

  /**
   * Runs `work` on one pooled connection and releases it; on any error the connection is destroyed
   * (so the server rolls back whatever was open) and the error is rethrown.
   */
  private async inTransaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw new ProtectionStoreError(`cannot reach the slashing-protection database ${this.location}: ${(err as Error).message}`);
    }
    // A checked-out client has no error listener of the pool's: a connection the server ends
    // between two statements (shutdown, restart) would otherwise be an uncaught exception.
    let broken: Error | undefined;
    const onError = (err: Error) => (broken ??= err);
    client.on("error", onError);
    try {
      const result = await work(client);
      client.removeListener("error", onError);
      if (broken === undefined) client.release();
      else client.release(broken);
      return result;
    } catch (err) {
      client.removeListener("error", onError);
      client.release(err instanceof Error ? err : new Error(String(err)));
      throw err;
    }
  }

  private async decideAndRecord(client: pg.PoolClient, requests: readonly ProtectionRequest[]): Promise<Decision[]> {
    const pubkeys = requests.map((request) => request.pubkey.toLowerCase());
    const lockKeys = [...new Set(pubkeys.map(validatorLockKey))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    // One round trip: the transaction, the shared writers lock, then the validators' locks in order.
    await client.query(
      `${begin()} SELECT pg_advisory_xact_lock_shared(${WRITERS_LOCK});` +
        ` SELECT pg_advisory_xact_lock(k) FROM unnest('{${lockKeys.join(",")}}'::bigint[]) AS k`,
    );

    // Read in a statement begun after the locks were granted: it sees every earlier commit.
    const read = await client.query<HistoryRow>(READ_HISTORY_SQL, [
      requests.map((_, i) => i),
      pubkeys.map((pubkey) => pubkey.slice(2)),
      requests.map((request) => (request.kind === "block" ? 0 : 1)),
      requests.map((request) => (request.kind === "block" ? request.slot : request.sourceEpoch)),
      requests.map((request) => (request.kind === "block" ? 0 : request.targetEpoch)),
    ]);
    const histories: ReadHistory[] = requests.map(() => ({ lowest: null, lowestTarget: null, blocks: [], attestations: [] }));
    for (const row of read.rows) {
      const history = histories[row.i]!;
      if (row.tag === "m") history.lowest = toNumberOrNull(row.x);
      else if (row.tag === "w") {
        history.lowest = toNumberOrNull(row.x);
        history.lowestTarget = toNumberOrNull(row.y);
      } else if (row.tag === "b") history.blocks.push({ slot: toNumber(row.x), signingRoot: rootFromBuffer(row.root!) });
      else history.attestations.push({ sourceEpoch: toNumber(row.x), targetEpoch: toNumber(row.y), signingRoot: rootFromBuffer(row.root!) });
    }

    // Decide in order; records allowed earlier in this transaction count for the later requests.
    const added = new Map<Pubkey, { blocks: BlockRecord[]; attestations: AttestationRecord[] }>();
    const newBlocks: { pubkey: string; slot: number; root: string }[] = [];
    const newAttestations: { pubkey: string; source: number; target: number; root: string }[] = [];
    const decisions = requests.map((request, i): Decision => {
      const pubkey = pubkeys[i]!;
      const history = histories[i]!;
      const mine = added.get(pubkey) ?? { blocks: [], attestations: [] };
      let decision: Decision;
      if (request.kind === "block") {
        decision = checkBlock(request, {
          lowestSlot: lowestOf(history.lowest, mine.blocks.map((b) => b.slot)),
          sameSlot: [...history.blocks, ...mine.blocks.filter((b) => b.slot === request.slot)],
        });
        if (decision.allowed && decision.record) {
          mine.blocks.push({ slot: request.slot, signingRoot: request.signingRoot });
          newBlocks.push({ pubkey, slot: request.slot, root: request.signingRoot });
        }
      } else {
        // Every record added in this transaction is a candidate: a superset is always valid.
        decision = checkAttestation(request, {
          lowestSourceEpoch: lowestOf(history.lowest, mine.attestations.map((a) => a.sourceEpoch)),
          lowestTargetEpoch: lowestOf(history.lowestTarget, mine.attestations.map((a) => a.targetEpoch)),
          candidates: [...history.attestations, ...mine.attestations],
        });
        if (decision.allowed && decision.record) {
          mine.attestations.push({ sourceEpoch: request.sourceEpoch, targetEpoch: request.targetEpoch, signingRoot: request.signingRoot });
          newAttestations.push({ pubkey, source: request.sourceEpoch, target: request.targetEpoch, root: request.signingRoot });
        }
      }
      added.set(pubkey, mine);
      return decision;
    });

    if (newBlocks.length + newAttestations.length > 0) {
      const written = await client.query<{ blocks: number; attestations: number }>(RECORD_SQL, [
        [...new Set([...newBlocks, ...newAttestations].map((r) => r.pubkey.slice(2)))],
        newBlocks.map((b) => b.pubkey.slice(2)),
        newBlocks.map((b) => b.slot),
        newBlocks.map((b) => b.root.slice(2)),
        newAttestations.map((a) => a.pubkey.slice(2)),
        newAttestations.map((a) => a.source),
        newAttestations.map((a) => a.target),
        newAttestations.map((a) => a.root.slice(2)),
      ]);
      const counts = written.rows[0]!;
      if (counts.blocks !== newBlocks.length || counts.attestations !== newAttestations.length) {
        throw new ProtectionStoreError(
          `recorded ${counts.blocks}/${newBlocks.length} blocks and ${counts.attestations}/${newAttestations.length} attestations`,
        );
      }
    }
    await commit(client);
    return decisions;
  }

  async importHistory(
    genesisValidatorsRoot: Root,
    validators: readonly ValidatorHistory[],
    options: ImportOptions = {},
  ): Promise<ImportSummary> {
    this.assertOpen();
    if (genesisValidatorsRoot.toLowerCase() !== this.genesisValidatorsRoot) {
      throw new GenesisMismatchError(this.genesisValidatorsRoot, genesisValidatorsRoot.toLowerCase(), "the interchange file");
    }
    const invalid = invalidHistoryReason(validators);
    if (invalid !== undefined) throw new ProtectionStoreError(`import failed, nothing was written: ${invalid}`);
    const summary: ImportSummary = { validators: 0, blocksAdded: 0, attestationsAdded: 0, duplicatesSkipped: 0 };
    const pubkeys = [...new Set(validators.map((v) => v.pubkey.toLowerCase().slice(2)))];
    try {
      await this.inTransaction(async (client) => {
        const query = <R extends pg.QueryResultRow>(text: string, values?: unknown[]) =>
          client.query<R>({ text, values, query_timeout: MAINTENANCE_TIMEOUT_MS } as pg.QueryConfig);
        // Exclusive writers lock: no signing transaction may decide against a half-imported history.
        await query(`${begin("none")} SELECT pg_advisory_xact_lock(${WRITERS_LOCK})`);
        const ids = new Map<string, string>();
        for (let start = 0; start < pubkeys.length; start += IMPORT_CHUNK_VALIDATORS) {
          const chunk = pubkeys.slice(start, start + IMPORT_CHUNK_VALIDATORS);
          await query(
            `INSERT INTO validators (pubkey) SELECT decode(k, 'hex') FROM unnest($1::text[]) AS k ON CONFLICT (pubkey) DO NOTHING`,
            [chunk],
          );
          const rows = await query<{ id: string; pk: string }>(
            `SELECT id, encode(pubkey, 'hex') AS pk FROM validators
             WHERE pubkey IN (SELECT decode(k, 'hex') FROM unnest($1::text[]) AS k)`,
            [chunk],
          );
          for (const row of rows.rows) ids.set(row.pk, row.id);
        }
        const blocks = { ids: [] as string[], slots: [] as number[], roots: [] as string[] };
        const atts = { ids: [] as string[], sources: [] as number[], targets: [] as number[], roots: [] as string[] };
        const flushBlocks = async () => {
          if (blocks.ids.length === 0) return;
          const result = await query(
            `INSERT INTO signed_blocks (validator_id, slot, signing_root)
             SELECT v, s, decode(r, 'hex') FROM unnest($1::bigint[], $2::bigint[], $3::text[]) AS t(v, s, r)
             ON CONFLICT DO NOTHING`,
            [blocks.ids, blocks.slots, blocks.roots],
          );
          const n = blocks.ids.length;
          summary.blocksAdded += result.rowCount ?? 0;
          summary.duplicatesSkipped += n - (result.rowCount ?? 0);
          blocks.ids = [];
          blocks.slots = [];
          blocks.roots = [];
          options.onProgress?.(n);
        };
        const flushAttestations = async () => {
          if (atts.ids.length === 0) return;
          const result = await query(
            `INSERT INTO signed_attestations (validator_id, source_epoch, target_epoch, signing_root)
             SELECT v, s, t, decode(r, 'hex') FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[]) AS x(v, s, t, r)
             ON CONFLICT DO NOTHING`,
            [atts.ids, atts.sources, atts.targets, atts.roots],
          );
          const n = atts.ids.length;
          summary.attestationsAdded += result.rowCount ?? 0;
          summary.duplicatesSkipped += n - (result.rowCount ?? 0);
          atts.ids = [];
          atts.sources = [];
          atts.targets = [];
          atts.roots = [];
          options.onProgress?.(n);
        };
        for (const validator of validators) {
          const id = ids.get(validator.pubkey.toLowerCase().slice(2))!;
          for (const block of validator.blocks) {
            blocks.ids.push(id);
            blocks.slots.push(block.slot);
            blocks.roots.push(rootHex(block.signingRoot));
            if (blocks.ids.length >= IMPORT_CHUNK_RECORDS) await flushBlocks();
          }
          for (const att of validator.attestations) {
            atts.ids.push(id);
            atts.sources.push(att.sourceEpoch);
            atts.targets.push(att.targetEpoch);
            atts.roots.push(rootHex(att.signingRoot));
            if (atts.ids.length >= IMPORT_CHUNK_RECORDS) await flushAttestations();
          }
        }
        await flushBlocks();
        await flushAttestations();
        await commit(client);
      });
    } catch (err) {
      throw new ProtectionStoreError(`import failed, nothing was written: ${(err as Error).message}`);
    }
    summary.validators = pubkeys.length;
    return summary;
  }

  async *exportHistory(pubkeys?: readonly Pubkey[]): AsyncIterable<ValidatorHistory> {
    this.assertOpen();
    if (pubkeys !== undefined) {
      const wanted = pubkeys.map((pubkey) => pubkey.toLowerCase());
      for (let start = 0; start < wanted.length; start += EXPORT_CHUNK_VALIDATORS) {
        const chunk = wanted.slice(start, start + EXPORT_CHUNK_VALIDATORS);
        const rows = await this.read<{ id: string; pk: string }>(
          `SELECT id, '0x' || encode(pubkey, 'hex') AS pk FROM validators
           WHERE pubkey IN (SELECT decode(k, 'hex') FROM unnest($1::text[]) AS k)`,
          [chunk.map((pubkey) => pubkey.slice(2))],
        );
        const histories = await this.readHistories(rows);
        for (const pubkey of chunk) yield histories.get(pubkey) ?? { pubkey, blocks: [], attestations: [] };
      }
      return;
    }
    let after = "";
    for (;;) {
      const rows = await this.read<{ id: string; pk: string }>(
        `SELECT id, '0x' || encode(pubkey, 'hex') AS pk FROM validators
         WHERE pubkey > decode($1, 'hex') ORDER BY pubkey LIMIT ${EXPORT_CHUNK_VALIDATORS}`,
        [after],
      );
      if (rows.length === 0) return;
      const histories = await this.readHistories(rows);
      for (const row of rows) yield histories.get(row.pk)!;
      after = rows.at(-1)!.pk.slice(2);
    }
  }

  /** The records of some validators, read by one statement (a consistent snapshot). */
  private async readHistories(validators: readonly { id: string; pk: string }[]): Promise<Map<Pubkey, ValidatorHistory>> {
    const byId = new Map<string, ValidatorHistory>();
    for (const { id, pk } of validators) byId.set(id, { pubkey: pk, blocks: [], attestations: [] });
    if (validators.length > 0) {
      const rows = await this.read<RecordRow>(READ_RECORDS_SQL, [validators.map((v) => v.id)]);
      for (const row of rows) {
        const history = byId.get(row.validator_id)!;
        if (row.kind === 0) history.blocks.push({ slot: toNumber(row.a), signingRoot: rootFromBuffer(row.signing_root) });
        else {
          history.attestations.push({
            sourceEpoch: toNumber(row.a),
            targetEpoch: toNumber(row.b),
            signingRoot: rootFromBuffer(row.signing_root),
          });
        }
      }
    }
    return new Map([...byId.values()].map((history) => [history.pubkey, history]));
  }

  async listValidators(): Promise<Pubkey[]> {
    this.assertOpen();
    const rows = await this.read<{ pk: string }>("SELECT '0x' || encode(pubkey, 'hex') AS pk FROM validators ORDER BY pubkey");
    return rows.map((row) => row.pk);
  }

  async tombstone(pubkeys: readonly Pubkey[]): Promise<void> {
    await this.write(
      "INSERT INTO key_tombstones (pubkey) SELECT decode(substr(pk, 3), 'hex') FROM unnest($1::text[]) AS pk ON CONFLICT DO NOTHING",
      [pubkeys.map((pubkey) => pubkey.toLowerCase())],
    );
  }

  async clearTombstones(pubkeys: readonly Pubkey[]): Promise<void> {
    await this.write("DELETE FROM key_tombstones WHERE pubkey = ANY (SELECT decode(substr(pk, 3), 'hex') FROM unnest($1::text[]) AS pk)", [
      pubkeys.map((pubkey) => pubkey.toLowerCase()),
    ]);
  }

  async listTombstones(): Promise<Pubkey[]> {
    const rows = await this.read<{ pk: string }>("SELECT '0x' || encode(pubkey, 'hex') AS pk FROM key_tombstones ORDER BY pubkey");
    return rows.map((row) => row.pk);
  }

  /** One statement, committed durably (synchronous_commit on, whatever the server default) before it resolves. */
  private async write(text: string, values: unknown[]): Promise<void> {
    this.assertOpen();
    try {
      await this.inTransaction(async (client) => {
        await client.query("BEGIN");
        await client.query("SET LOCAL synchronous_commit = on");
        await client.query(text, values);
        await client.query("COMMIT");
      });
    } catch (err) {
      throw new ProtectionStoreError(`slashing-protection database write failed: ${(err as Error).message}`);
    }
  }

  /**
   * Prunes PRUNE_BATCH_VALIDATORS keys per transaction, each under the same locks as signing (the
   * shared writers lock and the keys' own locks), so signing for other keys goes on meanwhile. Each
   * batch is a complete, safe prune of its keys; a failure part-way leaves the batches before it
   * pruned and the rest untouched.
   */
  async prune(keepEpochs: number, slotsPerEpoch: number): Promise<PruneSummary> {
    this.assertOpen();
    assertPruneArguments(keepEpochs, slotsPerEpoch);
    const slots = keptSlots(keepEpochs, slotsPerEpoch).toString();
    const epochs = String(keepEpochs);
    const summary: PruneSummary = { validators: 0, blocksRemoved: 0, attestationsRemoved: 0, attestationsKept: 0 };
    const validators = await this.read<{ id: string; pk: string }>(
      "SELECT id, '0x' || encode(pubkey, 'hex') AS pk FROM validators ORDER BY id",
    );
    for (let start = 0; start < validators.length; start += PRUNE_BATCH_VALIDATORS) {
      const batch = validators.slice(start, start + PRUNE_BATCH_VALIDATORS);
      const ids = batch.map((v) => v.id);
      const lockKeys = batch.map((v) => validatorLockKey(v.pk)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      try {
        await this.inTransaction(async (client) => {
          const query = <R extends pg.QueryResultRow>(text: string, values?: unknown[]) =>
            client.query<R>({ text, values, query_timeout: MAINTENANCE_TIMEOUT_MS } as pg.QueryConfig);
          await query(
            `${begin("none")} SELECT pg_advisory_xact_lock_shared(${WRITERS_LOCK});` +
              ` SELECT pg_advisory_xact_lock(k) FROM unnest('{${[...new Set(lockKeys)].join(",")}}'::bigint[]) AS k`,
          );
          const blocks = await query<{ validator_id: string; n: number }>(
            `WITH cut AS (
               SELECT validator_id, MAX(slot) - $1::bigint AS cutoff FROM signed_blocks
               WHERE validator_id = ANY($2::bigint[])
               GROUP BY validator_id HAVING MIN(slot) < MAX(slot) - $1::bigint
             ), removed AS (
               DELETE FROM signed_blocks b USING cut
               WHERE b.validator_id = cut.validator_id AND b.slot < cut.cutoff RETURNING b.validator_id
             )
             SELECT validator_id, COUNT(*)::int AS n FROM removed GROUP BY validator_id`,
            [slots, ids],
          );
          const attestations = await query<{ validator_id: string; n: number }>(
            `WITH cut AS (${attestationCutoffsSql("$1::bigint", "validator_id = ANY($2::bigint[])")}), removed AS (
               DELETE FROM signed_attestations a USING cut
               WHERE a.validator_id = cut.validator_id AND a.target_epoch <= cut.last_removed_target
               RETURNING a.validator_id
             )
             SELECT validator_id, COUNT(*)::int AS n FROM removed GROUP BY validator_id`,
            [epochs, ids],
          );
          const kept = await query<{ n: string }>(attestationsKeptSql("$1::bigint", "validator_id = ANY($2::bigint[])"), [epochs, ids]);
          await commit(client);
          summary.validators += new Set([...blocks.rows, ...attestations.rows].map((row) => row.validator_id)).size;
          summary.blocksRemoved += blocks.rows.reduce((sum, row) => sum + row.n, 0);
          summary.attestationsRemoved += attestations.rows.reduce((sum, row) => sum + row.n, 0);
          summary.attestationsKept += Number(kept.rows[0]!.n);
        });
      } catch (err) {
        const done = `${summary.blocksRemoved} blocks and ${summary.attestationsRemoved} attestations of the first ${start} keys were removed, the rest is untouched`;
        throw new ProtectionStoreError(`prune failed: ${(err as Error).message}; ${done}`);
      }
    }
    return summary;
  }

  async health(): Promise<StoreHealth> {
    const started = performance.now();
    try {
      this.assertOpen();
      // Touch every table: a database that lost one still answers SELECT 1.
      const { rows } = await this.pool.query<{ gvr: string | null }>(
        `SELECT (SELECT value FROM metadata WHERE key = 'genesis_validators_root') AS gvr,
                EXISTS (SELECT 1 FROM validators) AS v,
                EXISTS (SELECT 1 FROM signed_blocks) AS b,
                EXISTS (SELECT 1 FROM signed_attestations) AS a`,
      );
      if (rows[0]?.gvr !== this.genesisValidatorsRoot) {
        return { ok: false, latencyMs: performance.now() - started, error: `database is bound to genesis validators root ${rows[0]?.gvr}` };
      }
      if (this.lastWriteError !== undefined) {
        // Reads work again; a durable write proves the database takes records again.
        const failure = this.lastWriteError;
        try {
          await this.inTransaction(async (client) => {
            await client.query(
              `${begin()} INSERT INTO metadata (key, value) VALUES ('last_health_write', now()::text)
               ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`,
            );
            await commit(client);
          });
          if (this.lastWriteError === failure) this.lastWriteError = undefined;
        } catch (err) {
          return { ok: false, latencyMs: performance.now() - started, error: `last write failed: ${failure}` };
        }
      }
      return { ok: true, latencyMs: performance.now() - started };
    } catch (err) {
      return { ok: false, latencyMs: performance.now() - started, error: (err as Error).message };
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Let queued and running transactions finish before the connections go away.
    while (this.pending.length > 0 || this.running.size > 0) {
      this.dispatch();
      await Promise.allSettled([...this.running]);
    }
    await this.pool.end();
  }

  private async read<R extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<R[]> {
    this.assertOpen();
    try {
      return (await this.pool.query<R>(text, values)).rows;
    } catch (err) {
      throw new ProtectionStoreError(`slashing-protection database read failed: ${(err as Error).message}`);
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new ProtectionStoreError("slashing-protection database is closed");
  }
}

/**
 * Creates or upgrades the schema and binds the database to the chain, in one transaction under an
 * advisory lock: of several instances starting at once, one migrates and the others then see the
 * result. A role without CREATE rights can run an up-to-date schema (no DDL is attempted then).
 */
/** Returns whether the database was bound to the chain just now (a new or empty database). */
async function migrate(pool: pg.Pool, gvr: Root, location: string, schema: string | undefined): Promise<boolean> {
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (err) {
    throw new ProtectionStoreError(`cannot connect to the slashing-protection database ${location}: ${(err as Error).message}`);
  }
  let broken: Error | undefined;
  const onError = (err: Error) => (broken ??= err);
  client.on("error", onError);
  try {
    const query = <R extends pg.QueryResultRow>(text: string, values?: unknown[]) =>
      client.query<R>({ text, values, query_timeout: MAINTENANCE_TIMEOUT_MS } as pg.QueryConfig);
    await query(`${begin("none")} SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`);
    if (schema !== undefined) await query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    const exists = (await query<{ t: string | null }>("SELECT to_regclass('schema_migrations')::text AS t")).rows[0]!.t !== null;
    if (!exists) await query(SCHEMA_MIGRATIONS_DDL);
    const current = Number((await query<{ v: number }>("SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations")).rows[0]!.v);
    if (current > LATEST_SCHEMA_VERSION) {
      throw new ProtectionStoreError(
        `slashing-protection database ${location} has schema version ${current}, newer than this program knows (${LATEST_SCHEMA_VERSION}); upgrade Bulwark`,
      );
    }
    for (const migration of MIGRATIONS.filter((m) => m.version > current)) {
      await query(migration.sql);
      await query("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", [migration.version, migration.name]);
    }
    const bound = (await query<{ value: string }>("SELECT value FROM metadata WHERE key = 'genesis_validators_root'")).rows[0]?.value;
    if (bound === undefined) {
      await query("INSERT INTO metadata (key, value) VALUES ('genesis_validators_root', $1)", [gvr]);
    } else if (bound !== gvr) {
      throw new GenesisMismatchError(bound, gvr, `the configured network (database ${location})`);
    }
    await commit(client);
    client.removeListener("error", onError);
    if (broken === undefined) client.release();
    else client.release(broken);
    return bound === undefined;
  } catch (err) {
    client.removeListener("error", onError);
    client.release(err instanceof Error ? err : new Error(String(err)));
    if (err instanceof ProtectionStoreError || err instanceof GenesisMismatchError) throw err;
    throw new ProtectionStoreError(`cannot prepare the slashing-protection database ${location}: ${(err as Error).message}`);
  }
}

/** COMMIT, and make sure it was one: in an aborted transaction PostgreSQL answers ROLLBACK. */
async function commit(client: pg.PoolClient): Promise<void> {
  const result = await client.query("COMMIT");
  if (result.command !== "COMMIT") throw new ProtectionStoreError(`transaction was rolled back (${result.command})`);
}

/** Adds `-c search_path=schema` to the URL's startup options. */
function withSearchPath(url: string, schema: string): string {
  const parsed = new URL(url);
  const options = parsed.searchParams.get("options");
  parsed.searchParams.set("options", `${options === null ? "" : `${options} `}-c search_path=${schema}`);
  return parsed.toString();
}


function invalidHistoryReason(validators: readonly ValidatorHistory[]): string | undefined {
  const isUint = (n: unknown) => typeof n === "number" && Number.isSafeInteger(n) && n >= 0;
  const isRoot = (root: unknown) => root === null || (typeof root === "string" && /^0x[0-9a-fA-F]{64}$/.test(root));
  for (const [i, validator] of validators.entries()) {
    if (typeof validator.pubkey !== "string" || !/^0x[0-9a-fA-F]{96}$/.test(validator.pubkey)) return `data[${i}].pubkey is not 48 bytes of hex`;
    for (const [j, block] of validator.blocks.entries()) {
      if (!isUint(block.slot) || !isRoot(block.signingRoot)) return `data[${i}].signed_blocks[${j}] is malformed`;
    }
    for (const [j, att] of validator.attestations.entries()) {
      if (!isUint(att.sourceEpoch) || !isUint(att.targetEpoch) || !isRoot(att.signingRoot)) {
        return `data[${i}].signed_attestations[${j}] is malformed`;
      }
    }
  }
  return undefined;
}

/** Unknown roots are stored as an empty bytea (decode('', 'hex')). */
function rootHex(root: string | null): string {
  return root === null ? "" : root.slice(2).toLowerCase();
}

function rootFromBuffer(bytes: Buffer): Root | null {
  return bytes.length === 0 ? null : "0x" + bytes.toString("hex");
}

function toNumber(value: string | null): number {
  const n = Number(value);
  if (value === null || !Number.isSafeInteger(n)) throw new ProtectionStoreError(`unexpected number ${value} in the database`);
  return n;
}

function toNumberOrNull(value: string | null): number | null {
  return value === null ? null : toNumber(value);
}

function lowestOf(stored: number | null, added: readonly number[]): number | null {
  const all = stored === null ? added : [stored, ...added];
  return all.length === 0 ? null : Math.min(...all);
}
