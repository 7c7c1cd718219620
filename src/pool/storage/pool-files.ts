/**
 * The pool state in a data directory (layout: POOL_FILES in definition.ts): the copies of pool
 * definitions every party keeps in `pools/<composite>.json`, and the aggregator's pre-signed exits in
 * `exits/<composite>.json`. `<composite>` is the composite public key as in pool.json: 0x and 96
 * lowercase hex digits.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parsePoolDefinition, POOL_FILES, PoolDefinitionError, serializePoolDefinition, type PoolDefinition } from "../definition.js";
import { writeFileDurably } from "../../util/durable-file.js";
import { PoolError } from "../errors.js";

const COMPOSITE = /^0x[0-9a-f]{96}$/;

function checkComposite(composite: string): string {
  const lower = composite.toLowerCase();
  if (!COMPOSITE.test(lower)) throw new PoolError("invalid-pool", `"${composite}" is not a composite public key (0x and 96 hex digits)`);
  return lower;
}

export function poolDefinitionPath(dataDir: string, compositePublicKey: string): string {
  return join(dataDir, POOL_FILES.definitionsDir, `${checkComposite(compositePublicKey)}.json`);
}

export function presignedExitPath(dataDir: string, compositePublicKey: string): string {
  return join(dataDir, POOL_FILES.exitsDir, `${checkComposite(compositePublicKey)}.json`);
}

/** Reads and parses a pool definition file; PoolError("invalid-pool") names the file and the problem. */
export function readPoolDefinitionFile(path: string): PoolDefinition {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new PoolError("invalid-pool", `cannot read pool definition ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new PoolError("invalid-pool", `pool definition ${path} is not valid JSON: ${(err as Error).message}`);
  }
  try {
    return parsePoolDefinition(json, path);
  } catch (err) {
    if (err instanceof PoolDefinitionError) throw new PoolError("invalid-pool", err.message, { cause: err });
    throw err;
  }
}

/**
 * Keeps a copy of `pool` in DATA_DIR/pools/<composite>.json (0600). An identical copy already there
 * is fine; a different definition for the same composite key is refused, since two parties could
 * then disagree about the pool without noticing.
 */
export function savePoolDefinitionCopy(dataDir: string, pool: PoolDefinition): string {
  const path = poolDefinitionPath(dataDir, pool.compositePublicKey);
  const text = serializePoolDefinition(pool);
  if (existsSync(path)) {
    let existing: string | undefined;
    try {
      existing = serializePoolDefinition(readPoolDefinitionFile(path));
    } catch {
      existing = undefined;
    }
    if (existing === text) return path;
    throw new PoolError(
      "already-joined",
      `${path} already holds a different pool definition for ${pool.compositePublicKey}; remove it only if you are sure it is stale`,
    );
  }
  try {
    writeFileDurably(path, text, { mode: 0o600, exclusive: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return savePoolDefinitionCopy(dataDir, pool);
    throw err;
  }
  return path;
}

/** The pool definition kept for `compositePublicKey`, or undefined when there is none. */
export function loadPoolDefinitionCopy(dataDir: string, compositePublicKey: string): PoolDefinition | undefined {
  const path = poolDefinitionPath(dataDir, compositePublicKey);
  if (!existsSync(path)) return undefined;
  const pool = readPoolDefinitionFile(path);
  if (pool.compositePublicKey !== compositePublicKey.toLowerCase()) {
    throw new PoolError("invalid-pool", `${path} holds the pool of ${pool.compositePublicKey}, not of ${compositePublicKey}`);
  }
  return pool;
}

/** Every pool definition kept in the data directory, by composite key. */
export function listPoolDefinitionCopies(dataDir: string): PoolDefinition[] {
  const dir = join(dataDir, POOL_FILES.definitionsDir);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => /^0x[0-9a-f]{96}\.json$/.test(name))
    .sort()
    .map((name) => loadPoolDefinitionCopy(dataDir, name.slice(0, -".json".length))!);
}
