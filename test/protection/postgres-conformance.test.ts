/**
 * The official EIP-3076 interchange suite through the real PostgreSQL store (a fresh database per
 * file), when ../shared is present.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { listSuiteFiles, runConformanceFile } from "../../src/protection/conformance.js";
import { PostgresProtectionStore } from "../../src/protection/postgres-store.js";
import { startTestPostgres, type TestPostgres } from "../helpers/postgres.js";
import { SHARED_DIR } from "../helpers/temp.js";

const SUITE_DIR = join(SHARED_DIR, "vectors/eip3076-interchange-tests/tests");

describe("EIP-3076 interchange suite on PostgreSQL", () => {
  if (!existsSync(SUITE_DIR)) {
    test("interchange suite", (t) => t.skip(`suite not found at ${SUITE_DIR} (../shared is absent)`));
    return;
  }
  const files = listSuiteFiles(SUITE_DIR);
  let server: TestPostgres;
  before(async () => {
    server = await startTestPostgres();
  });
  after(async () => {
    await server?.close();
  });

  test("the suite has all 38 files", () => assert.equal(files.length, 38));
  for (const file of files) {
    test(file.split("/").at(-1)!, async () => {
      const url = await server.freshDatabase();
      const result = await runConformanceFile(file, async (gvr) => PostgresProtectionStore.open(url, gvr, { poolSize: 2 }));
      assert.ok(result.checks > 0);
      assert.deepEqual(result.failures, []);
    });
  }
});
