/**
 * Key import with slashing protection and key deletion through the keymanager API work on a
 * shared PostgreSQL protection database exactly as on SQLite (Lodestar's own client, real server).
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { pino } from "pino";
import { SealedKeyStore } from "../../src/keys/sealed-store.js";
import { openProtectionStore } from "../../src/protection/open-store.js";
import { SigningCore } from "../../src/core/signing-core.js";
import { buildApp } from "../../src/server/app.js";
import { SignerMetrics } from "../../src/server/metrics.js";
import { startTestPostgres, type TestPostgres } from "../helpers/postgres.js";
import { tempDir } from "../helpers/temp.js";
import { cheapKeystore, testKey } from "../keys/fixtures.js";
import { writeSealedFile } from "../keys/sealed-store-helpers.js";
import { attestationCase } from "./cases.js";
import { keymanagerClient, MAINNET } from "./keymanager-harness.js";
import { testPolicy } from "../helpers/policy.js";

const SECRET = "postgres keymanager sealing secret";
const TOKEN = "api-token-0x" + "5e".repeat(32);
const PASSWORD = "keystore-password-pg";

let postgres: TestPostgres;
before(async () => {
  postgres = await startTestPostgres();
});
after(async () => {
  await postgres?.close();
});

test("import with slashing protection, sign, delete returning the history: on PostgreSQL", async () => {
  const dir = tempDir("bulwark-km-pg-");
  // Started inside the try: a failure while starting (the listen, say) still closes what was opened.
  let core: SigningCore | undefined;
  let app: ReturnType<typeof buildApp> | undefined;
  try {
    const db = await postgres.freshDatabase();
    writeSealedFile(dir.path, SECRET);
    const sealed = await SealedKeyStore.open(dir.path, Buffer.from(SECRET), { create: false });
    const store = await openProtectionStore({ dataDir: dir.path, genesisValidatorsRoot: MAINNET.genesisValidatorsRoot, db });
    const metrics = new SignerMetrics();
    core = new SigningCore({ network: MAINNET, store, signingThreads: 1, observer: metrics, sealedStore: sealed, policy: testPolicy(MAINNET) });
    app = buildApp({ core, metrics, logger: pino({ level: "silent" }), bodyLimit: 1 << 20, hostAllowList: ["127.0.0.1"], keymanager: { token: TOKEN } });
    await app.listen({ host: "127.0.0.1", port: 0 });
    const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    const client = keymanagerClient(url, TOKEN);
    const sign = async (pubkey: string, body: unknown) =>
      (await fetch(`${url}/api/v1/eth2/sign/${pubkey}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) })).status;
    const key = testKey(7001);
    const pubkey = key.pubkey.toLowerCase();
    const imported = { metadata: { interchange_format_version: "5", genesis_validators_root: MAINNET.genesisValidatorsRoot }, data: [{ pubkey, signed_blocks: [], signed_attestations: [{ source_epoch: "20", target_epoch: "21" }] }] };
    const res = await client.importKeystores({ keystores: [JSON.stringify(await cheapKeystore(key, PASSWORD))], passwords: [PASSWORD], slashingProtection: JSON.stringify(imported) });
    assert.deepEqual(res.value().map((s) => s.status), ["imported"]);
    // The imported history is enforced by the PostgreSQL store at once.
    assert.equal(await sign(pubkey, attestationCase(20, 21, 3).body), 412);
    const vote = attestationCase(21, 22);
    assert.equal(await sign(pubkey, vote.body), 200);

    const deleted = (await client.deleteKeys({ pubkeys: [pubkey] })).value();
    assert.deepEqual(deleted.statuses.map((s) => s.status), ["deleted"]);
    const history = JSON.parse(deleted.slashingProtection) as { data: Array<{ pubkey: string; signed_attestations: Array<{ source_epoch: string; target_epoch: string; signing_root?: string }> }> };
    assert.deepEqual(history.data.map((v) => v.pubkey), [pubkey]);
    assert.deepEqual(
      history.data[0]!.signed_attestations.map((a) => [a.source_epoch, a.target_epoch, a.signing_root ?? null]),
      [["20", "21", null], ["21", "22", vote.root]],
    );
    assert.equal(await sign(pubkey, attestationCase(22, 23).body), 404);
    // Deleted but with history: not_active, and the history still comes back.
    const again = (await client.deleteKeys({ pubkeys: [pubkey] })).value();
    assert.deepEqual(again.statuses.map((s) => s.status), ["not_active"]);
    assert.equal((JSON.parse(again.slashingProtection) as { data: unknown[] }).data.length, 1);
  } finally {
    await app?.close();
    await core?.close();
    dir.cleanup();
  }
});
