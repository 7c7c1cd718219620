// Runs every compiled test file with Node's own test runner.
// Node 20 cannot take glob patterns, so the files are listed here.
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

function findTests(dir) {
  const found = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found.push(...findTests(path));
    else if (name.endsWith(".test.js")) found.push(path);
  }
  return found;
}

const filter = process.argv.slice(2);
const files = findTests("dist/test")
  .filter((f) => filter.length === 0 || filter.some((part) => f.includes(part)))
  .sort();
if (files.length === 0) {
  console.error("no test files found under dist/test");
  process.exit(1);
}
// A test file never hangs the run: --test-force-exit ends a file's process once its tests are done,
// even if a failing test left a server or a worker open (one that did kept CI waiting until its
// limit); --test-timeout, which on Node 20 applies to each file as a whole, fails a file still
// running after 10 minutes, where the slowest suite today takes about 70 s.
const FILE_TIMEOUT_MS = 10 * 60 * 1000;
const result = spawnSync(
  process.execPath,
  ["--test", "--test-reporter=spec", "--test-concurrency=2", "--test-force-exit", `--test-timeout=${FILE_TIMEOUT_MS}`, ...files],
  { stdio: "inherit" },
);
process.exit(result.status ?? 1);
