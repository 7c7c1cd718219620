/**
 * EnclaveRegistry and SoloStakedETH (sETH and its vault C) through viem: every call the CLI and the
 * tests make. Writes wait for the receipt and fail with the contract's own reason when it refuses.
 */
import { BaseError, type Address, type Hex, type PublicClient } from "viem";
import { contractArtifact } from "../onchain/artifacts.js";
import type { ValidatorStateProof } from "../onchain/beacon-proof.js";
import { revertReason, VaultCallError, type Wallet } from "../onchain/vault-client.js";

export const REGISTRY = "EnclaveRegistry";
export const SETH = "SoloStakedETH";
export const STATUSES = ["none", "active", "exiting", "completed"] as const;
export type ValidatorStatus = (typeof STATUSES)[number];
/** 31.99 ETH: the ejection threshold the issue names. */
export const DEFAULT_EJECTION_THRESHOLD_GWEI = 31_990_000_000n;
/** 0.1 ETH: the ejector's reward, out of the ejected validator's collateral. */
export const DEFAULT_EJECTION_REWARD = 100_000_000_000_000_000n;

export { VaultCallError as SethCallError };

const abi = (name: string) => contractArtifact(name).abi;

async function send(publicClient: PublicClient, wallet: Wallet, contract: string, address: Address, functionName: string, args: readonly unknown[] = [], value?: bigint): Promise<Hex> {
  let hash: Hex;
  try {
    hash = await wallet.writeContract({ address, abi: abi(contract), functionName, args, ...(value !== undefined ? { value } : {}) } as Parameters<Wallet["writeContract"]>[0]);
  } catch (err) {
    const reason = revertReason(err);
    if (reason !== undefined) {
      throw new VaultCallError(`${functionName} refused by the contract: ${reason.name}(${reason.args.map((a) => String(a)).join(", ")})`, reason.name, { cause: err });
    }
    throw new VaultCallError(`${functionName} failed: ${(err as BaseError).shortMessage ?? (err as Error).message}`, undefined, { cause: err });
  }
  const receipt = await publicClient.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success") throw new VaultCallError(`${functionName} transaction ${hash} reverted`);
  return hash;
}

async function deploy(publicClient: PublicClient, wallet: Wallet, name: string, args: readonly unknown[]): Promise<Address> {
  const artifact = contractArtifact(name);
  const hash = await wallet.deployContract({ abi: artifact.abi, bytecode: artifact.bytecode, args });
  const receipt = await publicClient.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success" || receipt.contractAddress == null) throw new VaultCallError(`${name} deployment ${hash} failed`);
  return receipt.contractAddress;
}

export interface SethDeployment {
  registry: Address;
  seth: Address;
}

export interface SethTerms {
  depositContract: Address;
  registrar: Address;
  genesisValidatorsRoot: Hex;
  ejectionThresholdGwei?: bigint;
  ejectionReward?: bigint;
}

/** Deploys a registry (unless one is given) and the sETH vault bound to it. */
export async function deploySeth(publicClient: PublicClient, wallet: Wallet, terms: SethTerms & { registry?: Address }): Promise<SethDeployment> {
  const registry = terms.registry ?? (await deploy(publicClient, wallet, REGISTRY, [terms.registrar]));
  const seth = await deploy(publicClient, wallet, SETH, [
    terms.depositContract,
    registry,
    terms.genesisValidatorsRoot,
    terms.ejectionThresholdGwei ?? DEFAULT_EJECTION_THRESHOLD_GWEI,
    terms.ejectionReward ?? DEFAULT_EJECTION_REWARD,
  ]);
  return { registry, seth };
}

export function registryCall(publicClient: PublicClient, wallet: Wallet, registry: Address, functionName: "register" | "revoke", args: readonly unknown[]): Promise<Hex> {
  return send(publicClient, wallet, REGISTRY, registry, functionName, args);
}

export async function isRegisteredIdentity(publicClient: PublicClient, registry: Address, identity: Address): Promise<boolean> {
  return (await publicClient.readContract({ address: registry, abi: abi(REGISTRY), functionName: "isRegistered", args: [identity] })) as boolean;
}

/** deposit, eject, ejectForRedemptions, recordExitBalance, complete, redeem, claim, withdraw, transfer, approve. */
export function sethCall(publicClient: PublicClient, wallet: Wallet, seth: Address, functionName: string, args: readonly unknown[] = [], value?: bigint): Promise<Hex> {
  return send(publicClient, wallet, SETH, seth, functionName, args, value);
}

export function sethRead<T>(publicClient: PublicClient, seth: Address, functionName: string, args: readonly unknown[] = []): Promise<T> {
  return publicClient.readContract({ address: seth, abi: abi(SETH), functionName, args }) as Promise<T>;
}

/** The EIP-7002 fee now plus a margin for the queue filling in the same block; the excess is credited back. */
export async function exitFeeWithMargin(publicClient: PublicClient, seth: Address): Promise<bigint> {
  const fee = await sethRead<bigint>(publicClient, seth, "exitFee");
  return fee * 2n + 10n;
}

export function eject(publicClient: PublicClient, wallet: Wallet, seth: Address, proof: ValidatorStateProof, fee: bigint): Promise<Hex> {
  return sethCall(publicClient, wallet, seth, "eject", [proof.validatorIndex, proof, fee], fee);
}

export interface SethValidator {
  id: number;
  staker: Address;
  status: ValidatorStatus;
  validatorIndex?: bigint;
  exitBalanceGwei: bigint;
  ejector: Address;
  ejectorClaim: bigint;
  pubkey: Hex;
}

export interface SethStatus {
  address: Address;
  registry: Address;
  genesisValidatorsRoot: Hex;
  withdrawalCredentials: Hex;
  ejectionThresholdGwei: bigint;
  ejectionReward: bigint;
  totalSupply: bigint;
  activeCount: bigint;
  exitingCount: bigint;
  queuedTotal: bigint;
  queueHead: bigint;
  queueLength: bigint;
  redemptionReserve: bigint;
  totalOwed: bigint;
  unattributed: bigint;
  balance: bigint;
  exitFee: bigint;
  validators: SethValidator[];
}

export async function sethStatus(publicClient: PublicClient, seth: Address): Promise<SethStatus> {
  const code = await publicClient.getCode({ address: seth });
  if (code === undefined || code === "0x") throw new VaultCallError(`there is no contract at ${seth} on chain ${await publicClient.getChainId()}`);
  const read = async <T>(functionName: string, args: readonly unknown[] = []): Promise<T> => {
    try {
      return await sethRead<T>(publicClient, seth, functionName, args);
    } catch (err) {
      throw new VaultCallError(`${seth} does not answer as a SoloStakedETH (${functionName}: ${(err as BaseError).shortMessage ?? (err as Error).message})`, undefined, { cause: err });
    }
  };
  const names = ["registry", "genesisValidatorsRoot", "withdrawalCredentials", "ejectionThresholdGwei", "ejectionReward", "totalSupply", "activeCount", "exitingCount", "queuedTotal", "queueHead", "queueLength", "redemptionReserve", "totalOwed", "unattributed", "exitFee", "validatorCount"] as const;
  const values = await Promise.all(names.map((n) => read<unknown>(n)));
  const v = Object.fromEntries(names.map((n, i) => [n, values[i]])) as Record<(typeof names)[number], any>;
  const validators: SethValidator[] = [];
  for (let id = 0; id < Number(v.validatorCount); id++) {
    const r = await read<{ staker: Address; status: number; indexKnown: boolean; validatorIndex: bigint; exitBalanceGwei: bigint; ejector: Address; ejectorClaim: bigint; pubkey: Hex }>("validator", [BigInt(id)]);
    validators.push({
      id,
      staker: r.staker,
      status: STATUSES[r.status]!,
      ...(r.indexKnown ? { validatorIndex: r.validatorIndex } : {}),
      exitBalanceGwei: r.exitBalanceGwei,
      ejector: r.ejector,
      ejectorClaim: r.ejectorClaim,
      pubkey: r.pubkey,
    });
  }
  return {
    address: seth,
    registry: v.registry,
    genesisValidatorsRoot: v.genesisValidatorsRoot,
    withdrawalCredentials: v.withdrawalCredentials,
    ejectionThresholdGwei: v.ejectionThresholdGwei,
    ejectionReward: v.ejectionReward,
    totalSupply: v.totalSupply,
    activeCount: v.activeCount,
    exitingCount: v.exitingCount,
    queuedTotal: v.queuedTotal,
    queueHead: v.queueHead,
    queueLength: v.queueLength,
    redemptionReserve: v.redemptionReserve,
    totalOwed: v.totalOwed,
    unattributed: v.unattributed,
    balance: await publicClient.getBalance({ address: seth }),
    exitFee: v.exitFee,
    validators,
  };
}
