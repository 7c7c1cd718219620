/**
 * `bulwark keys new-mnemonic`, `keys generate` and `keys verify-deposit`: validator keys from a
 * BIP-39 mnemonic (EIP-2333/2334), EIP-2335 keystores and a launchpad deposit_data file, the way
 * staking-deposit-cli makes them, and a checker for deposit data from any tool.
 */
import { constants, existsSync } from "node:fs";
import { chmod, mkdir, open, readdir, readFile, stat, unlink } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { resolve } from "node:path";
import { type Command, Option } from "commander";
import { type Network, NetworkError, resolveNetwork } from "../config/networks.js";
import {
  checksumAddress,
  createDeposit,
  DEFAULT_DEPOSIT_GWEI,
  type DepositDataJson,
  DepositError,
  executionWithdrawalCredentials,
  parseAmountGwei,
  parseExecutionAddress,
} from "../eth/deposit.js";
import { depositFileName, verifyDepositFile, writeDepositFile } from "../eth/deposit-file.js";
import { createKeystores, keystoreFileName, writeKeystoreFile } from "../keys/create-keystore.js";
import { deriveValidatorKeys, MAX_CHILD_INDEX } from "../keys/derive.js";
import { readPasswordFile } from "../keys/keystore-files.js";
import { MnemonicError, mnemonicToSeed, newMnemonic, parseMnemonic } from "../keys/mnemonic.js";
import { createProgress } from "../util/progress.js";
import { networkOption } from "./common-options.js";
import { CliError } from "./errors.js";

const SECRET_FILE_MODE = 0o600;
const OUTPUT_DIR_MODE = 0o700;
/** staking-deposit-cli's rule for keystore passwords. */
const MIN_PASSWORD_LENGTH = 8;
const ZERO_ROOT = "0x" + "00".repeat(32);

export function registerKeyGenerationCommands(keys: Command): void {
  keys
    .command("new-mnemonic")
    .description("create a new 24-word BIP-39 mnemonic: printed once, or written to a new file (mode 0600)")
    .option("--out <file>", "write the mnemonic to this new file (mode 0600) instead of printing it; never overwrites")
    .action(async (options: { out?: string }) => newMnemonicCommand(options));

  keys
    .command("generate")
    .description("derive validator keys from a mnemonic; write EIP-2335 keystores and one deposit_data file")
    .requiredOption("--mnemonic-file <file>", "file holding the BIP-39 mnemonic (English)")
    .option("--mnemonic-passphrase-file <file>", "file holding the BIP-39 passphrase, if the mnemonic has one")
    .requiredOption("--count <n>", "number of validators")
    .option("--start-index <i>", "EIP-2334 index of the first validator (m/12381/3600/i/0/0)", "0")
    .addOption(networkOption())
    .requiredOption("--withdrawal-address <address>", "execution address for withdrawals (0x01 credentials; EIP-55 checked)")
    .option("--compounding", "0x02 (compounding) withdrawal credentials instead of 0x01")
    .addOption(
      new Option("--amount-gwei <gwei>", "deposit per validator in gwei: 1 ETH to 32 ETH, or to 2048 ETH with --compounding").default(
        String(DEFAULT_DEPOSIT_GWEI),
      ),
    )
    .requiredOption("--password-file <file>", "password for the keystores (at least 8 characters; one trailing newline ignored)")
    .requiredOption("--out <dir>", "output directory (created with mode 0700)")
    .action(async (options: GenerateOptions) => generateCommand(options));

  keys
    .command("verify-deposit")
    .description("check a deposit_data file (from any tool) against a network: fields, roots, signatures")
    .argument("<file>", "deposit_data-*.json file")
    .addOption(networkOption())
    .action(async (file: string, options: { network: string }) => verifyDepositCommand(file, options));
}

// ---------------------------------------------------------------------------------------------
// new-mnemonic

async function newMnemonicCommand(options: { out?: string }): Promise<void> {
  const mnemonic = newMnemonic();
  if (options.out === undefined) {
    process.stderr.write(
      [
        "WARNING: this mnemonic is the only backup of every validator key derived from it, and anyone",
        "who sees it controls those keys. Write it down on paper now and store it offline. It is shown",
        "once and kept nowhere; do not photograph it, paste it into a chat or save it unencrypted.",
        "",
      ].join("\n"),
    );
    process.stdout.write(`${mnemonic}\n`);
    return;
  }
  const path = resolve(options.out);
  await writeNewSecretFile(path, `${mnemonic}\n`);
  process.stderr.write(
    `wrote a new 24-word mnemonic to ${path} (mode 0600). It is the only backup of every key derived from it:\n` +
      "copy it to paper or another offline medium, then consider deleting the file.\n",
  );
}

async function writeNewSecretFile(path: string, text: string): Promise<void> {
  let handle;
  try {
    handle = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, SECRET_FILE_MODE);
  } catch (err) {
    if (errorCode(err) === "EEXIST") throw new CliError(`${path} already exists; refusing to overwrite it`);
    throw new CliError(`cannot create ${path} (${errorCode(err)})`);
  }
  try {
    await handle.chmod(SECRET_FILE_MODE);
    await handle.writeFile(text, "utf8");
    await handle.sync();
  } finally {
    await handle.close();
  }
}

// ---------------------------------------------------------------------------------------------
// generate

interface GenerateOptions {
  mnemonicFile: string;
  mnemonicPassphraseFile?: string;
  count: string;
  startIndex: string;
  network: string;
  withdrawalAddress: string;
  compounding?: boolean;
  amountGwei: string;
  passwordFile: string;
  out: string;
}

async function generateCommand(options: GenerateOptions): Promise<void> {
  // Everything cheap is checked before anything slow runs or anything is written.
  const count = parseInteger(options.count, "--count", 1);
  const start = parseInteger(options.startIndex, "--start-index", 0);
  if (start + count - 1 > MAX_CHILD_INDEX) throw new CliError(`--start-index ${start} with --count ${count} passes the last EIP-2334 index (2^32-1)`);
  const network = depositNetwork(options.network);
  const compounding = options.compounding === true;
  let withdrawalAddress: Uint8Array;
  let withdrawalCredentials: Uint8Array;
  let amount: number;
  try {
    withdrawalAddress = parseExecutionAddress(options.withdrawalAddress);
    withdrawalCredentials = executionWithdrawalCredentials(withdrawalAddress, compounding);
    amount = parseAmountGwei(options.amountGwei, withdrawalCredentials);
  } catch (err) {
    if (err instanceof DepositError) throw new CliError(err.message);
    throw err;
  }
  const mnemonic = await readMnemonicFile(options.mnemonicFile);
  const passphrase = options.mnemonicPassphraseFile === undefined ? "" : await readSecretText(options.mnemonicPassphraseFile, "mnemonic passphrase file");
  const password = await readSecretText(options.passwordFile, "password file");
  if ([...password].length < MIN_PASSWORD_LENGTH) throw new CliError(`the keystore password must have at least ${MIN_PASSWORD_LENGTH} characters`);

  const outDir = resolve(options.out);
  const timestamp = Math.floor(Date.now() / 1000);
  // Checked now, created only once there is something to write.
  if (await outputDirExists(outDir)) await refuseExistingFiles(outDir, start, count, timestamp);

  // Keys and deposits: fast, and every deposit signature is verified before anything is written.
  const seed = mnemonicToSeed(mnemonic, passphrase);
  const keys = deriveValidatorKeys(seed, start, count);
  seed.fill(0);
  let deposits: DepositDataJson[];
  try {
    deposits = keys.map((key) => createDeposit(key.secretKey, { withdrawalCredentials, amount, network }));
  } catch (err) {
    if (err instanceof DepositError) throw new CliError(err.message);
    throw err;
  }

  // Keystores: scrypt, one worker per core; each is decrypted again to check it before it is kept.
  const progress = createProgress({ label: "Creating keystores", total: count });
  const jobs = keys.map((key) => ({ secretKey: key.secretKey.toBytes(), password, path: key.path }));
  let outcomes;
  try {
    outcomes = await createKeystores(jobs, { workers: availableParallelism(), onSettled: () => progress.tick() });
  } finally {
    for (const job of jobs) job.secretKey.fill(0);
  }
  progress.done();
  const failed = outcomes.flatMap((o, i) => (o.ok ? [] : [`${keys[i]?.path}: ${o.reason}`]));
  if (failed.length > 0) throw new CliError(`keystore creation failed, nothing written:\n  ${failed.join("\n  ")}`);

  // Write everything, or remove what this run wrote.
  await createOutputDir(outDir);
  const written: string[] = [];
  try {
    for (const [i, key] of keys.entries()) {
      const outcome = outcomes[i];
      if (outcome === undefined || !outcome.ok) throw new Error("unreachable: keystore missing");
      written.push(await writeKeystoreFile(outDir, keystoreFileName(key.path, timestamp), outcome.keystore));
    }
    written.push(await writeDepositFile(outDir, deposits, timestamp));
  } catch (err) {
    await Promise.all(written.map((path) => unlink(path).catch(() => undefined)));
    if (errorCode(err) === "EEXIST") throw new CliError(`a file to be written appeared in ${outDir} meanwhile; removed what this run wrote`);
    throw new CliError(`cannot write to ${outDir} (${errorCode(err)}); removed what this run wrote`);
  }

  for (const [i, key] of keys.entries()) {
    process.stdout.write(`${key.path} 0x${deposits[i]?.pubkey} ${keystoreFileName(key.path, timestamp)}\n`);
  }
  process.stdout.write(`${depositFileName(timestamp)}\n`);
  const credentialType = compounding ? "0x02 (compounding)" : "0x01";
  process.stderr.write(
    `wrote ${count} keystores and ${depositFileName(timestamp)} to ${outDir} for ${network.name}: ${amount} gwei each, ${credentialType} withdrawals to ${checksumAddress(withdrawalAddress)}\n`,
  );
}

function parseInteger(text: string, flag: string, min: number): number {
  if (!/^[0-9]+$/.test(text)) throw new CliError(`${flag} must be a whole number, got "${text}"`);
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < min || value > MAX_CHILD_INDEX) {
    throw new CliError(`${flag} must be from ${min} to ${MAX_CHILD_INDEX}, got ${text}`);
  }
  return value;
}

/**
 * The network for deposits. Deposits are signed over the genesis fork version with a zero genesis
 * validators root, so a config.yaml needs no --genesis-validators-root here.
 */
function depositNetwork(nameOrPath: string): Network {
  const isConfigFile = nameOrPath.endsWith(".yaml") || nameOrPath.endsWith(".yml");
  try {
    return resolveNetwork(nameOrPath, isConfigFile ? ZERO_ROOT : undefined);
  } catch (err) {
    if (err instanceof NetworkError) throw new CliError(err.message);
    throw err;
  }
}

async function readMnemonicFile(path: string): Promise<string> {
  const text = await readSecretText(path, "mnemonic file");
  try {
    return parseMnemonic(text);
  } catch (err) {
    if (err instanceof MnemonicError) throw new CliError(`${path}: ${err.message}`);
    throw err;
  }
}

/** Reads a secret file (one trailing newline dropped), warning when others can read it. */
async function readSecretText(path: string, what: string): Promise<string> {
  try {
    const info = await stat(path);
    if ((info.mode & 0o077) !== 0) {
      process.stderr.write(`warning: ${what} ${path} is readable by other users (mode ${(info.mode & 0o777).toString(8)}); chmod 600 it\n`);
    }
    return await readPasswordFile(path);
  } catch (err) {
    const code = errorCode(err);
    if (code === "ENOENT") throw new CliError(`${what} ${path} not found`);
    if (code === "EILSEQ") throw new CliError(`${what} ${path} is not valid UTF-8`);
    throw new CliError(`cannot read ${what} ${path} (${code})`);
  }
}

async function outputDirExists(dir: string): Promise<boolean> {
  if (!existsSync(dir)) return false;
  if (!(await stat(dir)).isDirectory()) throw new CliError(`--out ${dir} exists and is not a directory`);
  return true;
}

/** Creates the output directory (and missing parents) with mode 0700; an existing one is left as it is. */
async function createOutputDir(dir: string): Promise<void> {
  if (existsSync(dir)) return;
  try {
    await mkdir(dir, { recursive: true, mode: OUTPUT_DIR_MODE });
    await chmod(dir, OUTPUT_DIR_MODE);
  } catch (err) {
    throw new CliError(`cannot create output directory ${dir} (${errorCode(err)})`);
  }
}

/**
 * Refuses to run when the directory already holds a keystore for one of the indices (a second
 * copy of a key makes the loader refuse the directory) or the deposit file this run would write.
 */
async function refuseExistingFiles(dir: string, start: number, count: number, timestamp: number): Promise<void> {
  const names = await readdir(dir);
  const clash = names.filter((name) => {
    if (name === depositFileName(timestamp)) return true;
    const match = /^keystore-m_12381_3600_(\d+)_0_0-\d+\.json$/.exec(name);
    if (match === null) return false;
    const index = Number(match[1]);
    return index >= start && index < start + count;
  });
  if (clash.length > 0) {
    const shown = clash.slice(0, 5).join(", ") + (clash.length > 5 ? `, and ${clash.length - 5} more` : "");
    throw new CliError(`${dir} already holds ${shown}; refusing to write keys or deposit data for the same indices again`);
  }
}

// ---------------------------------------------------------------------------------------------
// verify-deposit

async function verifyDepositCommand(file: string, options: { network: string }): Promise<void> {
  const network = depositNetwork(options.network);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    throw new CliError(`cannot read ${file} (${errorCode(err)})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text.startsWith("\uFEFF") ? text.slice(1) : text);
  } catch (err) {
    throw new CliError(`${file} is not valid JSON (${(err as Error).message})`);
  }
  const report = verifyDepositFile(json, network);
  if (report.problems.length > 0) throw new CliError(`${file}: ${report.problems.join("; ")}`);
  for (const entry of report.entries) {
    const who = entry.pubkey === undefined ? "(no pubkey)" : `0x${entry.pubkey.replace(/^0x/, "")}`;
    const line = entry.ok ? `ok    #${entry.index} ${who}` : `FAIL  #${entry.index} ${who}: ${entry.problems.join("; ")}`;
    process.stdout.write(`${line}\n`);
  }
  const failed = report.entries.filter((e) => !e.ok).length;
  if (failed > 0) throw new CliError(`${failed} of ${report.entries.length} deposits in ${file} failed verification for ${network.name}`);
  process.stderr.write(`all ${report.entries.length} deposits in ${file} verify for ${network.name}\n`);
}

function errorCode(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : err instanceof Error ? err.message : "unknown error";
}
