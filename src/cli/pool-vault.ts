/**
 * `bulwark pool vault …`: the pool's on-chain half (LowBondPoolVault) against any execution-layer
 * JSON-RPC endpoint: deploy-factory, address, deploy, status, bond, fund, stake, exit, vote-exit,
 * proof (from a beacon node), distribute, settle, refund, withdraw.
 *
 * Transaction hashes and addresses go to stdout; explanations to stderr.
 */
import { readFileSync, writeFileSync } from "node:fs";
import type { Command } from "commander";
import { getAddress, toHex, type Address, type Hex } from "viem";
import { readPoolDefinitionFile } from "../pool/storage/pool-files.js";
import { PoolError } from "../pool/errors.js";
import { parseVaultTerms, vaultDepositData, VaultConfigError, type VaultDepositData, type VaultTerms } from "../onchain/vault-config.js";
import { createVault, deployFactory, predictVaultAddress, VAULT, vaultCall, vaultStatus, VaultCallError, type VaultStatus, type Wallet } from "../onchain/vault-client.js";
import { contractArtifact } from "../onchain/artifacts.js";
import { depositForkVersion, verifyDepositSignature } from "../eth/deposit.js";
import type { RpcConnection } from "../onchain/rpc.js";
import { address, connect, json, keyFileOption, rpcOption, type RpcOptions, sender } from "./rpc-connection.js";
import { KeyFileError } from "../onchain/key-file.js";
import { parseProofJson, proofToJson, ProofFileError } from "../onchain/proof-file.js";
import { proofFromBeaconNode } from "../onchain/beacon-proof-source.js";

import { BeaconProofError, type ValidatorStateProof } from "../onchain/beacon-proof.js";
import { networkFromOptions, networkOption, genesisValidatorsRootOption } from "./common-options.js";
import { CliError } from "./errors.js";

interface VaultOptions extends RpcOptions {
  vault: string;
}

const say = (line: string) => process.stderr.write(`${line}\n`);

function wei(name: string): (value: string) => bigint {
  return (value: string) => {
    if (!/^(0|[1-9][0-9]*)$/.test(value)) throw new CliError(`${name} must be an amount of wei in decimal, got "${value}"`);
    return BigInt(value);
  };
}

function run<A extends unknown[]>(action: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await action(...args);
    } catch (err) {
      if (err instanceof VaultCallError || err instanceof VaultConfigError || err instanceof KeyFileError || err instanceof ProofFileError || err instanceof BeaconProofError || err instanceof PoolError) {
        throw new CliError(err.message);
      }
      throw err;
    }
  };
}

function readText(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    throw new CliError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

function readTerms(path: string): VaultTerms {
  let json: unknown;
  try {
    json = JSON.parse(readText(path));
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(`${path} is not valid JSON: ${(err as Error).message}`);
  }
  return parseVaultTerms(json, path);
}

const ZERO32 = `0x${"00".repeat(32)}` as Hex;
/** What `distribute` sends after settlement, when the vault no longer looks at the proof. */
const EMPTY_PROOF: ValidatorStateProof = {
  beaconTimestamp: 0n,
  header: { slot: 0n, proposerIndex: 0n, parentRoot: ZERO32, stateRoot: ZERO32, bodyRoot: ZERO32 },
  validatorIndex: 0n,
  validator: {
    pubkey: `0x${"00".repeat(48)}`,
    withdrawalCredentials: ZERO32,
    effectiveBalance: 0n,
    slashed: false,
    activationEligibilityEpoch: 0n,
    activationEpoch: 0n,
    exitEpoch: 0n,
    withdrawableEpoch: 0n,
  },
  validatorBranch: [],
  balanceChunk: ZERO32,
  balanceBranch: [],
};

/** The vault's status, once its deposit signature verifies for the network (and names the pool's key). */
async function checkedVault(c: RpcConnection, vault: Address, options: Record<string, unknown>): Promise<VaultStatus> {
  const network = networkFromOptions(options as { network: string; genesisValidatorsRoot?: string });
  const s = await vaultStatus(c.publicClient, vault);
  const bytes = (h: Hex) => Uint8Array.from(Buffer.from(h.slice(2), "hex"));
  const deposit = (await c.publicClient.readContract({ address: vault, abi: contractArtifact(VAULT).abi, functionName: "deposit" })) as VaultDepositData;
  const message = { pubkey: bytes(deposit.pubkey), withdrawalCredentials: bytes(deposit.withdrawalCredentials), amount: Number(deposit.amountGwei) };
  if (!verifyDepositSignature(message, bytes(deposit.signature), depositForkVersion(network))) {
    throw new CliError(`vault ${vault}'s deposit signature does not verify for ${network.name}: the beacon chain would reject the deposit; do not pay in`);
  }
  if (options.pool !== undefined) {
    const def = readPoolDefinitionFile(options.pool as string);
    if (def.compositePublicKey !== deposit.pubkey.toLowerCase()) throw new CliError(`vault ${vault} stakes ${deposit.pubkey}, not the pool's validator ${def.compositePublicKey}`);
  }
  return s;
}

export function registerPoolVaultCommands(pool: Command): void {
  const vault = pool.command("vault").description("the pool's on-chain vault: bonds, stake, EIP-7002 exits, settlement from an EIP-4788 proof");

  vault
    .command("deploy-factory")
    .description("deploy the LowBondPoolVaultFactory bound to the network's deposit contract; prints its address")
    .addOption(rpcOption())
    .addOption(keyFileOption())
    .addOption(networkOption())
    .addOption(genesisValidatorsRootOption())
    .action(
      run(async (options: RpcOptions & { network: string; genesisValidatorsRoot?: string }) => {
        const network = networkFromOptions(options);
        const depositContract = getAddress(toHex(network.config.DEPOSIT_CONTRACT_ADDRESS));
        const c = await connect(options);
        if (BigInt(c.chain.id) !== BigInt(network.config.DEPOSIT_CHAIN_ID)) {
          throw new CliError(`${options.rpcUrl} is chain ${c.chain.id}, but ${network.name}'s deposit contract is on chain ${network.config.DEPOSIT_CHAIN_ID}`);
        }
        const factory = await deployFactory(c.publicClient, sender(c), depositContract);
        process.stdout.write(`${factory}\n`);
        say(`factory deployed at ${factory} on chain ${c.chain.id}, deposit contract ${depositContract} (${network.name})`);
      }),
    );

  vault
    .command("address")
    .description("the address a vault with these terms will have when DEPLOYER deploys it (give it to `pool create --withdrawal-vault`)")
    .addOption(rpcOption())
    .requiredOption("--terms <file>", "vault.json: factory, salt, parties, threshold, bonds, deadline, reward shares")
    .option("--deployer <address>", "who will send `pool vault deploy` (default: the --key-file's address)", address("--deployer"))
    .addOption(keyFileOption())
    .action(
      run(async (options: RpcOptions & { terms: string; deployer?: Address }) => {
        const terms = readTerms(options.terms);
        const c = await connect(options);
        const deployer = options.deployer ?? c.wallet?.account.address;
        if (deployer === undefined) throw new CliError("give --deployer or --key-file: the vault's address depends on who deploys it");
        const predicted = await predictVaultAddress(c.publicClient, terms.factory, deployer, terms.salt, terms.config);
        process.stdout.write(`${predicted}\n`);
        say(`vault for deployer ${deployer}: ${predicted}; run \`bulwark pool create --withdrawal-vault ${predicted} …\``);
      }),
    );

  vault
    .command("deploy")
    .description("create the vault for the pool's deposit (its credentials must name the vault's address); prints the address")
    .addOption(rpcOption())
    .addOption(keyFileOption())
    .requiredOption("--terms <file>", "vault.json (the same as for `pool vault address`)")
    .requiredOption("--pool <file>", "pool.json from `pool create --withdrawal-vault`")
    .action(
      run(async (options: RpcOptions & { terms: string; pool: string }) => {
        const terms = readTerms(options.terms);
        const def = readPoolDefinitionFile(options.pool);
        if (BigInt(terms.config.operators.length) !== BigInt(def.participants.length) || terms.config.threshold !== BigInt(def.threshold)) {
          throw new CliError(
            `${options.terms} has ${terms.config.threshold}-of-${terms.config.operators.length} operators but ${options.pool} is ${def.threshold}-of-${def.participants.length}`,
          );
        }
        const c = await connect(options);
        const wallet = sender(c);
        const predicted = await predictVaultAddress(c.publicClient, terms.factory, wallet.account.address, terms.salt, terms.config);
        const credentialsAddress = getAddress(`0x${def.depositData.withdrawal_credentials.slice(24)}`);
        if (credentialsAddress !== predicted) {
          throw new CliError(`the deposit's withdrawal credentials name ${credentialsAddress}, but these terms deployed by ${wallet.account.address} give ${predicted}`);
        }
        const deployed = await createVault(c.publicClient, wallet, terms.factory, terms.salt, terms.config, vaultDepositData(def.depositData));
        process.stdout.write(`${deployed}\n`);
        say(`vault ${deployed} created for validator ${def.compositePublicKey}`);
      }),
    );

  vault
    .command("status")
    .description("the vault's phase, parties, bonds paid in, exit votes and what each party is owed (JSON)")
    .addOption(rpcOption())
    .requiredOption("--vault <address>", "the vault", address("--vault"))
    .action(
      run(async (options: VaultOptions) => {
        const c = await connect(options);
        process.stdout.write(`${json(await vaultStatus(c.publicClient, options.vault as Address))}\n`);
      }),
    );

  const simple = (name: string, description: string, action: (c: RpcConnection, wallet: Wallet, vault: Address, options: Record<string, unknown>) => Promise<Hex>, extra?: (cmd: Command) => Command) => {
    let cmd = vault
      .command(name)
      .description(description)
      .addOption(rpcOption())
      .addOption(keyFileOption())
      .requiredOption("--vault <address>", "the vault", address("--vault"));
    if (extra !== undefined) cmd = extra(cmd);
    cmd.action(
      run(async (options: VaultOptions & Record<string, unknown>) => {
        const c = await connect(options);
        const hash = await action(c, sender(c), options.vault as Address, options);
        process.stdout.write(`${hash}\n`);
        say(`${name}: transaction ${hash} succeeded`);
      }),
    );
  };

  // Before paying in, each party checks the deposit the vault will make: the deposit contract does
  // not verify its signature, and a deposit the beacon chain rejects would lock the 32 ETH for good.
  const depositCheck = (cmd: Command) =>
    cmd
      .addOption(networkOption())
      .addOption(genesisValidatorsRootOption())
      .option("--pool <file>", "pool.json: also check that the vault stakes this pool's validator");
  simple(
    "bond",
    "check the vault's deposit, then pay this party's bond (aggregator or operator), the exact amount the vault asks",
    async (c, wallet, v, options) => {
      const s = await checkedVault(c, v, options);
      const me = wallet.account.address;
      const amount = me === s.aggregator ? s.aggregatorBond : s.operators.includes(me) ? s.operatorBond : undefined;
      if (amount === undefined) throw new CliError(`${me} is neither the aggregator nor an operator of vault ${v}`);
      return vaultCall(c.publicClient, wallet, v, "bond", [], amount);
    },
    depositCheck,
  );

  simple(
    "fund",
    "check the vault's deposit, then pay the stake pool's part of the 32 ETH",
    async (c, wallet, v, options) => vaultCall(c.publicClient, wallet, v, "fund", [], (await checkedVault(c, v, options)).stakePoolFunding),
    depositCheck,
  );

  simple("stake", "send the 32 ETH deposit once every party has paid in", (c, wallet, v) => vaultCall(c.publicClient, wallet, v, "stake"));

  const maxFee = (cmd: Command) => cmd.option("--max-fee-wei <wei>", "the most to pay EIP-7002 (default: the fee now); the rest comes back", wei("--max-fee-wei"));
  const exitCall = (functionName: string) => async (c: RpcConnection, wallet: Wallet, v: Address, options: Record<string, unknown>) => {
    const fee = (options.maxFeeWei as bigint | undefined) ?? (await vaultStatus(c.publicClient, v)).exitFee;
    return vaultCall(c.publicClient, wallet, v, functionName, [fee], fee);
  };
  simple("exit", "request the validator's full exit through EIP-7002 (aggregator or stake pool)", exitCall("requestExit"), maxFee);
  simple("vote-exit", "vote for the full exit (operator); the M-th vote sends the EIP-7002 request", exitCall("voteExit"), maxFee);

  vault
    .command("proof")
    .description("build the proof `settle` and `distribute` take from a beacon node (header, SSZ state, child block's timestamp)")
    .addOption(rpcOption())
    .requiredOption("--vault <address>", "the vault (its validator's pubkey is read from it)", address("--vault"))
    .requiredOption("--beacon-node <url>", "beacon node with the debug state API")
    .option("--block-id <id>", "the block whose post-state is proven (it needs a child block)", "finalized")
    .requiredOption("--out <file>", "where to write the proof JSON")
    .action(
      run(async (options: VaultOptions & { beaconNode: string; blockId: string; out: string }) => {
        const c = await connect(options);
        const status = await vaultStatus(c.publicClient, options.vault as Address);
        const proof = await proofFromBeaconNode(options.beaconNode, status.pubkey, options.blockId);
        writeFileSync(options.out, proofToJson(proof), { mode: 0o644 });
        process.stdout.write(`${options.out}\n`);
        say(`proof of validator ${proof.validatorIndex} at slot ${proof.header.slot} (EIP-4788 timestamp ${proof.beaconTimestamp}): exit epoch ${proof.validator.exitEpoch}, withdrawable epoch ${proof.validator.withdrawableEpoch}`);
      }),
    );

  const proofOption = (cmd: Command) => cmd.requiredOption("--proof <file>", "ValidatorStateProof JSON against an EIP-4788 beacon root");
  simple(
    "settle",
    "after the full withdrawal: pay the stake pool's principal, then the bonds, then split the surplus (proof: withdrawable, balance 0)",
    (c, wallet, v, options) => vaultCall(c.publicClient, wallet, v, "settle", [parseProofJson(readText(options.proof as string), options.proof as string)]),
    proofOption,
  );
  simple(
    "distribute",
    "split the rewards that arrived by the reward shares (while staked, a proof that the validator is not exiting, at most 12 hours old; none after settlement)",
    (c, wallet, v, options) =>
      vaultCall(c.publicClient, wallet, v, "distributeRewards", [
        options.proof === undefined ? EMPTY_PROOF : parseProofJson(readText(options.proof as string), options.proof as string),
      ]),
    (cmd) => cmd.option("--proof <file>", "ValidatorStateProof JSON against an EIP-4788 beacon root (not needed once settled)"),
  );
  simple("refund", "after the deadline, if never staked: return every contribution (then withdraw)", (c, wallet, v) => vaultCall(c.publicClient, wallet, v, "refund"));
  simple("withdraw", "pay out what the vault owes this party", (c, wallet, v) => vaultCall(c.publicClient, wallet, v, "withdraw"));
}
