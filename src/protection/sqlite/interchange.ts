/** EIP-3076 history in and out of the SQLite file: imports in one transaction, exports per key. */
import type Database from "better-sqlite3";
import { rootFromBytes } from "../hex.js";
import { hexToBytes, toHex } from "../../util/hex.js";
import type { ValidatorHistory } from "../history.js";
import { type ImportOptions, type ImportSummary, ProtectionStoreError } from "../store.js";
import type { Pubkey } from "../types.js";
import { type AttestationRow, prepareRecords, toAttestationRecord } from "./records.js";

const IMPORT_PROGRESS_EVERY = 10_000;

export function prepareInterchange(db: Database.Database) {
  const records = prepareRecords(db);
  const allValidators = db.prepare<[], { id: number; pubkey: Buffer }>("SELECT id, pubkey FROM validators ORDER BY pubkey");
  const blocksOf = db.prepare<[number], { slot: number; signing_root: Buffer }>(
    "SELECT slot, signing_root FROM signed_blocks WHERE validator_id = ? ORDER BY slot, signing_root",
  );
  const attestationsOf = db.prepare<[number], AttestationRow>(
    `SELECT source_epoch, target_epoch, signing_root FROM signed_attestations
     WHERE validator_id = ? ORDER BY target_epoch, source_epoch, signing_root`,
  );
  const readOne = db.transaction((id: number) => ({
    blocks: blocksOf.all(id).map((row) => ({ slot: row.slot, signingRoot: rootFromBytes(row.signing_root) })),
    attestations: attestationsOf.all(id).map(toAttestationRecord),
  }));

  return {
    /** Merges already validated history (request-checks.ts) in one transaction: all of it or none. */
    importHistory(validators: readonly ValidatorHistory[], options: ImportOptions): ImportSummary {
      const summary: ImportSummary = { validators: 0, blocksAdded: 0, attestationsAdded: 0, duplicatesSkipped: 0 };
      const seen = new Set<string>();
      let sinceProgress = 0;
      const progress = () => {
        sinceProgress++;
        if (sinceProgress >= IMPORT_PROGRESS_EVERY) {
          options.onProgress?.(sinceProgress);
          sinceProgress = 0;
        }
      };
      const count = (added: boolean, kind: "blocksAdded" | "attestationsAdded") => {
        if (added) summary[kind]++;
        else summary.duplicatesSkipped++;
        progress();
      };
      const importAll = db.transaction(() => {
        for (const validator of validators) {
          const pubkey = validator.pubkey.toLowerCase();
          const id = records.validatorIdFor(hexToBytes(pubkey));
          seen.add(pubkey);
          for (const block of validator.blocks) count(records.addBlock(id, block.slot, block.signingRoot), "blocksAdded");
          for (const att of validator.attestations) {
            count(records.addAttestation(id, att.sourceEpoch, att.targetEpoch, att.signingRoot), "attestationsAdded");
          }
        }
      });
      try {
        importAll.immediate();
      } catch (err) {
        throw new ProtectionStoreError(`import failed, nothing was written: ${(err as Error).message}`);
      }
      if (sinceProgress > 0) options.onProgress?.(sinceProgress);
      summary.validators = seen.size;
      return summary;
    },

    /** The complete history of the given keys (all keys, in pubkey order, when omitted). */
    *exportHistory(pubkeys?: readonly Pubkey[]): Iterable<ValidatorHistory> {
      // Read the list first: iterating a statement while running others on the same connection is
      // not allowed by better-sqlite3.
      const validators = pubkeys
        ? pubkeys.map((pubkey) => ({ pubkey, id: records.validatorId.get(hexToBytes(pubkey.toLowerCase()))?.id }))
        : allValidators.all().map((row) => ({ pubkey: toHex(row.pubkey), id: row.id }));
      for (const { pubkey, id } of validators) {
        if (id === undefined) yield { pubkey: pubkey.toLowerCase(), blocks: [], attestations: [] };
        else yield { pubkey: pubkey.toLowerCase(), ...readOne(id) };
      }
    },

    listValidators(): Pubkey[] {
      return allValidators.all().map((row) => toHex(row.pubkey));
    },
  };
}
