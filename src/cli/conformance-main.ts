/**
 * `npm run conformance -- DIR`: runs every EIP-3076 interchange test file in DIR through the real
 * SQLite store and ends with "N passed, N failed".
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { listSuiteFiles, runConformanceFile } from "../protection/conformance.js";
import { SqliteProtectionStore } from "../protection/sqlite-store.js";

async function main(): Promise<number> {
  const dir = process.argv[2];
  if (dir === undefined) {
    console.error("usage: npm run conformance -- DIR   (DIR holds the EIP-3076 interchange test files, e.g. ../shared/vectors/eip3076-interchange-tests/tests)");
    return 2;
  }
  let files: string[];
  try {
    files = listSuiteFiles(dir);
  } catch (err) {
    console.error(`cannot read ${dir}: ${(err as Error).message}`);
    return 2;
  }
  if (files.length === 0) {
    console.error(`no .json test files in ${dir}`);
    return 2;
  }
  const scratch = mkdtempSync(join(tmpdir(), "bulwark-conformance-"));
  let passed = 0;
  let failed = 0;
  try {
    for (const [i, file] of files.entries()) {
      const dataDir = join(scratch, String(i));
      const result = await runConformanceFile(file, async (gvr) =>
        SqliteProtectionStore.open({ dataDir, genesisValidatorsRoot: gvr }),
      );
      if (result.failures.length === 0) {
        passed++;
        console.log(`PASS ${result.name} (${result.checks} checks)`);
      } else {
        failed++;
        console.log(`FAIL ${result.name}`);
        for (const failure of result.failures) console.log(`     ${failure}`);
      }
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  console.log(`${passed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

process.exitCode = await main();
