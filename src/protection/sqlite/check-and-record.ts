/**
 * One signing group in one SQLite transaction (BEGIN IMMEDIATE: another connection or process
 * writing the same file waits for the lock): the candidate records of every request read first,
 * the shared decision path (../decide.ts), the allowed records written, COMMIT (fsync'd, WAL with
 * synchronous=FULL) before the decisions are returned.
 */
import type Database from "better-sqlite3";
import { decideInOrder, emptyHistory, type StoredHistory } from "../decide.js";
import { rootFromBytes } from "../hex.js";
import { hexToBytes } from "../../util/hex.js";
import type { Decision, ProtectionRequest } from "../types.js";
import { prepareRecords, type Records, toAttestationRecord } from "./records.js";

/** A function deciding and durably recording one group on `db`; it throws on any storage failure. */
export function groupCommitter(db: Database.Database): (requests: readonly ProtectionRequest[]) => Decision[] {
  const records = prepareRecords(db);
  const run = db.transaction((requests: readonly ProtectionRequest[]): Decision[] => {
    const outcome = decideInOrder(requests, requests.map((request) => readHistory(records, request)));
    for (const block of outcome.newBlocks) {
      records.addBlock(records.validatorIdFor(hexToBytes(block.pubkey)), block.slot, block.signingRoot);
    }
    for (const att of outcome.newAttestations) {
      records.addAttestation(records.validatorIdFor(hexToBytes(att.pubkey)), att.sourceEpoch, att.targetEpoch, att.signingRoot);
    }
    return outcome.decisions;
  });
  return (requests) => run.immediate(requests);
}

function readHistory(records: Records, request: ProtectionRequest): StoredHistory {
  const history = emptyHistory();
  const id = records.validatorId.get(hexToBytes(request.pubkey.toLowerCase()))?.id;
  if (id === undefined) return history;
  if (request.kind === "block") {
    history.lowest = records.lowestSlot.get(id)?.lowest ?? null;
    history.blocks = records.blocksAtSlot.all(id, request.slot).map((row) => ({ slot: request.slot, signingRoot: rootFromBytes(row.signing_root) }));
    return history;
  }
  const { sourceEpoch, targetEpoch } = request;
  history.lowest = records.lowestSource.get(id)?.lowest ?? null;
  history.lowestTarget = records.lowestTarget.get(id)?.lowest ?? null;
  history.attestations = [
    ...records.attestationsAtTarget.all(id, targetEpoch),
    ...records.surrounding.all(id, targetEpoch, sourceEpoch),
    ...records.surrounded.all(id, sourceEpoch, targetEpoch),
  ].map(toAttestationRecord);
  return history;
}
