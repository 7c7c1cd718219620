/** `serve --attestation tdx|sev-snp|software|off`: the signer identity and where its evidence comes from. */
import { Option } from "commander";
import type { Hex } from "viem";
import type { Logger } from "pino";
import { Attestor, type AttestationMode } from "../attestation/attestor.js";
import { ConfigfsTsmProvider, DEFAULT_TSM_REPORT_DIR } from "../attestation/configfs-tsm.js";
import { loadOrCreateIdentity } from "../attestation/identity-key.js";
import { SoftwareEvidenceProvider } from "../attestation/software-evidence.js";
import { readSealingSecret } from "../keys/sealed-store.js";
import { CliError } from "./errors.js";

export interface AttestationServeOptions {
  attestation: string;
  tsmReportDir: string;
  dataDir: string;
  sealingPassphraseFile?: string;
}

export function attestationOption(): Option {
  return new Option("--attestation <provider>", "evidence for the signer identity and key provenance: tdx, sev-snp (configfs-tsm), software (development only; no verifier accepts it by default), off")
    .choices(["tdx", "sev-snp", "software", "off"])
    .env("BULWARK_ATTESTATION")
    .default("off");
}

export function tsmReportDirOption(): Option {
  return new Option("--tsm-report-dir <dir>", "configfs-tsm report directory").env("BULWARK_TSM_REPORT_DIR").default(DEFAULT_TSM_REPORT_DIR);
}

/** The attestor, or undefined with attestation off. Opens (or on first start makes) the sealed identity key. */
export async function setUpAttestation(options: AttestationServeOptions, genesisValidatorsRoot: string, logger: Logger): Promise<Attestor | undefined> {
  const mode = options.attestation as AttestationMode;
  if (mode === "off") return undefined;
  let hardware: ConfigfsTsmProvider | undefined;
  if (mode === "tdx" || mode === "sev-snp") {
    hardware = new ConfigfsTsmProvider(mode, { reportDir: options.tsmReportDir });
    try {
      hardware.checkAvailable();
    } catch (err) {
      throw new CliError((err as Error).message);
    }
  }
  let secret: Buffer;
  try {
    secret = readSealingSecret(options.sealingPassphraseFile !== undefined ? { passphraseFile: options.sealingPassphraseFile } : {});
  } catch (err) {
    throw new CliError(`--attestation ${mode} seals the signer identity: ${(err as Error).message}`);
  }
  try {
    const { identity, created } = await loadOrCreateIdentity(options.dataDir, secret);
    logger.info({ identity: identity.address, provider: mode, created }, mode === "software" ? "attestation: SOFTWARE evidence (development only, proves nothing)" : "attestation on");
    return new Attestor(identity, hardware ?? new SoftwareEvidenceProvider(identity), options.dataDir, genesisValidatorsRoot as Hex);
  } catch (err) {
    throw new CliError((err as Error).message);
  } finally {
    secret.fill(0);
  }
}
