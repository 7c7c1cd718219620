/**
 * The configfs-tsm request path against a temporary directory laid out as the kernel lays it out,
 * with the test playing the kernel: it fills in `provider` and `generation` for each new entry and,
 * once `inblob` is written, bumps `generation` and answers in `outblob` (and `auxblob`). Bulwark
 * must write exactly the report data it binds, and refuse an answer that binds anything else, an
 * entry another writer used meanwhile, and the wrong provider.
 */
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { ConfigfsTsmProvider } from "../../src/attestation/configfs-tsm.js";
import { tempDir } from "../helpers/temp.js";
import { playKernel, SNP_REPORT_DATA_OFFSET, TDX_REPORT_DATA_OFFSET, withReportData } from "./tsm-kernel.js";
import { TEE_SKIP, teeFile } from "./vectors.js";


const dirs: Array<() => void> = [];
after(() => dirs.forEach((cleanup) => cleanup()));
function reportDir(): string {
  const dir = tempDir("bulwark-tsm-");
  dirs.push(dir.cleanup);
  return dir.path;
}

const REPORT_DATA = Buffer.from("aa".repeat(32) + "00".repeat(32), "hex");

describe("configfs-tsm evidence", { skip: TEE_SKIP }, () => {
  test("TDX: writes the report data to inblob and returns the quote that binds it", async () => {
    const dir = reportDir();
    const quote = teeFile("tdx/phala_tdx_v4_uptodate.quote.bin");
    const kernel = playKernel(dir, { provider: "tdx_guest", answer: (inblob) => withReportData(quote, TDX_REPORT_DATA_OFFSET, inblob) });
    try {
      const evidence = await new ConfigfsTsmProvider("tdx", { reportDir: dir }).evidence(REPORT_DATA);
      assert.deepEqual(kernel.inblobs, [REPORT_DATA]);
      assert.deepEqual(evidence.evidence!.subarray(TDX_REPORT_DATA_OFFSET, TDX_REPORT_DATA_OFFSET + 64), REPORT_DATA);
      assert.equal(evidence.certificates, undefined);
    } finally {
      kernel.stop();
    }
  });

  test("TDX: an outblob whose REPORTDATA does not bind the inblob is refused", async () => {
    const dir = reportDir();
    const quote = teeFile("tdx/phala_tdx_v4_uptodate.quote.bin");
    const kernel = playKernel(dir, { provider: "tdx_guest", answer: () => quote });
    try {
      await assert.rejects(new ConfigfsTsmProvider("tdx", { reportDir: dir }).evidence(REPORT_DATA), /binds report data 9a9d48e7f6799642…, not the aaaaaaaa/);
      assert.deepEqual(kernel.inblobs, [REPORT_DATA]);
    } finally {
      kernel.stop();
    }
  });

  test("SEV-SNP: returns the report and the certificate table from auxblob", async () => {
    const dir = reportDir();
    const report = teeFile("snp/gosevguest_milan_v2.report.bin");
    const table = teeFile("snp/gosevguest_milan_v2.auxblob_certtable.bin");
    const kernel = playKernel(dir, { provider: "sev_guest", answer: (inblob) => withReportData(report, SNP_REPORT_DATA_OFFSET, inblob), auxblob: table });
    try {
      const evidence = await new ConfigfsTsmProvider("sev-snp", { reportDir: dir }).evidence(REPORT_DATA);
      assert.deepEqual(evidence.evidence!.subarray(SNP_REPORT_DATA_OFFSET, SNP_REPORT_DATA_OFFSET + 64), REPORT_DATA);
      assert.deepEqual(evidence.certificates, table);
    } finally {
      kernel.stop();
    }
  });

  test("a generation that moved by more than our one write (a concurrent writer) is refused", async () => {
    const dir = reportDir();
    const report = teeFile("snp/gosevguest_milan_v2.report.bin");
    const kernel = playKernel(dir, { provider: "sev_guest", answer: (inblob) => withReportData(report, SNP_REPORT_DATA_OFFSET, inblob), generationStep: 2 });
    try {
      await assert.rejects(new ConfigfsTsmProvider("sev-snp", { reportDir: dir }).evidence(REPORT_DATA), /generation went from 0 to 2.*another writer/);
    } finally {
      kernel.stop();
    }
  });

  test("the wrong kernel provider is refused before anything is written", async () => {
    const dir = reportDir();
    const kernel = playKernel(dir, { provider: "sev_guest", answer: () => Buffer.alloc(0) });
    try {
      await assert.rejects(new ConfigfsTsmProvider("tdx", { reportDir: dir }).evidence(REPORT_DATA), /provider is sev_guest, not tdx_guest/);
      assert.deepEqual(kernel.inblobs, []);
    } finally {
      kernel.stop();
    }
  });

  test("a missing configfs-tsm directory is reported as not a confidential guest", () => {
    assert.throws(() => new ConfigfsTsmProvider("tdx", { reportDir: join(reportDir(), "absent") }).checkAvailable(), /not a TDX guest with configfs-tsm/);
  });
});
