/**
 * The expected-values file an operator publishes for a Bulwark build (see README, "Confidential
 * VMs"): the launch measurements of the confidential VM image, and for SEV-SNP the VMPL and the
 * minimum TCB. JSON, hex without 0x or with it:
 *
 * ```json
 * {"tdx": {"mrtd": "…", "rtmr0": "…", "rtmr1": "…", "rtmr2": "…", "rtmr3": "…"},
 *  "sevSnp": {"measurement": "…", "vmpl": 0, "minimumTcb": {"bootloader": 10, "tee": 0, "snp": 23, "microcode": 84}}}
 * ```
 * Every TDX register listed is compared; MRTD and RTMR0–2 must be listed (RTMR3 too unless the image
 * leaves it to runtime events, in which case "rtmr3": null says so on purpose).
 */
import { readFileSync } from "node:fs";
import { codedError } from "../errors/bulwark-error.js";

export const TDX_REGISTERS = ["mrtd", "rtmr0", "rtmr1", "rtmr2", "rtmr3", "mrconfigid", "mrowner", "mrownerconfig"] as const;
export type TdxRegister = (typeof TDX_REGISTERS)[number];

export interface SnpTcb {
  bootloader: number;
  tee: number;
  snp: number;
  microcode: number;
}

export interface ExpectedMeasurements {
  tdx?: Partial<Record<TdxRegister, string | null>>;
  sevSnp?: { measurement: string; hostData?: string; vmpl?: number; minimumTcb?: SnpTcb };
}

export class ExpectedMeasurementsError extends codedError("expected-measurements") {
  override name = "ExpectedMeasurementsError";
}

function hexField(value: unknown, bytes: number, where: string): string {
  if (typeof value !== "string") throw new ExpectedMeasurementsError(`${where}: expected ${bytes} bytes of hex`);
  const hex = value.replace(/^0x/, "").toLowerCase();
  if (!new RegExp(`^[0-9a-f]{${bytes * 2}}$`).test(hex)) throw new ExpectedMeasurementsError(`${where}: expected ${bytes} bytes of hex`);
  return hex;
}

export function parseExpectedMeasurements(json: unknown, source = "expected measurements"): ExpectedMeasurements {
  if (json === null || typeof json !== "object") throw new ExpectedMeasurementsError(`${source}: expected a JSON object with "tdx" and/or "sevSnp"`);
  const doc = json as Record<string, unknown>;
  const result: ExpectedMeasurements = {};
  if (doc.tdx !== undefined) {
    const tdx = doc.tdx as Record<string, unknown>;
    if (tdx === null || typeof tdx !== "object") throw new ExpectedMeasurementsError(`${source}: tdx must be an object`);
    const registers: Partial<Record<TdxRegister, string | null>> = {};
    for (const name of Object.keys(tdx)) {
      if (!(TDX_REGISTERS as readonly string[]).includes(name)) throw new ExpectedMeasurementsError(`${source}: tdx.${name} is not a TD measurement register (${TDX_REGISTERS.join(", ")})`);
    }
    for (const name of TDX_REGISTERS) {
      if (tdx[name] === null && name === "rtmr3") registers.rtmr3 = null;
      else if (tdx[name] !== undefined) registers[name] = hexField(tdx[name], 48, `${source}: tdx.${name}`);
    }
    for (const name of ["mrtd", "rtmr0", "rtmr1", "rtmr2", "rtmr3"] as const) {
      if (registers[name] === undefined) throw new ExpectedMeasurementsError(`${source}: tdx.${name} is missing (MRTD and RTMR0–3 are required; "rtmr3": null to leave RTMR3 unchecked)`);
    }
    result.tdx = registers;
  }
  if (doc.sevSnp !== undefined) {
    const snp = doc.sevSnp as Record<string, unknown>;
    if (snp === null || typeof snp !== "object") throw new ExpectedMeasurementsError(`${source}: sevSnp must be an object`);
    const expected: NonNullable<ExpectedMeasurements["sevSnp"]> = { measurement: hexField(snp.measurement, 48, `${source}: sevSnp.measurement`) };
    if (snp.hostData !== undefined) expected.hostData = hexField(snp.hostData, 32, `${source}: sevSnp.hostData`);
    if (snp.vmpl !== undefined) {
      if (!Number.isInteger(snp.vmpl) || (snp.vmpl as number) < 0 || (snp.vmpl as number) > 3) throw new ExpectedMeasurementsError(`${source}: sevSnp.vmpl must be 0..3`);
      expected.vmpl = snp.vmpl as number;
    }
    if (snp.minimumTcb !== undefined) {
      const tcb = snp.minimumTcb as Record<string, unknown>;
      const parts = ["bootloader", "tee", "snp", "microcode"] as const;
      if (tcb === null || typeof tcb !== "object" || !parts.every((p) => Number.isInteger(tcb[p]) && (tcb[p] as number) >= 0 && (tcb[p] as number) <= 255)) {
        throw new ExpectedMeasurementsError(`${source}: sevSnp.minimumTcb needs bootloader, tee, snp and microcode (0..255)`);
      }
      expected.minimumTcb = { bootloader: tcb.bootloader as number, tee: tcb.tee as number, snp: tcb.snp as number, microcode: tcb.microcode as number };
    }
    result.sevSnp = expected;
  }
  if (result.tdx === undefined && result.sevSnp === undefined) throw new ExpectedMeasurementsError(`${source}: neither "tdx" nor "sevSnp" given`);
  return result;
}

export function readExpectedMeasurements(path: string): ExpectedMeasurements {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new ExpectedMeasurementsError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ExpectedMeasurementsError(`${path}: not valid JSON (${(err as Error).message})`);
  }
  return parseExpectedMeasurements(json, path);
}
