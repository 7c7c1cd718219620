/**
 * `bulwark seth …`: liquid solo validating (EnclaveRegistry, SoloStakedETH) against any
 * execution-layer JSON-RPC endpoint and beacon node: deploy, register-identity, revoke-identity,
 * deposit (key generated inside a running Bulwark signer), eject, eject-for-redemptions,
 * record-exit, complete, redeem, claim, withdraw, status.
 *
 * Addresses, transaction hashes and JSON go to stdout; explanations to stderr.
 */
import { readFileSync } from "node:fs";
import { type Command, Option } from "commander";
import { getAddress, keccak256, parseEther, toHex, type Address, type Hex } from "viem";
import type { RpcConnection } from "../onchain/rpc.js";
import { address, connect, json, keyFileOption, rpcOption, type RpcOptions, sender } from "./rpc-connection.js";
import { KeyFileError } from "../onchain/key-file.js";
import { parseProofJson, ProofFileError } from "../onchain/proof-file.js";
import { proofFromBeaconNode } from "../onchain/beacon-proof-source.js";
import { BeaconProofError, type ValidatorStateProof } from "../onchain/beacon-proof.js";
import { VaultCallError, type Wallet } from "../onchain/vault-client.js";
import {
  DEFAULT_EJECTION_REWARD,
  DEFAULT_EJECTION_THRESHOLD_GWEI,
  deploySeth,
  exitFeeWithMargin,
  isRegisteredIdentity,
  registryCall,
  sethCall,
  sethRead,
  sethStatus,
} from "../seth/seth-client.js";
import { evidenceIdentity, generateSethKey, identityOf, sethDepositArgs, signerIdentity, SignerKeygenError } from "../seth/signer-keygen.js";
import { validatorPubkeyAt } from "../seth/validator-lookup.js";
import { genesisValidatorsRootOption, networkFromOptions, networkOption } from "./common-options.js";
import { CliError } from "./errors.js";

interface SethOptions extends RpcOptions {
  seth: Address;
}

const say = (line: string) => process.stderr.write(`${line}\n`);

function integer(name: string): (value: string) => bigint {
  return (value: string) => {
    if (!/^(0|[1-9][0-9]*)$/.test(value)) throw new CliError(`${name} must be a non-negative decimal integer, got "${value}"`);
    return BigInt(value);
  };
}

function ether(name: string): (value: string) => bigint {
  return (value: string) => {
    if (!/^[0-9]+(\.[0-9]{1,18})?$/.test(value)) throw new CliError(`${name} must be an amount of sETH in decimal (e.g. 1.5), got "${value}"`);
    return parseEther(value);
  };
}

function readText(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new CliError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

function run<A extends unknown[]>(action: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await action(...args);
    } catch (err) {
      if (err instanceof VaultCallError || err instanceof KeyFileError || err instanceof ProofFileError || err instanceof BeaconProofError || err instanceof SignerKeygenError) {
        throw new CliError(err.message);
      }
      throw err;
    }
  };
}

const sethOption = () => new Option("--seth <address>", "the SoloStakedETH contract (vault C)").env("BULWARK_SETH").argParser(address("--seth")).makeOptionMandatory();

/** The proof for validator `index`: from --proof FILE, or built from --beacon-node's state. */
async function proofFor(c: RpcConnection, seth: Address, index: bigint, options: { proof?: string; beaconNode?: string; blockId: string }): Promise<ValidatorStateProof> {
  let proof: ValidatorStateProof;
  if (options.proof !== undefined) proof = parseProofJson(readText(options.proof).toString("utf8"), options.proof);
  else if (options.beaconNode !== undefined) {
    const pubkey = await validatorPubkeyAt(c.publicClient, seth, options.beaconNode, index, options.blockId);
    proof = await proofFromBeaconNode(options.beaconNode, pubkey, options.blockId);
  } else throw new CliError("give --beacon-node (to build the proof from its state) or --proof FILE");
  if (proof.validatorIndex !== index) throw new CliError(`the proof is for validator ${proof.validatorIndex}, not ${index}`);
  say(`proof of validator ${index} at slot ${proof.header.slot} (EIP-4788 timestamp ${proof.beaconTimestamp}): exit epoch ${proof.validator.exitEpoch}, withdrawable epoch ${proof.validator.withdrawableEpoch}`);
  return proof;
}

async function requireRegistered(c: RpcConnection, registry: Address, identity: Address): Promise<void> {
  if (!(await isRegisteredIdentity(c.publicClient, registry, identity))) {
    throw new CliError(`the signer's identity ${identity} is not registered in ${registry}: have the registrar run \`bulwark seth register-identity\` after \`attestation verify\``);
  }
}

export function registerSethCommands(program: Command): void {
  const seth = program.command("seth").description("liquid solo validating: sETH minted against attested Bulwark keys, ejection below 31.99 ETH, FIFO redemption");

  seth
    .command("deploy")
    .description("deploy an EnclaveRegistry (unless --registry) and the SoloStakedETH vault bound to the network's deposit contract; prints JSON")
    .addOption(rpcOption())
    .addOption(keyFileOption())
    .addOption(networkOption())
    .addOption(genesisValidatorsRootOption())
    .option("--registrar <address>", "who may register signer identities (default: the sender)", address("--registrar"))
    .option("--registry <address>", "use this existing EnclaveRegistry", address("--registry"))
    .option("--ejection-threshold-gwei <gwei>", "eject below this balance", integer("--ejection-threshold-gwei"), DEFAULT_EJECTION_THRESHOLD_GWEI)
    .option("--ejection-reward-wei <wei>", "the ejector's reward, out of the ejected validator's collateral", integer("--ejection-reward-wei"), DEFAULT_EJECTION_REWARD)
    .action(
      run(async (options: RpcOptions & { network: string; genesisValidatorsRoot?: string; registrar?: Address; registry?: Address; ejectionThresholdGwei: bigint; ejectionRewardWei: bigint }) => {
        const network = networkFromOptions(options);
        const c = await connect(options);
        if (BigInt(c.chain.id) !== BigInt(network.config.DEPOSIT_CHAIN_ID)) {
          throw new CliError(`${options.rpcUrl} is chain ${c.chain.id}, but ${network.name}'s deposit contract is on chain ${network.config.DEPOSIT_CHAIN_ID}`);
        }
        const wallet = sender(c);
        const deployed = await deploySeth(c.publicClient, wallet, {
          depositContract: getAddress(toHex(network.config.DEPOSIT_CONTRACT_ADDRESS)),
          registrar: options.registrar ?? wallet.account.address,
          genesisValidatorsRoot: network.genesisValidatorsRoot as Hex,
          ejectionThresholdGwei: options.ejectionThresholdGwei,
          ejectionReward: options.ejectionRewardWei,
          ...(options.registry !== undefined ? { registry: options.registry } : {}),
        });
        process.stdout.write(`${json(deployed)}\n`);
        say(`sETH vault ${deployed.seth} (registry ${deployed.registry}) on chain ${c.chain.id} for ${network.name}`);
      }),
    );

  const registryCommand = (name: string, description: string) =>
    seth
      .command(name)
      .description(description)
      .addOption(rpcOption())
      .addOption(keyFileOption())
      .requiredOption("--registry <address>", "the EnclaveRegistry", address("--registry"));

  registryCommand("register-identity", "registrar: admit a signer identity whose evidence `bulwark attestation verify` accepted; stores the hashes of the evidence and measurements files")
    .requiredOption("--evidence <file>", "the evidence document that was verified (it names the identity)")
    .option("--identity <address>", "the identity's address, checked against the evidence", address("--identity"))
    .requiredOption("--expect <file>", "the expected-measurements file it was verified against")
    .action(
      run(async (options: RpcOptions & { registry: Address; identity?: Address; evidence: string; expect: string }) => {
        const evidence = readText(options.evidence);
        let named: Address;
        try {
          named = evidenceIdentity(JSON.parse(evidence.toString("utf8")), options.evidence);
        } catch (err) {
          throw new CliError(err instanceof SyntaxError ? `${options.evidence} is not JSON: ${err.message}` : (err as Error).message);
        }
        if (options.identity !== undefined && options.identity !== named) throw new CliError(`${options.evidence} is the evidence of identity ${named}, not ${options.identity}`);
        const identity = named;
        const evidenceHash = keccak256(evidence);
        const measurementHash = keccak256(readText(options.expect));
        const c = await connect(options);
        const hash = await registryCall(c.publicClient, sender(c), options.registry, "register", [identity, evidenceHash, measurementHash]);
        process.stdout.write(`${hash}\n`);
        say(`identity ${identity} registered (evidence ${evidenceHash}, measurements ${measurementHash})`);
      }),
    );

  registryCommand("revoke-identity", "registrar: no new deposits with statements of this identity")
    .requiredOption("--identity <address>", "the signer identity's address", address("--identity"))
    .action(
    run(async (options: RpcOptions & { registry: Address; identity: Address }) => {
      const c = await connect(options);
      const hash = await registryCall(c.publicClient, sender(c), options.registry, "revoke", [options.identity]);
      process.stdout.write(`${hash}\n`);
      say(`identity ${options.identity} revoked`);
    }),
  );

  seth
    .command("deposit")
    .description("have a running Bulwark signer generate a key with C as 0x02 withdrawal address, and deposit 32 ETH with its provenance statement for 31 sETH")
    .addOption(rpcOption())
    .addOption(keyFileOption())
    .addOption(sethOption())
    .requiredOption("--signer-url <url>", "the Bulwark signer (serve --keymanager --attestation …)")
    .requiredOption("--api-token-file <file>", "the signer's keymanager API token (DATA_DIR/api-token.txt)")
    .action(
      run(async (options: SethOptions & { signerUrl: string; apiTokenFile: string }) => {
        const token = readText(options.apiTokenFile).toString("utf8").trim();
        const c = await connect(options);
        const wallet = sender(c);
        const [withdrawalCredentials, genesisValidatorsRoot, registry] = await Promise.all([
          sethRead<Hex>(c.publicClient, options.seth, "withdrawalCredentials"),
          sethRead<Hex>(c.publicClient, options.seth, "genesisValidatorsRoot"),
          sethRead<Address>(c.publicClient, options.seth, "registry"),
        ]);
        // Checked before the key is made: a key generated for nothing would stay in the signer.
        const expectedIdentity = await signerIdentity(options.signerUrl);
        await requireRegistered(c, registry, expectedIdentity);
        const key = await generateSethKey(options.signerUrl, token, options.seth);
        const args = sethDepositArgs(key, { withdrawalCredentials, genesisValidatorsRoot });
        const identity = identityOf(key.provenance);
        if (identity !== expectedIdentity) await requireRegistered(c, registry, identity);
        const hash = await sethCall(c.publicClient, wallet, options.seth, "deposit", args, parseEther("32"));
        process.stdout.write(`${json({ pubkey: key.pubkey, identity, transaction: hash })}\n`);
        say(`deposited ${key.pubkey}: 31 sETH to ${wallet.account.address}`);
      }),
    );

  const proofCommand = (name: string, description: string, functionName: string, payable: boolean) => {
    const cmd = seth
      .command(name)
      .description(description)
      .addOption(rpcOption())
      .addOption(keyFileOption())
      .addOption(sethOption())
      .requiredOption("--validator-index <index>", "the validator's beacon-chain index", integer("--validator-index"))
      .option("--beacon-node <url>", "beacon node with the debug state API (the proof is built from its state)")
      .option("--block-id <id>", "the block whose post-state is proven (it needs a child block)", "finalized")
      .option("--proof <file>", "a ValidatorStateProof JSON instead of --beacon-node");
    cmd.action(
      run(async (options: SethOptions & { validatorIndex: bigint; beaconNode?: string; blockId: string; proof?: string }) => {
        const c = await connect(options);
        const wallet = sender(c);
        const proof = await proofFor(c, options.seth, options.validatorIndex, options);
        let hash: Hex;
        if (payable) {
          const fee = await exitFeeWithMargin(c.publicClient, options.seth);
          hash = await sethCall(c.publicClient, wallet, options.seth, functionName, [options.validatorIndex, proof, fee], fee);
        } else hash = await sethCall(c.publicClient, wallet, options.seth, functionName, [options.validatorIndex, proof]);
        process.stdout.write(`${hash}\n`);
        say(`${name}: transaction ${hash} succeeded`);
      }),
    );
  };
  proofCommand("eject", "anyone: prove the validator's balance is under the threshold and have C request its exit (EIP-7002); the fee and reward are owed to you from its collateral", "eject", true);
  proofCommand("record-exit", "anyone, after the validator's exit epoch and before its withdrawal: record the balance it exited with", "recordExitBalance", false);
  proofCommand("complete", "anyone, after the full withdrawal arrived: 31 ETH to redemptions, fee and reward to the ejector, the rest to the staker", "complete", false);

  const simple = (name: string, description: string, build: (cmd: Command) => Command, action: (c: RpcConnection, wallet: Wallet, options: SethOptions & Record<string, unknown>) => Promise<Hex>) => {
    build(seth.command(name).description(description).addOption(rpcOption()).addOption(keyFileOption()).addOption(sethOption())).action(
      run(async (options: SethOptions & Record<string, unknown>) => {
        const c = await connect(options);
        const hash = await action(c, sender(c), options);
        process.stdout.write(`${hash}\n`);
        say(`${name}: transaction ${hash} succeeded`);
      }),
    );
  };
  simple(
    "eject-for-redemptions",
    "anyone, while the redemption queue exceeds the reserve and the principal already exiting: have the oldest active validator exit",
    (cmd) => cmd,
    async (c, wallet, o) => {
      const fee = await exitFeeWithMargin(c.publicClient, o.seth);
      return sethCall(c.publicClient, wallet, o.seth, "ejectForRedemptions", [fee], fee);
    },
  );
  simple("redeem", "burn sETH into the first-come-first-served redemption queue", (cmd) => cmd.requiredOption("--amount <seth>", "sETH to redeem, in decimal", ether("--amount")), (c, wallet, o) =>
    sethCall(c.publicClient, wallet, o.seth, "redeem", [o.amount as bigint]),
  );
  simple("claim", "anyone: pay the queue in order from the redemption reserve (then each owner runs withdraw)", (cmd) => cmd.option("--max-entries <n>", "queue entries to process at most", integer("--max-entries"), 50n), (c, wallet, o) =>
    sethCall(c.publicClient, wallet, o.seth, "claim", [o.maxEntries as bigint]),
  );
  simple("withdraw", "pay out what C owes the sender (redemptions, collateral, ejection fee and reward)", (cmd) => cmd, (c, wallet, o) => sethCall(c.publicClient, wallet, o.seth, "withdraw"));

  seth
    .command("status")
    .description("the vault's supply, reserve, queue, validators, and (with --account) what an account holds and is owed (JSON)")
    .addOption(rpcOption())
    .addOption(sethOption())
    .option("--account <address>", "also show this account's sETH and what C owes it", address("--account"))
    .action(
      run(async (options: SethOptions & { account?: Address }) => {
        const c = await connect(options);
        const status = await sethStatus(c.publicClient, options.seth);
        const account =
          options.account === undefined
            ? {}
            : {
                account: {
                  address: options.account,
                  seth: await sethRead<bigint>(c.publicClient, options.seth, "balanceOf", [options.account]),
                  owed: await sethRead<bigint>(c.publicClient, options.seth, "owed", [options.account]),
                },
              };
        process.stdout.write(`${json({ ...status, ...account })}\n`);
      }),
    );
}
