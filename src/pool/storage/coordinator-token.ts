/**
 * Each joined pool's coordinator token, on an operator: DATA_DIR/pools/<composite>/coordinator-token.txt
 * (0600, directory 0700), created by `bulwark pool join` (or by the participant at start for a pool
 * joined before tokens were per pool). The operator gives this file to that pool's aggregator only
 * (`--participant-token-file ID=FILE`); with it the aggregator lists and signs for that pool only.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { writeFileAtomically } from "../../util/atomic-file.js";
import { POOL_FILES } from "../definition.js";
import { PoolError } from "../errors.js";

export const COORDINATOR_TOKEN_FILE = "coordinator-token.txt";

export function coordinatorTokenPath(dataDir: string, compositePublicKey: string): string {
  const composite = compositePublicKey.toLowerCase();
  if (!/^0x[0-9a-f]{96}$/.test(composite)) throw new PoolError("invalid-pool", `"${compositePublicKey}" is not a composite public key (0x and 96 hex digits)`);
  return join(dataDir, POOL_FILES.definitionsDir, composite, COORDINATOR_TOKEN_FILE);
}

/** The pool's token file, created with a fresh random token when absent. */
export function ensureCoordinatorToken(dataDir: string, compositePublicKey: string): { path: string; created: boolean } {
  const path = coordinatorTokenPath(dataDir, compositePublicKey);
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  try {
    writeFileAtomically(path, `coordinator-${randomBytes(32).toString("hex")}\n`, { mode: 0o600, exclusive: true });
    return { path, created: true };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") {
      readCoordinatorToken(dataDir, compositePublicKey);
      return { path, created: false };
    }
    throw err;
  }
}

/** The pool's token; PoolError naming the file when it is missing or unusable. */
export function readCoordinatorToken(dataDir: string, compositePublicKey: string): string {
  const path = coordinatorTokenPath(dataDir, compositePublicKey);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new PoolError("invalid-parameters", `cannot read the coordinator token of pool ${compositePublicKey} (${path}): ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const token = text.trim();
  if (token.length < 16 || /\s/.test(token)) {
    throw new PoolError("invalid-parameters", `${path}: the coordinator token must be one line of at least 16 characters without spaces`);
  }
  return token;
}
