/** The official EIP-3076 interchange suite through the real SQLite store, when ../shared is present. */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { listSuiteFiles, runConformanceFile } from "../../src/protection/conformance.js";
import { SqliteProtectionStore } from "../../src/protection/sqlite-store.js";
import { memoryTempDir, SHARED_DIR } from "../helpers/temp.js";

const SUITE_DIR = join(SHARED_DIR, "vectors/eip3076-interchange-tests/tests");

describe("EIP-3076 interchange suite on SQLite", () => {
  if (!existsSync(SUITE_DIR)) {
    test("interchange suite", (t) => t.skip(`suite not found at ${SUITE_DIR} (../shared is absent)`));
    return;
  }
  const files = listSuiteFiles(SUITE_DIR);
  test("the suite has all 38 files", () => assert.equal(files.length, 38));
  const dir = memoryTempDir();
  let n = 0;
  for (const file of files) {
    test(file.split("/").at(-1)!, async () => {
      const dataDir = join(dir.path, String(n++));
      const result = await runConformanceFile(file, async (gvr) =>
        SqliteProtectionStore.open({ dataDir, genesisValidatorsRoot: gvr }),
      );
      assert.ok(result.checks > 0);
      assert.deepEqual(result.failures, []);
    });
  }
  test("cleanup", () => dir.cleanup());
});
