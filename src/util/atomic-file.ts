/**
 * The one way Bulwark writes a file by temporary name + rename: the temporary name is random
 * (unguessable), created with O_CREAT|O_EXCL (a name another user pre-created is never used, the
 * write fails instead), opened with O_NOFOLLOW (a symlink planted under the name is never followed),
 * and its mode is set on the descriptor (fchmod, so the umask cannot widen or narrow it). The bytes
 * are fsync'd before the rename, and the directory after, so a crash leaves the old file or the new.
 */
import { randomBytes } from "node:crypto";
import { closeSync, constants, fchmodSync, fsync, fsyncSync, linkSync, openSync, renameSync, rmSync, write, writeSync } from "node:fs";
import { promisify } from "node:util";
import { basename, dirname, join } from "node:path";

const writeAsync = promisify(write);
const fsyncAsync = promisify(fsync);
const CREATE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

export interface AtomicWriteOptions {
  /** File mode, set on the descriptor (default 0600). */
  mode?: number;
  /** Refuse (EEXIST) when `path` exists, atomically (link(2) instead of rename(2)). */
  exclusive?: boolean;
}

/** A fresh, unguessable name next to `path` (same directory, so rename stays atomic). */
export function temporaryNameFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.tmp-${randomBytes(12).toString("hex")}`);
}

/** Creates `temporary` exclusively, never through a symlink, mode set with fchmod. Returns the descriptor. */
export function createExclusive(temporary: string, mode: number): number {
  const fd = openSync(temporary, CREATE_FLAGS, mode);
  try {
    fchmodSync(fd, mode);
  } catch (err) {
    closeSync(fd);
    rmSync(temporary, { force: true });
    throw err;
  }
  return fd;
}

/** Moves the finished temporary file to `path` (or links it, when exclusive), then fsyncs the directory. */
function publish(temporary: string, path: string, exclusive: boolean): void {
  try {
    if (exclusive) {
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

/** A temporary file whose writing failed: closed and removed, nothing published. */
function discard(fd: number, temporary: string): void {
  closeSync(fd);
  rmSync(temporary, { force: true });
}

/** A temporary file written and fsync'd: closed and published under `path`. */
function complete(fd: number, temporary: string, path: string, options: AtomicWriteOptions): void {
  closeSync(fd);
  publish(temporary, path, options.exclusive === true);
}

/** Writes `data` to `path` atomically and durably (see the top of this file). */
export function writeFileAtomically(path: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): void {
  const temporary = temporaryNameFor(path);
  const fd = createExclusive(temporary, options.mode ?? 0o600);
  try {
    writeSync(fd, typeof data === "string" ? Buffer.from(data, "utf8") : data);
    fsyncSync(fd);
  } catch (err) {
    discard(fd, temporary);
    throw err;
  }
  complete(fd, temporary, path, options);
}

/** As writeFileAtomically, for content produced in chunks (large exports), written through the one descriptor. */
export async function writeChunksAtomically(path: string, chunks: AsyncIterable<string>, options: AtomicWriteOptions = {}): Promise<void> {
  const temporary = temporaryNameFor(path);
  const fd = createExclusive(temporary, options.mode ?? 0o600);
  try {
    let pending = "";
    for await (const chunk of chunks) {
      pending += chunk;
      if (pending.length >= 1 << 20) {
        await writeAll(fd, pending);
        pending = "";
      }
    }
    if (pending.length > 0) await writeAll(fd, pending);
    await fsyncAsync(fd);
  } catch (err) {
    discard(fd, temporary);
    throw err;
  }
  complete(fd, temporary, path, options);
}

async function writeAll(fd: number, text: string): Promise<void> {
  const bytes = Buffer.from(text, "utf8");
  for (let offset = 0; offset < bytes.length; ) offset += (await writeAsync(fd, bytes, offset, bytes.length - offset)).bytesWritten;
}

export function fsyncDirectory(dir: string): void {
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
