import type { ProtectionRequest } from "./types.js";

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
