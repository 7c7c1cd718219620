// Compiles the Solidity in contracts/ (and the test-only contracts in test/contracts/) with the solc
// npm package, offline, into dist/contracts/<Name>.json ({ abi, bytecode, deployedBytecode }).
// Skips the compiler when the sources have not changed since the last run.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

const SOURCE_DIRS = ["contracts", "test/contracts"];
const OUT_DIR = "dist/contracts";
const STAMP = join(OUT_DIR, ".sources.sha256");

const sources = {};
for (const dir of SOURCE_DIRS) {
  if (!existsSync(dir)) continue;
  for (const name of readdirSync(dir).sort()) {
    if (name.endsWith(".sol")) sources[`${dir}/${name}`] = { content: readFileSync(join(dir, name), "utf8") };
  }
}
const settings = {
  optimizer: { enabled: true, runs: 200 },
  viaIR: true,
  evmVersion: "prague",
  outputSelection: { "*": { "*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"] } },
};
// The compiler's package version is read without loading the compiler (which takes seconds).
const solcVersion = JSON.parse(readFileSync(createRequire(import.meta.url).resolve("solc/package.json"), "utf8")).version;
const stamp = createHash("sha256").update(solcVersion).update(JSON.stringify({ sources, settings })).digest("hex");
if (existsSync(STAMP) && readFileSync(STAMP, "utf8") === stamp) process.exit(0);
const { default: solc } = await import("solc");

const output = JSON.parse(solc.compile(JSON.stringify({ language: "Solidity", sources, settings })));
const errors = (output.errors ?? []).filter((e) => e.severity === "error");
for (const e of output.errors ?? []) process.stderr.write(`${e.formattedMessage}\n`);
if (errors.length > 0) process.exit(1);
mkdirSync(OUT_DIR, { recursive: true });
for (const [file, contracts] of Object.entries(output.contracts)) {
  for (const [name, c] of Object.entries(contracts)) {
    if (c.evm.bytecode.object === "") continue; // libraries inlined, interfaces
    const artifact = { contractName: name, source: file, abi: c.abi, bytecode: `0x${c.evm.bytecode.object}`, deployedBytecode: `0x${c.evm.deployedBytecode.object}` };
    writeFileSync(join(OUT_DIR, `${name}.json`), JSON.stringify(artifact) + "\n");
  }
}
writeFileSync(STAMP, stamp);
