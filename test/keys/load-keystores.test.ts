import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { inspect, promisify } from "node:util";
import { KeystoreLoadError } from "../../src/keys/keystore-errors.js";
import { loadKeystores, type KeyLoadLogger } from "../../src/keys/load-keystores.js";
import { cheapKeystore, hex, keystoreName, removeLayout, tempLayout, testKey, writeKeystore, type Layout } from "./fixtures.js";

async function withLayout(t: { after(fn: () => Promise<void>): void }): Promise<Layout> {
  const layout = await tempLayout();
  t.after(() => removeLayout(layout));
  return layout;
}

function loadError(err: unknown): KeystoreLoadError {
  assert.ok(err instanceof KeystoreLoadError, `expected KeystoreLoadError, got ${inspect(err)}`);
  return err;
}

/** Everything an operator or a log pipeline could ever see of an error. */
function visibleText(err: KeystoreLoadError): string {
  return [err.message, err.stack, inspect(err, { depth: 5 }), JSON.stringify(err.failures)].join("\n");
}

test("40 keystores load in parallel, in file order, with secrets matching their pubkeys", async (t) => {
  const layout = await withLayout(t);
  const keys = Array.from({ length: 40 }, (_, i) => testKey(100 + i));
  await Promise.all(
    keys.map(async (key, i) => writeKeystore(layout, keystoreName(i), await cheapKeystore(key, `password-${i}`), `password-${i}`)),
  );

  const loaded = await loadKeystores({ keystoresDir: layout.keystores, passwordsDir: layout.passwords, workers: 2 });

  assert.equal(loaded.length, 40);
  const expected = keys.map((key, i) => ({ name: keystoreName(i), key })).sort((a, b) => (a.name < b.name ? -1 : 1));
  loaded.forEach((entry, i) => {
    const { name, key } = expected[i]!;
    assert.equal(entry.path, join(layout.keystores, name));
    assert.equal(entry.pubkey, key.pubkey);
    assert.match(entry.pubkey, /^0x[0-9a-f]{96}$/);
    assert.ok(entry.secretKey instanceof Uint8Array);
    assert.equal(entry.secretKey.length, 32);
    assert.equal(hex(entry.secretKey), hex(key.secretKey));
  });
});

test("a wrong password names the file and never the password", async (t) => {
  const layout = await withLayout(t);
  const good = "correct-horse-battery-staple";
  const wrong = "Tr0ub4dor&3-wrong-guess";
  await writeKeystore(layout, keystoreName(0), await cheapKeystore(testKey(1), good), good);
  const bad = await writeKeystore(layout, keystoreName(1), await cheapKeystore(testKey(2), good), wrong);

  await assert.rejects(loadKeystores({ keystoresDir: layout.keystores, passwordsDir: layout.passwords }), (err) => {
    const error = loadError(err);
    assert.equal(error.failures.length, 1);
    assert.equal(error.failures[0]?.file, bad);
    assert.equal(error.failures[0]?.code, "wrong-password");
    assert.ok(error.message.includes(bad));
    assert.match(error.message, /wrong password/);
    assert.match(error.message, /no keys were loaded/);
    const text = visibleText(error);
    assert.ok(!text.includes(wrong), "error exposes the wrong password");
    assert.ok(!text.includes(good), "error exposes the right password");
    assert.ok(!text.includes(hex(testKey(1).secretKey).slice(2)), "error exposes a secret");
    return true;
  });
});

test("a missing password file fails the load and names the keystore", async (t) => {
  const layout = await withLayout(t);
  await writeKeystore(layout, keystoreName(0), await cheapKeystore(testKey(1), "pw"), "pw");
  const orphan = await writeKeystore(layout, keystoreName(1), await cheapKeystore(testKey(2), "pw"));

  await assert.rejects(loadKeystores({ keystoresDir: layout.keystores, passwordsDir: layout.passwords }), (err) => {
    const error = loadError(err);
    assert.deepEqual(
      error.failures.map((f) => [f.file, f.code]),
      [[orphan, "missing-password"]],
    );
    assert.match(error.message, /password file not found/);
    return true;
  });
});

test("a malformed keystore JSON fails the load with its position", async (t) => {
  const layout = await withLayout(t);
  await writeKeystore(layout, keystoreName(0), await cheapKeystore(testKey(1), "pw"), "pw");
  const broken = join(layout.keystores, keystoreName(1));
  await writeFile(broken, '{"crypto": {"kdf": }');
  await writeFile(join(layout.passwords, keystoreName(1).replace(".json", ".txt")), "pw");

  await assert.rejects(loadKeystores({ keystoresDir: layout.keystores, passwordsDir: layout.passwords }), (err) => {
    const error = loadError(err);
    assert.equal(error.failures.length, 1);
    assert.equal(error.failures[0]?.file, broken);
    assert.match(error.message, /malformed JSON at line 1 column \d+/);
    return true;
  });
});

test("a keystore whose pubkey field does not match its secret is refused", async (t) => {
  const layout = await withLayout(t);
  const liar = await writeKeystore(layout, keystoreName(0), await cheapKeystore(testKey(1), "pw", testKey(2).pubkey), "pw");

  await assert.rejects(loadKeystores({ keystoresDir: layout.keystores, passwordsDir: layout.passwords }), (err) => {
    const error = loadError(err);
    assert.equal(error.failures[0]?.file, liar);
    assert.equal(error.failures[0]?.code, "pubkey-mismatch");
    assert.match(error.message, /pubkey does not match secret/);
    assert.ok(!visibleText(error).includes(hex(testKey(1).secretKey).slice(2)));
    return true;
  });
});

test("a secret that is not a BLS key, and KDF parameters Node refuses, fail with their reasons", async (t) => {
  const layout = await withLayout(t);
  const notAKey = await cheapKeystore({ secretKey: new Uint8Array(32).fill(0xff), pubkey: testKey(1).pubkey }, "pw");
  const notKeyPath = await writeKeystore(layout, keystoreName(0), notAKey, "pw");
  // n must be a power of two; the library passes it straight to Node, which refuses it.
  const badScrypt = await cheapKeystore(testKey(2), "pw");
  badScrypt.crypto.kdf = { function: "scrypt", params: { dklen: 32, n: 3, r: 8, p: 1, salt: "00".repeat(32) }, message: "" };
  const badScryptPath = await writeKeystore(layout, keystoreName(1), badScrypt, "pw");

  await assert.rejects(loadKeystores({ keystoresDir: layout.keystores, passwordsDir: layout.passwords }), (err) => {
    const error = loadError(err);
    assert.deepEqual(
      error.failures.map((f) => [f.file, f.code]),
      [
        [notKeyPath, "invalid-secret"],
        [badScryptPath, "decrypt-failed"],
      ],
    );
    assert.match(error.message, /not a valid BLS secret key/);
    assert.match(error.message, /decryption failed \(ERR_CRYPTO_INVALID_SCRYPT_PARAMS/);
    return true;
  });
});

test("a keystore without a pubkey field loads with the derived pubkey", async (t) => {
  const layout = await withLayout(t);
  const { pubkey: _omitted, ...keystore } = await cheapKeystore(testKey(3), "pw");
  await writeFile(join(layout.keystores, keystoreName(0)), JSON.stringify(keystore));
  await writeFile(join(layout.passwords, keystoreName(0).replace(".json", ".txt")), "pw");

  const [loaded] = await loadKeystores({ keystoresDir: layout.keystores, passwordsDir: layout.passwords });
  assert.equal(loaded?.pubkey, testKey(3).pubkey);
});

test("the same key in two files is an error naming both", async (t) => {
  const layout = await withLayout(t);
  const first = await writeKeystore(layout, keystoreName(0), await cheapKeystore(testKey(5), "one"), "one");
  const second = await writeKeystore(layout, keystoreName(1), await cheapKeystore(testKey(5), "two"), "two");

  await assert.rejects(loadKeystores({ keystoresDir: layout.keystores, passwordsDir: layout.passwords }), (err) => {
    const error = loadError(err);
    assert.equal(error.failures.length, 1);
    assert.equal(error.failures[0]?.code, "duplicate-pubkey");
    assert.ok(error.message.includes(first));
    assert.ok(error.message.includes(second));
    assert.ok(error.message.includes(testKey(5).pubkey));
    return true;
  });
});

test("every failed file is listed, and nothing is returned", async (t) => {
  const layout = await withLayout(t);
  await writeKeystore(layout, keystoreName(0), await cheapKeystore(testKey(1), "pw"), "pw");
  const wrong = await writeKeystore(layout, keystoreName(1), await cheapKeystore(testKey(2), "pw"), "nope");
  const orphan = await writeKeystore(layout, keystoreName(2), await cheapKeystore(testKey(3), "pw"));
  const broken = join(layout.keystores, keystoreName(3));
  await writeFile(broken, "{");

  await assert.rejects(loadKeystores({ keystoresDir: layout.keystores, passwordsDir: layout.passwords }), (err) => {
    const error = loadError(err);
    assert.deepEqual(
      error.failures.map((f) => [f.file, f.code]),
      [
        [wrong, "wrong-password"],
        [orphan, "missing-password"],
        [broken, "malformed-json"],
      ],
    );
    assert.match(error.message, /failed to load 3 of 4 keystore/);
    return true;
  });
});

test("single password-file mode uses one password for every keystore", async (t) => {
  const layout = await withLayout(t);
  const password = "one password for all";
  const passwordFile = join(layout.root, "password.txt");
  await writeFile(passwordFile, `${password}\n`);
  for (let i = 0; i < 5; i++) await writeKeystore(layout, keystoreName(i), await cheapKeystore(testKey(20 + i), password));

  const loaded = await loadKeystores({ keystoresDir: layout.keystores, passwordFile });

  assert.deepEqual(
    loaded.map((k) => k.pubkey).sort(),
    Array.from({ length: 5 }, (_, i) => testKey(20 + i).pubkey).sort(),
  );
});

test("non-keystore JSON such as deposit data is skipped with a logged reason", async (t) => {
  const layout = await withLayout(t);
  await writeKeystore(layout, keystoreName(0), await cheapKeystore(testKey(1), "pw"), "pw");
  const deposit = join(layout.keystores, "deposit_data-1700000000.json");
  await writeFile(deposit, JSON.stringify([{ pubkey: testKey(1).pubkey.slice(2), amount: 32000000000 }]));
  const warnings: Array<{ file: string; reason: string }> = [];
  const logger: KeyLoadLogger = {
    info() {},
    warn(obj) {
      warnings.push(obj as { file: string; reason: string });
    },
  };

  const loaded = await loadKeystores({ keystoresDir: layout.keystores, passwordsDir: layout.passwords, logger });

  assert.equal(loaded.length, 1);
  assert.equal(warnings.length, 1);
  assert.equal(warnings[0]?.file, deposit);
  assert.match(warnings[0]?.reason ?? "", /not an EIP-2335 keystore/);
});

test("an empty directory loads no keys", async (t) => {
  const layout = await withLayout(t);
  assert.deepEqual(await loadKeystores({ keystoresDir: layout.keystores, passwordsDir: layout.passwords }), []);
});

test("exactly one password source is required", async () => {
  await assert.rejects(loadKeystores({ keystoresDir: "/nowhere" }), TypeError);
  await assert.rejects(loadKeystores({ keystoresDir: "/nowhere", passwordsDir: "/a", passwordFile: "/b" }), TypeError);
});

test("a process that loads keystores exits on its own, after success and after failure", async (t) => {
  const layout = await withLayout(t);
  await writeKeystore(layout, keystoreName(0), await cheapKeystore(testKey(1), "pw"), "pw");
  await writeKeystore(layout, keystoreName(1), await cheapKeystore(testKey(2), "pw"), "pw");
  const moduleUrl = new URL("../../src/keys/load-keystores.js", import.meta.url).href;
  const script = (passwordsDir: string) => `
    const { loadKeystores } = await import(${JSON.stringify(moduleUrl)});
    try {
      const keys = await loadKeystores({ keystoresDir: ${JSON.stringify(layout.keystores)}, passwordsDir: ${JSON.stringify(passwordsDir)}, workers: 2 });
      console.log("loaded", keys.length);
    } catch (err) {
      console.log("failed", err.failures.length);
    }`;
  const run = promisify(execFile);
  const options = { timeout: 20_000, cwd: fileURLToPath(new URL("../../..", import.meta.url)) };

  const ok = await run(process.execPath, ["--input-type=module", "-e", script(layout.passwords)], options);
  assert.equal(ok.stdout.trim(), "loaded 2");
  const failed = await run(process.execPath, ["--input-type=module", "-e", script(layout.root)], options);
  assert.equal(failed.stdout.trim(), "failed 2");
});
