/**
 * End-to-end: `bulwark keys import | list | delete` and `bulwark serve` on the sealed key store, as
 * real child processes (`node bin/bulwark.js ...`), with the sealing passphrase from
 * BULWARK_SEALING_PASSPHRASE or --sealing-passphrase-file.
 */
import assert from "node:assert/strict";
import { existsSync, statSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { tempDir } from "../helpers/temp.js";
import { cheapKeystore, hex, keystoreName, type Layout, testKey, type TestKey, writeKeystore } from "../keys/fixtures.js";
import { writeSealedFile } from "../keys/sealed-store-helpers.js";
import { apiTokenHeader, type Bulwark, getJson, request, runBulwark, startBulwark } from "./harness.js";
import { attestation, network, root, signatureOf, verifies } from "./requests.js";

const MAINNET = network("mainnet");
const THREADS = ["--signing-threads", "1"];
const PASSPHRASE = "e2e sealing passphrase 81f3";
const WRONG_PASSPHRASE = "e2e wrong passphrase 22c9";
const ENV = { BULWARK_SEALING_PASSPHRASE: PASSPHRASE };

const servers = new Set<Bulwark>();
const cleanups: Array<() => void> = [];
after(async () => {
  await Promise.all([...servers].map((server) => server.stop("SIGKILL")));
  for (const cleanup of cleanups) cleanup();
});

function scratch(): string {
  const dir = tempDir("bulwark-e2e-keys-");
  cleanups.push(dir.cleanup);
  return dir.path;
}

async function serve(args: string[], env: Record<string, string> = ENV): Promise<Bulwark> {
  const server = await startBulwark(["serve", "--network", "mainnet", "--http-port", "0", ...THREADS, ...args], { env });
  servers.add(server);
  void server.exited.then(() => servers.delete(server));
  return server;
}

async function layoutWith(keys: TestKey[]): Promise<Layout> {
  const rootDir = scratch();
  const layout = { root: rootDir, keystores: join(rootDir, "validator_keys"), passwords: join(rootDir, "secrets") };
  await mkdir(layout.keystores, { recursive: true });
  await mkdir(layout.passwords, { recursive: true });
  for (const [i, key] of keys.entries()) {
    await writeKeystore(layout, keystoreName(i), await cheapKeystore(key, `keystore-password-${i}`), `keystore-password-${i}`);
  }
  return layout;
}

async function passphraseFile(text = `${PASSPHRASE}\n`): Promise<string> {
  const file = join(scratch(), "sealing-passphrase.txt");
  await writeFile(file, text, { mode: 0o600 });
  return file;
}

/** A data dir whose sealed store (cheap KDF, see sealed-store-helpers.ts) already holds `keys`. */
function seededDataDir(keys: TestKey[]): string {
  const dataDir = join(scratch(), "data");
  writeSealedFile(dataDir, PASSPHRASE, keys);
  return dataDir;
}

async function publicKeys(server: Bulwark): Promise<string[]> {
  const { status, json } = await getJson(`${server.url}/api/v1/eth2/publicKeys`);
  assert.equal(status, 200);
  return [...(json as string[])].sort();
}

function sorted(keys: TestKey[]): string[] {
  return keys.map((k) => k.pubkey.toLowerCase()).sort();
}

function assertNoSecrets(text: string, keys: TestKey[] = []): void {
  for (const secret of [PASSPHRASE, WRONG_PASSPHRASE, ...keys.map((k) => hex(k.secretKey).slice(2))]) {
    assert.ok(!text.includes(secret), `output leaks a secret (${secret.slice(0, 6)}...):\n${text}`);
  }
}

interface Interchange {
  metadata: { genesis_validators_root: string };
  data: Array<{ pubkey: string; signed_attestations: Array<{ source_epoch: string; target_epoch: string; signing_root?: string }> }>;
}

describe("bulwark keys import / list / delete and serve on the sealed store (real processes)", () => {
  test("keys import (new store, real KDF) then keys list; a second import adds nothing; wrong or missing secret refused", async () => {
    const keys = [testKey(601), testKey(602), testKey(603)];
    const layout = await layoutWith(keys);
    const dataDir = join(scratch(), "data");

    const imported = await runBulwark(
      ["keys", "import", "--data-dir", dataDir, "--keystores", layout.keystores, "--keystores-passwords", layout.passwords],
      { env: ENV },
    );
    assert.equal(imported.code, 0, imported.stderr);
    const sealedFile = join(dataDir, "sealed-keys.json");
    assert.match(imported.stderr, /imported 3 keys/);
    assert.ok(imported.stderr.includes(sealedFile), imported.stderr);
    assert.equal(statSync(sealedFile).mode & 0o777, 0o600);
    assertNoSecrets(imported.stdout + imported.stderr, keys);

    const file = await passphraseFile();
    const list = await runBulwark(["keys", "list", "--data-dir", dataDir, "--sealing-passphrase-file", file]);
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual(list.stdout.trim().split("\n").sort(), sorted(keys));

    const again = await runBulwark(
      ["keys", "import", "--data-dir", dataDir, "--keystores", layout.keystores, "--keystores-passwords", layout.passwords, "--sealing-passphrase-file", file],
    );
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /imported 0 keys .*3 already there/);

    const wrong = await runBulwark(["keys", "list", "--data-dir", dataDir], { env: { BULWARK_SEALING_PASSPHRASE: WRONG_PASSPHRASE } });
    assert.notEqual(wrong.code, 0);
    assert.ok(wrong.stderr.includes(sealedFile), wrong.stderr);
    assert.match(wrong.stderr, /wrong sealing secret/);
    assert.equal(wrong.stdout, "", "no key listed with a wrong secret");
    assertNoSecrets(wrong.stdout + wrong.stderr, keys);

    const missing = await runBulwark(["keys", "list", "--data-dir", dataDir]);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /no sealing secret.*BULWARK_SEALING_PASSPHRASE/);
  });

  test("serve --data-dir D without --keystores unseals the store and signs with its keys", async () => {
    const keys = [testKey(611), testKey(612)];
    const dataDir = seededDataDir(keys);
    const server = await serve(["--data-dir", dataDir, "--sealing-passphrase-file", await passphraseFile()], {});
    assert.deepEqual(await publicKeys(server), sorted(keys));
    const unsealed = server.logs().find((line) => line.msg === "sealed key store unsealed");
    assert.ok(unsealed, server.stdout());
    assert.equal(unsealed.keys, 2);

    const vote = attestation(MAINNET, { source: 5, target: 6, blockRoot: root(0x42) });
    for (const key of keys) {
      const res = await request(`${server.url}/api/v1/eth2/sign/${key.pubkey}`, { body: vote.body });
      assert.equal(res.status, 200, res.body);
      assert.ok(verifies(key.pubkey, vote.signingRoot, signatureOf(res.body)));
    }
    assertNoSecrets(server.stdout() + server.stderr(), keys);
    assert.equal((await server.stop()).code, 0);
  });

  test("serve with a wrong or missing sealing secret exits non-zero, naming the store file", async () => {
    const keys = [testKey(621)];
    const dataDir = seededDataDir(keys);
    const sealedFile = join(dataDir, "sealed-keys.json");

    const wrong = await runBulwark(["serve", "--network", "mainnet", "--http-port", "0", ...THREADS, "--data-dir", dataDir], {
      env: { BULWARK_SEALING_PASSPHRASE: WRONG_PASSPHRASE },
    });
    assert.notEqual(wrong.code, 0, wrong.stdout);
    assert.match(wrong.stderr, /wrong sealing secret/);
    assert.ok(wrong.stderr.includes(sealedFile), wrong.stderr);
    assert.ok(!wrong.stdout.includes("bulwark signer ready"));
    assertNoSecrets(wrong.stdout + wrong.stderr, keys);

    const missing = await runBulwark(["serve", "--network", "mainnet", "--http-port", "0", ...THREADS, "--data-dir", dataDir]);
    assert.notEqual(missing.code, 0, missing.stdout);
    assert.match(missing.stderr, /no sealing secret/);
    assert.ok(!missing.stdout.includes("bulwark signer ready"), "a sealed store that cannot be opened must stop start-up");
  });

  test("keys delete (signer stopped) writes the key's history signed through serve and removes it; the next start lacks it", async () => {
    const [gone, kept] = [testKey(631), testKey(632)];
    const dataDir = seededDataDir([gone, kept]);
    const server = await serve(["--data-dir", dataDir]);
    const vote = attestation(MAINNET, { source: 7, target: 8, blockRoot: root(0x51) });
    const signed = await request(`${server.url}/api/v1/eth2/sign/${gone.pubkey}`, { body: vote.body });
    assert.equal(signed.status, 200, signed.body);
    assert.equal((await server.stop()).code, 0);

    const out = join(scratch(), "deleted-history.json");
    const unknown = testKey(639).pubkey;
    const refused = await runBulwark(
      ["keys", "delete", "--data-dir", dataDir, "--network", "mainnet", "--pubkey", gone.pubkey, "--pubkey", unknown, "--protection-out", out],
      { env: ENV },
    );
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /not in the sealed key store.*nothing deleted/);
    assert.ok(refused.stderr.includes(unknown.toLowerCase()), refused.stderr);
    assert.equal(existsSync(out), false, "no history file when nothing is deleted");

    const deleted = await runBulwark(
      ["keys", "delete", "--data-dir", dataDir, "--network", "mainnet", "--pubkey", gone.pubkey, "--protection-out", out],
      { env: ENV },
    );
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.match(deleted.stderr, /deleted 1 keys/);
    assert.equal(statSync(out).mode & 0o777, 0o600);
    const history = JSON.parse(await readFile(out, "utf8")) as Interchange;
    assert.equal(history.metadata.genesis_validators_root, MAINNET.genesisValidatorsRoot);
    assert.deepEqual(history.data.map((v) => v.pubkey.toLowerCase()), [gone.pubkey.toLowerCase()]);
    assert.deepEqual(history.data[0]!.signed_attestations, [
      { source_epoch: "7", target_epoch: "8", signing_root: hex(vote.signingRoot) },
    ]);

    const list = await runBulwark(["keys", "list", "--data-dir", dataDir], { env: ENV });
    assert.deepEqual(list.stdout.trim().split("\n"), [kept.pubkey.toLowerCase()]);

    const again = await runBulwark(
      ["keys", "delete", "--data-dir", dataDir, "--network", "mainnet", "--pubkey", kept.pubkey, "--protection-out", out],
      { env: ENV },
    );
    assert.notEqual(again.code, 0, "an existing --protection-out file is never overwritten");
    assert.match(again.stderr, /already exists/);

    const restarted = await serve(["--data-dir", dataDir]);
    assert.deepEqual(await publicKeys(restarted), [kept.pubkey.toLowerCase()]);
    const next = attestation(MAINNET, { source: 8, target: 9, blockRoot: root(0x52) });
    const after = await request(`${restarted.url}/api/v1/eth2/sign/${gone.pubkey}`, { body: next.body });
    assert.equal(after.status, 404, after.body);
    const stillSigns = await request(`${restarted.url}/api/v1/eth2/sign/${kept.pubkey}`, { body: next.body });
    assert.equal(stillSigns.status, 200, stillSigns.body);
  });

  test(
    "keys delete while serve runs is refused (the signer would keep signing), pointing to the keymanager API; nothing is deleted",
    async () => {
      const key = testKey(641);
      const dataDir = seededDataDir([key]);
      const server = await serve(["--data-dir", dataDir]);
      const out = join(scratch(), "history.json");
      const deleted = await runBulwark(
        ["keys", "delete", "--data-dir", dataDir, "--network", "mainnet", "--pubkey", key.pubkey, "--protection-out", out],
        { env: ENV },
      );
      assert.notEqual(deleted.code, 0);
      assert.match(deleted.stderr, /signer \(pid \d+\) is running/);
      assert.match(deleted.stderr, /DELETE \/eth\/v1\/keystores/);
      assert.equal(existsSync(out), false);
      // Still there and still signing.
      assert.deepEqual(await publicKeys(server), [key.pubkey.toLowerCase()]);
      const vote = attestation(MAINNET, { source: 3, target: 4, blockRoot: root(0x61) });
      const res = await request(`${server.url}/api/v1/eth2/sign/${key.pubkey}`, { body: vote.body });
      assert.equal(res.status, 200, res.body);
    },
  );

  test(
    "keys import into the data dir of a signer started before the store existed: POST /reload picks the keys up, as the command says",
    async () => {
      const key = testKey(661);
      const layout = await layoutWith([key]);
      const dataDir = join(scratch(), "data");
      const server = await serve(["--data-dir", dataDir]);
      const imported = await runBulwark(
        ["keys", "import", "--data-dir", dataDir, "--keystores", layout.keystores, "--keystores-passwords", layout.passwords],
        { env: ENV },
      );
      assert.equal(imported.code, 0, imported.stderr);
      assert.match(imported.stderr, /picks them up on POST \/reload/);
      const reload = await request(`${server.url}/reload`, { method: "POST", headers: apiTokenHeader(dataDir) });
      assert.equal(reload.status, 200, reload.body);
      assert.deepEqual(await publicKeys(server), [key.pubkey.toLowerCase()]);
    },
  );

  test("--keymanager creates DATA_DIR/api-token.txt (0600); the API needs it; keys it imports are seen by keys list and a restart", async () => {
    const dataDir = join(scratch(), "data");
    const key = testKey(651);
    const server = await serve(["--data-dir", dataDir, "--keymanager"]);
    const tokenFile = join(dataDir, "api-token.txt");
    assert.equal(statSync(tokenFile).mode & 0o777, 0o600);
    const token = (await readFile(tokenFile, "utf8")).trim();
    assert.ok(token.length >= 32, `token too short: ${token.length}`);
    const logged = server.logs().find((line) => String(line.msg).startsWith("keymanager API enabled"));
    assert.ok(logged, server.stdout());
    assert.equal(logged.tokenFile, tokenFile);
    assert.equal(logged.created, true);
    assert.ok(!server.stdout().includes(token), "the token itself is never logged");
    assert.equal(statSync(join(dataDir, "sealed-keys.json")).mode & 0o777, 0o600, "--keymanager creates the sealed store");

    const url = `${server.url}/eth/v1/keystores`;
    assert.equal((await request(url)).status, 401);
    assert.equal((await request(url, { headers: { authorization: "Bearer not-the-token-000000000000" } })).status, 401);
    const empty = await getJson(url, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(empty.status, 200);
    assert.deepEqual(empty.json, { data: [] });

    const keystore = JSON.stringify(await cheapKeystore(key, "api-password-1"));
    const unauthorized = await request(url, { body: { keystores: [keystore], passwords: ["api-password-1"] } });
    assert.equal(unauthorized.status, 401);
    const imported = await getJson(url, { headers: { authorization: `Bearer ${token}` }, body: { keystores: [keystore], passwords: ["api-password-1"] } });
    assert.equal(imported.status, 200);
    assert.deepEqual((imported.json as { data: Array<{ status: string }> }).data.map((s) => s.status), ["imported"]);
    assert.ok(!server.stdout().includes("api-password-1"));
    assert.equal((await server.stop()).code, 0);

    const list = await runBulwark(["keys", "list", "--data-dir", dataDir], { env: ENV });
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual(list.stdout.trim().split("\n"), [key.pubkey.toLowerCase()]);

    const restarted = await serve(["--data-dir", dataDir, "--keymanager"]);
    assert.equal((await readFile(tokenFile, "utf8")).trim(), token, "the token file is reused");
    assert.equal(restarted.logs().find((line) => String(line.msg).startsWith("keymanager API enabled"))?.created, false);
    const listed = await getJson(url.replace(server.url, restarted.url), { headers: { authorization: `Bearer ${token}` } });
    assert.deepEqual(listed.json, { data: [{ validating_pubkey: key.pubkey.toLowerCase(), readonly: false }] });
    const vote = attestation(MAINNET, { source: 1, target: 2, blockRoot: root(0x71) });
    const res = await request(`${restarted.url}/api/v1/eth2/sign/${key.pubkey}`, { body: vote.body });
    assert.equal(res.status, 200, res.body);
    assert.ok(verifies(key.pubkey, vote.signingRoot, signatureOf(res.body)));
  });

  test("--keymanager without a sealing secret refuses to start", async () => {
    const result = await runBulwark(["serve", "--network", "mainnet", "--http-port", "0", ...THREADS, "--data-dir", join(scratch(), "data"), "--keymanager"]);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /no sealing secret/);
    assert.ok(!result.stdout.includes("bulwark signer ready"));
  });
});
