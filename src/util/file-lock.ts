/**
 * Serialises writers of one file across processes with `<file>.lock`, created exclusively and
 * holding the writer's pid. A lock whose process is gone (killed mid-write) is taken over.
 */
import { closeSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { codedError } from "../errors/bulwark-error.js";

export class FileLockTimeoutError extends codedError("file-lock-timeout") {
  override name = "FileLockTimeoutError";
}

export async function withFileLock<T>(path: string, action: () => Promise<T>, waitMs = 10_000): Promise<T> {
  const lock = `${path}.lock`;
  const deadline = Date.now() + waitMs;
  let fd: number | undefined;
  while (fd === undefined) {
    try {
      fd = openSync(lock, "wx", 0o600);
      writeSync(fd, String(process.pid));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const holder = lockHolder(lock);
      if (holder !== undefined && !processAlive(holder)) {
        // Remove only the dead holder's lock: if it changed meanwhile, someone else took it over.
        if (lockHolder(lock) === holder) rmSync(lock, { force: true });
        continue;
      }
      if (Date.now() > deadline) throw new FileLockTimeoutError(`${path} is locked by process ${holder ?? "?"} (${lock})`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
  try {
    return await action();
  } finally {
    closeSync(fd);
    rmSync(lock, { force: true });
  }
}

/** The pid in a lock file, or undefined while it is being written or already gone. */
function lockHolder(lock: string): number | undefined {
  try {
    const pid = Number(readFileSync(lock, "utf8"));
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
