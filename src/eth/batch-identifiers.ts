/**
 * Checks of a batch's identifiers before any work is done for them: at most the number of loaded
 * keys plus 400 (so a client may name a few keys the signer does not have, but cannot make the
 * signer walk an unbounded list), each a 48-byte hex public key, none twice (found with a Set, in
 * O(n): a quadratic scan of 10,000 identifiers per request was a denial of service).
 */
import { isHex } from "../util/hex.js";

/** How many identifiers beyond the loaded keys a batch may name. */
export const BATCH_SLACK = 400;

/** The lower-cased identifiers, or the reason the whole batch is refused. */
export function checkBatchIdentifiers(pubkeys: readonly string[], loadedKeys: number): { ok: true; keys: string[] } | { ok: false; message: string } {
  const limit = loadedKeys + BATCH_SLACK;
  if (pubkeys.length > limit) {
    return { ok: false, message: `identifiers: ${pubkeys.length} given, at most ${limit} accepted (the ${loadedKeys} keys loaded here and ${BATCH_SLACK} more)` };
  }
  if (pubkeys.length === 0) return { ok: false, message: "identifiers: at least one public key is required" };
  const keys: string[] = [];
  const seen = new Set<string>();
  for (const pubkey of pubkeys) {
    const key = pubkey.toLowerCase();
    if (!isHex(key, 48)) return { ok: false, message: `identifiers: ${key} is not a 48-byte hex public key` };
    if (seen.has(key)) return { ok: false, message: `identifiers: ${key} appears more than once` };
    seen.add(key);
    keys.push(key);
  }
  return { ok: true, keys };
}
