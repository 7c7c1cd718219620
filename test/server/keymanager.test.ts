/**
 * The keymanager API (/eth/v1/keystores) in-process over real HTTP, spoken to with Lodestar's own
 * keymanager client (@lodestar/api/keymanager), with keys kept in a sealed store in a temp dir.
 */
import assert from "node:assert/strict";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { PublicKey, Signature, verify } from "@chainsafe/blst";
import { SealedKeyStore, SealedStoreError } from "../../src/keys/sealed-store.js";
import { fromHex } from "../eth/helpers.js";
import { tempDir } from "../helpers/temp.js";
import { cheapKeystore, hex, testKey, type TestKey } from "../keys/fixtures.js";
import { attestationCase } from "./cases.js";
import { type InterchangeDoc, interchange, type KeymanagerSigner, MAINNET, startKeymanagerSigner } from "./keymanager-harness.js";

const SECRET = "keymanager test sealing passphrase";
const PASSWORD = "keystore-password-Zq81";
const WRONG_PASSWORD = "not-the-password-Yx42";

const cleanups: Array<() => Promise<void> | void> = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

function scratch(): string {
  const dir = tempDir("bulwark-keymanager-test-");
  cleanups.push(dir.cleanup);
  return dir.path;
}

/** Every signer started is checked at the end: no password or secret key in any log line. */
const started: Array<{ signer: KeymanagerSigner; secrets: string[] }> = [];
let nextSeed = 1;

async function start(options: { dataDir?: string; secret?: string | null; token?: string } = {}): Promise<KeymanagerSigner> {
  const signer = await startKeymanagerSigner({
    dataDir: options.dataDir ?? scratch(),
    ...(options.secret === null ? {} : { secret: options.secret ?? SECRET }),
    ...(options.token !== undefined ? { token: options.token } : {}),
  });
  cleanups.push(() => signer.close());
  started.push({ signer, secrets: [] });
  return signer;
}

function freshKey(): TestKey {
  const key = testKey(500 + nextSeed++);
  started.at(-1)?.secrets.push(hex(key.secretKey).slice(2));
  return key;
}

async function keystoreJson(key: TestKey, password = PASSWORD): Promise<string> {
  return JSON.stringify(await cheapKeystore(key, password));
}

function verifies(pubkey: string, root: string, signature: string): boolean {
  return verify(fromHex(root), PublicKey.fromHex(pubkey), Signature.fromHex(signature), true, true);
}

async function listed(signer: KeymanagerSigner): Promise<Array<{ validatingPubkey: string; readonly?: boolean }>> {
  const res = await signer.client.listKeys();
  assert.equal(res.status, 200);
  return [...res.value()].sort((a, b) => (a.validatingPubkey < b.validatingPubkey ? -1 : 1));
}

function attestationsOf(doc: InterchangeDoc, pubkey: string): Array<[number, number, string | undefined]> {
  const entries = doc.data.filter((v) => v.pubkey.toLowerCase() === pubkey.toLowerCase());
  return entries.flatMap((v) => v.signed_attestations.map((a) => [Number(a.source_epoch), Number(a.target_epoch), a.signing_root] as [number, number, string | undefined]));
}

describe("keymanager API with Lodestar's client", () => {
  after(() => {
    for (const { signer, secrets } of started) {
      const logs = signer.logs();
      for (const needle of [PASSWORD, WRONG_PASSWORD, SECRET, ...secrets]) {
        assert.ok(!logs.includes(needle), `a log line holds a secret (${needle.slice(0, 6)}...)`);
      }
    }
  });

  test("lists no keys, imports two, lists them as deletable, and signs with them at once", async () => {
    const signer = await start();
    assert.deepEqual(await listed(signer), []);
    const keys = [freshKey(), freshKey()];

    const res = await signer.client.importKeystores({ keystores: await Promise.all(keys.map((k) => keystoreJson(k))), passwords: [PASSWORD, PASSWORD] });
    assert.equal(res.status, 200);
    assert.deepEqual(res.value().map((s) => s.status), ["imported", "imported"]);

    const expected = keys.map((k) => k.pubkey.toLowerCase()).sort();
    assert.deepEqual(
      (await listed(signer)).map((k) => [k.validatingPubkey, k.readonly]),
      expected.map((pubkey) => [pubkey, false]),
    );
    const publicKeys = (await (await fetch(`${signer.url}/api/v1/eth2/publicKeys`)).json()) as string[];
    assert.deepEqual([...publicKeys].sort(), expected);

    const vote = attestationCase(3, 4);
    for (const key of keys) {
      const signed = await signer.sign(key.pubkey, vote.body);
      assert.equal(signed.status, 200, JSON.stringify(signed.json));
      assert.ok(verifies(key.pubkey, vote.root, String(signed.json.signature)));
    }

    const sealedFile = join(signer.dataDir, "sealed-keys.json");
    assert.equal(statSync(sealedFile).mode & 0o777, 0o600);
    const text = readFileSync(sealedFile, "utf8");
    for (const key of keys) assert.ok(!text.includes(hex(key.secretKey).slice(2)), "secret key in clear in the sealed store");
    const reopened = await SealedKeyStore.open(signer.dataDir, Buffer.from(SECRET), { create: false });
    assert.deepEqual(reopened.pubkeys().sort(), expected, "imported keys are in the sealed store");
  });

  test("imported slashing protection is enforced on the signing API right after the import", async () => {
    const signer = await start();
    const key = freshKey();
    const signedBefore = attestationCase(10, 20, 1);
    const doc = interchange([{ pubkey: key.pubkey, attestations: [[10, 20, signedBefore.root]], blocks: [[100, "0x" + "11".repeat(32)]] }]);

    const res = await signer.client.importKeystores({
      keystores: [await keystoreJson(key)],
      passwords: [PASSWORD],
      slashingProtection: JSON.stringify(doc),
    });
    assert.equal(res.status, 200);
    assert.deepEqual(res.value().map((s) => s.status), ["imported"]);

    const refusals: Array<[string, ReturnType<typeof attestationCase>]> = [
      ["double vote at target 20", attestationCase(10, 20, 2)],
      ["surrounding 9 -> 21", attestationCase(9, 21)],
      ["surrounded 11 -> 19", attestationCase(11, 19)],
      ["below the imported low watermark", attestationCase(5, 15)],
    ];
    for (const [name, vote] of refusals) {
      const signed = await signer.sign(key.pubkey, vote.body);
      assert.equal(signed.status, 412, `${name}: ${JSON.stringify(signed.json)}`);
      assert.equal(signed.json.signature, undefined);
    }
    const safe = attestationCase(20, 21);
    const signed = await signer.sign(key.pubkey, safe.body);
    assert.equal(signed.status, 200, JSON.stringify(signed.json));
    assert.ok(verifies(key.pubkey, safe.root, String(signed.json.signature)));
  });

  test("slashing protection for another network is refused with 400 and nothing is imported", async () => {
    const signer = await start();
    const key = freshKey();
    const doc = interchange([{ pubkey: key.pubkey, attestations: [[1, 2, "0x" + "22".repeat(32)]] }], "0x" + "ab".repeat(32));
    const res = await signer.client.importKeystores({ keystores: [await keystoreJson(key)], passwords: [PASSWORD], slashingProtection: JSON.stringify(doc) });
    assert.equal(res.status, 400);
    assert.deepEqual(await listed(signer), []);
    assert.equal((await signer.sign(key.pubkey, attestationCase(1, 2).body)).status, 404);
  });

  test("statuses: imported, duplicate (same request and later), error for a wrong password or a bad keystore, without the password", async () => {
    const signer = await start();
    const [a, b, c] = [freshKey(), freshKey(), freshKey()];
    const aJson = await keystoreJson(a);
    const notAKeystore = JSON.stringify({ crypto: {}, version: 4 });
    const res = await signer.client.importKeystores({
      keystores: [aJson, await keystoreJson(b), await keystoreJson(a), notAKeystore, await keystoreJson(c)],
      passwords: [PASSWORD, WRONG_PASSWORD, PASSWORD, PASSWORD, PASSWORD],
    });
    assert.equal(res.status, 200);
    const statuses = res.value();
    assert.deepEqual(statuses.map((s) => s.status), ["imported", "error", "duplicate", "error", "imported"]);
    assert.match(String(statuses[1]!.message), /password/i);
    assert.ok(String(statuses[3]!.message).length > 0, "a bad keystore says why");
    const body = JSON.stringify(statuses);
    assert.ok(!body.includes(WRONG_PASSWORD) && !body.includes(PASSWORD), `a password in the response: ${body}`);

    assert.deepEqual((await listed(signer)).map((k) => k.validatingPubkey), [a.pubkey, c.pubkey].map((p) => p.toLowerCase()).sort());
    assert.equal((await signer.sign(b.pubkey, attestationCase(1, 2).body)).status, 404, "the key with the wrong password is not loaded");

    const again = await signer.client.importKeystores({ keystores: [aJson], passwords: [PASSWORD] });
    assert.deepEqual(again.value().map((s) => s.status), ["duplicate"]);
  });

  test("malformed import bodies are 400", async () => {
    const signer = await start();
    const key = freshKey();
    const post = (body: unknown) =>
      fetch(`${signer.url}/eth/v1/keystores`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${signer.token}` },
        body: JSON.stringify(body),
      });
    assert.equal((await post({ keystores: [await keystoreJson(key)], passwords: [] })).status, 400);
    assert.equal((await post({ keystores: ["{not json"], passwords: [PASSWORD] })).status, 400);
    assert.equal((await post({ keystores: [await keystoreJson(key)], passwords: [PASSWORD], slashing_protection: "{nope" })).status, 400);
    assert.equal((await post({ passwords: [PASSWORD] })).status, 400);
    assert.deepEqual(await listed(signer), []);
  });

  test("a signer without a sealed store cannot import (500 saying why), and lists nothing", async () => {
    const signer = await start({ secret: null });
    const key = freshKey();
    const res = await signer.client.importKeystores({ keystores: [await keystoreJson(key)], passwords: [PASSWORD] });
    assert.equal(res.status, 500);
    assert.match(await res.errorBody(), /sealed key store|sealing secret/);
    assert.deepEqual(await listed(signer), []);
  });

  test("delete returns the key's history, signed through the API included; then not_active; unknown keys not_found", async () => {
    const signer = await start();
    const [key, other] = [freshKey(), freshKey()];
    const unknown = testKey(9_000).pubkey;
    const imported = attestationCase(1, 2, 7);
    await signer.client.importKeystores({
      keystores: [await keystoreJson(key), await keystoreJson(other)],
      passwords: [PASSWORD, PASSWORD],
      slashingProtection: JSON.stringify(interchange([{ pubkey: key.pubkey, attestations: [[1, 2, imported.root]] }])),
    });
    const votes = [attestationCase(2, 3), attestationCase(3, 4), attestationCase(4, 5)];
    for (const vote of votes) assert.equal((await signer.sign(key.pubkey, vote.body)).status, 200);
    assert.equal((await signer.sign(other.pubkey, attestationCase(7, 8).body)).status, 200);

    const res = await signer.client.deleteKeys({ pubkeys: [key.pubkey, unknown] });
    assert.equal(res.status, 200);
    const { statuses, slashingProtection } = res.value();
    assert.deepEqual(statuses.map((s) => s.status), ["deleted", "not_found"]);
    const doc = JSON.parse(slashingProtection as unknown as string) as InterchangeDoc;
    assert.equal(doc.metadata.interchange_format_version, "5");
    assert.equal(doc.metadata.genesis_validators_root, MAINNET.genesisValidatorsRoot);
    assert.deepEqual(doc.data.map((v) => v.pubkey.toLowerCase()), [key.pubkey.toLowerCase()], "only the requested key with history");
    assert.deepEqual(
      attestationsOf(doc, key.pubkey).sort((x, y) => x[1] - y[1]),
      [[1, 2, imported.root], ...votes.map((v, i) => [2 + i, 3 + i, v.root])],
    );

    assert.deepEqual((await listed(signer)).map((k) => k.validatingPubkey), [other.pubkey.toLowerCase()]);
    const after = await signer.sign(key.pubkey, attestationCase(9, 10).body);
    assert.equal(after.status, 404);
    const reopened = await SealedKeyStore.open(signer.dataDir, Buffer.from(SECRET), { create: false });
    assert.deepEqual(reopened.pubkeys(), [other.pubkey.toLowerCase()], "the deleted key is gone from the sealed store");

    const second = await signer.client.deleteKeys({ pubkeys: [key.pubkey] });
    assert.deepEqual(second.value().statuses.map((s) => s.status), ["not_active"]);
    const secondDoc = JSON.parse(second.value().slashingProtection as unknown as string) as InterchangeDoc;
    assert.equal(attestationsOf(secondDoc, key.pubkey).length, 4, "a repeated delete still returns the history");

    const onlyUnknown = await signer.client.deleteKeys({ pubkeys: [unknown] });
    assert.equal(onlyUnknown.status, 200, "DELETE never answers 404");
    assert.deepEqual(onlyUnknown.value().statuses.map((s) => s.status), ["not_found"]);
    assert.deepEqual((JSON.parse(onlyUnknown.value().slashingProtection as unknown as string) as InterchangeDoc).data, []);
  });

  test("a key with imported history that was never loaded is not_active, with its history", async () => {
    const signer = await start();
    const [loaded, historyOnly] = [freshKey(), freshKey()];
    const root = "0x" + "33".repeat(32);
    await signer.client.importKeystores({
      keystores: [await keystoreJson(loaded)],
      passwords: [PASSWORD],
      slashingProtection: JSON.stringify(interchange([{ pubkey: historyOnly.pubkey, attestations: [[5, 6, root]] }])),
    });
    const res = await signer.client.deleteKeys({ pubkeys: [historyOnly.pubkey] });
    assert.deepEqual(res.value().statuses.map((s) => s.status), ["not_active"]);
    const doc = JSON.parse(res.value().slashingProtection as unknown as string) as InterchangeDoc;
    assert.deepEqual(attestationsOf(doc, historyOnly.pubkey), [[5, 6, root]]);
    assert.equal((await listed(signer)).length, 1, "the loaded key is untouched");
  });

  test("a read-only key (loaded from a keystore directory) cannot be deleted and keeps signing", async () => {
    const signer = await start();
    const key = freshKey();
    signer.core.addKeys([{ pubkey: key.pubkey, secretKey: Uint8Array.from(key.secretKey) }]);
    assert.deepEqual((await listed(signer)).map((k) => [k.validatingPubkey, k.readonly]), [[key.pubkey.toLowerCase(), true]]);
    assert.equal((await signer.sign(key.pubkey, attestationCase(1, 2).body)).status, 200);

    const res = await signer.client.deleteKeys({ pubkeys: [key.pubkey] });
    assert.equal(res.status, 200);
    const [status] = res.value().statuses;
    assert.equal(status!.status, "error");
    assert.match(String(status!.message), /read-only/);
    const vote = attestationCase(2, 3);
    const signed = await signer.sign(key.pubkey, vote.body);
    assert.equal(signed.status, 200);
    assert.ok(verifies(key.pubkey, vote.root, String(signed.json.signature)));
  });

  test("requests without the token, with a wrong one or another scheme are 401; the signing API needs none", async () => {
    const signer = await start();
    const url = `${signer.url}/eth/v1/keystores`;
    const json = { "content-type": "application/json" };
    const attempts: Array<[string, Record<string, string>]> = [
      ["no Authorization", {}],
      ["wrong token", { authorization: "Bearer api-token-0x" + "00".repeat(32) }],
      ["token prefix", { authorization: `Bearer ${signer.token.slice(0, -1)}` }],
      ["token plus a character", { authorization: `Bearer ${signer.token}0` }],
      ["Basic scheme", { authorization: `Basic ${Buffer.from(`user:${signer.token}`).toString("base64")}` }],
      ["bare token", { authorization: signer.token }],
    ];
    for (const [name, headers] of attempts) {
      const list = await fetch(url, { headers });
      assert.equal(list.status, 401, `GET, ${name}`);
      const body = (await list.json()) as { message?: string };
      assert.ok(!JSON.stringify(body).includes(signer.token), "the 401 must not echo the token");
      const post = await fetch(url, { method: "POST", headers: { ...json, ...headers }, body: JSON.stringify({ keystores: [], passwords: [] }) });
      assert.equal(post.status, 401, `POST, ${name}`);
      const del = await fetch(url, { method: "DELETE", headers: { ...json, ...headers }, body: JSON.stringify({ pubkeys: [] }) });
      assert.equal(del.status, 401, `DELETE, ${name}`);
    }
    const wrongClient = signer.clientWithToken("api-token-0x" + "11".repeat(32));
    assert.equal((await wrongClient.listKeys()).status, 401);
    const key = freshKey();
    assert.equal((await wrongClient.importKeystores({ keystores: [await keystoreJson(key)], passwords: [PASSWORD] })).status, 401);
    assert.deepEqual(await listed(signer), [], "nothing imported without the token");

    assert.equal((await fetch(`${signer.url}/api/v1/eth2/publicKeys`)).status, 200);
    assert.equal((await fetch(url, { headers: { authorization: `bearer ${signer.token}` } })).status, 200, "the scheme is case-insensitive");
  });

  test("imported keys persist: a new core and app on the same data dir and secret list and sign with them", async () => {
    const dataDir = scratch();
    const first = await start({ dataDir });
    const keys = [freshKey(), freshKey(), freshKey()];
    await first.client.importKeystores({ keystores: await Promise.all(keys.map((k) => keystoreJson(k))), passwords: keys.map(() => PASSWORD) });
    assert.equal((await first.sign(keys[0]!.pubkey, attestationCase(1, 2).body)).status, 200);
    await first.close();

    await assert.rejects(startKeymanagerSigner({ dataDir, secret: "not the sealing secret" }), (err) => {
      assert.ok(err instanceof SealedStoreError);
      assert.match(err.message, /wrong sealing secret/);
      return true;
    });

    const second = await start({ dataDir });
    assert.deepEqual(
      (await listed(second)).map((k) => [k.validatingPubkey, k.readonly]),
      keys.map((k) => k.pubkey.toLowerCase()).sort().map((p) => [p, false]),
    );
    const vote = attestationCase(2, 3);
    const signed = await second.sign(keys[1]!.pubkey, vote.body);
    assert.equal(signed.status, 200);
    assert.ok(verifies(keys[1]!.pubkey, vote.root, String(signed.json.signature)));
    assert.equal((await second.sign(keys[0]!.pubkey, attestationCase(1, 2, 9).body)).status, 412, "the history survived too");
  });

  test("DELETE during a burst of signing: nothing signs after the response, and every signature released is in the returned history", async () => {
    const signer = await start();
    const key = freshKey();
    await signer.client.importKeystores({ keystores: [await keystoreJson(key)], passwords: [PASSWORD] });
    // Lowest target 1 first, so that the burst (source 0, targets 2..) is never below a watermark.
    const first = attestationCase(0, 1);
    assert.equal((await signer.sign(key.pubkey, first.body)).status, 200);

    const burst = Array.from({ length: 200 }, (_, i) => attestationCase(0, 2 + i));
    let answered = 0;
    let deleteWhenAnswered: () => void = () => undefined;
    const enoughAnswered = new Promise<void>((resolve) => (deleteWhenAnswered = resolve));
    const results = burst.map(async (vote) => {
      const result = await signer.sign(key.pubkey, vote.body);
      if (++answered === 20) deleteWhenAnswered();
      return { vote, ...result };
    });
    await enoughAnswered;
    const deletion = await signer.client.deleteKeys({ pubkeys: [key.pubkey] });
    const afterwards = await Promise.all(
      Array.from({ length: 20 }, (_, i) => signer.sign(key.pubkey, attestationCase(0, 1000 + i).body)),
    );
    const all = await Promise.all(results);

    assert.equal(deletion.status, 200);
    assert.deepEqual(deletion.value().statuses.map((s) => s.status), ["deleted"]);
    for (const response of afterwards) {
      assert.equal(response.status, 404, `signed after the DELETE answered: ${JSON.stringify(response.json)}`);
      assert.equal(response.json.signature, undefined);
    }
    const doc = JSON.parse(deletion.value().slashingProtection as unknown as string) as InterchangeDoc;
    const recorded = new Set(attestationsOf(doc, key.pubkey).map(([s, t, r]) => `${s}:${t}:${r}`));
    assert.ok(recorded.has(`0:1:${first.root}`));
    const signed = all.filter((r) => r.status === 200);
    assert.ok(signed.length >= 20, `only ${signed.length} signatures before the DELETE`);
    for (const { vote, json } of signed) {
      const target = Number((vote.body.attestation as { target: { epoch: string } }).target.epoch);
      assert.ok(verifies(key.pubkey, vote.root, String(json.signature)));
      assert.ok(recorded.has(`0:${target}:${vote.root}`), `a signature for target ${target} was released but is not in the returned history`);
    }
    for (const { status, json } of all.filter((r) => r.status !== 200)) {
      assert.ok(status === 404 || status === 500, `unexpected status ${status}: ${JSON.stringify(json)}`);
      assert.equal(json.signature, undefined);
    }
    const statuses = new Map<number, number>();
    for (const { status } of all) statuses.set(status, (statuses.get(status) ?? 0) + 1);
    process.stderr.write(`# DELETE during burst: ${JSON.stringify(Object.fromEntries(statuses))}\n`);
  });

  test("core.deleteKeys settles only after every signature it let through, and each of them is in the history it returns", async () => {
    // A steady stream of requests (one per event-loop turn) straddles the deletion, so that some
    // are inside the signing threads when deleteKeys is called: the drain must wait for them.
    const signer = await start();
    const key = freshKey();
    await signer.client.importKeystores({ keystores: [await keystoreJson(key)], passwords: [PASSWORD] });
    const core = signer.core;
    assert.equal((await core.sign(key.pubkey, attestationCase(0, 1).body)).ok, true);

    let order = 0;
    let signedCount = 0;
    let stop = false;
    let target = 2;
    const results: Array<Promise<{ target: number; root: string; ok: boolean; at: number }>> = [];
    const pump = (async () => {
      while (!stop) {
        const vote = attestationCase(0, target);
        const t = target++;
        results.push(
          core.sign(key.pubkey, vote.body).then((outcome) => {
            if (outcome.ok) {
              signedCount++;
              assert.ok(verifies(key.pubkey, vote.root, outcome.signature));
            } else assert.ok(["unknown-key", "internal"].includes(outcome.error.code), JSON.stringify(outcome.error));
            return { target: t, root: vote.root, ok: outcome.ok, at: ++order };
          }),
        );
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    while (signedCount < 30) await new Promise((resolve) => setTimeout(resolve, 1));
    const deletion = await core.deleteKeys([key.pubkey]);
    const deletedAt = ++order;
    await new Promise((resolve) => setTimeout(resolve, 30));
    stop = true;
    await pump;
    const all = await Promise.all(results);

    assert.deepEqual(deletion.statuses.map((s) => s.status), ["deleted"]);
    const late = all.filter((r) => r.ok && r.at > deletedAt);
    assert.deepEqual(late.map((r) => r.target), [], "signatures produced after deleteKeys settled");
    const recorded = new Set(attestationsOf(JSON.parse(deletion.slashingProtection) as InterchangeDoc, key.pubkey).map(([s, t, r]) => `${s}:${t}:${r}`));
    const missing = all.filter((r) => r.ok && !recorded.has(`0:${r.target}:${r.root}`));
    assert.deepEqual(missing.map((r) => r.target), [], "signatures released without their attestation in the returned history");
    assert.ok(all.some((r) => !r.ok), "the stream never reached the deletion");
  });
});
