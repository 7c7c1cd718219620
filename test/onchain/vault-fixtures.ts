/**
 * A test chain with the vault factory deployed, and vaults whose deposit is signed for their own
 * (CREATE2-predicted) address, as `pool create --withdrawal-vault` does.
 */
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { SecretKey } from "@chainsafe/blst";
import { getAddress, parseEther, toHex, type Address, type Hex } from "viem";
import { resolveNetwork, type Network } from "../../src/config/networks.js";
import { createDeposit, type DepositDataJson } from "../../src/eth/deposit.js";
import { createVault, deployFactory, predictVaultAddress, type Wallet } from "../../src/onchain/vault-client.js";
import { vaultDepositData, type VaultConfig, type VaultDepositData } from "../../src/onchain/vault-config.js";
import { createPool } from "../../src/pool/ceremony/ceremony.js";
import type { PoolDefinition } from "../../src/pool/definition.js";
import { chainClients, type ChainClients } from "../helpers/contracts.js";
import { endpoint, makeAggregator, makeOperator, SECRET, type Scratch } from "../pool/ceremony/ceremony-fixtures.js";
import { DEPOSIT_CONTRACT_ADDRESS, TestChain } from "../helpers/evm.js";

export const HOODI: Network = resolveNetwork("hoodi");
export const DEPLOYER = 0;
export const AGGREGATOR = 1;
export const OPERATORS = [2, 3, 4, 5];
export const STAKE_POOL = 6;
export const OUTSIDER = 7;
export const AGGREGATOR_BOND = parseEther("4");
export const OPERATOR_BOND = parseEther("1");

export interface VaultWorld {
  chain: TestChain;
  clients: ChainClients;
  factory: Address;
  address(index: number): Address;
  wallet(index: number): Wallet;
}

export async function startWorld(): Promise<VaultWorld> {
  const chain = await TestChain.start();
  // The chain's RPC server is up from here: a failed deployment closes it (the caller gets no world to close).
  try {
    const clients = chainClients(chain, await chain.serve());
    const factory = await deployFactory(clients.publicClient, clients.wallet(DEPLOYER), DEPOSIT_CONTRACT_ADDRESS);
    return { chain, clients, factory, address: (i) => getAddress(chain.accounts[i]!.address), wallet: (i) => clients.wallet(i) };
  } catch (err) {
    await chain.close();
    throw err;
  }
}

export function defaultConfig(world: VaultWorld, overrides: Partial<VaultConfig> = {}): VaultConfig {
  return {
    aggregator: world.address(AGGREGATOR),
    operators: OPERATORS.map((i) => world.address(i)),
    threshold: 3n,
    aggregatorBond: AGGREGATOR_BOND,
    operatorBond: OPERATOR_BOND,
    stakePool: world.address(STAKE_POOL),
    stakeDeadline: BigInt(world.chain.pendingTimestamp + 30 * 24 * 3600),
    aggregatorRewardBps: 1000,
    operatorRewardBps: 500,
    ...overrides,
  };
}

export interface TestVault {
  address: Address;
  config: VaultConfig;
  deposit: DepositDataJson;
}

/** The deposit of a fresh key for `credentialsAddress` (default: the vault's own predicted address). */
export function signedDeposit(credentials: Uint8Array, amountGwei = 32_000_000_000): { deposit: DepositDataJson; secretKey: SecretKey } {
  const secretKey = SecretKey.fromKeygen(randomBytes(32));
  return { deposit: createDeposit(secretKey, { withdrawalCredentials: credentials, amount: amountGwei, network: HOODI }), secretKey };
}

export function credentialsFor(address: Address, prefix = 0x01): Uint8Array {
  const wc = new Uint8Array(32);
  wc[0] = prefix;
  wc.set(Buffer.from(address.slice(2), "hex"), 12);
  return wc;
}

export async function makeVault(
  world: VaultWorld,
  options: { config?: Partial<VaultConfig>; salt?: Hex; tamper?: (d: VaultDepositData) => VaultDepositData; credentials?: (vault: Address) => Uint8Array } = {},
): Promise<TestVault> {
  const config = defaultConfig(world, options.config);
  const salt = options.salt ?? toHex(randomBytes(32));
  const { publicClient } = world.clients;
  const predicted = await predictVaultAddress(publicClient, world.factory, world.address(DEPLOYER), salt, config);
  const { deposit } = signedDeposit((options.credentials ?? ((v) => credentialsFor(v)))(predicted));
  const data = (options.tamper ?? ((d) => d))(vaultDepositData(deposit));
  const address = await createVault(publicClient, world.wallet(DEPLOYER), world.factory, salt, config, data);
  return { address, config, deposit };
}

/**
 * A vault whose deposit comes from the real 3-of-4 key ceremony (`createPool`, what `pool create
 * --withdrawal-vault` runs) with the vault's predicted address as withdrawal address.
 */
export async function ceremonyVault(world: VaultWorld, scratch: Scratch): Promise<TestVault & { pool: PoolDefinition }> {
  const config = defaultConfig(world);
  const salt = toHex(randomBytes(32));
  const { publicClient } = world.clients;
  const predicted = await predictVaultAddress(publicClient, world.factory, world.address(DEPLOYER), salt, config);
  const operators = await Promise.all([1, 2, 3, 4].map(() => makeOperator(scratch)));
  const result = await createPool({
    network: HOODI,
    threshold: 3,
    operators: operators.map((o, i) => ({ id: i + 1, identity: o.identity, endpoint: endpoint(i + 1) })),
    withdrawalAddress: predicted,
    dataDir: makeAggregator(scratch),
    sealingSecret: SECRET,
    outDir: join(scratch.dir("bulwark-vault-pool-"), "out"),
  });
  const address = await createVault(publicClient, world.wallet(DEPLOYER), world.factory, salt, config, vaultDepositData(result.pool.depositData));
  return { address, config, deposit: result.pool.depositData, pool: result.pool };
}
