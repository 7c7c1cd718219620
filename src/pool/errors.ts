/**
 * Refusals of the pool's operator-side and aggregator-side commands (ceremony, join, exits). `code`
 * tells them apart for callers and tests; messages name files, ids and keys, never secrets.
 */
import { BulwarkError } from "../errors/bulwark-error.js";
import type { PoolErrorCode } from "../errors/codes.js";
export type { PoolErrorCode } from "../errors/codes.js";

export class PoolError extends BulwarkError<PoolErrorCode> {
  override name = "PoolError";

  constructor(
    code: PoolErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}
