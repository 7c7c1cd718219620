/**
 * A test chain with an EnclaveRegistry and a SoloStakedETH deployed (Hoodi's genesis validators
 * root, threshold 31.99 ETH, reward 0.1 ETH), a registered signer identity, and keys whose deposit
 * and KeyProvenance statement are made as a Bulwark signer makes them (createDeposit, the EIP-712
 * statement types of src/attestation/statements.ts signed by a secp256k1 identity).
 */
import { randomBytes } from "node:crypto";
import { SecretKey } from "@chainsafe/blst";
import { getAddress, keccak256, parseEther, toHex, type Address, type Hex } from "viem";
import { privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
import { resolveNetwork, type Network } from "../../src/config/networks.js";
import { createDeposit, type DepositDataJson } from "../../src/eth/deposit.js";
import { statementTypedData, type KeyProvenanceMessage } from "../../src/attestation/statements.js";
import type { ValidatorStateProof } from "../../src/onchain/beacon-proof.js";
import { deploySeth, registryCall, sethCall, sethRead } from "../../src/seth/seth-client.js";
import type { Wallet } from "../../src/onchain/vault-client.js";
import { chainClients, type ChainClients } from "../helpers/contracts.js";
import { makeBeaconState, publishAndProve, SLOTS_PER_EPOCH, type TestValidator } from "../helpers/beacon-state.js";
import { DEPOSIT_CONTRACT_ADDRESS, TestChain } from "../helpers/evm.js";

export const HOODI: Network = resolveNetwork("hoodi");
export const DEPLOYER = 0;
export const REGISTRAR = 1;
export const STAKERS = [2, 3, 4, 5];
export const OUTSIDER = 7;
export const EJECTOR = 8;
export const GWEI = 1_000_000_000n;
export const MINTED = parseEther("31");
export const REWARD = parseEther("0.1");
export const FILLER = 2; // unrelated validators before ours in every test state

export interface SethWorld {
  chain: TestChain;
  clients: ChainClients;
  registry: Address;
  seth: Address;
  identity: PrivateKeyAccount;
  address(index: number): Address;
  wallet(index: number): Wallet;
}

export function identityAccount(label: string): PrivateKeyAccount {
  return privateKeyToAccount(keccak256(toHex(`bulwark test identity ${label}`)));
}

export async function startSethWorld(): Promise<SethWorld> {
  const chain = await TestChain.start();
  // The chain's RPC server is up from here: a failed deployment closes it (the caller gets no world to close).
  try {
    const clients = chainClients(chain, await chain.serve());
    const address = (i: number) => getAddress(chain.accounts[i]!.address);
    const { registry, seth } = await deploySeth(clients.publicClient, clients.wallet(DEPLOYER), {
      depositContract: DEPOSIT_CONTRACT_ADDRESS,
      registrar: address(REGISTRAR),
      genesisValidatorsRoot: HOODI.genesisValidatorsRoot as Hex,
    });
    const identity = identityAccount("main");
    await registryCall(clients.publicClient, clients.wallet(REGISTRAR), registry, "register", [identity.address, keccak256(toHex("evidence")), keccak256(toHex("measurements"))]);
    return { chain, clients, registry, seth, identity, address, wallet: (i) => clients.wallet(i) };
  } catch (err) {
    await chain.close();
    throw err;
  }
}

export function credentials(address: Address, prefix = 0x02): Uint8Array {
  const wc = new Uint8Array(32);
  wc[0] = prefix;
  wc.set(Buffer.from(address.slice(2), "hex"), 12);
  return wc;
}

export interface TestKey {
  pubkey: Hex;
  deposit: DepositDataJson;
  statement: KeyProvenanceMessage;
  provenanceSignature: Hex;
}

/** A fresh key's deposit for C and its statement; `statement` overrides what the identity signs. */
export async function makeKey(
  world: SethWorld,
  options: { identity?: PrivateKeyAccount; credentials?: Uint8Array; amountGwei?: number; statement?: Partial<KeyProvenanceMessage> } = {},
): Promise<TestKey> {
  const secret = SecretKey.fromKeygen(randomBytes(32));
  const deposit = createDeposit(secret, { withdrawalCredentials: options.credentials ?? credentials(world.seth), amount: options.amountGwei ?? 32_000_000_000, network: HOODI });
  const statement: KeyProvenanceMessage = {
    genesisValidatorsRoot: HOODI.genesisValidatorsRoot as Hex,
    pubkey: `0x${deposit.pubkey}`,
    withdrawalCredentials: `0x${deposit.withdrawal_credentials}`,
    amountGwei: String(deposit.amount),
    depositDataRoot: `0x${deposit.deposit_data_root}`,
    generatedInside: true,
    notExportable: true,
    ...options.statement,
  };
  const typed = statementTypedData("KeyProvenance", statement);
  const provenanceSignature = await (options.identity ?? world.identity).signTypedData(typed as Parameters<PrivateKeyAccount["signTypedData"]>[0]);
  return { pubkey: `0x${deposit.pubkey}`, deposit, statement, provenanceSignature };
}

export function depositArgs(key: TestKey): readonly [Hex, Hex, Hex, Hex] {
  return [key.pubkey, `0x${key.deposit.signature}`, `0x${key.deposit.deposit_data_root}`, key.provenanceSignature];
}

export function call(world: SethWorld, who: number, fn: string, args: readonly unknown[] = [], value?: bigint): Promise<Hex> {
  return sethCall(world.clients.publicClient, world.wallet(who), world.seth, fn, args, value);
}

export function read<T>(world: SethWorld, fn: string, args: readonly unknown[] = []): Promise<T> {
  return sethRead<T>(world.clients.publicClient, world.seth, fn, args);
}

export async function depositKey(world: SethWorld, staker: number): Promise<TestKey> {
  const key = await makeKey(world);
  await call(world, staker, "deposit", depositArgs(key), parseEther("32"));
  return key;
}

/** Our validator in a beacon state, with C's 0x02 credentials. */
export function validatorOf(world: SethWorld, key: TestKey, fields: Partial<TestValidator> = {}): TestValidator {
  return { pubkey: key.pubkey, withdrawalCredentials: toHex(credentials(world.seth)), balance: 32_000_000_000, activationEpoch: 10, ...fields };
}

/**
 * A state holding FILLER unrelated validators then `keys` (so key i is at index FILLER + i), at
 * `epoch`, published through EIP-4788; returns the proof for key `which`.
 */
export async function prove(world: SethWorld, keys: readonly TestKey[], fields: ReadonlyArray<Partial<TestValidator>>, which: number, epoch = 31_250): Promise<ValidatorStateProof> {
  const state = makeBeaconState(
    keys.map((k, i) => validatorOf(world, k, fields[i] ?? {})),
    { filler: FILLER, slot: epoch * SLOTS_PER_EPOCH },
  );
  return publishAndProve(world.chain, state, FILLER + which);
}

export async function exitFee(world: SethWorld): Promise<bigint> {
  return (await read<bigint>(world, "exitFee")) * 2n + 10n;
}
