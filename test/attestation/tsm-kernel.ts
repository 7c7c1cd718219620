/**
 * The test's stand-in for the kernel's configfs-tsm: a directory laid out as the kernel lays it out
 * (provider, generation, inblob, outblob, auxblob per entry), answered by polling.
 */
import { existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const TDX_REPORT_DATA_OFFSET = 568;
export const SNP_REPORT_DATA_OFFSET = 0x50;

export interface KernelOptions {
  provider: "tdx_guest" | "sev_guest";
  /** The outblob for the inblob written. */
  answer: (inblob: Buffer) => Buffer;
  auxblob?: Buffer;
  /** How far generation moves on the write (1 = only our write; 2 = someone else wrote too). */
  generationStep?: number;
}

/** The test's stand-in for the kernel: polls the report directory and answers entries. */
export function playKernel(reportDir: string, options: KernelOptions) {
  const answered = new Set<string>();
  const inblobs: Buffer[] = [];
  const atomicWrite = (path: string, data: string | Buffer) => {
    writeFileSync(`${path}.kernel-tmp`, data);
    renameSync(`${path}.kernel-tmp`, path);
  };
  const timer = setInterval(() => {
    for (const name of readdirSync(reportDir)) {
      const entry = join(reportDir, name);
      if (!existsSync(join(entry, "generation"))) {
        atomicWrite(join(entry, "provider"), `${options.provider}\n`);
        atomicWrite(join(entry, "generation"), "0\n");
      }
      if (answered.has(name) || !existsSync(join(entry, "inblob"))) continue;
      const inblob = readFileSync(join(entry, "inblob"));
      if (inblob.length < 64) continue;
      answered.add(name);
      inblobs.push(inblob);
      atomicWrite(join(entry, "generation"), `${options.generationStep ?? 1}\n`);
      if (options.auxblob !== undefined) atomicWrite(join(entry, "auxblob"), options.auxblob);
      atomicWrite(join(entry, "outblob"), options.answer(inblob));
    }
  }, 2);
  return { inblobs, stop: () => clearInterval(timer) };
}

export function withReportData(evidence: Buffer, offset: number, reportData: Buffer): Buffer {
  const copy = Buffer.from(evidence);
  reportData.copy(copy, offset);
  return copy;
}

