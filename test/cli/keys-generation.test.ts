/**
 * `bulwark keys new-mnemonic | generate | verify-deposit` as real child processes of
 * `node bin/bulwark.js`. One generate run makes real scrypt keystores (count 2); every refusal is
 * checked to happen before anything is written.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { chmodSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { IKeystore } from "@chainsafe/bls-keystore";
import { resolveNetwork } from "../../src/config/networks.js";
import { DEPOSIT_CLI_VERSION, type DepositDataJson } from "../../src/eth/deposit.js";
import { verifyDepositFile } from "../../src/eth/deposit-file.js";
import { loadKeystores } from "../../src/keys/load-keystores.js";
import { parseMnemonic } from "../../src/keys/mnemonic.js";
import { tempDir } from "../helpers/temp.js";
import { HOODI_0X02_DEPOSITS, STAKING_DEPOSIT_CLI_MNEMONIC, STAKING_DEPOSIT_CLI_WITHDRAWAL_ADDRESS } from "../keys/known-answers.js";

// dist/test/cli/ -> repository root
const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const BIN = join(REPO_ROOT, "bin", "bulwark.js");
const PASSWORD = "MyPassword";

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI without inheriting BULWARK_* settings from the developer's shell. */
function bulwark(args: string[], cwd: string): Promise<Run> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("BULWARK_") && k !== "LODESTAR_PRESET"));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

function secretFile(path: string, text: string): string {
  writeFileSync(path, text, { mode: 0o600 });
  chmodSync(path, 0o600);
  return path;
}

describe("keys new-mnemonic", () => {
  const dir = tempDir("bulwark-keys-cli-");
  after(dir.cleanup);

  test("prints 24 valid words once on stdout, with the warning on stderr", async () => {
    const run = await bulwark(["keys", "new-mnemonic"], dir.path);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^[a-z]+( [a-z]+){23}\n$/);
    assert.equal(parseMnemonic(run.stdout), run.stdout.trim());
    assert.match(run.stderr, /WARNING/);
    assert.match(run.stderr, /offline/);
    assert.doesNotMatch(run.stderr, new RegExp(run.stdout.trim()));
    const second = await bulwark(["keys", "new-mnemonic"], dir.path);
    assert.notEqual(second.stdout, run.stdout);
  });

  test("--out writes a new file with mode 0600 and refuses to overwrite it", async () => {
    const file = join(dir.path, "mnemonic.txt");
    const run = await bulwark(["keys", "new-mnemonic", "--out", file], dir.path);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, "", "nothing secret on stdout");
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const text = readFileSync(file, "utf8");
    assert.equal(parseMnemonic(text).split(" ").length, 24);
    assert.doesNotMatch(run.stderr, new RegExp(text.trim()));

    const again = await bulwark(["keys", "new-mnemonic", "--out", file], dir.path);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already exists; refusing to overwrite/);
    assert.equal(readFileSync(file, "utf8"), text);
  });
});

describe("keys generate and verify-deposit", () => {
  const dir = tempDir("bulwark-keys-cli-");
  after(dir.cleanup);
  const out = join(dir.path, "validator_keys", "hoodi");
  let mnemonicFile: string;
  let passwordFile: string;
  let generated: Run;
  let depositFile: string;

  const generateArgs = (overrides: Record<string, string | undefined> = {}, outDir = out): string[] => {
    const options: Record<string, string | undefined> = {
      "--mnemonic-file": mnemonicFile,
      "--count": "2",
      "--network": "hoodi",
      "--withdrawal-address": STAKING_DEPOSIT_CLI_WITHDRAWAL_ADDRESS,
      "--compounding": "",
      "--password-file": passwordFile,
      "--out": outDir,
      ...overrides,
    };
    return [
      "keys",
      "generate",
      ...Object.entries(options).flatMap(([flag, value]) => (value === undefined ? [] : value === "" ? [flag] : [flag, value])),
    ];
  };

  before(async () => {
    mnemonicFile = secretFile(join(dir.path, "mnemonic.txt"), `${STAKING_DEPOSIT_CLI_MNEMONIC.mnemonic}\n`);
    passwordFile = secretFile(join(dir.path, "password.txt"), `${PASSWORD}\n`);
    generated = await bulwark(generateArgs(), dir.path);
    const name = readdirSync(out).find((n) => n.startsWith("deposit_data-"));
    depositFile = join(out, name ?? "missing");
  });

  test("writes two keystores (0600) and one deposit file into a new 0700 directory", () => {
    assert.equal(generated.code, 0, generated.stderr);
    assert.equal(statSync(out).mode & 0o777, 0o700);
    const names = readdirSync(out).sort();
    assert.equal(names.length, 3, names.join(", "));
    const [deposit, k0, k1] = names;
    const timestamp = /^deposit_data-(\d+)\.json$/.exec(deposit!)?.[1];
    assert.ok(timestamp, deposit);
    assert.equal(k0, `keystore-m_12381_3600_0_0_0-${timestamp}.json`);
    assert.equal(k1, `keystore-m_12381_3600_1_0_0-${timestamp}.json`);
    for (const name of [k0!, k1!]) assert.equal(statSync(join(out, name)).mode & 0o777, 0o600);
    assert.match(generated.stdout, /^m\/12381\/3600\/0\/0\/0 0x88b6b3a9\S+ keystore-m_12381_3600_0_0_0-\d+\.json$/m);
    assert.match(generated.stderr, /wrote 2 keystores .* for hoodi: 32000000000 gwei each, 0x02 \(compounding\)/);
  });

  test("the deposit file is what ethstaker-deposit-cli makes for the same mnemonic, and verifies", () => {
    const deposits = JSON.parse(readFileSync(depositFile, "utf8")) as DepositDataJson[];
    assert.deepEqual(deposits, HOODI_0X02_DEPOSITS.map((d) => ({ ...d, deposit_cli_version: DEPOSIT_CLI_VERSION })));
    assert.ok(verifyDepositFile(deposits, resolveNetwork("hoodi")).ok);
  });

  test("the keystores use real scrypt parameters and load (decrypted, checked against their pubkeys) with the signer's loader", async () => {
    const deposits = JSON.parse(readFileSync(depositFile, "utf8")) as DepositDataJson[];
    const loaded = await loadKeystores({ keystoresDir: out, passwordFile, workers: 2, progress: false });
    assert.deepEqual(loaded.map((k) => k.pubkey), deposits.map((d) => `0x${d.pubkey}`));
    const first = readdirSync(out).find((n) => n.startsWith("keystore-m_12381_3600_0_0_0-"))!;
    const keystore = JSON.parse(readFileSync(join(out, first), "utf8")) as IKeystore;
    assert.equal(keystore.path, "m/12381/3600/0/0/0");
    assert.deepEqual(
      (({ n, r, p }) => ({ n, r, p }))(keystore.crypto.kdf.params as { n: number; r: number; p: number }),
      { n: 262144, r: 8, p: 1 },
    );
  });

  test("verify-deposit: ok on the right network, one line per deposit; non-zero on the wrong one", async () => {
    const good = await bulwark(["keys", "verify-deposit", depositFile, "--network", "hoodi"], dir.path);
    assert.equal(good.code, 0, good.stderr);
    const lines = good.stdout.trim().split("\n");
    assert.equal(lines.length, 2);
    assert.match(lines[0]!, /^ok +#0 0x88b6b3a9/);
    assert.match(lines[1]!, /^ok +#1 0xa33ab9d9/);

    const wrong = await bulwark(["keys", "verify-deposit", depositFile, "--network", "mainnet"], dir.path);
    assert.equal(wrong.code, 1);
    assert.equal(wrong.stdout.trim().split("\n").filter((l) => l.startsWith("FAIL")).length, 2);
    assert.match(wrong.stdout, /fork_version is 10000910, but mainnet's genesis fork version is 00000000/);
    assert.match(wrong.stdout, /network_name is "hoodi", expected "mainnet"/);
    assert.match(wrong.stderr, /2 of 2 deposits .* failed verification for mainnet/);
  });

  test("verify-deposit: a tampered signature and a changed amount fail only their own lines", async () => {
    const deposits = JSON.parse(readFileSync(depositFile, "utf8")) as DepositDataJson[];
    const tampered = [
      { ...deposits[0]!, signature: deposits[1]!.signature },
      deposits[1]!,
      { ...deposits[1]!, amount: 64_000_000_000 },
    ];
    const file = join(dir.path, "tampered.json");
    writeFileSync(file, JSON.stringify(tampered));
    const run = await bulwark(["keys", "verify-deposit", file, "--network", "hoodi"], dir.path);
    assert.equal(run.code, 1);
    const lines = run.stdout.trim().split("\n");
    assert.match(lines[0]!, /^FAIL +#0 0x88b6.*signature does not verify/);
    assert.match(lines[1]!, /^ok +#1 0xa33a/);
    assert.match(lines[2]!, /^FAIL +#2 0xa33a.*deposit_message_root does not match.*pubkey repeats deposit #1/);

    writeFileSync(file, "{not json");
    const broken = await bulwark(["keys", "verify-deposit", file, "--network", "hoodi"], dir.path);
    assert.equal(broken.code, 1);
    assert.match(broken.stderr, /is not valid JSON/);
  });

  test("refuses to write the same indices again into the directory", async () => {
    const before = readdirSync(out).sort();
    const run = await bulwark(generateArgs({ "--start-index": "1", "--count": "1" }), dir.path);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /already holds keystore-m_12381_3600_1_0_0-\d+\.json; refusing/);
    assert.deepEqual(readdirSync(out).sort(), before);
  });

  test("refuses bad input before writing anything", async () => {
    const words = STAKING_DEPOSIT_CLI_MNEMONIC.mnemonic.split(" ");
    const badChecksum = secretFile(join(dir.path, "bad-mnemonic.txt"), `${[...words.slice(0, 11), "wave"].join(" ")}\n`);
    const shortPassword = secretFile(join(dir.path, "short.txt"), "short\n");
    const fresh = join(dir.path, "never-created");
    const cases: [Record<string, string | undefined>, RegExp][] = [
      [{ "--mnemonic-file": badChecksum }, /invalid mnemonic: the mnemonic's checksum does not match/],
      [{ "--withdrawal-address": "0x0F51bb10119727a7e5ea3538074fb341f56b09ad" }, /fails its EIP-55 checksum/],
      [{ "--withdrawal-address": "0x0f51bb10119727a7e5ea3538074fb341f56b09" }, /is not 0x followed by 40 hex digits/],
      [{ "--compounding": undefined, "--amount-gwei": "32000000001" }, /above 32000000000 gwei \(32 ETH\)/],
      [{ "--amount-gwei": "2048000000001" }, /above 2048000000000 gwei \(2048 ETH\)/],
      [{ "--amount-gwei": "999999999" }, /below the minimum deposit/],
      [{ "--password-file": shortPassword }, /at least 8 characters/],
      [{ "--count": "0" }, /--count must be from 1/],
      [{ "--start-index": "4294967295", "--count": "2" }, /passes the last EIP-2334 index/],
      [{ "--network": "goerli" }, /unknown network "goerli"/],
      [{ "--mnemonic-file": join(dir.path, "absent.txt") }, /mnemonic file .* not found/],
    ];
    const runs = await Promise.all(cases.map(([overrides]) => bulwark(generateArgs(overrides, fresh), dir.path)));
    for (const [i, [overrides, expected]] of cases.entries()) {
      const run = runs[i]!;
      assert.equal(run.code, 1, `${JSON.stringify(overrides)}: ${run.stderr}`);
      assert.match(run.stderr, expected, JSON.stringify(overrides));
      assert.doesNotMatch(run.stderr, /test test|waste/, "no mnemonic words in errors");
      assert.equal(existsSync(fresh), false, `${JSON.stringify(overrides)} created the output directory`);
    }
  });

  test("an existing output file of another kind is refused", async () => {
    const notDir = join(dir.path, "a-file");
    writeFileSync(notDir, "");
    const run = await bulwark(generateArgs({}, notDir), dir.path);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /exists and is not a directory/);
  });
});
