/**
 * `bulwark pool` operator identity and key ceremony: `operator-init`, `operator-id` (operator),
 * `create` (aggregator: the key ceremony), `join` (operator).
 */
import type { Command } from "commander";
import { createPool } from "../pool/ceremony/ceremony.js";
import { joinPool } from "../pool/ceremony/join.js";
import { createOperatorIdentity, operatorIdentityId } from "../pool/storage/operator-store.js";
import { parseOperatorSpec } from "../pool/ceremony/operator-spec.js";
import { DEFAULT_DEPOSIT_GWEI } from "../eth/deposit.js";
import { dataDirOption, genesisValidatorsRootOption, networkFromOptions, networkOption } from "./common-options.js";
import { CliError } from "./errors.js";
import { addAggregatorAttestationOptions, addJoinAttestationOptions, attestPoolCreation, checkJoinAttestation, type AggregatorAttestationOptions, type JoinAttestationOptions } from "./pool-attestation.js";
import { choiceOf, collect, integer, networkOverrideOption, type PoolFileOptions, readPool, run, say, sealingOption, sealingSecret, type SealingOptions } from "./pool-common.js";

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

export function registerPoolCeremonyCommands(pool: Command): void {
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
}
