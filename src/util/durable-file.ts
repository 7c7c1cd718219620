/**
 * Durable file writes for state files (pool state, provenance, sealed secrets): the bytes are
 * fsync'd before the file appears under its name, and the directory is fsync'd after, so a crash
 * leaves either the old state or the new one. The temporary file is made by atomic-file.ts (random
 * name, O_EXCL, O_NOFOLLOW, fchmod); this adds the directory (0700) when it is missing.
 */
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { fsyncDirectory, writeFileAtomically } from "./atomic-file.js";

export interface DurableWriteOptions {
  /** File mode (default 0600). */
  mode?: number;
  /** Refuse (EEXIST) when the file exists, atomically: no two writers both succeed. */
  exclusive?: boolean;
}

/** Writes `data` to `path` durably, creating the directory (0700) if needed. */
export function writeFileDurably(path: string, data: string | Uint8Array, options: DurableWriteOptions = {}): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileAtomically(path, data, options);
}

export { fsyncDirectory };
