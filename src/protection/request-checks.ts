import type { ValidatorHistory } from "./history.js";
import { GenesisMismatchError, ProtectionStoreError } from "./store.js";
import type { ProtectionRequest, Root } from "./types.js";

/**
 * Every store checks its own inputs before touching the database: a bad number must never reach
 * SQL as a float or text, whatever its caller validated. Returns why a request is invalid, or
 * undefined when it is well formed.
 */
export function invalidRequestReason(request: ProtectionRequest): string | undefined {
  const numbers = request.kind === "block" ? [request.slot] : [request.sourceEpoch, request.targetEpoch];
  if (!numbers.every((n) => Number.isSafeInteger(n) && n >= 0)) return `${request.kind} numbers must be unsigned safe integers`;
  if (!/^0x[0-9a-f]{96}$/.test(request.pubkey.toLowerCase())) return "pubkey must be 48 bytes of hex";
  if (!/^0x[0-9a-f]{64}$/.test(request.signingRoot)) return "signing root must be 32 bytes of lowercase hex";
  return undefined;
}

/** Why an interchange history cannot be imported, or undefined when every record is well formed. */
export function invalidHistoryReason(validators: readonly ValidatorHistory[]): string | undefined {
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

/** What every store checks before an import touches the database: the chain, then every record. */
export function assertImportable(boundTo: Root, genesisValidatorsRoot: Root, validators: readonly ValidatorHistory[]): void {
  if (genesisValidatorsRoot.toLowerCase() !== boundTo) {
    throw new GenesisMismatchError(boundTo, genesisValidatorsRoot.toLowerCase(), "the interchange file");
  }
  const invalid = invalidHistoryReason(validators);
  if (invalid !== undefined) throw new ProtectionStoreError(`import failed, nothing was written: ${invalid}`);
}
