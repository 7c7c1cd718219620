import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { KeystoreFileError, KeystoreLoadError } from "../../src/keys/keystore-errors.js";
import {
  discoverKeystores,
  passwordFileFor,
  readPasswordFile,
  resolvePasswords,
  trimTrailingNewline,
} from "../../src/keys/keystore-files.js";
import { cheapKeystore, keystoreName, removeLayout, tempLayout, testKey, writeKeystore } from "./fixtures.js";

test("password file is the keystore's base name with .txt", () => {
  assert.equal(
    passwordFileFor("/keys/keystore-m_12381_3600_0_0_0-1.json", "/secrets"),
    join("/secrets", "keystore-m_12381_3600_0_0_0-1.txt"),
  );
});

test("only one trailing newline is trimmed from a password", () => {
  assert.equal(trimTrailingNewline("pw\n"), "pw");
  assert.equal(trimTrailingNewline("pw\r\n"), "pw");
  assert.equal(trimTrailingNewline("pw\n\n"), "pw\n");
  assert.equal(trimTrailingNewline(" pw "), " pw ");
  assert.equal(trimTrailingNewline("pw"), "pw");
  assert.equal(trimTrailingNewline(""), "");
});

test("discovery sorts keystores, skips other JSON with a reason, and fails broken files", async (t) => {
  const layout = await tempLayout();
  t.after(() => removeLayout(layout));
  const keystore = await cheapKeystore(testKey(1), "pw");
  await writeKeystore(layout, keystoreName(1), keystore);
  await writeKeystore(layout, keystoreName(0), await cheapKeystore(testKey(0), "pw"));
  await writeFile(join(layout.keystores, "deposit_data-1700000000.json"), JSON.stringify([{ pubkey: "aa" }]));
  await writeFile(join(layout.keystores, "eth1.json"), JSON.stringify({ crypto: {}, version: 3 }));
  await writeFile(join(layout.keystores, "config.json"), JSON.stringify({ network: "mainnet" }));
  await writeFile(join(layout.keystores, "README.txt"), "not json at all");
  await mkdir(join(layout.keystores, "subdir.json"));
  await writeFile(join(layout.keystores, "broken.json"), '{\n  "crypto": {,\n}');
  const { cipher: _omitted, ...cryptoWithoutCipher } = keystore.crypto;
  await writeFile(join(layout.keystores, "no-cipher.json"), JSON.stringify({ ...keystore, crypto: cryptoWithoutCipher }));

  const found = await discoverKeystores(layout.keystores);

  assert.deepEqual(
    found.keystores.map((k) => k.path),
    [join(layout.keystores, keystoreName(0)), join(layout.keystores, keystoreName(1))],
  );
  assert.deepEqual(found.keystores[1]?.keystore, JSON.parse(JSON.stringify(keystore)));
  const skipped = new Map(found.skipped.map((s) => [s.path, s.reason]));
  assert.equal(skipped.size, 3);
  assert.match(skipped.get(join(layout.keystores, "deposit_data-1700000000.json")) ?? "", /not an EIP-2335 keystore \(a JSON array/);
  assert.match(skipped.get(join(layout.keystores, "eth1.json")) ?? "", /version 3/);
  assert.match(skipped.get(join(layout.keystores, "config.json")) ?? "", /no crypto field/);

  const failures = new Map(found.failures.map((f) => [f.file, f]));
  assert.equal(failures.size, 2);
  const broken = failures.get(join(layout.keystores, "broken.json"));
  assert.equal(broken?.code, "malformed-json");
  assert.match(broken?.reason ?? "", /^malformed JSON at line 2 column 14/);
  const noCipher = failures.get(join(layout.keystores, "no-cipher.json"));
  assert.equal(noCipher?.code, "invalid-keystore");
  assert.match(noCipher?.reason ?? "", /cipher/);
});

test("malformed JSON is located at the end of a truncated file", async (t) => {
  const layout = await tempLayout();
  t.after(() => removeLayout(layout));
  await writeFile(join(layout.keystores, "truncated.json"), '{\n"crypto":');
  const { failures } = await discoverKeystores(layout.keystores);
  assert.equal(failures.length, 1);
  assert.match(failures[0]?.message ?? "", /truncated\.json: malformed JSON at line 2 column 10/);
});

test("a missing keystores directory is a load error naming it", async (t) => {
  const layout = await tempLayout();
  t.after(() => removeLayout(layout));
  const missing = join(layout.root, "nope");
  await assert.rejects(discoverKeystores(missing), (err: unknown) => {
    assert.ok(err instanceof KeystoreLoadError);
    assert.equal(err.failures[0]?.file, missing);
    assert.match(err.message, /ENOENT/);
    return true;
  });
});

test("a missing password file fails its keystore and names both files", async (t) => {
  const layout = await tempLayout();
  t.after(() => removeLayout(layout));
  const withPassword = await writeKeystore(layout, keystoreName(0), await cheapKeystore(testKey(0), "a"), "secret-a");
  const without = await writeKeystore(layout, keystoreName(1), await cheapKeystore(testKey(1), "b"));

  const [first, second] = await resolvePasswords([withPassword, without], { passwordsDir: layout.passwords });

  assert.deepEqual(first, { ok: true, password: "secret-a" });
  assert.ok(second && !second.ok);
  assert.ok(second.error instanceof KeystoreFileError);
  assert.equal(second.error.file, without);
  assert.equal(second.error.code, "missing-password");
  assert.ok(second.error.message.includes(without));
  assert.ok(second.error.message.includes(passwordFileFor(without, layout.passwords)));
});

test("a single password file applies to every keystore; a missing one fails the load", async (t) => {
  const layout = await tempLayout();
  t.after(() => removeLayout(layout));
  const file = join(layout.root, "password.txt");
  await writeFile(file, "shared pass\r\n");
  const results = await resolvePasswords(["/k/a.json", "/k/b.json"], { passwordFile: file });
  assert.deepEqual(results, [
    { ok: true, password: "shared pass" },
    { ok: true, password: "shared pass" },
  ]);

  const missing = join(layout.root, "missing.txt");
  await assert.rejects(resolvePasswords(["/k/a.json"], { passwordFile: missing }), (err: unknown) => {
    assert.ok(err instanceof KeystoreLoadError);
    assert.equal(err.failures[0]?.file, missing);
    assert.match(err.message, /password file not found/);
    return true;
  });
});

test("a password file that is not UTF-8 is refused rather than mangled", async (t) => {
  const layout = await tempLayout();
  t.after(() => removeLayout(layout));
  const file = join(layout.root, "latin1.txt");
  await writeFile(file, Buffer.from([0x70, 0xe9, 0x0a]));
  await assert.rejects(readPasswordFile(file), /not valid UTF-8/);
});
