/**
 * Deposit data as staking-deposit-cli, ethstaker-deposit-cli and the staking launchpad make and
 * check it: a DepositMessage (pubkey, withdrawal credentials, amount in gwei) signed with
 * DOMAIN_DEPOSIT over the network's GENESIS_FORK_VERSION and a zero genesis validators root (a
 * deposit can be made before genesis, so the root is not known), plus the SSZ roots the deposit
 * contract and the launchpad check.
 */
import { PublicKey, Signature, verify, type SecretKey } from "@chainsafe/blst";
import { DOMAIN_DEPOSIT } from "@lodestar/params";
import { ssz, type phase0 } from "@lodestar/types";
import type { Network } from "../config/networks.js";
import { computeDomain, signingRootOf, ZERO_ROOT } from "./domain.js";
import { codedError } from "../errors/bulwark-error.js";

/**
 * The `deposit_cli_version` written into deposit data files. The field names the format, not our
 * version: "2.7.0" is staking-deposit-cli's last release line, whose files have exactly the fields
 * written here (ethstaker-deposit-cli, its successor, writes the same fields and numbers itself
 * 1.x). The launchpad only requires a version of at least 1.0.0.
 */
export const DEPOSIT_CLI_VERSION = "2.7.0";
/** The launchpad refuses deposit data from older tools (MIN_DEPOSIT_CLI_VERSION). */
export const MIN_DEPOSIT_CLI_VERSION = "1.0.0";

export const GWEI_PER_ETH = 1_000_000_000;
/** MIN_DEPOSIT_AMOUNT */
export const MIN_DEPOSIT_GWEI = 1 * GWEI_PER_ETH;
/** MAX_EFFECTIVE_BALANCE: the most a 0x00 or 0x01 validator can use. */
export const MAX_DEPOSIT_GWEI = 32 * GWEI_PER_ETH;
/** MAX_EFFECTIVE_BALANCE_ELECTRA: the most a 0x02 (compounding) validator can use. */
export const MAX_COMPOUNDING_DEPOSIT_GWEI = 2048 * GWEI_PER_ETH;
export const DEFAULT_DEPOSIT_GWEI = 32 * GWEI_PER_ETH;

export const BLS_WITHDRAWAL_PREFIX = 0x00;
export const ETH1_ADDRESS_WITHDRAWAL_PREFIX = 0x01;
export const COMPOUNDING_WITHDRAWAL_PREFIX = 0x02;

/** One entry of a deposit_data-*.json file, fields in staking-deposit-cli's order; hex without 0x. */
export interface DepositDataJson {
  pubkey: string;
  withdrawal_credentials: string;
  /** Gwei. */
  amount: number;
  signature: string;
  deposit_message_root: string;
  deposit_data_root: string;
  fork_version: string;
  network_name: string;
  deposit_cli_version: string;
}

export class DepositError extends codedError("deposit") {
  override name = "DepositError";
}

export function hexNoPrefix(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}

/** EIP-55 mixed-case form of a 20-byte address (keccak-256 via @lodestar/types' ExecutionAddress). */
export function checksumAddress(address: Uint8Array): string {
  if (address.length !== 20) throw new DepositError(`an execution address has 20 bytes, got ${address.length}`);
  return ssz.ExecutionAddress.toJson(address) as string;
}

/**
 * Parses a withdrawal (execution) address: 0x and 40 hex digits. All lower or all upper case is
 * taken as is; mixed case must be the EIP-55 checksum, so that a mistyped address is caught. The
 * zero address is refused: withdrawals to it are burnt.
 */
export function parseExecutionAddress(text: string): Uint8Array {
  if (!/^0x[0-9a-fA-F]{40}$/.test(text)) {
    throw new DepositError(`withdrawal address "${text}" is not 0x followed by 40 hex digits`);
  }
  const digits = text.slice(2);
  const bytes = Uint8Array.from(Buffer.from(digits, "hex"));
  const mixedCase = digits !== digits.toLowerCase() && digits !== digits.toUpperCase();
  if (mixedCase) {
    // The checksummed form is not shown: copying it would defeat the check.
    if (checksumAddress(bytes) !== text) {
      throw new DepositError(
        `withdrawal address ${text} fails its EIP-55 checksum: a character is probably mistyped; copy the address again from its source`,
      );
    }
  }
  if (bytes.every((b) => b === 0)) throw new DepositError("withdrawal address is the zero address; funds sent there are lost");
  return bytes;
}

/** 0x01 (or 0x02 when compounding) + 11 zero bytes + the 20-byte execution address. */
export function executionWithdrawalCredentials(address: Uint8Array, compounding: boolean): Uint8Array {
  if (address.length !== 20) throw new DepositError(`an execution address has 20 bytes, got ${address.length}`);
  const credentials = new Uint8Array(32);
  credentials[0] = compounding ? COMPOUNDING_WITHDRAWAL_PREFIX : ETH1_ADDRESS_WITHDRAWAL_PREFIX;
  credentials.set(address, 12);
  return credentials;
}

/** Why withdrawal credentials are not of a known form, or undefined. */
export function withdrawalCredentialsProblem(credentials: Uint8Array): string | undefined {
  if (credentials.length !== 32) return `withdrawal_credentials must be 32 bytes, got ${credentials.length}`;
  const prefix = credentials[0];
  if (prefix === BLS_WITHDRAWAL_PREFIX) return undefined;
  if (prefix === ETH1_ADDRESS_WITHDRAWAL_PREFIX || prefix === COMPOUNDING_WITHDRAWAL_PREFIX) {
    if (credentials.subarray(1, 12).some((b) => b !== 0)) {
      return `withdrawal_credentials with prefix 0x0${prefix} must have 11 zero bytes before the address`;
    }
    return undefined;
  }
  return `withdrawal_credentials prefix 0x${hexNoPrefix(credentials.subarray(0, 1))} is not 0x00, 0x01 or 0x02`;
}

/** The largest deposit a validator with these credentials can use: 2048 ETH for 0x02, else 32 ETH. */
export function maxDepositGwei(credentials: Uint8Array): number {
  return credentials[0] === COMPOUNDING_WITHDRAWAL_PREFIX ? MAX_COMPOUNDING_DEPOSIT_GWEI : MAX_DEPOSIT_GWEI;
}

function eth(gwei: number): string {
  return `${gwei / GWEI_PER_ETH} ETH`;
}

/** Why `amount` (gwei) is not a sensible deposit for these credentials, or undefined. */
export function depositAmountProblem(amount: number, credentials: Uint8Array): string | undefined {
  if (!Number.isSafeInteger(amount)) return `amount must be a whole number of gwei, got ${amount}`;
  if (amount < MIN_DEPOSIT_GWEI) return `amount ${amount} gwei is below the minimum deposit of ${MIN_DEPOSIT_GWEI} gwei (${eth(MIN_DEPOSIT_GWEI)})`;
  const max = maxDepositGwei(credentials);
  if (amount > max) {
    const why = credentials[0] === COMPOUNDING_WITHDRAWAL_PREFIX ? "a compounding (0x02) validator" : "a validator without compounding (0x02) credentials";
    return `amount ${amount} gwei is above ${max} gwei (${eth(max)}), the most ${why} can use`;
  }
  return undefined;
}

/** Parses `--amount-gwei`: a decimal integer, checked against the bounds for the credentials' type. */
export function parseAmountGwei(text: string, credentials: Uint8Array): number {
  if (!/^[0-9]+$/.test(text)) throw new DepositError(`amount "${text}" is not a whole number of gwei`);
  const amount = Number(text);
  const problem = depositAmountProblem(amount, credentials);
  if (problem !== undefined) throw new DepositError(problem);
  return amount;
}

/** Deposits are signed over the genesis fork version, whatever the current fork. */
export function depositForkVersion(network: Network): Uint8Array {
  return network.config.GENESIS_FORK_VERSION;
}

/** compute_domain(DOMAIN_DEPOSIT, fork_version, ZERO_HASH). */
export function depositDomain(forkVersion: Uint8Array): Uint8Array {
  return computeDomain(DOMAIN_DEPOSIT, forkVersion, ZERO_ROOT);
}

export function depositSigningRoot(message: phase0.DepositMessage, forkVersion: Uint8Array): Uint8Array {
  return signingRootOf(ssz.phase0.DepositMessage.hashTreeRoot(message), depositDomain(forkVersion));
}

/** Whether `signature` (96 bytes) is a valid signature of `message` by its pubkey for this fork version. */
export function verifyDepositSignature(message: phase0.DepositMessage, signature: Uint8Array, forkVersion: Uint8Array): boolean {
  let publicKey: PublicKey;
  let sig: Signature;
  try {
    // Infinity and subgroup checks on both: the deposit contract accepts anything, the chain does not.
    publicKey = PublicKey.fromBytes(message.pubkey, true);
    sig = Signature.fromBytes(signature, true, true);
  } catch {
    return false;
  }
  return verify(depositSigningRoot(message, forkVersion), publicKey, sig, true, true);
}

export interface DepositParams {
  withdrawalCredentials: Uint8Array;
  /** Gwei. */
  amount: number;
  network: Network;
}

/**
 * Signs the deposit of `secretKey` and returns its deposit_data entry. The signature is verified
 * with blst against the serialized pubkey and signature before it is returned; a deposit that
 * would not verify on chain is never produced.
 */
export function createDeposit(secretKey: SecretKey, params: DepositParams): DepositDataJson {
  const { withdrawalCredentials, amount, network } = params;
  const credentialsProblem = withdrawalCredentialsProblem(withdrawalCredentials);
  if (credentialsProblem !== undefined) throw new DepositError(credentialsProblem);
  const amountProblem = depositAmountProblem(amount, withdrawalCredentials);
  if (amountProblem !== undefined) throw new DepositError(amountProblem);

  const forkVersion = depositForkVersion(network);
  const message: phase0.DepositMessage = {
    pubkey: secretKey.toPublicKey().toBytes(true),
    withdrawalCredentials,
    amount,
  };
  const signature = secretKey.sign(depositSigningRoot(message, forkVersion)).toBytes(true);
  if (!verifyDepositSignature(message, signature, forkVersion)) {
    throw new DepositError(`deposit signature for 0x${hexNoPrefix(message.pubkey)} does not verify; nothing written`);
  }
  const data: phase0.DepositData = { ...message, signature };
  return {
    pubkey: hexNoPrefix(message.pubkey),
    withdrawal_credentials: hexNoPrefix(withdrawalCredentials),
    amount,
    signature: hexNoPrefix(signature),
    deposit_message_root: hexNoPrefix(ssz.phase0.DepositMessage.hashTreeRoot(message)),
    deposit_data_root: hexNoPrefix(ssz.phase0.DepositData.hashTreeRoot(data)),
    fork_version: hexNoPrefix(forkVersion),
    network_name: network.name,
    deposit_cli_version: DEPOSIT_CLI_VERSION,
  };
}
