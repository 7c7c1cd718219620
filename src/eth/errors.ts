/**
 * Errors of the eth layer. Each is its own class so the HTTP layer can map them to status codes
 * by `instanceof` (malformed and wrong-network requests are the client's fault, a preset mismatch
 * is ours).
 */
import { BulwarkError, codedError } from "../errors/bulwark-error.js";

/** The request body is malformed. `path` is the JSON path of the offending field ("" = whole body). */
export class BadRequestError extends BulwarkError<"bad-request"> {
  override name = "BadRequestError";
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super("bad-request", path === "" ? reason : `${path}: ${reason}`);
  }
}

/** The request names another chain (fork_info.genesis_validators_root differs from ours). */
export class WrongNetworkError extends BulwarkError<"wrong-network"> {
  override name = "WrongNetworkError";
  constructor(
    readonly expected: string,
    readonly got: string,
  ) {
    super("wrong-network", `fork_info.genesis_validators_root: wrong network, expected ${expected}, got ${got}`);
  }
}

/** fork_info names a fork version the configured network does not have. */
export class UnknownForkError extends codedError("wrong-network") {
  override name = "UnknownForkError";
}

/** The client sent a signing root that is not the one we computed from the typed request. */
export class SigningRootMismatchError extends BulwarkError<"root-mismatch"> {
  override name = "SigningRootMismatchError";
  constructor(
    readonly computed: string,
    readonly supplied: string,
  ) {
    super("root-mismatch", `signingRoot (signing_root): supplied ${supplied} does not match computed ${computed}`);
  }
}

/**
 * The network's preset differs from the preset the SSZ types of this process were built with, so
 * hashing would silently give wrong roots. Lodestar fixes the preset at import time.
 */
export class PresetMismatchError extends codedError("preset-mismatch") {
  override name = "PresetMismatchError";
}
