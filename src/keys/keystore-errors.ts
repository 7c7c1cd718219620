/**
 * Errors raised while loading EIP-2335 keystores. Messages name files and reasons only: a password
 * or a secret must never reach an error, a log line or a stack trace.
 */
import { BulwarkError } from "../errors/bulwark-error.js";
import type { KeystoreFailureCode } from "../errors/codes.js";
export type { KeystoreFailureCode } from "../errors/codes.js";

/** One file that could not be loaded. */
export class KeystoreFileError extends BulwarkError<KeystoreFailureCode> {
  override readonly name = "KeystoreFileError";

  constructor(
    readonly file: string,
    code: KeystoreFailureCode,
    readonly reason: string,
  ) {
    super(code, `${file}: ${reason}`);
  }
}

/**
 * Loading failed as a whole. Carries every failed file, because the signer loads all keys or none
 * and the operator should be able to fix everything in one pass.
 */
export class KeystoreLoadError extends BulwarkError<"keystore-load"> {
  override readonly name = "KeystoreLoadError";

  constructor(
    readonly failures: readonly KeystoreFileError[],
    attempted?: number,
  ) {
    const count = attempted === undefined ? `${failures.length}` : `${failures.length} of ${attempted}`;
    const lines = failures.map((failure) => `  ${failure.message}`);
    super("keystore-load", [`failed to load ${count} keystore file(s); no keys were loaded:`, ...lines].join("\n"));
  }
}
