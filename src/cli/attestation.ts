/** `bulwark attestation verify`: checks TDX / SEV-SNP / software evidence and Bulwark's statements. */
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import type { Hex } from "viem";
import { readExpectedMeasurements } from "../attestation/expected-measurements.js";
import { parseSignedStatement, type SignedStatement } from "../attestation/statements.js";
import { verifyEvidenceFile, type FileVerification } from "../attestation/verify-file.js";
import { CliError } from "./errors.js";

interface VerifyOptions {
  expect?: string;
  collateral?: string;
  at?: string;
  acceptTcb: string[];
  allowSoftware?: boolean;
  nonce?: string;
  reportData?: string;
  statement: string[];
  json?: boolean;
}

function readBytes(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new CliError(`cannot read ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** --at: an ISO-8601 time or unix seconds; now when absent. */
export function parseVerificationTime(value: string | undefined): Date {
  if (value === undefined) return new Date();
  const at = /^\d+$/.test(value) ? new Date(Number(value) * 1000) : new Date(value);
  if (Number.isNaN(at.getTime())) throw new CliError(`--at ${value}: expected an ISO-8601 time (2025-07-04T10:16:31Z) or unix seconds`);
  return at;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, ...value.split(",").filter((v) => v !== "")];
}

function hexOption(value: string | undefined, bytes: number, name: string): Buffer | undefined {
  if (value === undefined) return undefined;
  const hex = value.replace(/^0x/, "");
  if (!new RegExp(`^[0-9a-fA-F]{${bytes * 2}}$`).test(hex)) throw new CliError(`${name}: expected ${bytes} bytes of hex`);
  return Buffer.from(hex, "hex");
}

function printHuman(file: string, result: FileVerification): void {
  const lines = [`${file}: ${result.kind}`];
  for (const check of result.checks.checks) lines.push(`  ${check.ok ? "ok    " : "FAILED"} ${check.name}: ${check.detail}`);
  const details = Object.entries(result.details);
  if (details.length > 0) {
    lines.push("  values:");
    for (const [name, value] of details) lines.push(`    ${name} ${value}`);
  }
  lines.push(result.checks.ok ? "verified: every check holds" : `REFUSED: ${result.checks.checks.filter((c) => !c.ok).map((c) => c.name).join(", ")}`);
  process.stdout.write(lines.join("\n") + "\n");
}

export function registerAttestationCommands(program: Command): void {
  const attestation = program.command("attestation").description("verify hardware (TDX, SEV-SNP) evidence and Bulwark's key provenance statements");
  attestation
    .command("verify")
    .description("verify a Bulwark evidence document (hardware checks and binding) or a raw TDX quote / SEV-SNP report (hardware checks)")
    .argument("<file>", "evidence document (JSON), TDX quote (binary or hex) or SEV-SNP report (1184 bytes)")
    .option("--expect <file>", "expected measurements (JSON, see README \"Confidential VMs\")")
    .option("--collateral <file>", "TDX: collateral JSON (@phala/dcap-qvl shape); SEV-SNP: VCEK/VLEK (PEM or DER) or the auxblob certificate table")
    .option("--at <time>", "verify as of this time (ISO-8601 or unix seconds; default now)")
    .option("--accept-tcb <status>", "TDX TCB statuses accepted besides UpToDate (repeatable or comma-separated, e.g. SWHardeningNeeded)", collect, [])
    .option("--allow-software", "accept software evidence (no hardware: for development only)")
    .option("--nonce <hex>", "the 32-byte nonce you asked the signer's identity evidence for")
    .option("--report-data <hex>", "raw quote/report only: the 64 bytes of report data expected")
    .option("--statement <file>", "a Bulwark statement to check against the evidence's identity (repeatable)", (v: string, p: string[]) => [...p, v], [])
    .option("--json", "print the result as JSON")
    .action(async (file: string, options: VerifyOptions) => {
      const statements: SignedStatement[] = options.statement.map((path) => {
        try {
          return parseSignedStatement(JSON.parse(readBytes(path, "statement").toString("utf8")), path);
        } catch (err) {
          throw new CliError((err as Error).message);
        }
      });
      let result: FileVerification;
      try {
        const nonce = hexOption(options.nonce, 32, "--nonce");
        const reportData = hexOption(options.reportData, 64, "--report-data");
        result = await verifyEvidenceFile(readBytes(file, "evidence"), {
          at: parseVerificationTime(options.at),
          ...(options.expect !== undefined ? { expected: readExpectedMeasurements(options.expect) } : {}),
          ...(options.collateral !== undefined ? { collateral: readBytes(options.collateral, "collateral") } : {}),
          acceptTcb: options.acceptTcb,
          allowSoftware: options.allowSoftware === true,
          ...(nonce !== undefined ? { nonce: `0x${nonce.toString("hex")}` as Hex } : {}),
          ...(reportData !== undefined ? { reportData } : {}),
          statements,
        });
      } catch (err) {
        if (err instanceof CliError) throw err;
        throw new CliError((err as Error).message);
      }
      if (options.json === true) {
        process.stdout.write(JSON.stringify({ file, kind: result.kind, provider: result.provider, verified: result.checks.ok, checks: result.checks.checks, values: result.details }, null, 2) + "\n");
      } else {
        printHuman(file, result);
      }
      if (!result.checks.ok) process.exitCode = 1;
    });
}
