/**
 * The terms of one LowBondPoolVault (vault.json), and the deposit from pool.json in the shape the
 * contract takes. The vault's address follows from the factory, the deployer, the salt and these
 * terms (CREATE2), so the file exists before the key ceremony and its address goes into the deposit.
 *
 * ```json
 * { "factory": "0x…", "salt": "0x…(32 bytes)", "aggregator": "0x…", "operators": ["0x…", …],
 *   "threshold": 3, "aggregator_bond_wei": "4000000000000000000", "operator_bond_wei": "1000000000000000000",
 *   "stake_pool": "0x…", "stake_deadline": 1893456000, "aggregator_reward_bps": 1000, "operator_reward_bps": 500 }
 * ```
 */
import { getAddress, isAddress, isHex, type Address, type Hex } from "viem";
import type { DepositDataJson } from "../eth/deposit.js";
import { codedError } from "../errors/bulwark-error.js";

export interface VaultConfig {
  aggregator: Address;
  operators: Address[];
  threshold: bigint;
  aggregatorBond: bigint;
  operatorBond: bigint;
  stakePool: Address;
  stakeDeadline: bigint;
  aggregatorRewardBps: number;
  operatorRewardBps: number;
}

export interface VaultTerms {
  factory: Address;
  salt: Hex;
  config: VaultConfig;
}

/** The DepositData struct of LowBondPoolVault.sol. */
export interface VaultDepositData {
  pubkey: Hex;
  withdrawalCredentials: Hex;
  amountGwei: bigint;
  signature: Hex;
  depositDataRoot: Hex;
}

export class VaultConfigError extends codedError("vault-config") {
  override name = "VaultConfigError";
}

export function parseVaultTerms(json: unknown, source = "vault terms"): VaultTerms {
  const fail = (field: string, problem: string): never => {
    throw new VaultConfigError(`${source}: ${field}: ${problem}`);
  };
  if (json === null || typeof json !== "object" || Array.isArray(json)) fail("document", "expected a JSON object");
  const doc = json as Record<string, unknown>;
  const address = (field: string): Address => {
    const v = doc[field];
    if (typeof v !== "string" || !isAddress(v, { strict: false })) return fail(field, "expected a 0x-prefixed 20-byte address");
    return getAddress(v as string);
  };
  const wei = (field: string): bigint => {
    const v = doc[field];
    if (typeof v !== "string" || !/^(0|[1-9][0-9]*)$/.test(v)) return fail(field, "expected a decimal string of wei");
    return BigInt(v as string);
  };
  const integer = (field: string, max: number): number => {
    const v = doc[field];
    if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0 || v > max) return fail(field, `expected an integer 0..${max}`);
    return v as number;
  };
  const operators = doc.operators;
  if (!Array.isArray(operators) || operators.length < 2) fail("operators", "expected at least 2 addresses, in the pool's participant order");
  const salt = doc.salt ?? `0x${"00".repeat(32)}`;
  if (typeof salt !== "string" || !isHex(salt) || salt.length !== 66) fail("salt", "expected 32 bytes of 0x-hex");
  return {
    factory: address("factory"),
    salt: salt as Hex,
    config: {
      aggregator: address("aggregator"),
      operators: (operators as unknown[]).map((o, i) => {
        if (typeof o !== "string" || !isAddress(o, { strict: false })) return fail(`operators[${i}]`, "expected an address");
        return getAddress(o as string);
      }),
      threshold: BigInt(integer("threshold", 1000)),
      aggregatorBond: wei("aggregator_bond_wei"),
      operatorBond: wei("operator_bond_wei"),
      stakePool: address("stake_pool"),
      stakeDeadline: BigInt(integer("stake_deadline", Number.MAX_SAFE_INTEGER)),
      aggregatorRewardBps: integer("aggregator_reward_bps", 10_000),
      operatorRewardBps: integer("operator_reward_bps", 10_000),
    },
  };
}

export function vaultDepositData(deposit: DepositDataJson): VaultDepositData {
  return {
    pubkey: `0x${deposit.pubkey}`,
    withdrawalCredentials: `0x${deposit.withdrawal_credentials}`,
    amountGwei: BigInt(deposit.amount),
    signature: `0x${deposit.signature}`,
    depositDataRoot: `0x${deposit.deposit_data_root}`,
  };
}
