import type { ErrorCode } from "./codes.js";

/**
 * The base of every Bulwark error (in the manner of Lodestar's LodestarError and fastify's
 * lib/errors.js): a `code` from the catalogue (./catalogue.ts), the message a user needs, and the
 * underlying error kept as the standard `cause`.
 */
export class BulwarkError<C extends ErrorCode = ErrorCode> extends Error {
  override name = "BulwarkError";

  constructor(
    readonly code: C,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * The base of an error class with one fixed code and the standard (message, options) constructor:
 * `class DepositError extends codedError("deposit") { override name = "DepositError"; }`.
 */
export function codedError<C extends ErrorCode>(code: C) {
  return class extends BulwarkError<C> {
    constructor(message: string, options?: ErrorOptions) {
      super(code, message, options);
    }
  };
}
