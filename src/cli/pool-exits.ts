/**
 * `bulwark pool` exits: `presign-exit` (aggregator: sign with the whole key, then destroy it),
 * `exit` (submit the pre-signed exit), `exit-share` (operator: a partial exit) and `exit-combine`
 * (anyone: M partial exits into a SignedVoluntaryExit).
 */
import { existsSync } from "node:fs";
import type { Command } from "commander";
import { submitVoluntaryExit } from "../pool/exit/beacon-client.js";
import { checkValidatorForExit } from "../pool/exit/validator-check.js";
import { presignExit, submitPresignedExit } from "../pool/exit/exit.js";
import { combineExitShares, signExitShare } from "../pool/exit/exit-share.js";
import { dataDirOption, genesisValidatorsRootOption } from "./common-options.js";
import { CliError } from "./errors.js";
import { addAggregatorAttestationOptions, attestWholeKeyDestruction, type AggregatorAttestationOptions } from "./pool-attestation.js";
import { choiceOf, collectUrls, integer, networkOverrideOption, type PoolFileOptions, readJsonFile, readPool, run, say, sealingOption, sealingSecret, type SealingOptions, writeNewFile } from "./pool-common.js";

export function registerPoolExitCommands(pool: Command): void {
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
}
