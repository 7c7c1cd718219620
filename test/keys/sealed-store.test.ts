/**
 * The sealed key store (src/keys/sealed-store.ts) on real files in temporary directories, with
 * other real processes writing the same store.
 *
 * Most stores here are seeded by `writeSealedFile` with a cheap scrypt (see sealed-store-helpers.ts)
 * so that they can be reopened many times; the tests marked "real KDF" create them through the store.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { inspect } from "node:util";
import { after, describe, test } from "node:test";
import { readSealingSecret, SEALED_STORE_FILE, SealedKeyStore, SealedStoreError } from "../../src/keys/sealed-store.js";
import { tempDir } from "../helpers/temp.js";
import { type PlainKey, readSealedFile, sealedTestKey, writeSealedFile } from "./sealed-store-helpers.js";

const SECRET = "sealing passphrase for the tests";
const OTHER_SECRET = "a different sealing passphrase";
const CHILD = fileURLToPath(new URL("./sealed-store-child.js", import.meta.url));


const cleanups: Array<() => void> = [];
after(() => cleanups.forEach((cleanup) => cleanup()));

function scratch(): string {
  const dir = tempDir("bulwark-sealed-test-");
  cleanups.push(dir.cleanup);
  return dir.path;
}

const buf = (text: string) => Buffer.from(text, "utf8");
const hexOf = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");
const mode = (path: string) => statSync(path).mode & 0o777;

function keys(first: number, count: number): PlainKey[] {
  return Array.from({ length: count }, (_, i) => sealedTestKey(first + i));
}

/** Pubkey -> secret hex of a store, for comparisons. */
function contents(store: SealedKeyStore): Map<string, string> {
  return new Map(store.keys().map((k) => [k.pubkey, hexOf(k.secretKey)]));
}

function expected(list: readonly PlainKey[]): Map<string, string> {
  return new Map(list.map((k) => [k.pubkey, hexOf(k.secretKey)]));
}

/** Everything an operator could see of an error must hold no secret: no passphrase, no key. */
function assertNoSecrets(err: unknown, secrets: ReadonlyArray<string | Uint8Array>): void {
  const text = [String((err as Error)?.message), String((err as Error)?.stack), inspect(err, { depth: 5 })].join("\n");
  for (const secret of secrets) {
    const needle = typeof secret === "string" ? secret : hexOf(secret);
    assert.ok(!text.includes(needle), `error text leaks a secret (${needle.slice(0, 6)}...): ${text}`);
  }
}

/** Asserts a SealedStoreError whose message matches `pattern` and names `path`; returns it. */
function sealedError(err: unknown, pattern: RegExp, path: string): SealedStoreError {
  assert.ok(err instanceof SealedStoreError, `expected SealedStoreError, got ${inspect(err)}`);
  assert.match(err.message, pattern);
  assert.ok(err.message.includes(path), `message does not name ${path}: ${err.message}`);
  return err;
}

function leftovers(dir: string): string[] {
  return readdirSync(dir).filter((name) => name !== SEALED_STORE_FILE && name !== "sqlite");
}

describe("sealed key store: creation and round trip", () => {
  test("real KDF: a new store in a new data dir is 0600 in a 0700 dir, and 500 keys survive a reopen", async () => {
    const dataDir = join(scratch(), "new", "data");
    const store = await SealedKeyStore.open(dataDir, buf(SECRET), { create: true });
    const path = join(dataDir, SEALED_STORE_FILE);
    assert.equal(store.path, path);
    assert.equal(store.size, 0);
    assert.equal(mode(path), 0o600);
    assert.equal(mode(dataDir), 0o700);

    const list = keys(1, 500);
    const added = await store.add(list);
    assert.equal(added.length, 500);
    assert.deepEqual(new Set(added), new Set(list.map((k) => k.pubkey)));
    assert.equal(mode(path), 0o600, "the rewritten file is still 0600");
    assert.deepEqual(leftovers(dataDir), [], "no temporary or lock file left");

    const text = readFileSync(path, "utf8");
    const header = JSON.parse(text) as { kdf: { function: string; n: number }; count: number };
    assert.equal(header.kdf.function, "scrypt");
    assert.ok(header.kdf.n >= 1 << 17, `scrypt N is ${header.kdf.n}`);
    assert.equal(header.count, 500);
    for (const key of list.slice(0, 20)) {
      assert.ok(!text.includes(hexOf(key.secretKey)), "a secret key is in the file in clear");
      assert.ok(!text.includes(key.pubkey.slice(2)), "pubkeys are sealed too");
    }

    const reopened = await SealedKeyStore.open(dataDir, buf(SECRET), { create: false });
    assert.equal(reopened.size, 500);
    assert.deepEqual(contents(reopened), expected(list));
  });

  test("500 keys added in batches, some removed, reopen: exactly the rest, as an independent decoder reads them", async () => {
    const dataDir = scratch();
    const path = writeSealedFile(dataDir, SECRET);
    const store = await SealedKeyStore.open(dataDir, buf(SECRET), { create: false });
    const list = keys(1000, 500);
    for (let i = 0; i < list.length; i += 100) {
      assert.equal((await store.add(list.slice(i, i + 100))).length, 100);
    }
    assert.deepEqual(await store.add(list.slice(0, 10)), [], "keys already there are not added again");
    const gone = list.filter((_, i) => i % 7 === 0).map((k) => k.pubkey);
    const removed = await store.remove([...gone, sealedTestKey(99_999).pubkey]);
    assert.deepEqual(new Set(removed), new Set(gone), "remove returns only the keys that were there");
    const rest = list.filter((_, i) => i % 7 !== 0);
    assert.deepEqual(contents(store), expected(rest));

    const reopened = await SealedKeyStore.open(dataDir, buf(SECRET), { create: false });
    assert.deepEqual(contents(reopened), expected(rest));
    assert.deepEqual(new Set(reopened.pubkeys()), new Set(rest.map((k) => k.pubkey)));
    assert.ok(reopened.has(rest[0]!.pubkey.toUpperCase().replace("0X", "0x")), "has() ignores hex case");
    assert.ok(!reopened.has(gone[0]!));

    const decoded = readSealedFile(path, SECRET);
    assert.equal(decoded.header.count, rest.length);
    assert.deepEqual(expected(decoded.keys), expected(rest));
    assert.equal(mode(path), 0o600);
    assert.deepEqual(leftovers(dataDir), []);
  });

  test("keys() hands out copies: wiping them (as the signing core does) leaves the store intact", async () => {
    const dataDir = scratch();
    writeSealedFile(dataDir, SECRET, keys(1, 3));
    const store = await SealedKeyStore.open(dataDir, buf(SECRET), { create: false });
    for (const key of store.keys()) key.secretKey.fill(0);
    assert.deepEqual(contents(store), expected(keys(1, 3)));
    const input = sealedTestKey(4);
    const copy = Uint8Array.from(input.secretKey);
    await store.add([input]);
    input.secretKey.fill(0);
    assert.equal(contents(store).get(input.pubkey), hexOf(copy), "add keeps its own copy of the secret");
  });

  test("add refuses a secret that is not 32 bytes, and the file is unchanged", async () => {
    const dataDir = scratch();
    const path = writeSealedFile(dataDir, SECRET, keys(1, 2));
    const before = readFileSync(path, "utf8");
    const store = await SealedKeyStore.open(dataDir, buf(SECRET), { create: false });
    await assert.rejects(store.add([{ pubkey: sealedTestKey(5).pubkey, secretKey: new Uint8Array(31) }]), SealedStoreError);
    assert.equal(readFileSync(path, "utf8"), before);
    assert.deepEqual(leftovers(dataDir), [], "the lock is released after a failed add");
  });

  test("a pubkey without the 0x prefix is either refused or stored under its real value, never mangled", {}, async () => {
    const dataDir = scratch();
    writeSealedFile(dataDir, SECRET);
    const store = await SealedKeyStore.open(dataDir, buf(SECRET), { create: false });
    const key = sealedTestKey(6);
    let refused = false;
    try {
      await store.add([{ pubkey: key.pubkey.slice(2), secretKey: key.secretKey }]);
    } catch {
      refused = true;
    }
    if (refused) return;
    const reopened = await SealedKeyStore.open(dataDir, buf(SECRET), { create: false });
    assert.deepEqual(
      reopened.pubkeys().map((p) => p.replace(/^0x/, "")),
      [key.pubkey.slice(2)],
      "the key came back under another public key",
    );
  });

  test("opening a missing store without create names the file", async () => {
    const dataDir = scratch();
    await assert.rejects(SealedKeyStore.open(dataDir, buf(SECRET), { create: false }), (err) =>
      Boolean(sealedError(err, /no sealed key store/, join(dataDir, SEALED_STORE_FILE))),
    );
    assert.equal(SealedKeyStore.exists(dataDir), false);
    writeSealedFile(dataDir, SECRET);
    assert.equal(SealedKeyStore.exists(dataDir), true);
  });
});

describe("sealed key store: wrong secret, damaged files, newer versions", () => {
  test("a wrong secret is refused naming the file, with no store and no secret in the error", async () => {
    const dataDir = scratch();
    const list = keys(1, 3);
    const path = writeSealedFile(dataDir, SECRET, list);
    const before = readFileSync(path, "utf8");
    let opened: SealedKeyStore | undefined;
    await assert.rejects(
      (async () => {
        opened = await SealedKeyStore.open(dataDir, buf(OTHER_SECRET), { create: true });
      })(),
      (err) => {
        sealedError(err, /wrong sealing secret/, path);
        assert.doesNotMatch((err as Error).message, /corrupt/);
        assertNoSecrets(err, [SECRET, OTHER_SECRET, ...list.map((k) => k.secretKey)]);
        return true;
      },
    );
    assert.equal(opened, undefined);
    assert.equal(readFileSync(path, "utf8"), before, "a failed open (even with create) leaves the file alone");
    assert.deepEqual(leftovers(dataDir), []);
  });

  test("refresh() of a file now sealed under another secret throws and keeps the keys it had (never half-loaded)", async () => {
    const dataDir = scratch();
    const list = keys(1, 3);
    const path = writeSealedFile(dataDir, SECRET, list);
    const store = await SealedKeyStore.open(dataDir, buf(SECRET), { create: false });
    const replaced = writeSealedFile(dataDir, OTHER_SECRET, keys(50, 2));
    assert.equal(replaced, path);
    const afterReplace = readFileSync(path, "utf8");
    assert.throws(() => store.refresh(), (err) => Boolean(sealedError(err, /wrong sealing secret/, path)));
    assert.deepEqual(contents(store), expected(list));
    await assert.rejects(store.add([sealedTestKey(9)]), (err) => Boolean(sealedError(err, /wrong sealing secret/, path)));
    await assert.rejects(store.remove([list[0]!.pubkey]), SealedStoreError);
    assert.equal(readFileSync(path, "utf8"), afterReplace, "nothing overwrote the other secret's file");
    assert.deepEqual(contents(store), expected(list));
    assert.deepEqual(leftovers(dataDir), []);
  });

  type Damage = (file: Record<string, unknown> & { cipher: Record<string, string> }, raw: string) => string;
  const flipHex = (value: string, at = 0) => value.slice(0, at) + (value[at] === "0" ? "1" : "0") + value.slice(at + 1);
  const edit =
    (change: (file: Record<string, unknown> & { cipher: Record<string, string> }) => void): Damage =>
    (file) => {
      change(file);
      return JSON.stringify(file);
    };
  const damages: Array<[string, Damage]> = [
    [
      "one byte of the ciphertext flipped",
      edit((file) => {
        const bytes = Buffer.from(file.ciphertext as string, "base64");
        bytes[100] = bytes[100]! ^ 0x01;
        file.ciphertext = bytes.toString("base64");
      }),
    ],
    [
      "the last record cut off the ciphertext (count unchanged)",
      edit((file) => {
        file.ciphertext = Buffer.from(file.ciphertext as string, "base64").subarray(0, 160).toString("base64");
      }),
    ],
    ["the file truncated mid-way", (_file, raw) => raw.slice(0, Math.floor(raw.length / 2))],
    ["the file empty", () => ""],
    ["not JSON at all", () => "this is not a sealed key store\n"],
    ["JSON of another shape", () => JSON.stringify([1, 2, 3])],
    ["header count altered (3 -> 2)", edit((file) => void (file.count = 2))],
    ["header count altered (3 -> 4)", edit((file) => void (file.count = 4))],
    ["header count not a number", edit((file) => void (file.count = "3"))],
    ["IV altered", edit((file) => void (file.cipher.iv = flipHex(file.cipher.iv, 5)))],
    ["tag altered", edit((file) => void (file.cipher.tag = flipHex(file.cipher.tag, 7)))],
    ["tag cut to 4 bytes", edit((file) => void (file.cipher.tag = file.cipher.tag.slice(0, 8)))],
    ["cipher missing", edit((file) => void delete (file as Record<string, unknown>).cipher)],
    ["format renamed", edit((file) => void (file.format = "something-else"))],
    ["version removed", edit((file) => void delete (file as Record<string, unknown>).version)],
  ];

  for (const [name, damage] of damages) {
    test(`corrupted file (${name}) is refused as corrupted, naming the file`, async () => {
      const dataDir = scratch();
      const list = keys(1, 3);
      const path = writeSealedFile(dataDir, SECRET, list);
      const raw = readFileSync(path, "utf8");
      writeFileSync(path, damage(JSON.parse(raw) as never, raw));
      await assert.rejects(SealedKeyStore.open(dataDir, buf(SECRET), { create: true }), (err) => {
        sealedError(err, /corrupted/, path);
        assertNoSecrets(err, [SECRET, ...list.map((k) => k.secretKey)]);
        return true;
      });
    });
  }

  test("refresh() of a file corrupted after opening throws 'corrupted' and keeps the loaded keys", async () => {
    const dataDir = scratch();
    const list = keys(1, 3);
    const path = writeSealedFile(dataDir, SECRET, list);
    const store = await SealedKeyStore.open(dataDir, buf(SECRET), { create: false });
    const file = JSON.parse(readFileSync(path, "utf8")) as { count: number };
    file.count = 1;
    writeFileSync(path, JSON.stringify(file));
    assert.throws(() => store.refresh(), (err) => Boolean(sealedError(err, /corrupted/, path)));
    assert.deepEqual(contents(store), expected(list));
    await assert.rejects(store.add([sealedTestKey(10)]), /corrupted/);
    assert.equal(readFileSync(path, "utf8"), JSON.stringify(file), "a corrupted file is never overwritten");
  });

  test("a newer format version is refused with a message naming the file and asking for an upgrade", async () => {
    const dataDir = scratch();
    const path = writeSealedFile(dataDir, SECRET, keys(1, 2));
    const file = JSON.parse(readFileSync(path, "utf8")) as { version: number };
    file.version = 2;
    writeFileSync(path, JSON.stringify(file));
    await assert.rejects(SealedKeyStore.open(dataDir, buf(SECRET), { create: true }), (err) => {
      sealedError(err, /version 2.*newer/, path);
      assert.match((err as Error).message, /upgrade/i);
      return true;
    });
    assert.equal(readFileSync(path, "utf8"), JSON.stringify(file));
  });
});

interface Child {
  process: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  ready: Promise<void>;
  exit: Promise<number | null>;
}

function child(dataDir: string, first: number, count: number, openMode: "open" | "create"): Child {
  const proc = spawn(process.execPath, [CHILD, dataDir, String(first), String(count), openMode], {
    env: { ...process.env, SEALED_TEST_SECRET: SECRET },
    stdio: ["pipe", "pipe", "pipe"],
  });
  cleanups.push(() => proc.kill("SIGKILL"));
  let stdout = "";
  let stderr = "";
  proc.stdout!.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  proc.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const ready = new Promise<void>((resolve, reject) => {
    const check = () => {
      if (stdout.includes("ready\n")) resolve();
    };
    proc.stdout!.on("data", check);
    proc.on("exit", () => reject(new Error(`child exited before ready: ${stderr}`)));
  });
  ready.catch(() => undefined);
  const exit = new Promise<number | null>((resolve) => proc.on("close", (code) => resolve(code)));
  return { process: proc, stdout: () => stdout, stderr: () => stderr, ready, exit };
}

describe("sealed key store: other processes", () => {
  test("a change made by another process is seen by refresh(), and add() keeps it (and keeps removals)", async () => {
    const dataDir = scratch();
    const initial = keys(1, 3);
    const path = writeSealedFile(dataDir, SECRET, initial);
    const store = await SealedKeyStore.open(dataDir, buf(SECRET), { create: false });

    const other = child(dataDir, 100, 4, "open");
    await other.ready;
    other.process.stdin!.end("go\n");
    assert.equal(await other.exit, 0, other.stderr());
    assert.deepEqual(JSON.parse(other.stdout().split("\n")[1]!), { added: 4, size: 7 });

    assert.equal(store.size, 3, "nothing changes before refresh()");
    store.refresh();
    assert.deepEqual(contents(store), expected([...initial, ...keys(100, 4)]));

    // Another writer (a second handle, as `bulwark keys delete` would be) removes a key; this
    // handle's add() must not bring it back from its stale memory.
    const second = await SealedKeyStore.open(dataDir, buf(SECRET), { create: false });
    assert.deepEqual(await second.remove([initial[0]!.pubkey]), [initial[0]!.pubkey]);
    await store.add([sealedTestKey(200)]);
    const final = [...initial.slice(1), ...keys(100, 4), sealedTestKey(200)];
    assert.deepEqual(contents(store), expected(final));
    assert.deepEqual(expected(readSealedFile(path, SECRET).keys), expected(final));
    assert.deepEqual(leftovers(dataDir), []);
  });

  test("two processes adding different keys at the same time, one add() per key, lose nothing", async () => {
    const dataDir = scratch();
    const initial = keys(1, 2);
    const path = writeSealedFile(dataDir, SECRET, initial);
    const perChild = 30;
    const children = [child(dataDir, 1000, perChild, "open"), child(dataDir, 2000, perChild, "open")];
    await Promise.all(children.map((c) => c.ready));
    for (const c of children) c.process.stdin!.end("go\n");
    const codes = await Promise.all(children.map((c) => c.exit));
    codes.forEach((code, i) => assert.equal(code, 0, `child ${i} failed:\n${children[i]!.stderr()}`));
    for (const c of children) assert.equal((JSON.parse(c.stdout().split("\n")[1]!) as { added: number }).added, perChild);

    const store = await SealedKeyStore.open(dataDir, buf(SECRET), { create: false });
    assert.deepEqual(contents(store), expected([...initial, ...keys(1000, perChild), ...keys(2000, perChild)]));
    assert.equal(readSealedFile(path, SECRET).header.count, 2 + 2 * perChild);
    assert.deepEqual(leftovers(dataDir), [], "no temporary or lock file left");
    assert.equal(mode(path), 0o600);
  });

  test("real KDF: two processes creating the same new store at the same time lose nothing", {}, async () => {
    const dataDir = join(scratch(), "data");
    const children = [child(dataDir, 3000, 3, "create"), child(dataDir, 4000, 3, "create")];
    await Promise.all(children.map((c) => c.ready));
    for (const c of children) c.process.stdin!.end("go\n");
    const codes = await Promise.all(children.map((c) => c.exit));
    codes.forEach((code, i) => assert.equal(code, 0, `child ${i} failed:\n${children[i]!.stderr()}`));
    const store = await SealedKeyStore.open(dataDir, buf(SECRET), { create: false });
    assert.deepEqual(contents(store), expected([...keys(3000, 3), ...keys(4000, 3)]));
  });

  test("a lock left by a live writer makes add() wait; released, the add goes through", async () => {
    const dataDir = scratch();
    const path = writeSealedFile(dataDir, SECRET, keys(1, 1));
    const store = await SealedKeyStore.open(dataDir, buf(SECRET), { create: false });
    const lock = `${path}.lock`;
    writeFileSync(lock, "", { mode: 0o600 });
    let done = false;
    const adding = store.add([sealedTestKey(2)]).then((added) => {
      done = true;
      return added;
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(done, false, "add() wrote while another process held the lock");
    assert.equal(readSealedFile(path, SECRET).keys.length, 1);
    rmSync(lock);
    assert.deepEqual(await adding, [sealedTestKey(2).pubkey]);
    assert.equal(readSealedFile(path, SECRET).keys.length, 2);
    assert.equal(existsSync(lock), false);
  });

  test("a lock released between the failed create and the staleness check: add() retries, it does not crash", {}, async () => {
    // Another process takes and releases the lock as fast as it can, so that the lock file often
    // disappears between add()'s failed exclusive create and its stat of the lock.
    const dataDir = scratch();
    const path = writeSealedFile(dataDir, SECRET);
    const lock = `${path}.lock`;
    const flapper = spawn(
      process.execPath,
      [
        "-e",
        `const fs = require("node:fs"); const end = Date.now() + 3000;
         while (Date.now() < end) { try { fs.closeSync(fs.openSync(${JSON.stringify(lock)}, "wx")); fs.rmSync(${JSON.stringify(lock)}); } catch {} }`,
      ],
      { stdio: "ignore" },
    );
    cleanups.push(() => flapper.kill("SIGKILL"));
    await new Promise((resolve) => setTimeout(resolve, 150));
    try {
      const store = await SealedKeyStore.open(dataDir, buf(SECRET), { create: false });
      for (let i = 0; i < 30; i++) assert.equal((await store.add([sealedTestKey(500 + i)])).length, 1);
    } finally {
      flapper.kill("SIGKILL");
    }
    assert.equal(readSealedFile(path, SECRET).keys.length, 30);
  });
});

describe("readSealingSecret", () => {
  test("from a file: one trailing newline (LF or CRLF) is trimmed, nothing else", () => {
    const dir = scratch();
    const file = join(dir, "passphrase.txt");
    writeFileSync(file, "correct horse battery\n", { mode: 0o600 });
    assert.equal(readSealingSecret({ passphraseFile: file }, {}).toString("utf8"), "correct horse battery");
    writeFileSync(file, "correct horse battery\r\n");
    assert.equal(readSealingSecret({ passphraseFile: file }, {}).toString("utf8"), "correct horse battery");
    writeFileSync(file, " spaces kept ");
    assert.equal(readSealingSecret({ passphraseFile: file }, {}).toString("utf8"), " spaces kept ");
    writeFileSync(file, "pässwörd-ünïcode\n");
    assert.deepEqual(readSealingSecret({ passphraseFile: file }, {}), Buffer.from("pässwörd-ünïcode", "utf8"));
  });

  test("the file wins over the environment variable", () => {
    const file = join(scratch(), "passphrase.txt");
    writeFileSync(file, "from-the-file\n");
    assert.equal(readSealingSecret({ passphraseFile: file }, { BULWARK_SEALING_PASSPHRASE: "from-the-env" }).toString(), "from-the-file");
  });

  test("from BULWARK_SEALING_PASSPHRASE by default, or the variable named", () => {
    assert.equal(readSealingSecret({}, { BULWARK_SEALING_PASSPHRASE: "env passphrase" }).toString(), "env passphrase");
    assert.equal(readSealingSecret({ envVariable: "MY_SEAL" }, { MY_SEAL: "named variable" }).toString(), "named variable");
    assert.equal(readSealingSecret({}, { BULWARK_SEALING_PASSPHRASE: "12345678" }).toString(), "12345678", "8 characters are enough");
  });

  test("the same passphrase from a file and from the environment opens the same store", async () => {
    const dir = scratch();
    const file = join(dir, "passphrase.txt");
    writeFileSync(file, `${SECRET}\n`);
    writeSealedFile(join(dir, "data"), SECRET, keys(1, 1));
    for (const secret of [readSealingSecret({ passphraseFile: file }, {}), readSealingSecret({}, { BULWARK_SEALING_PASSPHRASE: SECRET })]) {
      assert.equal((await SealedKeyStore.open(join(dir, "data"), secret, { create: false })).size, 1);
    }
  });

  test("missing, unreadable, empty and short secrets are refused with messages that name the source, never the secret", () => {
    const dir = scratch();
    const missing = join(dir, "no-such-file.txt");
    assert.throws(() => readSealingSecret({ passphraseFile: missing }, {}), (err) => {
      sealedError(err, /cannot read sealing passphrase file/, missing);
      assert.match((err as Error).message, /ENOENT/);
      return true;
    });

    const short = join(dir, "short.txt");
    writeFileSync(short, "seven77\n");
    assert.throws(() => readSealingSecret({ passphraseFile: short }, {}), (err) => {
      sealedError(err, /shorter than 8/, short);
      assertNoSecrets(err, ["seven77"]);
      return true;
    });

    assert.throws(() => readSealingSecret({}, {}), (err) => {
      assert.ok(err instanceof SealedStoreError);
      assert.match(err.message, /no sealing secret/);
      assert.match(err.message, /BULWARK_SEALING_PASSPHRASE/);
      assert.match(err.message, /--sealing-passphrase-file/);
      return true;
    });
    assert.throws(() => readSealingSecret({}, { BULWARK_SEALING_PASSPHRASE: "" }), /no sealing secret/);
    assert.throws(() => readSealingSecret({}, { BULWARK_SEALING_PASSPHRASE: "shortpw" }), (err) => {
      assert.ok(err instanceof SealedStoreError);
      assert.match(err.message, /BULWARK_SEALING_PASSPHRASE is shorter than 8/);
      assertNoSecrets(err, ["shortpw"]);
      return true;
    });
    assert.throws(() => readSealingSecret({ envVariable: "MY_SEAL" }, { BULWARK_SEALING_PASSPHRASE: "long enough" }), /MY_SEAL/);

    if (process.getuid?.() !== 0) {
      const unreadable = join(dir, "unreadable.txt");
      writeFileSync(unreadable, "a secret nobody may read\n");
      chmodSync(unreadable, 0o000);
      assert.throws(() => readSealingSecret({ passphraseFile: unreadable }, {}), (err) => {
        sealedError(err, /EACCES/, unreadable);
        assertNoSecrets(err, ["a secret nobody may read"]);
        return true;
      });
    }
    mkdirSync(join(dir, "a-directory"));
    assert.throws(() => readSealingSecret({ passphraseFile: join(dir, "a-directory") }, {}), /cannot read sealing passphrase file/);
  });
});
