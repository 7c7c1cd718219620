/**
 * Loads every EIP-2335 keystore of a directory for `bulwark serve --keystores DIR`. All or nothing:
 * a signer that starts with some of its keys missing looks healthy while validators miss duties,
 * so any failure rejects the whole load and names every failed file.
 */
import { createHash } from "node:crypto";
import { availableParallelism } from "node:os";
import { createProgress } from "../util/progress.js";
import { decryptAll, type DecryptJob } from "./decrypt-pool.js";
import { KeystoreFileError, KeystoreLoadError } from "./keystore-errors.js";
import { discoverKeystores, resolvePasswords, type KeystoreFile, type PasswordSource } from "./keystore-files.js";

export interface LoadedKey {
  /** Compressed BLS public key, `0x`-prefixed lowercase hex, derived from the secret. */
  pubkey: string;
  /** 32-byte secret key. Never log it, never copy it into a string. */
  secretKey: Uint8Array;
  /** Absolute path of the keystore file. */
  path: string;
  /** SHA-256 over the keystore's content and its password: what a reload compares (see keystoreFingerprint). */
  fingerprint: string;
}

/** A keystore that a reload found unchanged, so it was not decrypted again. */
export interface UnchangedKey {
  pubkey: string;
  path: string;
  fingerprint: string;
}

/** The subset of a pino logger used here. */
export interface KeyLoadLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface LoadKeystoresOptions {
  /** `--keystores DIR` */
  keystoresDir: string;
  /** `--keystores-passwords DIR`: one `<keystore base name>.txt` per keystore. */
  passwordsDir?: string;
  /** `--keystores-password-file FILE`: one password for every keystore. */
  passwordFile?: string;
  /** Worker threads; defaults to one per core (os.availableParallelism()). */
  workers?: number;
  logger?: KeyLoadLogger;
  /** Forces the progress bar on or off; by default it draws only on a TTY outside CI. */
  progress?: boolean;
  /**
   * Keystores already decrypted, by path: a file whose fingerprint is unchanged is not decrypted
   * again (scrypt costs about a second and tens of MiB per keystore).
   */
  previous?: ReadonlyMap<string, { fingerprint: string; pubkey: string }>;
}

/**
 * What decides whether a keystore must be decrypted again: a hash of its parsed content (every
 * field that affects the secret or the public key) and of its password. Content, not size and
 * mtime: `cp -p` keeps the mtime and two keystores can have the same size; the file is read and
 * parsed anyway to find the keystores, so hashing it costs microseconds.
 */
export function keystoreFingerprint(keystore: unknown, password: string): string {
  return createHash("sha256").update(JSON.stringify(keystore)).update("\0").update(password).digest("hex");
}

/**
 * Decrypts the keystores of `options.keystoresDir` in worker threads and checks each secret
 * against its keystore's public key. Resolves with the keys in file-name order, or rejects with a
 * `KeystoreLoadError` listing every file that failed.
 */
export async function loadKeystores(options: LoadKeystoresOptions): Promise<LoadedKey[]> {
  return (await loadChangedKeystores(options)).fresh;
}

/**
 * As loadKeystores, but keystores whose fingerprint matches `options.previous` are returned in
 * `unchanged` without being decrypted; `fresh` holds the ones decrypted now.
 */
export async function loadChangedKeystores(options: LoadKeystoresOptions): Promise<{ fresh: LoadedKey[]; unchanged: UnchangedKey[] }> {
  const source = passwordSource(options);
  const started = Date.now();
  const discovery = await discoverKeystores(options.keystoresDir);
  for (const skipped of discovery.skipped) {
    options.logger?.warn({ file: skipped.path, reason: skipped.reason }, "skipping file in keystores directory");
  }

  const failures: KeystoreFileError[] = [...discovery.failures];
  const passwords = await resolvePasswords(discovery.keystores.map((k) => k.path), source);
  const pending: Array<KeystoreFile & { fingerprint: string }> = [];
  const jobs: DecryptJob[] = [];
  const unchanged: UnchangedKey[] = [];
  discovery.keystores.forEach((file, i) => {
    const result = passwords[i];
    if (result === undefined) return;
    if (!result.ok) {
      failures.push(result.error);
      return;
    }
    const fingerprint = keystoreFingerprint(file.keystore, result.password);
    const known = options.previous?.get(file.path);
    if (known !== undefined && known.fingerprint === fingerprint) {
      unchanged.push({ pubkey: known.pubkey, path: file.path, fingerprint });
      return;
    }
    pending.push({ ...file, fingerprint });
    jobs.push({ keystore: file.keystore, password: result.password });
  });

  // Decrypt the rest even when some files already failed, so the error lists every problem.
  const progress = createProgress({ label: "Decrypting keystores", total: jobs.length, enabled: jobs.length === 0 ? false : options.progress });
  const outcomes = await decryptAll(jobs, {
    workers: options.workers ?? availableParallelism(),
    onSettled: () => progress.tick(),
  });
  progress.done();

  const keys: LoadedKey[] = [];
  const byPubkey = new Map<string, string>(unchanged.map((key) => [key.pubkey, key.path]));
  outcomes.forEach((outcome, i) => {
    const { path, fingerprint } = pending[i]!;
    if (!outcome.ok) {
      failures.push(new KeystoreFileError(path, outcome.code, outcome.reason));
      return;
    }
    const first = byPubkey.get(outcome.pubkey);
    if (first !== undefined) {
      outcome.secretKey.fill(0);
      failures.push(new KeystoreFileError(path, "duplicate-pubkey", `duplicate pubkey ${outcome.pubkey}, also in ${first}`));
      return;
    }
    byPubkey.set(outcome.pubkey, path);
    keys.push({ pubkey: outcome.pubkey, secretKey: outcome.secretKey, path, fingerprint });
  });

  const attempted = discovery.keystores.length + discovery.failures.length;
  if (failures.length > 0) {
    for (const key of keys) key.secretKey.fill(0);
    failures.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
    throw new KeystoreLoadError(failures, attempted);
  }
  options.logger?.info(
    { dir: options.keystoresDir, keys: keys.length + unchanged.length, decrypted: keys.length, unchanged: unchanged.length, skipped: discovery.skipped.length, ms: Date.now() - started },
    "loaded keystores",
  );
  return { fresh: keys, unchanged };
}

function passwordSource(options: LoadKeystoresOptions): PasswordSource {
  const { passwordsDir, passwordFile } = options;
  if (passwordsDir !== undefined && passwordFile !== undefined) {
    throw new TypeError("give either a passwords directory or a single password file, not both");
  }
  if (passwordsDir !== undefined) return { passwordsDir };
  if (passwordFile !== undefined) return { passwordFile };
  throw new TypeError("keystores need a passwords directory or a single password file");
}
