/**
 * Durable file writes for pool state: the bytes are fsync'd before the file appears under its name,
 * and the directory is fsync'd after, so a crash leaves either the old state or the new one.
 */
import { closeSync, constants, fsyncSync, linkSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { dirname } from "node:path";

export interface DurableWriteOptions {
  /** File mode (default 0600). */
  mode?: number;
  /** Refuse (EEXIST) when the file exists, atomically: no two writers both succeed. */
  exclusive?: boolean;
}

/** Writes `data` to `path` durably, creating the directory (0700) if needed. */
export function writeFileDurably(path: string, data: string | Uint8Array, options: DurableWriteOptions = {}): void {
  const mode = options.mode ?? 0o600;
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
  const fd = openSync(temporary, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, mode);
  try {
    writeSync(fd, typeof data === "string" ? Buffer.from(data, "utf8") : data);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    rmSync(temporary, { force: true });
    throw err;
  }
  closeSync(fd);
  try {
    if (options.exclusive) {
      // link(2) fails with EEXIST if the name is taken, unlike rename(2), which replaces it.
      linkSync(temporary, path);
      rmSync(temporary, { force: true });
    } else {
      renameSync(temporary, path);
    }
  } catch (err) {
    rmSync(temporary, { force: true });
    throw err;
  }
  fsyncDirectory(dirname(path));
}

export function fsyncDirectory(dir: string): void {
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
