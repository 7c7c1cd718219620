/**
 * One signing group in one SQLite transaction (BEGIN IMMEDIATE: another connection or process
 * writing the same file waits for the lock): the candidate records of every request read first,
 * the shared decision path (../decide.ts), the allowed records written, the decisions handed out,
 * then COMMIT (fsync'd, WAL with synchronous=FULL); the decisions count only once it has returned.
 */
import type Database from "better-sqlite3";
import { decideInOrder, emptyHistory, type StoredHistory } from "../decide.js";
import { rootFromBytes } from "../hex.js";
import { hexToBytes } from "../../util/hex.js";
import type { Decision, ProtectionRequest } from "../types.js";
import { prepareRecords, type Records, toAttestationRecord } from "./records.js";

/**
 * A function deciding and durably recording one group on `db`: BEGIN IMMEDIATE, the histories
 * read, the decisions made and the allowed records written, `decided` called with the decisions,
 * then COMMIT. It returns once COMMIT has; on any failure it rolls back and throws (after
 * `decided`, too: the decisions then count for nothing).
 */
export function groupCommitter(db: Database.Database): (requests: readonly ProtectionRequest[], decided: (decisions: Decision[]) => void) => void {
  const records = prepareRecords(db);
  const begin = db.prepare("BEGIN IMMEDIATE");
  const commit = db.prepare("COMMIT");
  const rollback = db.prepare("ROLLBACK");
  return (requests, decided) => {
    begin.run();
    try {
      decided(decideAndWrite(records, requests));
      commit.run();
    } catch (err) {
      if (db.inTransaction) rollback.run();
      throw err;
    }
  };
}

function decideAndWrite(records: Records, requests: readonly ProtectionRequest[]): Decision[] {
  // The ids read in this transaction, so that a write does not look them up again; gone with it.
  const ids = new Map<string, number>();
  const histories = requests.map((request) => readHistory(records, request, ids));
  const outcome = decideInOrder(requests, histories);
  const idOf = (pubkey: string): number => {
    let id = ids.get(pubkey);
    if (id === undefined) ids.set(pubkey, (id = records.validatorIdFor(hexToBytes(pubkey))));
    return id;
  };
  for (const block of outcome.newBlocks) records.addBlock(idOf(block.pubkey), block.slot, block.signingRoot);
  for (const att of outcome.newAttestations) records.addAttestation(idOf(att.pubkey), att.sourceEpoch, att.targetEpoch, att.signingRoot);
  return outcome.decisions;
}

function readHistory(records: Records, request: ProtectionRequest, ids: Map<string, number>): StoredHistory {
  const history = emptyHistory();
  const pubkey = request.pubkey.toLowerCase();
  if (request.kind === "block") {
    const id = records.validatorId.get(hexToBytes(pubkey))?.id;
    if (id === undefined) return history;
    ids.set(pubkey, id);
    history.lowest = records.lowestSlot.get(id)?.lowest ?? null;
    history.blocks = records.blocksAtSlot.all(id, request.slot).map((row) => ({ slot: request.slot, signingRoot: rootFromBytes(row.signing_root) }));
    return history;
  }
  const summary = records.attestationSummary.get(hexToBytes(pubkey));
  if (summary === undefined) return history;
  ids.set(pubkey, summary.id);
  history.lowest = summary.lowest_source;
  history.lowestTarget = summary.lowest_target;
  history.attestations = records.attestationCandidates
    .all({ id: summary.id, source: request.sourceEpoch, target: request.targetEpoch })
    .map(toAttestationRecord);
  return history;
}
