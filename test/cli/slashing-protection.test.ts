/**
 * `bulwark slashing-protection import|export` as real child processes of `node bin/bulwark.js`:
 * round trips, file modes, duplicate detection, and errors that leave nothing written.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

// dist/test/cli/ -> repository root
const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const BIN = join(REPO_ROOT, "bin", "bulwark.js");
const MAIN_WITHOUT_LAUNCHER = join(REPO_ROOT, "dist", "src", "cli", "main.js");

// Published genesis validators roots of the public chains.
const MAINNET_GVR = "0x4b363db94e286120d76eb905340fdd4e54bfe9f06bf33ff6cf5ad27f511bfe95";
const SEPOLIA_GVR = "0xd8ea171f3c94aea21ebc42a1ed61052acf3f9209c00e4efbaaddac09ed9b8078";
const ZERO_ROOT = "0x" + "00".repeat(32);

const PK = ["0x" + "a1".repeat(48), "0x" + "b2".repeat(48), "0x" + "c3".repeat(48)] as const;
const root = (n: number) => "0x" + n.toString(16).padStart(64, "0");

interface RawBlock {
  slot: string | number;
  signing_root?: string;
}
interface RawAttestation {
  source_epoch: string | number;
  target_epoch: string | number;
  signing_root?: string;
}
interface RawValidator {
  pubkey: string;
  signed_blocks: RawBlock[];
  signed_attestations: RawAttestation[];
}
interface RawInterchange {
  metadata: { interchange_format_version: string; genesis_validators_root: string };
  data: RawValidator[];
}

function interchange(gvr: string, data: RawValidator[]): RawInterchange {
  return { metadata: { interchange_format_version: "5", genesis_validators_root: gvr }, data };
}

/** Three validators: known and unknown roots (absent and all-zero), blocks and attestations. */
function sampleData(): RawValidator[] {
  return [
    {
      pubkey: PK[0],
      signed_blocks: [
        { slot: "100", signing_root: root(1) },
        { slot: "101" },
        { slot: "99", signing_root: ZERO_ROOT },
      ],
      signed_attestations: [
        { source_epoch: "10", target_epoch: "11", signing_root: root(2) },
        { source_epoch: "11", target_epoch: "12" },
      ],
    },
    {
      pubkey: PK[1],
      signed_blocks: [],
      signed_attestations: [
        { source_epoch: "0", target_epoch: "1", signing_root: root(3) },
        { source_epoch: "1", target_epoch: "2", signing_root: root(4) },
        { source_epoch: "2", target_epoch: "3", signing_root: ZERO_ROOT },
      ],
    },
    {
      pubkey: PK[2],
      signed_blocks: [{ slot: "7", signing_root: root(5) }],
      signed_attestations: [],
    },
  ];
}

const recordCount = (data: RawValidator[]) =>
  data.reduce((n, v) => n + v.signed_blocks.length + v.signed_attestations.length, 0);

/**
 * Canonical form of an interchange, computed here (not with the code under test): pubkeys and roots
 * lowercased, zero roots as absent, integers as decimal strings, records sorted, keyed by pubkey.
 */
function canonical(doc: RawInterchange): { gvr: string; validators: Record<string, { blocks: string[]; attestations: string[] }> } {
  const rootText = (r: string | undefined) => (r === undefined || r.toLowerCase() === ZERO_ROOT ? "-" : r.toLowerCase());
  const validators: Record<string, { blocks: string[]; attestations: string[] }> = {};
  for (const v of doc.data) {
    const entry = (validators[v.pubkey.toLowerCase()] ??= { blocks: [], attestations: [] });
    entry.blocks.push(...v.signed_blocks.map((b) => `${String(b.slot)}/${rootText(b.signing_root)}`));
    entry.attestations.push(
      ...v.signed_attestations.map((a) => `${String(a.source_epoch)}/${String(a.target_epoch)}/${rootText(a.signing_root)}`),
    );
  }
  for (const entry of Object.values(validators)) {
    entry.blocks = [...new Set(entry.blocks)].sort();
    entry.attestations = [...new Set(entry.attestations)].sort();
  }
  return { gvr: doc.metadata.genesis_validators_root.toLowerCase(), validators };
}

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Environment without anything that could change the CLI's defaults. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith("BULWARK_") || key === "LODESTAR_PRESET") continue;
    env[key] = value;
  }
  return { ...env, CI: "1", ...extra };
}

let scratch: string;

function bulwark(args: string[], options: { input?: string; env?: Record<string, string>; script?: string } = {}): Run {
  const result = spawnSync(process.execPath, [options.script ?? BIN, ...args], {
    cwd: scratch,
    input: options.input ?? "",
    encoding: "utf8",
    env: cleanEnv(options.env),
    timeout: 60_000,
  });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function assertOk(run: Run, what: string): void {
  assert.equal(run.status, 0, `${what} failed (status ${run.status}): ${run.stderr}`);
}

function assertFails(run: Run, ...patterns: Array<string | RegExp>): void {
  assert.notEqual(run.status, 0, `expected failure, got status 0; stderr: ${run.stderr}`);
  assert.ok(run.stderr.trim().length > 0, "a failure must say why on stderr");
  for (const pattern of patterns) {
    if (typeof pattern === "string") assert.ok(run.stderr.includes(pattern), `stderr should mention ${JSON.stringify(pattern)}: ${run.stderr}`);
    else assert.match(run.stderr, pattern);
  }
  assert.doesNotMatch(run.stderr, /^\s+at /m, "user errors are printed without a stack trace");
}

let counter = 0;
/** A fresh path under the scratch directory (not created). */
function freshPath(name: string): string {
  return join(scratch, `${name}-${++counter}`);
}

function writeJson(name: string, value: unknown): string {
  const path = freshPath(name) + ".json";
  writeFileSync(path, JSON.stringify(value, null, 2));
  return path;
}

function importFile(file: string, dataDir: string, network = "mainnet", extra: string[] = []): Run {
  return bulwark(["slashing-protection", "import", file, "--data-dir", dataDir, "--network", network, ...extra]);
}

function exportStdout(dataDir: string, network = "mainnet", extra: string[] = []): Run {
  return bulwark(["slashing-protection", "export", "-", "--data-dir", dataDir, "--network", network, ...extra]);
}

/** The full database content as seen through `export -`, parsed with JSON.parse. */
function databaseContent(dataDir: string, network = "mainnet"): RawInterchange {
  const run = exportStdout(dataDir, network);
  assertOk(run, "export");
  return JSON.parse(run.stdout) as RawInterchange;
}

/** Names and sizes of every file in a directory (the database and its WAL and shm files). */
function listing(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .map((name) => `${name}:${statSync(join(dir, name)).size}`);
}

/** A database in a fresh data directory holding `sampleData()` for mainnet. */
function populatedDataDir(): string {
  const dataDir = freshPath("data");
  assertOk(importFile(writeJson("sample", interchange(MAINNET_GVR, sampleData())), dataDir), "import of the sample");
  return dataDir;
}

function parseSummary(stderr: string): { validators: number; blocks: number; attestations: number; present: number } {
  const match = /(\d+) validators, (\d+) blocks and (\d+) attestations added, (\d+) already present/.exec(stderr);
  assert.ok(match, `import should print a summary: ${stderr}`);
  return { validators: Number(match[1]), blocks: Number(match[2]), attestations: Number(match[3]), present: Number(match[4]) };
}

before(() => {
  assert.ok(existsSync(BIN), `${BIN} is missing`);
  assert.ok(existsSync(MAIN_WITHOUT_LAUNCHER), `${MAIN_WITHOUT_LAUNCHER} is missing: build first`);
  scratch = mkdtempSync(join(tmpdir(), "bulwark-cli-test-"));
});

after(() => {
  rmSync(scratch, { recursive: true, force: true });
});

describe("slashing-protection import and export round trips", () => {
  test("import then export of all keys gives back the same history", () => {
    const data = sampleData();
    const file = writeJson("sample", interchange(MAINNET_GVR, data));
    const dataDir = freshPath("data");
    const imported = importFile(file, dataDir);
    assertOk(imported, "import");
    const summary = parseSummary(imported.stderr);
    const blocks = data.reduce((n, v) => n + v.signed_blocks.length, 0);
    const attestations = data.reduce((n, v) => n + v.signed_attestations.length, 0);
    assert.deepEqual(summary, { validators: 3, blocks, attestations, present: 0 });

    const exported = exportStdout(dataDir);
    assertOk(exported, "export");
    const doc = JSON.parse(exported.stdout) as RawInterchange;
    assert.equal(doc.metadata.interchange_format_version, "5");
    assert.deepEqual(canonical(doc), canonical(interchange(MAINNET_GVR, data)));
    // Integers are decimal strings in the format, and a zero root is never written as a known root.
    for (const v of doc.data) {
      for (const b of v.signed_blocks) {
        assert.equal(typeof b.slot, "string");
        assert.notEqual(b.signing_root, ZERO_ROOT);
      }
      for (const a of v.signed_attestations) {
        assert.equal(typeof a.source_epoch, "string");
        assert.equal(typeof a.target_epoch, "string");
        assert.notEqual(a.signing_root, ZERO_ROOT);
      }
    }
    // The data directory and the database are private.
    assert.equal(statSync(dataDir).mode & 0o777, 0o700);
    assert.equal(statSync(join(dataDir, "slashing-protection.sqlite")).mode & 0o777, 0o600);
  });

  test("export of selected --pubkey keys gives exactly those keys", () => {
    const dataDir = populatedDataDir();
    const run = exportStdout(dataDir, "mainnet", ["--pubkey", PK[2], "--pubkey", PK[0], "--pubkey", PK[2]]);
    assertOk(run, "export --pubkey");
    const doc = JSON.parse(run.stdout) as RawInterchange;
    const expected = interchange(MAINNET_GVR, sampleData().filter((v) => v.pubkey !== PK[1]));
    assert.deepEqual(canonical(doc), canonical(expected));
    assert.equal(doc.data.length, 2);

    // The option may come before the file argument, as the help shows.
    const before = bulwark(["slashing-protection", "export", "--pubkey", PK[0], "--data-dir", dataDir, "--network", "mainnet", "-"]);
    assertOk(before, "export with --pubkey before the file");
    assert.deepEqual((JSON.parse(before.stdout) as RawInterchange).data.map((v) => v.pubkey), [PK[0]]);

    // Uppercase hex digits select the same key.
    const upper = exportStdout(dataDir, "mainnet", ["--pubkey", "0x" + PK[1].slice(2).toUpperCase()]);
    assertOk(upper, "export --pubkey in uppercase hex");
    const upperDoc = JSON.parse(upper.stdout) as RawInterchange;
    assert.deepEqual(canonical(upperDoc), canonical(interchange(MAINNET_GVR, sampleData().filter((v) => v.pubkey === PK[1]))));

    // The selected export imports into a fresh database as exactly that history.
    const file = writeJson("selected", doc);
    const other = freshPath("data");
    assertOk(importFile(file, other), "import of the selected export");
    assert.deepEqual(canonical(databaseContent(other)), canonical(expected));
  });

  test("export to a file: mode 0600, same content as stdout, nothing on stdout, no leftovers", () => {
    const dataDir = populatedDataDir();
    const outDir = freshPath("out");
    mkdirSync(outDir);
    const out = join(outDir, "history.json");
    const run = bulwark(["slashing-protection", "export", out, "--data-dir", dataDir, "--network", "mainnet"]);
    assertOk(run, "export to a file");
    assert.equal(run.stdout, "");
    assert.equal(statSync(out).mode & 0o777, 0o600);
    assert.deepEqual(readdirSync(outDir), ["history.json"], "no temporary file may remain");
    const fromFile = JSON.parse(readFileSync(out, "utf8")) as RawInterchange;
    assert.deepEqual(canonical(fromFile), canonical(interchange(MAINNET_GVR, sampleData())));
    assert.deepEqual(fromFile, databaseContent(dataDir));

    // Replacing an existing world-readable file leaves a 0600 file with the new content.
    const existing = join(outDir, "existing.json");
    writeFileSync(existing, "old content");
    chmodSync(existing, 0o644);
    assertOk(bulwark(["slashing-protection", "export", existing, "--data-dir", dataDir, "--network", "mainnet"]), "export over a file");
    assert.equal(statSync(existing).mode & 0o777, 0o600);
    assert.deepEqual(JSON.parse(readFileSync(existing, "utf8")), fromFile);
  });

  test("importing the exported file again adds nothing and reports duplicates", () => {
    const dataDir = populatedDataDir();
    const before = databaseContent(dataDir);
    const file = writeJson("export", before);
    const again = importFile(file, dataDir);
    assertOk(again, "second import");
    const total = recordCount(before.data);
    assert.deepEqual(parseSummary(again.stderr), { validators: 3, blocks: 0, attestations: 0, present: total });
    assert.deepEqual(databaseContent(dataDir), before);

    // The original file (with all-zero roots) is also recognised as already present.
    const original = importFile(writeJson("sample", interchange(MAINNET_GVR, sampleData())), dataDir);
    assertOk(original, "re-import of the original");
    assert.deepEqual(parseSummary(original.stderr), { validators: 3, blocks: 0, attestations: 0, present: recordCount(sampleData()) });
  });

  test("a second file merges: only new records are added", () => {
    const dataDir = populatedDataDir();
    const extra: RawValidator[] = [
      { pubkey: PK[0], signed_blocks: [{ slot: "100", signing_root: root(1) }, { slot: "200", signing_root: root(9) }], signed_attestations: [] },
      { pubkey: "0x" + "d4".repeat(48), signed_blocks: [], signed_attestations: [{ source_epoch: "5", target_epoch: "6" }] },
    ];
    const run = importFile(writeJson("extra", interchange(MAINNET_GVR, extra)), dataDir);
    assertOk(run, "merge import");
    assert.deepEqual(parseSummary(run.stderr), { validators: 2, blocks: 1, attestations: 1, present: 1 });
    assert.deepEqual(canonical(databaseContent(dataDir)), canonical(interchange(MAINNET_GVR, [...sampleData(), ...extra])));
  });

  test("import from standard input with -", () => {
    const data = sampleData();
    const dataDir = freshPath("data");
    const run = bulwark(["slashing-protection", "import", "-", "--data-dir", dataDir, "--network", "mainnet"], {
      input: JSON.stringify(interchange(MAINNET_GVR, data)),
    });
    assertOk(run, "import from stdin");
    assert.match(run.stderr, /standard input/);
    assert.equal(parseSummary(run.stderr).validators, 3);
    assert.deepEqual(canonical(databaseContent(dataDir)), canonical(interchange(MAINNET_GVR, data)));
  });

  test("export to - and import from - compose through a pipe", () => {
    const source = populatedDataDir();
    const exported = exportStdout(source);
    assertOk(exported, "export");
    const target = freshPath("data");
    const run = bulwark(["slashing-protection", "import", "-", "--data-dir", target, "--network", "mainnet"], {
      input: exported.stdout,
    });
    assertOk(run, "import from stdin");
    assert.deepEqual(databaseContent(target), databaseContent(source));
  });
});

describe("slashing-protection errors write nothing", () => {
  test("a syntax error names line and column; the database is unchanged", () => {
    const dataDir = populatedDataDir();
    const before = databaseContent(dataDir);
    const filesBefore = listing(dataDir);
    const prefix = '    "interchange_format_version": "5"';
    const text = [
      "{",
      '  "metadata": {',
      prefix + ' "genesis_validators_root": "' + MAINNET_GVR + '"',
      "  },",
      `  "data": [{"pubkey": "${PK[0]}", "signed_blocks": [{"slot": "500"}], "signed_attestations": []}]`,
      "}",
    ].join("\n");
    const file = freshPath("syntax") + ".json";
    writeFileSync(file, text);
    const run = importFile(file, dataDir);
    assertFails(run, `line 3 column ${prefix.length + 2}`, file, "nothing imported");
    assert.deepEqual(databaseContent(dataDir), before);
    assert.deepEqual(listing(dataDir), filesBefore);

    // Into a data directory that does not exist yet: it is not created.
    const fresh = freshPath("data");
    assertFails(importFile(file, fresh), `line 3 column ${prefix.length + 2}`);
    assert.equal(existsSync(fresh), false);

    // From standard input, the message names it.
    const stdin = bulwark(["slashing-protection", "import", "-", "--data-dir", fresh, "--network", "mainnet"], { input: text });
    assertFails(stdin, "standard input", `line 3 column ${prefix.length + 2}`);
    assert.equal(existsSync(fresh), false);
  });

  test("a field error names the JSON path; earlier valid validators are not imported either", () => {
    const dataDir = populatedDataDir();
    const before = databaseContent(dataDir);
    const data: RawValidator[] = [
      { pubkey: "0x" + "e5".repeat(48), signed_blocks: [{ slot: "1" }], signed_attestations: [] },
      { pubkey: PK[0], signed_blocks: [{ slot: "300" }], signed_attestations: [] },
      {
        pubkey: PK[1],
        signed_blocks: [],
        signed_attestations: [
          { source_epoch: "20", target_epoch: "21" },
          { source_epoch: "21", target_epoch: "022" },
        ],
      },
    ];
    const run = importFile(writeJson("field", interchange(MAINNET_GVR, data)), dataDir);
    assertFails(run, "data[2].signed_attestations[1].target_epoch", "nothing imported");
    assert.deepEqual(databaseContent(dataDir), before);

    const badPubkey = sampleData();
    badPubkey[1]!.pubkey = "0x" + "b2".repeat(47);
    assertFails(importFile(writeJson("field", interchange(MAINNET_GVR, badPubkey)), dataDir), "data[1].pubkey");
    const badRoot = sampleData();
    badRoot[0]!.signed_blocks[0]!.signing_root = "0x1234";
    assertFails(importFile(writeJson("field", interchange(MAINNET_GVR, badRoot)), dataDir), "data[0].signed_blocks[0].signing_root");
    assert.deepEqual(databaseContent(dataDir), before);
  });

  test("a file for another genesis validators root is refused before the database is touched", () => {
    const file = writeJson("sepolia", interchange(SEPOLIA_GVR, sampleData()));
    const fresh = freshPath("data");
    const run = importFile(file, fresh);
    assertFails(run, SEPOLIA_GVR, MAINNET_GVR, "genesis validators root");
    assert.equal(existsSync(fresh), false, "the data directory must not be created");

    const dataDir = populatedDataDir();
    const before = databaseContent(dataDir);
    const filesBefore = listing(dataDir);
    assertFails(importFile(file, dataDir), SEPOLIA_GVR);
    assert.deepEqual(databaseContent(dataDir), before);
    assert.deepEqual(listing(dataDir), filesBefore);
  });

  test("a database bound to another network is refused for import and export", () => {
    const dataDir = populatedDataDir();
    const before = databaseContent(dataDir);
    const filesBefore = listing(dataDir);
    // The file matches --network sepolia, but the database belongs to mainnet.
    const file = writeJson("sepolia", interchange(SEPOLIA_GVR, sampleData()));
    const run = importFile(file, dataDir, "sepolia");
    assertFails(run, MAINNET_GVR, SEPOLIA_GVR);
    assert.deepEqual(listing(dataDir), filesBefore);
    assert.deepEqual(databaseContent(dataDir), before);

    const outDir = freshPath("out");
    mkdirSync(outDir);
    const exported = bulwark(["slashing-protection", "export", join(outDir, "x.json"), "--data-dir", dataDir, "--network", "sepolia"]);
    assertFails(exported, MAINNET_GVR);
    assert.deepEqual(readdirSync(outDir), []);
    const toStdout = exportStdout(dataDir, "sepolia");
    assertFails(toStdout, MAINNET_GVR);
    assert.equal(toStdout.stdout, "");
    assert.deepEqual(databaseContent(dataDir), before);
  });

  test("a missing input file", () => {
    const fresh = freshPath("data");
    const missing = join(scratch, "no-such-file.json");
    assertFails(importFile(missing, fresh), missing, /cannot read|ENOENT|no such file/i);
    assert.equal(existsSync(fresh), false);

    const dataDir = populatedDataDir();
    const before = databaseContent(dataDir);
    assertFails(importFile(missing, dataDir), missing);
    assert.deepEqual(databaseContent(dataDir), before);
  });

  test("export from a data directory without a database creates nothing", () => {
    const empty = freshPath("empty");
    mkdirSync(empty);
    const outDir = freshPath("out");
    mkdirSync(outDir);
    const out = join(outDir, "x.json");
    const run = bulwark(["slashing-protection", "export", out, "--data-dir", empty, "--network", "mainnet"]);
    assertFails(run, empty, /no slashing-protection database/);
    assert.deepEqual(readdirSync(outDir), [], "no output file");
    assert.deepEqual(readdirSync(empty), [], "no database created");

    const missing = freshPath("missing");
    const toStdout = exportStdout(missing);
    assertFails(toStdout, missing);
    assert.equal(toStdout.stdout, "");
    assert.equal(existsSync(missing), false, "the data directory is not created");
  });

  test("an invalid --pubkey is refused and no file is written", () => {
    const dataDir = populatedDataDir();
    const outDir = freshPath("out");
    mkdirSync(outDir);
    for (const bad of ["0x1234", PK[0].slice(0, -1) + "g", PK[0].slice(2), PK[0] + "00"]) {
      const run = bulwark([
        "slashing-protection", "export", join(outDir, "x.json"),
        "--data-dir", dataDir, "--network", "mainnet", "--pubkey", PK[1], "--pubkey", bad,
      ]);
      assertFails(run, bad, "--pubkey");
      assert.deepEqual(readdirSync(outDir), []);
      const toStdout = exportStdout(dataDir, "mainnet", ["--pubkey", bad]);
      assertFails(toStdout, bad);
      assert.equal(toStdout.stdout, "");
    }
  });
});

describe("networks", () => {
  test("--network minimal works through the launcher (it selects the minimal preset)", () => {
    const data = sampleData();
    const file = writeJson("minimal", interchange(ZERO_ROOT, data));
    const dataDir = freshPath("data");
    assertOk(importFile(file, dataDir, "minimal"), "import --network minimal");
    assert.deepEqual(canonical(databaseContent(dataDir, "minimal")), canonical(interchange(ZERO_ROOT, data)));

    // The --network=minimal spelling and BULWARK_NETWORK select the preset too.
    assertOk(bulwark(["slashing-protection", "export", "-", "--data-dir", dataDir, "--network=minimal"]), "--network=minimal");
    const viaEnv = bulwark(["slashing-protection", "export", "-", "--data-dir", dataDir], { env: { BULWARK_NETWORK: "minimal" } });
    assertOk(viaEnv, "BULWARK_NETWORK=minimal");
    assert.deepEqual(canonical(JSON.parse(viaEnv.stdout) as RawInterchange), canonical(interchange(ZERO_ROOT, data)));

    // Without the launcher the process runs the mainnet preset and must say what to do.
    const direct = bulwark(["slashing-protection", "export", "-", "--data-dir", dataDir, "--network", "minimal"], {
      script: MAIN_WITHOUT_LAUNCHER,
    });
    assertFails(direct, "LODESTAR_PRESET=minimal");

    // A mainnet file is refused on the minimal network, and a minimal database for mainnet.
    assertFails(importFile(writeJson("mainnet", interchange(MAINNET_GVR, data)), dataDir, "minimal"), MAINNET_GVR);
    assertFails(exportStdout(dataDir, "mainnet"), MAINNET_GVR);
  });

  test("--network nosuch gives a clear error and creates nothing", () => {
    const fresh = freshPath("data");
    const file = writeJson("sample", interchange(MAINNET_GVR, sampleData()));
    const run = importFile(file, fresh, "nosuch");
    assertFails(run, '"nosuch"', /unknown network/, "mainnet");
    assert.equal(existsSync(fresh), false);
    const exported = exportStdout(fresh, "nosuch");
    assertFails(exported, /unknown network/);
    assert.equal(exported.stdout, "");
  });

  test("--network is required", () => {
    const fresh = freshPath("data");
    const run = bulwark(["slashing-protection", "export", "-", "--data-dir", fresh]);
    assertFails(run, "--network");
    assert.equal(existsSync(fresh), false);
  });
});
