/**
 * Hole 9 (temporary files): exports and the sealed store used predictable temporary names
 * (`FILE.partial-PID`, `sealed-keys.json.tmp-PID`) opened without O_EXCL, so another local user
 * who pre-created the name in a shared directory got the export (world-writable) or redirected the
 * write through a symlink. Each test plants the old predictable names and checks they are not used.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { SealedKeyStore } from "../../src/keys/sealed-store.js";
import { writeFileDurably } from "../../src/util/durable-file.js";
import { createExclusive, temporaryNameFor, writeChunksAtomically, writeFileAtomically } from "../../src/util/atomic-file.js";
import { BIN } from "../e2e/harness.js";
import { tempDir } from "../helpers/temp.js";
import { sealedTestKey, writeSealedFile } from "../keys/sealed-store-helpers.js";

const MAINNET_GVR = "0x4b363db94e286120d76eb905340fdd4e54bfe9f06bf33ff6cf5ad27f511bfe95";
const PUBKEY = "0x" + "a1".repeat(48);
const scratch = tempDir("bulwark-atomic-file-");
after(scratch.cleanup);

/** A directory like /tmp: writable by everyone, sticky. */
function sharedDir(name: string): string {
  const dir = join(scratch.path, name);
  mkdirSync(dir);
  chmodSync(dir, 0o1777);
  return dir;
}

/** What "another user" plants: an empty world-writable file. */
function plantFile(path: string): void {
  writeFileSync(path, "");
  chmodSync(path, 0o666);
}

const mode = (path: string) => statSync(path).mode & 0o777;

describe("temporary files: random names, O_EXCL, O_NOFOLLOW, mode on the descriptor (hole 9)", () => {
  test("`slashing-protection export FILE` into a shared directory with the old temporary names pre-created: 0600 export, planted files untouched", () => {
    const dataDir = join(scratch.path, "data");
    const history = join(scratch.path, "history.json");
    writeFileSync(
      history,
      JSON.stringify({
        metadata: { interchange_format_version: "5", genesis_validators_root: MAINNET_GVR },
        data: [{ pubkey: PUBKEY, signed_blocks: [{ slot: "10" }], signed_attestations: [{ source_epoch: "1", target_epoch: "2" }] }],
      }),
    );
    const imported = spawnSync(process.execPath, [BIN, "slashing-protection", "import", history, "--data-dir", dataDir, "--network", "mainnet"], { encoding: "utf8" });
    assert.equal(imported.status, 0, imported.stderr);

    const shared = sharedDir("shared-export");
    const target = join(shared, "export.json");
    // The old writer used `${target}.partial-${pid}`: pid numbers are sequential, so plant a range
    // that the child about to start almost surely falls into.
    const first = process.pid;
    const planted: string[] = [];
    for (let pid = first; pid < first + 4000; pid++) {
      const path = `${target}.partial-${pid}`;
      plantFile(path);
      planted.push(path);
    }
    const exported = spawnSync(process.execPath, [BIN, "slashing-protection", "export", target, "--data-dir", dataDir, "--network", "mainnet"], { encoding: "utf8" });
    assert.equal(exported.status, 0, exported.stderr);
    assert.equal(mode(target), 0o600, "the export is readable and writable by its owner only");
    assert.equal(JSON.parse(readFileSync(target, "utf8")).data[0].pubkey, PUBKEY);
    for (const path of planted) {
      assert.equal(statSync(path).size, 0, `${path} was written to`);
    }
    const leftovers = readdirSync(shared).filter((name) => name.includes(".tmp-"));
    assert.deepEqual(leftovers, [], "no temporary file is left behind");
  });

  test("the sealed store's old temporary name, planted as a symlink, is not followed", async () => {
    const dataDir = sharedDir("shared-sealed");
    const secret = "atomic file sealed store secret";
    writeSealedFile(dataDir, secret, [sealedTestKey(1)]);
    const storePath = join(dataDir, "sealed-keys.json");
    const victim = join(scratch.path, "victim.txt");
    writeFileSync(victim, "untouched\n");
    symlinkSync(victim, `${storePath}.tmp-${process.pid}`);
    plantFile(`${storePath}.partial-${process.pid}`);

    const store = await SealedKeyStore.open(dataDir, Buffer.from(secret), { create: false });
    await store.add([sealedTestKey(2)]);
    assert.equal(readFileSync(victim, "utf8"), "untouched\n", "the write went through the planted symlink");
    assert.equal(mode(storePath), 0o600);
    const reopened = await SealedKeyStore.open(dataDir, Buffer.from(secret), { create: false });
    assert.equal(reopened.size, 2);
  });

  test("pool durable files: a planted old-style name is not used, the mode is set on the descriptor whatever the umask", () => {
    const dir = sharedDir("shared-pool");
    const path = join(dir, "state.json");
    const before = process.umask(0o000);
    try {
      writeFileDurably(path, "{}\n", { mode: 0o600 });
      assert.equal(mode(path), 0o600);
    } finally {
      process.umask(before);
    }
    const narrow = process.umask(0o077);
    try {
      writeFileAtomically(join(dir, "public.json"), "{}\n", { mode: 0o644 });
      assert.equal(mode(join(dir, "public.json")), 0o644, "fchmod gives the requested mode despite a narrow umask");
    } finally {
      process.umask(narrow);
    }
  });

  test("the temporary name is random and created exclusively: a pre-created one (file or symlink) is refused, never reused", () => {
    const dir = sharedDir("shared-exclusive");
    const path = join(dir, "file.json");
    const a = temporaryNameFor(path);
    const b = temporaryNameFor(path);
    assert.notEqual(a, b);
    assert.match(a, /\.tmp-[0-9a-f]{24}$/);
    plantFile(a);
    assert.throws(() => createExclusive(a, 0o600), (err: NodeJS.ErrnoException) => err.code === "EEXIST");
    const victim = join(scratch.path, "victim-2.txt");
    writeFileSync(victim, "untouched\n");
    symlinkSync(victim, b);
    assert.throws(() => createExclusive(b, 0o600), (err: NodeJS.ErrnoException) => err.code === "EEXIST" || err.code === "ELOOP");
    assert.equal(readFileSync(victim, "utf8"), "untouched\n");
  });

  test("chunked writes land whole, exclusive writes refuse an existing file", async () => {
    const dir = sharedDir("shared-chunks");
    const path = join(dir, "big.json");
    async function* chunks(): AsyncIterable<string> {
      for (let i = 0; i < 3000; i++) yield `${"x".repeat(1000)}\n`;
    }
    await writeChunksAtomically(path, chunks());
    assert.equal(statSync(path).size, 3000 * 1001);
    assert.equal(mode(path), 0o600);
    assert.throws(() => writeFileAtomically(path, "other", { exclusive: true }), (err: NodeJS.ErrnoException) => err.code === "EEXIST");
    assert.equal(statSync(path).size, 3000 * 1001);
    assert.ok(!readdirSync(dir).some((name) => name.includes(".tmp-")));
    assert.ok(existsSync(path));
  });
});
