import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A fresh directory under the system temp dir, removed by the returned cleanup. */
export function tempDir(prefix = "bulwark-test-"): { path: string; cleanup: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

/**
 * A scratch directory in memory when the machine has one (/dev/shm): for tests of logic that make
 * thousands of commits, where fsync to disk would only add minutes. Durability tests use tempDir.
 */
export function memoryTempDir(prefix = "bulwark-test-"): { path: string; cleanup: () => void } {
  const base = existsSync("/dev/shm") ? "/dev/shm" : tmpdir();
  const path = mkdtempSync(join(base, prefix));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

/** Where ../shared is in a checkout, or undefined when it is absent. */
export const SHARED_DIR = new URL("../../../../shared/", import.meta.url).pathname;
