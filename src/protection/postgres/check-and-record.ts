/**
 * One signing group in one PostgreSQL transaction: READ COMMITTED, synchronous_commit on, the shared
 * writers lock and every validator's lock (locks.ts), one statement reading exactly the history the
 * pure rules need, the decisions in order (decide.ts), one statement inserting the allowed records,
 * and COMMIT. The read runs in a statement begun after the locks were granted, so it sees every
 * earlier commit for these validators, in this process or another. The decisions are handed out
 * before COMMIT (the caller starts signing on them) and count only once COMMIT has returned.
 */
import type pg from "pg";
import { decideInOrder, emptyHistory, type GroupOutcome, type StoredHistory } from "../decide.js";
import { ProtectionStoreError } from "../store.js";
import type { Decision, ProtectionRequest } from "../types.js";
import { begin, commit } from "./connection.js";
import { lockValidatorsSql } from "./locks.js";
import { rootFromBuffer, toNumber, toNumberOrNull } from "./values.js";

/** One row of READ_HISTORY_SQL: a watermark or a candidate record of request `request_index`. */
interface HistoryRow {
  request_index: number;
  row_kind: "lowest_slot" | "block" | "lowest_epochs" | "attestation";
  /** lowest_slot: MIN(slot); block: slot; lowest_epochs: MIN(source); attestation: source. */
  slot_or_source: string | null;
  /** lowest_epochs: MIN(target); attestation: target; NULL otherwise. */
  target: string | null;
  signing_root: Buffer | null;
}

/**
 * Parameters: request indexes, pubkeys (hex without 0x), kinds (0 block, 1 attestation), slots or
 * source epochs, target epochs (0 for blocks). Exported for the query-plan test.
 */
export const READ_HISTORY_SQL = `
WITH requests AS MATERIALIZED (
  SELECT q.request_index, q.kind, q.slot_or_source, q.target, v.id
  FROM unnest($1::int[], $2::text[], $3::int[], $4::bigint[], $5::bigint[]) AS q(request_index, pk, kind, slot_or_source, target)
  JOIN validators v ON v.pubkey = decode(q.pk, 'hex')
)
SELECT q.request_index, 'lowest_slot' AS row_kind,
       (SELECT MIN(slot) FROM signed_blocks x WHERE x.validator_id = q.id) AS slot_or_source,
       NULL::bigint AS target, NULL::bytea AS signing_root
FROM requests q WHERE q.kind = 0
UNION ALL
SELECT q.request_index, 'block', x.slot, NULL, x.signing_root
FROM requests q JOIN signed_blocks x ON x.validator_id = q.id AND x.slot = q.slot_or_source WHERE q.kind = 0
UNION ALL
SELECT q.request_index, 'lowest_epochs', (SELECT MIN(source_epoch) FROM signed_attestations x WHERE x.validator_id = q.id),
       (SELECT MIN(target_epoch) FROM signed_attestations x WHERE x.validator_id = q.id), NULL
FROM requests q WHERE q.kind = 1
UNION ALL
SELECT q.request_index, 'attestation', x.source_epoch, x.target_epoch, x.signing_root
FROM requests q JOIN signed_attestations x ON x.validator_id = q.id AND x.target_epoch = q.target WHERE q.kind = 1
UNION ALL
-- Recorded votes surrounding the request: scans only targets above the request's (few rows, since
-- new votes have the newest target). "+ 0" keeps the planner off the source index.
SELECT q.request_index, 'attestation', s.source_epoch, s.target_epoch, s.signing_root FROM requests q CROSS JOIN LATERAL (
  SELECT source_epoch, target_epoch, signing_root FROM signed_attestations x
  WHERE x.validator_id = q.id AND x.target_epoch > q.target AND x.source_epoch + 0 < q.slot_or_source LIMIT 1
) s WHERE q.kind = 1
UNION ALL
-- Recorded votes surrounded by the request: scans only sources above the request's.
SELECT q.request_index, 'attestation', s.source_epoch, s.target_epoch, s.signing_root FROM requests q CROSS JOIN LATERAL (
  SELECT source_epoch, target_epoch, signing_root FROM signed_attestations x
  WHERE x.validator_id = q.id AND x.source_epoch > q.slot_or_source AND x.target_epoch + 0 < q.target LIMIT 1
) s WHERE q.kind = 1`;

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

const hex = (value: string) => value.slice(2).toLowerCase();

/** Decides and records one group on `client`: `decided` gets the decisions before COMMIT, which has returned when this resolves. */
export async function checkAndRecordGroup(
  client: pg.PoolClient,
  requests: readonly ProtectionRequest[],
  decided: (decisions: Decision[]) => void,
): Promise<void> {
  // One round trip: the transaction, the shared writers lock, then the validators' locks in order.
  await client.query(`${begin()} ${lockValidatorsSql(requests.map((request) => request.pubkey))}`);
  const outcome = decideInOrder(requests, await readHistories(client, requests));
  await writeRecords(client, outcome);
  decided(outcome.decisions);
  await commit(client);
}

async function readHistories(client: pg.PoolClient, requests: readonly ProtectionRequest[]): Promise<StoredHistory[]> {
  const read = await client.query<HistoryRow>(READ_HISTORY_SQL, [
    requests.map((_, i) => i),
    requests.map((request) => hex(request.pubkey)),
    requests.map((request) => (request.kind === "block" ? 0 : 1)),
    requests.map((request) => (request.kind === "block" ? request.slot : request.sourceEpoch)),
    requests.map((request) => (request.kind === "block" ? 0 : request.targetEpoch)),
  ]);
  const histories = requests.map(emptyHistory);
  for (const row of read.rows) {
    const history = histories[row.request_index]!;
    switch (row.row_kind) {
      case "lowest_slot":
        history.lowest = toNumberOrNull(row.slot_or_source);
        break;
      case "lowest_epochs":
        history.lowest = toNumberOrNull(row.slot_or_source);
        history.lowestTarget = toNumberOrNull(row.target);
        break;
      case "block":
        history.blocks.push({ slot: toNumber(row.slot_or_source), signingRoot: rootFromBuffer(row.signing_root!) });
        break;
      case "attestation":
        history.attestations.push({
          sourceEpoch: toNumber(row.slot_or_source),
          targetEpoch: toNumber(row.target),
          signingRoot: rootFromBuffer(row.signing_root!),
        });
        break;
    }
  }
  return histories;
}

async function writeRecords(client: pg.PoolClient, { newBlocks, newAttestations }: GroupOutcome): Promise<void> {
  if (newBlocks.length + newAttestations.length === 0) return;
  const written = await client.query<{ blocks: number; attestations: number }>(RECORD_SQL, [
    [...new Set([...newBlocks, ...newAttestations].map((record) => hex(record.pubkey)))],
    newBlocks.map((b) => hex(b.pubkey)),
    newBlocks.map((b) => b.slot),
    newBlocks.map((b) => hex(b.signingRoot)),
    newAttestations.map((a) => hex(a.pubkey)),
    newAttestations.map((a) => a.sourceEpoch),
    newAttestations.map((a) => a.targetEpoch),
    newAttestations.map((a) => hex(a.signingRoot)),
  ]);
  const counts = written.rows[0]!;
  if (counts.blocks !== newBlocks.length || counts.attestations !== newAttestations.length) {
    throw new ProtectionStoreError(
      `recorded ${counts.blocks}/${newBlocks.length} blocks and ${counts.attestations}/${newAttestations.length} attestations`,
    );
  }
}
