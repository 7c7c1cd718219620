/**
 * `bulwark pool …`: the low-bond threshold pool from the command line.
 *
 * Operator side: `operator-init`, `operator-id`, `join`, `exit-share`.
 * Aggregator side: `create` (the key ceremony), `presign-exit` (then the whole key is destroyed),
 * `exit` (submit the pre-signed exit).
 * Anyone: `exit-combine` (M partial exits into a SignedVoluntaryExit), `status`.
 * The servers (`participant`, `aggregator`) are registered from ./pool-servers.js.
 *
 * Machine-readable results go to stdout (an identity, a composite key, a file path, exit JSON);
 * explanations go to stderr.
 */
import { existsSync, readFileSync } from "node:fs";
import { type Command, Option } from "commander";
import { createPool } from "../pool/ceremony.js";
import { readPoolDefinitionFile } from "../pool/pool-files.js";
import type { PoolDefinition } from "../pool/definition.js";
import { PoolError } from "../pool/errors.js";
import { submitVoluntaryExit } from "../pool/beacon-client.js";
import { checkValidatorForExit } from "../pool/validator-check.js";
import { presignExit, submitPresignedExit } from "../pool/exit.js";
import { combineExitShares, signExitShare } from "../pool/exit-share.js";
import { joinPool } from "../pool/join.js";
import { createOperatorIdentity, operatorIdentityId } from "../pool/operator-store.js";
import { parseOperatorSpec } from "../pool/operator-spec.js";
import type { NetworkChoice } from "../pool/pool-network.js";
import { dataDirStatus } from "../pool/status.js";
import { writeFileDurably } from "../pool/durable-file.js";
import { readSealingSecret, SEALING_ENV, SealedStoreError } from "../keys/sealed-store.js";
import { dataDirOption, genesisValidatorsRootOption, networkFromOptions, networkOption } from "./common-options.js";
import { CliError } from "./errors.js";
import { collectUrls, registerPoolServerCommands } from "./pool-servers.js";
import { addAggregatorAttestationOptions, addJoinAttestationOptions, attestPoolCreation, attestWholeKeyDestruction, checkJoinAttestation, type AggregatorAttestationOptions, type JoinAttestationOptions } from "./pool-attestation.js";
import { registerPoolVaultCommands } from "./pool-vault.js";
import { DEFAULT_DEPOSIT_GWEI } from "../eth/deposit.js";

interface SealingOptions {
  dataDir: string;
  sealingPassphraseFile?: string;
}

interface PoolFileOptions extends NetworkChoice {
  pool: string;
}

function sealingOption(): Option {
  return new Option("--sealing-passphrase-file <file>", `passphrase that seals this party's pool secrets (or set ${SEALING_ENV})`).env(
    "BULWARK_SEALING_PASSPHRASE_FILE",
  );
}

/** An optional network override for commands that read the network from pool.json. */
function networkOverrideOption(): Option {
  return new Option("--network <name>", "network (default: the pool definition's); a config.yaml path needs --genesis-validators-root");
}

function sealingSecret(options: SealingOptions): Buffer {
  try {
    return readSealingSecret(options.sealingPassphraseFile !== undefined ? { passphraseFile: options.sealingPassphraseFile } : {});
  } catch (err) {
    throw new CliError((err as Error).message);
  }
}

/** Runs an action, turning the refusals a user can act on into one-line CLI errors. */
function run<A extends unknown[]>(action: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await action(...args);
    } catch (err) {
      if (err instanceof PoolError || err instanceof SealedStoreError) throw new CliError(err.message);
      throw err;
    }
  };
}

function integer(name: string): (value: string) => number {
  return (value: string) => {
    if (!/^(0|[1-9][0-9]*)$/.test(value) || !Number.isSafeInteger(Number(value))) throw new CliError(`${name} must be a non-negative integer, got "${value}"`);
    return Number(value);
  };
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function choiceOf(options: NetworkChoice): NetworkChoice {
  return {
    ...(options.network !== undefined ? { network: options.network } : {}),
    ...(options.genesisValidatorsRoot !== undefined ? { genesisValidatorsRoot: options.genesisValidatorsRoot } : {}),
  };
}

function readPool(options: PoolFileOptions): PoolDefinition {
  return readPoolDefinitionFile(options.pool);
}

function readJsonFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new CliError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new CliError(`${path} is not valid JSON: ${(err as Error).message}`);
  }
}

function writeNewFile(path: string, text: string, mode: number): void {
  try {
    writeFileDurably(path, text, { mode, exclusive: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") throw new CliError(`${path} already exists; choose a new file`);
    throw err;
  }
}

const say = (line: string) => process.stderr.write(`${line}\n`);

/** --withdrawal-address, or --withdrawal-vault (whose vault takes exactly one 32 ETH deposit). */
function withdrawalAddressOf(options: { withdrawalAddress?: string; withdrawalVault?: string; amountGwei?: number }): string {
  if ((options.withdrawalAddress === undefined) === (options.withdrawalVault === undefined)) {
    throw new CliError("give exactly one of --withdrawal-address and --withdrawal-vault");
  }
  if (options.withdrawalVault !== undefined && options.amountGwei !== undefined && options.amountGwei !== DEFAULT_DEPOSIT_GWEI) {
    throw new CliError(`--withdrawal-vault: a pool vault stakes exactly 32 ETH (${DEFAULT_DEPOSIT_GWEI} gwei), not ${options.amountGwei}`);
  }
  return (options.withdrawalAddress ?? options.withdrawalVault)!;
}

export function registerPoolCommands(program: Command): void {
  const pool = program
    .command("pool")
    .description("low-bond threshold pool: operator identity, key ceremony, join, pre-signed and operator exits, servers");

  pool
    .command("operator-init")
    .description("create this node operator's X25519 identity (sealed in the data directory) and print its public form")
    .addOption(dataDirOption())
    .addOption(sealingOption())
    .action(
      run(async (options: SealingOptions) => {
        const secret = sealingSecret(options);
        try {
          const id = await createOperatorIdentity(options.dataDir, secret);
          process.stdout.write(`${id}\n`);
          say(`operator identity created in ${options.dataDir}; give it to the aggregator as --operator ID=${id}@https://<your participant host>:<port>`);
        } finally {
          secret.fill(0);
        }
      }),
    );

  pool
    .command("operator-id")
    .description("print this node operator's public identity (x25519:…)")
    .addOption(dataDirOption())
    .action(
      run(async (options: { dataDir: string }) => {
        process.stdout.write(`${operatorIdentityId(options.dataDir)}\n`);
      }),
    );

  addAggregatorAttestationOptions(pool
    .command("create"))
    .description("key ceremony (aggregator): generate a validator key, split it M-of-N, encrypt the shares, sign the deposit")
    .addOption(networkOption())
    .addOption(genesisValidatorsRootOption())
    .option("--threshold <m>", "signatures needed, M (default: the smallest M > 2N/3)", integer("--threshold"))
    .option("--operator <spec>", "ID=x25519:<identity>@https://host:port, once per operator; ids exactly 1..N", collect, [] as string[])
    .option("--withdrawal-address <address>", "execution address receiving withdrawals (0x01 credentials)")
    .option("--withdrawal-vault <address>", "the LowBondPoolVault (from `pool vault address`) as the withdrawal address; 32 ETH deposit")
    .option("--compounding", "0x02 (compounding) withdrawal credentials instead of 0x01")
    .option("--amount-gwei <gwei>", "deposit amount in gwei (default 32 ETH)", integer("--amount-gwei"))
    .option("--allow-minority-threshold", "accept M below a majority of N (two disjoint quorums could each sign)")
    .addOption(dataDirOption())
    .addOption(sealingOption())
    .requiredOption("--out <dir>", "directory for pool.json, share-<id>.json and deposit_data-*.json")
    .action(
      run(
        async (
          options: SealingOptions & AggregatorAttestationOptions & {
            network: string;
            genesisValidatorsRoot?: string;
            threshold?: number;
            operator: string[];
            withdrawalAddress?: string;
            withdrawalVault?: string;
            compounding?: boolean;
            amountGwei?: number;
            allowMinorityThreshold?: boolean;
            out: string;
          },
        ) => {
          const network = networkFromOptions(options);
          const withdrawalAddress = withdrawalAddressOf(options);
          const operators = options.operator.map(parseOperatorSpec);
          const secret = sealingSecret(options);
          try {
            const result = await createPool({
              network,
              ...(options.threshold !== undefined ? { threshold: options.threshold } : {}),
              operators,
              withdrawalAddress,
              compounding: options.compounding === true,
              ...(options.amountGwei !== undefined ? { amountGwei: options.amountGwei } : {}),
              allowMinorityThreshold: options.allowMinorityThreshold === true,
              dataDir: options.dataDir,
              sealingSecret: secret,
              outDir: options.out,
            });
            const { pool: def } = result;
            process.stdout.write(`${def.compositePublicKey}\n`);
            say(`pool ${def.compositePublicKey}: ${def.threshold}-of-${def.participants.length} on ${def.network}`);
            say(`  pool definition: ${result.poolFile} (copy in ${result.definitionCopy})`);
            for (const share of result.shareFiles) say(`  share for operator ${share.id}: ${share.path}`);
            say(`  deposit data: ${result.depositFile}`);
            say(`  whole key sealed in ${result.wholeKeyStore} until \`bulwark pool presign-exit\` destroys it`);
            const evidence = await attestPoolCreation(options, def, result.shareFiles.map((f) => f.path), options.out);
            if (evidence !== undefined) say(`  ceremony statement and ${options.attestation} evidence: ${evidence}`);
          } finally {
            secret.fill(0);
          }
        },
      ),
    );

  addJoinAttestationOptions(pool
    .command("join"))
    .description("join a pool (operator): decrypt and verify this operator's share, and keep it sealed")
    .addOption(dataDirOption())
    .requiredOption("--pool <file>", "the pool.json published by the aggregator")
    .requiredOption("--share <file>", "this operator's share-<id>.json")
    .addOption(networkOverrideOption())
    .addOption(genesisValidatorsRootOption())
    .addOption(sealingOption())
    .action(
      run(async (options: SealingOptions & PoolFileOptions & JoinAttestationOptions & { share: string }) => {
        const attested = await checkJoinAttestation(options, readPool(options), options.pool, options.share);
        if (attested !== undefined) say(`ceremony attestation verified (${attested})`);
        const secret = sealingSecret(options);
        try {
          const result = await joinPool({ dataDir: options.dataDir, sealingSecret: secret, poolFile: options.pool, shareFile: options.share, ...choiceOf(options) });
          const { pool: def } = result;
          process.stdout.write(`${def.compositePublicKey} ${result.participantId}\n`);
          for (const warning of result.warnings) say(`warning: ${warning}`);
          say(
            `${result.alreadyJoined ? "already joined" : "joined"} pool ${def.compositePublicKey} as participant ${result.participantId} of ${def.participants.length} (threshold ${def.threshold}) on ${def.network}`,
          );
          say(`  share verified against the commitments and component key ${result.componentPublicKey}; sealed in ${result.sharesFile}`);
          say(`  withdrawal credentials 0x${def.depositData.withdrawal_credentials}, deposit ${def.depositData.amount} gwei`);
          say(`  coordinator token of this pool: ${result.coordinatorTokenFile} (give it to this pool's aggregator only, as --participant-token-file ${result.participantId}=FILE)`);
        } finally {
          secret.fill(0);
        }
      }),
    );

  pool
    .command("status")
    .description("what this data directory holds of each pool (share, whole key, pre-signed exit)")
    .addOption(dataDirOption())
    .addOption(sealingOption())
    .action(
      run(async (options: SealingOptions) => {
        let secret: Buffer | undefined;
        try {
          secret = readSealingSecret(options.sealingPassphraseFile !== undefined ? { passphraseFile: options.sealingPassphraseFile } : {});
        } catch {
          secret = undefined;
        }
        try {
          const status = await dataDirStatus(options.dataDir, secret);
          if (status.identity !== undefined) process.stdout.write(`identity ${status.identity}\n`);
          for (const p of status.pools) {
            const share = typeof p.share === "number" ? `participant ${p.share}` : `share ${p.share}`;
            const wholeKey =
              p.wholeKey === "present"
                ? "whole key sealed"
                : p.wholeKey === "unknown"
                  ? "whole key unknown (no sealing secret)"
                  : p.presignedExit !== undefined
                    ? "whole key destroyed"
                    : "whole key not on disk";
            const exit = p.presignedExit !== undefined ? "exit pre-signed" : "exit not pre-signed";
            process.stdout.write(`${p.compositePublicKey} ${p.network} ${p.threshold}-of-${p.participants}: ${share}; ${wholeKey}; ${exit}\n`);
          }
          if (status.pools.length === 0) say(`no pools in ${options.dataDir}`);
          if (!status.wholeKeyStore) say("no whole-key store in this data directory (no whole key on disk)");
        } finally {
          secret?.fill(0);
        }
      }),
    );

  addAggregatorAttestationOptions(pool
    .command("presign-exit"))
    .description("sign the validator's exit with the whole key (aggregator), store it, then destroy the whole key")
    .addOption(dataDirOption())
    .requiredOption("--pool <file>", "the pool definition")
    .option("--validator-index <index>", "the validator's index", integer("--validator-index"))
    .option(
      "--beacon-node <url>",
      "learn (or, with --validator-index, confirm) the validator index from this beacon node's finalized state; repeat for several, which must all agree",
      collectUrls,
      [] as string[],
    )
    .option("--epoch <epoch>", "exit epoch (default: the network's current epoch by the wall clock)", integer("--epoch"))
    .addOption(networkOverrideOption())
    .addOption(genesisValidatorsRootOption())
    .addOption(sealingOption())
    .action(
      run(async (options: SealingOptions & PoolFileOptions & AggregatorAttestationOptions & { validatorIndex?: number; beaconNode: string[]; epoch?: number }) => {
        const def = readPool(options);
        let validatorIndex = options.validatorIndex;
        if (options.beaconNode.length === 0) {
          if (validatorIndex === undefined) throw new CliError("give --validator-index, or --beacon-node to look it up");
        } else {
          const validator = await checkValidatorForExit(options.beaconNode, def.compositePublicKey);
          if (!validator.ok) throw new CliError(`nothing signed, the whole key is kept: ${validator.reason}`);
          if (validatorIndex !== undefined && validatorIndex !== validator.index) {
            throw new CliError(`nothing signed, the whole key is kept: --validator-index ${validatorIndex}, but the beacon nodes say ${def.compositePublicKey} is validator ${validator.index}`);
          }
          validatorIndex = validator.index;
          say(`validator ${def.compositePublicKey} has index ${validator.index} (${validator.status}, finalized state${options.beaconNode.length > 1 ? `, ${options.beaconNode.length} beacon nodes agree` : ""})`);
        }
        const secret = sealingSecret(options);
        try {
          const result = await presignExit({
            dataDir: options.dataDir,
            sealingSecret: secret,
            pool: def,
            validatorIndex,
            ...(options.epoch !== undefined ? { epoch: options.epoch } : {}),
            ...choiceOf(options),
          });
          process.stdout.write(`${result.path}\n`);
          say(`exit of validator ${result.message.validatorIndex} (epoch ${result.message.epoch}) signed, verified against ${def.compositePublicKey} and stored in ${result.path}`);
          const d = result.destruction;
          if (d.storeRemoved) say(`whole key destroyed: ${d.path} held only this key; overwritten with zeros and removed`);
          else if (d.removed) say(`whole key destroyed: removed from ${d.path} (${d.remaining} other pools' keys remain), the replaced file overwritten with zeros`);
          if (d.storeRemoved || d.removed) {
            const evidence = await attestWholeKeyDestruction(options, def, result.path);
            if (evidence !== undefined) say(`  whole-key-destroyed statement and ${options.attestation} evidence: ${evidence}`);
          }
        } finally {
          secret.fill(0);
        }
      }),
    );

  pool
    .command("exit")
    .description("submit the pre-signed exit to a beacon node (POST /eth/v1/beacon/pool/voluntary_exits)")
    .addOption(dataDirOption())
    .requiredOption("--pool <file>", "the pool definition")
    .requiredOption("--beacon-node <url>", "beacon node API base URL")
    .addOption(networkOverrideOption())
    .addOption(genesisValidatorsRootOption())
    .action(
      run(async (options: { dataDir: string } & PoolFileOptions & { beaconNode: string }) => {
        const def = readPool(options);
        const { answer, message } = await submitPresignedExit(options.dataDir, def, options.beaconNode, choiceOf(options));
        process.stdout.write(`${answer.body.trim() === "" ? `HTTP ${answer.status}` : answer.body.trim()}\n`);
        say(`the beacon node accepted the exit of validator ${message.validatorIndex} (epoch ${message.epoch}), HTTP ${answer.status}`);
      }),
    );

  pool
    .command("exit-share")
    .description("sign the validator's exit with this operator's share (a partial exit, for exit-combine)")
    .addOption(dataDirOption())
    .requiredOption("--pool <file>", "the pool definition")
    .requiredOption("--validator-index <index>", "the validator's index", integer("--validator-index"))
    .requiredOption("--epoch <epoch>", "exit epoch (every operator must use the same)", integer("--epoch"))
    .requiredOption("--out <file>", "where to write the partial exit (must not exist)")
    .addOption(networkOverrideOption())
    .addOption(genesisValidatorsRootOption())
    .addOption(sealingOption())
    .action(
      run(async (options: SealingOptions & PoolFileOptions & { validatorIndex: number; epoch: number; out: string }) => {
        const def = readPool(options);
        if (existsSync(options.out)) throw new CliError(`${options.out} already exists; choose a new file`);
        const secret = sealingSecret(options);
        try {
          const partial = await signExitShare({
            dataDir: options.dataDir,
            sealingSecret: secret,
            pool: def,
            validatorIndex: options.validatorIndex,
            epoch: options.epoch,
            ...choiceOf(options),
          });
          writeNewFile(options.out, JSON.stringify(partial, null, 2) + "\n", 0o644);
          process.stdout.write(`${options.out}\n`);
          say(`partial exit of participant ${partial.participant_id} (validator ${options.validatorIndex}, epoch ${options.epoch}) written to ${options.out}`);
        } finally {
          secret.fill(0);
        }
      }),
    );

  pool
    .command("exit-combine")
    .description("combine M partial exits into a SignedVoluntaryExit; write it and/or submit it")
    .argument("<files...>", "partial exit files from exit-share")
    .requiredOption("--pool <file>", "the pool definition")
    .option("--beacon-node <url>", "submit the exit to this beacon node")
    .option("--out <file>", "write the SignedVoluntaryExit JSON here (must not exist); stdout when neither --out nor --beacon-node")
    .addOption(networkOverrideOption())
    .addOption(genesisValidatorsRootOption())
    .action(
      run(async (files: string[], options: PoolFileOptions & { beaconNode?: string; out?: string }) => {
        const def = readPool(options);
        if (options.out !== undefined && existsSync(options.out)) throw new CliError(`${options.out} already exists; choose a new file`);
        const partials = files.map((file) => ({ source: file, json: readJsonFile(file) }));
        const combined = await combineExitShares(def, partials, choiceOf(options));
        const text = JSON.stringify(combined.signedExit, null, 2) + "\n";
        say(
          `combined the partial exits of participants ${combined.participants.join(", ")} into the exit of validator ${combined.message.validatorIndex} (epoch ${combined.message.epoch}); it verifies against ${def.compositePublicKey}`,
        );
        if (options.out !== undefined) {
          writeNewFile(options.out, text, 0o644);
          say(`SignedVoluntaryExit written to ${options.out}`);
        }
        if (options.out === undefined && options.beaconNode === undefined) process.stdout.write(text);
        if (options.beaconNode !== undefined) {
          const answer = await submitVoluntaryExit(options.beaconNode, combined.signedExit);
          process.stdout.write(`${answer.body.trim() === "" ? `HTTP ${answer.status}` : answer.body.trim()}\n`);
          say(`the beacon node accepted the exit, HTTP ${answer.status}`);
        }
      }),
    );

  registerPoolServerCommands(pool);
  registerPoolVaultCommands(pool);
}
