/**
 * Loads every EIP-2335 keystore of a directory for `bulwark serve --keystores DIR`. All or nothing:
 * a signer that starts with some of its keys missing looks healthy while validators miss duties,
 * so any failure rejects the whole load and names every failed file.
 */
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
}

/**
 * Decrypts the keystores of `options.keystoresDir` in worker threads and checks each secret
 * against its keystore's public key. Resolves with the keys in file-name order, or rejects with a
 * `KeystoreLoadError` listing every file that failed.
 */
export async function loadKeystores(options: LoadKeystoresOptions): Promise<LoadedKey[]> {
  const source = passwordSource(options);
  const started = Date.now();
  const discovery = await discoverKeystores(options.keystoresDir);
  for (const skipped of discovery.skipped) {
    options.logger?.warn({ file: skipped.path, reason: skipped.reason }, "skipping file in keystores directory");
  }

  const failures: KeystoreFileError[] = [...discovery.failures];
  const passwords = await resolvePasswords(discovery.keystores.map((k) => k.path), source);
  const pending: KeystoreFile[] = [];
  const jobs: DecryptJob[] = [];
  discovery.keystores.forEach((file, i) => {
    const result = passwords[i];
    if (result === undefined) return;
    if (!result.ok) {
      failures.push(result.error);
      return;
    }
    pending.push(file);
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
  const byPubkey = new Map<string, string>();
  outcomes.forEach((outcome, i) => {
    const path = (pending[i] as KeystoreFile).path;
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
    keys.push({ pubkey: outcome.pubkey, secretKey: outcome.secretKey, path });
  });

  const attempted = discovery.keystores.length + discovery.failures.length;
  if (failures.length > 0) {
    for (const key of keys) key.secretKey.fill(0);
    failures.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
    throw new KeystoreLoadError(failures, attempted);
  }
  options.logger?.info(
    { dir: options.keystoresDir, keys: keys.length, skipped: discovery.skipped.length, ms: Date.now() - started },
    "loaded keystores",
  );
  return keys;
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
