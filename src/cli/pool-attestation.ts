/**
 * The attestation options of `pool create`, `pool presign-exit` and `pool join`, kept apart from
 * the pool commands themselves: ceremony and whole-key-destroyed statements with evidence on the
 * aggregator, and `--require-attestation` on the operator.
 */
import { type Command, Option } from "commander";
import { pino } from "pino";
import { readExpectedMeasurements } from "../attestation/expected-measurements.js";
import type { PoolDefinition } from "../pool/definition.js";
import { attestCeremony, attestWholeKeyDestroyed, requireCeremonyAttestation } from "../pool/ceremony/ceremony-attestation.js";
import { readFileSync } from "node:fs";
import { parseVerificationTime } from "./attestation.js";
import { CliError } from "./errors.js";
import { setUpAttestation, tsmReportDirOption } from "./serve-attestation.js";

export interface AggregatorAttestationOptions {
  attestation?: string;
  tsmReportDir: string;
  dataDir: string;
  sealingPassphraseFile?: string;
}

export function addAggregatorAttestationOptions(command: Command): Command {
  return command
    .addOption(new Option("--attestation <provider>", "sign an attested statement with the signer identity: tdx, sev-snp (configfs-tsm) or software (development only)").choices(["tdx", "sev-snp", "software"]).env("BULWARK_ATTESTATION"))
    .addOption(tsmReportDirOption());
}

const stderrLogger = () => pino({ level: "info", base: null }, pino.destination(2));

/** After `pool create`: OUT/ceremony-evidence.json, when --attestation is given. */
export async function attestPoolCreation(options: AggregatorAttestationOptions, pool: PoolDefinition, shareFiles: readonly string[], outDir: string): Promise<string | undefined> {
  if (options.attestation === undefined) return undefined;
  const attestor = await setUpAttestation({ ...options, attestation: options.attestation }, pool.genesisValidatorsRoot, stderrLogger());
  return attestCeremony(attestor!, pool, shareFiles, outDir);
}

/** After `pool presign-exit` destroyed the whole key: the statement saying so, when --attestation is given. */
export async function attestWholeKeyDestruction(options: AggregatorAttestationOptions, pool: PoolDefinition, presignedExitFile: string): Promise<string | undefined> {
  if (options.attestation === undefined) return undefined;
  const attestor = await setUpAttestation({ ...options, attestation: options.attestation }, pool.genesisValidatorsRoot, stderrLogger());
  return attestWholeKeyDestroyed(attestor!, pool, presignedExitFile);
}

export interface JoinAttestationOptions {
  requireAttestation?: string;
  ceremonyEvidence?: string;
  collateral?: string;
  acceptTcb: string[];
  allowSoftware?: boolean;
  at?: string;
}

export function addJoinAttestationOptions(command: Command): Command {
  return command
    .option("--require-attestation <measurements-file>", "accept the share only if the ceremony's attested statement verifies against these expected measurements")
    .option("--ceremony-evidence <file>", "the ceremony evidence (default: ceremony-evidence.json next to --pool)")
    .option("--collateral <file>", "TDX collateral JSON, or the SEV-SNP VCEK/VLEK, for the ceremony evidence")
    .option("--accept-tcb <status>", "TDX TCB statuses accepted besides UpToDate", (v: string, p: string[]) => [...p, ...v.split(",")], [] as string[])
    .option("--allow-software", "accept software ceremony evidence (development only)")
    .option("--at <time>", "verify the ceremony evidence as of this time (default now)");
}

/** Before `pool join` accepts the share: the attested ceremony must be this pool's and name this share. */
export async function checkJoinAttestation(options: JoinAttestationOptions, pool: PoolDefinition, poolFile: string, shareFile: string): Promise<string | undefined> {
  if (options.requireAttestation === undefined) return undefined;
  try {
    const result = await requireCeremonyAttestation({
      pool,
      poolFile,
      shareFile,
      ...(options.ceremonyEvidence !== undefined ? { evidenceFile: options.ceremonyEvidence } : {}),
      at: parseVerificationTime(options.at),
      expected: readExpectedMeasurements(options.requireAttestation),
      ...(options.collateral !== undefined ? { collateral: readFileSync(options.collateral) } : {}),
      acceptTcb: options.acceptTcb,
      allowSoftware: options.allowSoftware === true,
    });
    return result.kind;
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError((err as Error).message);
  }
}
