/**
 * Errors of the eth layer. Each is its own class so the HTTP layer can map them to status codes
 * by `instanceof` (malformed and wrong-network requests are the client's fault, a preset mismatch
 * is ours).
 */

/** The request body is malformed. `path` is the JSON path of the offending field ("" = whole body). */
export class BadRequestError extends Error {
  override name = "BadRequestError";
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(path === "" ? reason : `${path}: ${reason}`);
  }
}

/** The request names another chain (fork_info.genesis_validators_root differs from ours). */
export class WrongNetworkError extends Error {
  override name = "WrongNetworkError";
  constructor(
    readonly expected: string,
    readonly got: string,
  ) {
    super(`fork_info.genesis_validators_root: wrong network, expected ${expected}, got ${got}`);
  }
}

/** fork_info names a fork version the configured network does not have. */
export class UnknownForkError extends Error {
  override name = "UnknownForkError";
}

/** The client sent a signing root that is not the one we computed from the typed request. */
export class SigningRootMismatchError extends Error {
  override name = "SigningRootMismatchError";
  constructor(
    readonly computed: string,
    readonly supplied: string,
  ) {
    super(`signingRoot (signing_root): supplied ${supplied} does not match computed ${computed}`);
  }
}

/**
 * The network's preset differs from the preset the SSZ types of this process were built with, so
 * hashing would silently give wrong roots. Lodestar fixes the preset at import time.
 */
export class PresetMismatchError extends Error {
  override name = "PresetMismatchError";
}
