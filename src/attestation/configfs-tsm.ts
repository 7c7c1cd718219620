/**
 * Hardware evidence through Linux configfs-tsm (Documentation/ABI/testing/configfs-tsm): make an
 * entry under the report directory, write the 64 bytes of report data to `inblob`, read the quote
 * or report from `outblob` (and, for SEV-SNP, the certificate table from `auxblob`), then remove
 * the entry. `generation` counts writes to the entry: if it moved by anything but our one write,
 * another writer raced us and the outblob may answer their inblob, so it is refused. The outblob's
 * report data must be exactly what was written.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { EvidenceProvider, ProvidedEvidence } from "./evidence-provider.js";
import { parseSnpReport } from "./snp-report.js";
import { parseTdxQuote } from "./tdx-quote.js";
import { codedError } from "../errors/bulwark-error.js";

export const DEFAULT_TSM_REPORT_DIR = "/sys/kernel/config/tsm/report";

const KERNEL_PROVIDER = { tdx: "tdx_guest", "sev-snp": "sev_guest" } as const;

export class ConfigfsTsmError extends codedError("configfs-tsm") {
  override name = "ConfigfsTsmError";
}

export interface ConfigfsTsmOptions {
  /** The configfs-tsm report directory (default /sys/kernel/config/tsm/report). */
  reportDir?: string;
  /** How long to wait for the kernel's files (configfs makes them with the entry; generous for loaded machines). */
  timeoutMs?: number;
}

function errorCode(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? (err as Error).message;
}

export class ConfigfsTsmProvider implements EvidenceProvider {
  private readonly reportDir: string;
  private readonly timeoutMs: number;
  /** One request at a time: entries are cheap, but the quoting hardware serialises anyway. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly name: "tdx" | "sev-snp",
    options: ConfigfsTsmOptions = {},
  ) {
    this.reportDir = options.reportDir ?? DEFAULT_TSM_REPORT_DIR;
    this.timeoutMs = options.timeoutMs ?? 30_000;
  }

  /** Refuses to start when the directory is not there: attestation on without hardware is an error. */
  checkAvailable(): void {
    if (!existsSync(this.reportDir)) {
      throw new ConfigfsTsmError(`${this.reportDir} does not exist: not a ${this.name === "tdx" ? "TDX" : "SEV-SNP"} guest with configfs-tsm (mount configfs, or run with --attestation off)`);
    }
  }

  evidence(reportData: Buffer): Promise<ProvidedEvidence> {
    const run = this.queue.then(() => this.request(reportData));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async readWhenPresent(path: string, optional = false): Promise<Buffer | undefined> {
    const deadline = Date.now() + this.timeoutMs;
    for (;;) {
      try {
        const bytes = readFileSync(path);
        if (bytes.length > 0 || optional) return bytes;
      } catch (err) {
        if (errorCode(err) !== "ENOENT") throw new ConfigfsTsmError(`cannot read ${path}: ${errorCode(err)}`);
        if (optional) return undefined;
      }
      if (Date.now() > deadline) throw new ConfigfsTsmError(`${path} did not appear within ${this.timeoutMs} ms`);
      await sleep(5);
    }
  }

  private async generation(entry: string): Promise<number> {
    const text = (await this.readWhenPresent(join(entry, "generation")))!.toString("ascii").trim();
    if (!/^\d+$/.test(text)) throw new ConfigfsTsmError(`${entry}/generation holds ${JSON.stringify(text)}, not a number`);
    return Number(text);
  }

  private async request(reportData: Buffer): Promise<ProvidedEvidence> {
    if (reportData.length !== 64) throw new ConfigfsTsmError("report data must be 64 bytes");
    const entry = join(this.reportDir, `bulwark-${process.pid}-${randomBytes(6).toString("hex")}`);
    try {
      mkdirSync(entry);
    } catch (err) {
      throw new ConfigfsTsmError(`cannot create ${entry}: ${errorCode(err)}`);
    }
    try {
      const provider = (await this.readWhenPresent(join(entry, "provider")))!.toString("ascii").trim();
      if (provider !== KERNEL_PROVIDER[this.name]) {
        throw new ConfigfsTsmError(`configfs-tsm provider is ${provider}, not ${KERNEL_PROVIDER[this.name]} (--attestation ${this.name})`);
      }
      const before = await this.generation(entry);
      writeFileSync(join(entry, "inblob"), reportData);
      const evidence = (await this.readWhenPresent(join(entry, "outblob")))!;
      const certificates = this.name === "sev-snp" ? await this.readWhenPresent(join(entry, "auxblob"), true) : undefined;
      const after = await this.generation(entry);
      if (after !== before + 1) {
        throw new ConfigfsTsmError(`${entry}: generation went from ${before} to ${after} around one write: another writer used the entry, evidence discarded`);
      }
      const bound = this.name === "tdx" ? parseTdxQuote(evidence).reportData : Buffer.from(parseSnpReport(evidence).reportData);
      if (!bound.equals(reportData)) {
        throw new ConfigfsTsmError(`the ${this.name} evidence binds report data ${bound.toString("hex").slice(0, 16)}…, not the ${reportData.toString("hex").slice(0, 16)}… written to inblob`);
      }
      return { evidence, ...(certificates !== undefined && certificates.length > 0 ? { certificates } : {}) };
    } finally {
      try {
        rmdirSync(entry);
      } catch {
        // configfs removes the attribute files with the entry; a plain directory (tests) may keep them.
      }
    }
  }
}
