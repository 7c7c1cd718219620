/**
 * One running signer per data directory. The same keys signing in two places is the commonest cause
 * of slashing, and commands that change the key store (`keys delete`) must know whether a signer is
 * using it. The lock is a file holding the signer's pid; a lock left by a dead process is taken over.
 */
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { processAlive } from "../util/file-lock.js";
import { codedError } from "../errors/bulwark-error.js";

export const SIGNER_LOCK_FILE = "bulwark-serve.pid";

export class SignerLockError extends codedError("signer-lock") {
  override name = "SignerLockError";
}

/** The pid of the signer running on `dataDir`, or undefined when none is. */
export function runningSigner(dataDir: string): number | undefined {
  let pid: number;
  try {
    pid = Number(readFileSync(join(dataDir, SIGNER_LOCK_FILE), "utf8"));
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  return processAlive(pid) ? pid : undefined;
}

/** Takes the data directory for this process; returns the release function. */
export function acquireSignerLock(dataDir: string): () => void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const path = join(dataDir, SIGNER_LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, "wx", 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      const release = () => {
        if (runningSigner(dataDir) === process.pid) rmSync(path, { force: true });
      };
      process.once("exit", release);
      return release;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const holder = runningSigner(dataDir);
      if (holder !== undefined) {
        throw new SignerLockError(
          `another bulwark signer (pid ${holder}) is using ${dataDir}; running two signers with the same keys is how validators get slashed`,
        );
      }
      rmSync(path, { force: true });
    }
  }
  throw new SignerLockError(`cannot take ${path}`);
}
