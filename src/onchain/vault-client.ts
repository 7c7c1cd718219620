/**
 * LowBondPoolVault and its factory through viem: every call the CLI and the tests make. Writes wait
 * for the receipt and fail with the contract's own reason (its custom error) when it refuses.
 */
import {
  BaseError,
  ContractFunctionRevertedError,
  type Account,
  type Address,
  type Chain,
  type Hex,
  type PublicClient,
  type Transport,
  type WalletClient,
} from "viem";
import { contractArtifact } from "./artifacts.js";
import type { ValidatorStateProof } from "./beacon-proof.js";
import type { VaultConfig, VaultDepositData } from "./vault-config.js";
import { BulwarkError } from "../errors/bulwark-error.js";

export type Wallet = WalletClient<Transport, Chain, Account>;

export const VAULT = "LowBondPoolVault";
export const FACTORY = "LowBondPoolVaultFactory";
export const PHASES = ["uninitialized", "funding", "staked", "settled", "refunded"] as const;
export type VaultPhase = (typeof PHASES)[number];

export class VaultCallError extends BulwarkError<"vault-call"> {
  override name = "VaultCallError";
  constructor(
    message: string,
    /** The contract's custom error name, when it refused. */
    readonly reason?: string,
    options?: ErrorOptions,
  ) {
    super("vault-call", message, options);
  }
}

/** The factory's ABI carries the vault's errors too: a vault refusing its creation reverts through the factory. */
const abi = (name: string) =>
  name === FACTORY ? [...contractArtifact(FACTORY).abi, ...contractArtifact(VAULT).abi.filter((item) => item.type === "error")] : contractArtifact(name).abi;

/** The contract's refusal (custom error and arguments) when `err` carries one. */
export function revertReason(err: unknown): { name: string; args: readonly unknown[] } | undefined {
  if (!(err instanceof BaseError)) return undefined;
  const revert = err.walk((e) => e instanceof ContractFunctionRevertedError);
  if (!(revert instanceof ContractFunctionRevertedError) || revert.data === undefined) return undefined;
  return { name: revert.data.errorName, args: revert.data.args ?? [] };
}

function describeReason(reason: { name: string; args: readonly unknown[] }): string {
  return `${reason.name}(${reason.args.map((a) => String(a)).join(", ")})`;
}

async function send(publicClient: PublicClient, wallet: Wallet, call: { address: Address; contract: string; functionName: string; args?: readonly unknown[]; value?: bigint }): Promise<Hex> {
  let hash: Hex;
  try {
    hash = await wallet.writeContract({
      address: call.address,
      abi: abi(call.contract),
      functionName: call.functionName,
      args: call.args ?? [],
      ...(call.value !== undefined ? { value: call.value } : {}),
    } as Parameters<Wallet["writeContract"]>[0]);
  } catch (err) {
    const reason = revertReason(err);
    if (reason !== undefined) throw new VaultCallError(`${call.functionName} refused by the contract: ${describeReason(reason)}`, reason.name, { cause: err });
    throw new VaultCallError(`${call.functionName} failed: ${(err as BaseError).shortMessage ?? (err as Error).message}`, undefined, { cause: err });
  }
  const receipt = await publicClient.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success") throw new VaultCallError(`${call.functionName} transaction ${hash} reverted`);
  return hash;
}

export async function deployFactory(publicClient: PublicClient, wallet: Wallet, depositContract: Address): Promise<Address> {
  const artifact = contractArtifact(FACTORY);
  const hash = await wallet.deployContract({ abi: artifact.abi, bytecode: artifact.bytecode, args: [depositContract] });
  const receipt = await publicClient.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success" || receipt.contractAddress == null) throw new VaultCallError(`factory deployment ${hash} failed`);
  return receipt.contractAddress;
}

/** The address the factory will create this vault at for `deployer` (CREATE2), before it exists. */
export async function predictVaultAddress(publicClient: PublicClient, factory: Address, deployer: Address, salt: Hex, config: VaultConfig): Promise<Address> {
  return (await publicClient.readContract({ address: factory, abi: abi(FACTORY), functionName: "vaultAddress", args: [deployer, salt, config] })) as Address;
}

export async function createVault(publicClient: PublicClient, wallet: Wallet, factory: Address, salt: Hex, config: VaultConfig, deposit: VaultDepositData): Promise<Address> {
  const vault = await predictVaultAddress(publicClient, factory, wallet.account.address, salt, config);
  await send(publicClient, wallet, { address: factory, contract: FACTORY, functionName: "createVault", args: [salt, config, deposit] });
  return vault;
}

/** A transaction to the vault: bond, fund, stake, requestExit, voteExit, settle, distributeRewards, refund, withdraw. */
export function vaultCall(publicClient: PublicClient, wallet: Wallet, vault: Address, functionName: string, args: readonly unknown[] = [], value?: bigint): Promise<Hex> {
  return send(publicClient, wallet, { address: vault, contract: VAULT, functionName, args, ...(value !== undefined ? { value } : {}) });
}

export function settle(publicClient: PublicClient, wallet: Wallet, vault: Address, proof: ValidatorStateProof): Promise<Hex> {
  return vaultCall(publicClient, wallet, vault, "settle", [proof]);
}

/** A vault as read from the chain: its terms (all but the reward shares, not read here) and its state. */
export interface VaultStatus extends Omit<VaultConfig, "aggregatorRewardBps" | "operatorRewardBps"> {
  address: Address;
  phase: VaultPhase;
  stakePoolFunding: bigint;
  pubkey: Hex;
  withdrawalCredentials: Hex;
  paidIn: Record<Address, boolean>;
  exitVotes: bigint;
  exitRequests: bigint;
  owed: Record<Address, bigint>;
  balance: bigint;
  unallocated: bigint;
  exitFee: bigint;
}

export async function vaultStatus(publicClient: PublicClient, vault: Address): Promise<VaultStatus> {
  const code = await publicClient.getCode({ address: vault });
  if (code === undefined || code === "0x") throw new VaultCallError(`there is no contract at ${vault} on chain ${await publicClient.getChainId()}`);
  const read = async (functionName: string, args: readonly unknown[] = []) => {
    try {
      return await publicClient.readContract({ address: vault, abi: abi(VAULT), functionName, args });
    } catch (err) {
      throw new VaultCallError(`${vault} does not answer as a LowBondPoolVault (${functionName}: ${(err as BaseError).shortMessage ?? (err as Error).message})`, undefined, { cause: err });
    }
  };
  const [phase, aggregator, operators, threshold, aggregatorBond, operatorBond, stakePool, stakePoolFunding, stakeDeadline, deposit, exitVotes, exitRequests, unallocated, exitFee] =
    await Promise.all(
      ["phase", "aggregator", "operators", "threshold", "aggregatorBond", "operatorBond", "stakePool", "stakePoolFunding", "stakeDeadline", "deposit", "exitVotes", "exitRequests", "unallocated", "exitFee"].map((f) =>
        read(f),
      ),
    );
  const parties = [aggregator as Address, ...(operators as Address[]), stakePool as Address];
  const paidIn: Record<Address, boolean> = {};
  const owed: Record<Address, bigint> = {};
  for (const party of parties) {
    paidIn[party] = (await read("paidIn", [party])) as boolean;
    owed[party] = (await read("owed", [party])) as bigint;
  }
  const d = deposit as VaultDepositData;
  return {
    address: vault,
    phase: PHASES[Number(phase)]!,
    aggregator: aggregator as Address,
    operators: operators as Address[],
    threshold: threshold as bigint,
    aggregatorBond: aggregatorBond as bigint,
    operatorBond: operatorBond as bigint,
    stakePool: stakePool as Address,
    stakePoolFunding: stakePoolFunding as bigint,
    stakeDeadline: stakeDeadline as bigint,
    pubkey: d.pubkey,
    withdrawalCredentials: d.withdrawalCredentials,
    paidIn,
    exitVotes: exitVotes as bigint,
    exitRequests: exitRequests as bigint,
    owed,
    balance: await publicClient.getBalance({ address: vault }),
    unallocated: unallocated as bigint,
    exitFee: exitFee as bigint,
  };
}
