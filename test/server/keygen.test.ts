/**
 * POST /eth/v1/keygen: keys made inside the signer. Deposit data is checked against an independent
 * computation (lodestar's deposit domain and SSZ types), the keys sign at once, and survive a restart.
 */
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { PublicKey, Signature, verify } from "@chainsafe/blst";
import { createBeaconConfig } from "@lodestar/config";
import { DOMAIN_DEPOSIT, ForkName } from "@lodestar/params";
import { ssz } from "@lodestar/types";
import { tempDir } from "../helpers/temp.js";
import { attestationCase } from "./cases.js";
import { MAINNET, startKeymanagerSigner } from "./keymanager-harness.js";

const SECRET = "keygen test sealing secret";
const ADDRESS = "0x" + "ab".repeat(20);
const fromHex = (hex: string) => Uint8Array.from(Buffer.from(hex.replace(/^0x/, ""), "hex"));

interface DepositEntry {
  pubkey: string;
  withdrawal_credentials: string;
  amount: number;
  signature: string;
  deposit_message_root: string;
  deposit_data_root: string;
  fork_version: string;
  network_name: string;
}

async function keygen(url: string, token: string | undefined, body: unknown) {
  const response = await fetch(`${url}/eth/v1/keygen`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  return { status: response.status, json: (await response.json()) as { data?: Array<{ pubkey: string; deposit_data: DepositEntry }>; message?: string } };
}

describe("POST /eth/v1/keygen", () => {
  const dir = tempDir("bulwark-keygen-");
  after(dir.cleanup);

  test("creates keys with verified deposit data that sign at once and survive a restart", async () => {
    const signer = await startKeymanagerSigner({ dataDir: dir.path, secret: SECRET });
    let pubkeys: string[];
    try {
      assert.equal((await keygen(signer.url, undefined, { count: 1, withdrawal_address: ADDRESS })).status, 401);
      const { status, json } = await keygen(signer.url, signer.token, { count: 2, withdrawal_address: ADDRESS });
      assert.equal(status, 200, JSON.stringify(json));
      assert.equal(json.data?.length, 2);
      pubkeys = json.data!.map((k) => k.pubkey);
      // Deposits are valid before genesis, so their domain uses the zero genesis validators root.
      const depositDomain = createBeaconConfig(MAINNET.config, new Uint8Array(32)).getDomainAtFork(ForkName.phase0, DOMAIN_DEPOSIT);
      for (const { pubkey, deposit_data: d } of json.data!) {
        assert.equal("0x" + d.pubkey, pubkey);
        assert.equal(d.withdrawal_credentials, "01" + "00".repeat(11) + "ab".repeat(20));
        assert.equal(d.amount, 32_000_000_000);
        assert.equal(d.network_name, "mainnet");
        assert.equal(d.fork_version, "00000000");
        const message = { pubkey: fromHex(d.pubkey), withdrawalCredentials: fromHex(d.withdrawal_credentials), amount: d.amount };
        const messageRoot = ssz.phase0.DepositMessage.hashTreeRoot(message);
        assert.equal(Buffer.from(messageRoot).toString("hex"), d.deposit_message_root);
        const dataRoot = ssz.phase0.DepositData.hashTreeRoot({ ...message, signature: fromHex(d.signature) });
        assert.equal(Buffer.from(dataRoot).toString("hex"), d.deposit_data_root);
        const signingRoot = ssz.phase0.SigningData.hashTreeRoot({ objectRoot: messageRoot, domain: depositDomain });
        assert.ok(verify(signingRoot, PublicKey.fromBytes(fromHex(d.pubkey)), Signature.fromBytes(fromHex(d.signature))), "deposit signature");
      }
      const listed = (await signer.client.listKeys()).value().map((k) => k.validatingPubkey);
      assert.deepEqual([...listed].sort(), [...pubkeys].sort());
      const vote = attestationCase(10, 11);
      const signed = await signer.sign(pubkeys[0]!, vote.body);
      assert.equal(signed.status, 200);
      assert.ok(verify(fromHex(vote.root), PublicKey.fromHex(pubkeys[0]!), Signature.fromHex(signed.json.signature as string)));
      // Secrets never appear in the log.
      assert.doesNotMatch(signer.logs(), /secret_?key/i);
    } finally {
      await signer.close();
    }
    const restarted = await startKeymanagerSigner({ dataDir: dir.path, secret: SECRET });
    try {
      const listed = (await restarted.client.listKeys()).value().map((k) => k.validatingPubkey);
      assert.deepEqual([...listed].sort(), [...pubkeys].sort());
      // The vote signed before the restart is still protected.
      assert.equal((await restarted.sign(pubkeys[0]!, attestationCase(10, 11, 7).body)).status, 412);
    } finally {
      await restarted.close();
    }
  });

  test("compounding credentials and a custom amount; bad requests are refused", async () => {
    const signer = await startKeymanagerSigner({ dataDir: tempDir("bulwark-keygen-2-").path, secret: SECRET });
    try {
      const ok = await keygen(signer.url, signer.token, { count: 1, withdrawal_address: ADDRESS, compounding: true, amount_gwei: 64_000_000_000 });
      assert.equal(ok.status, 200, JSON.stringify(ok.json));
      assert.equal(ok.json.data![0]!.deposit_data.withdrawal_credentials.slice(0, 2), "02");
      assert.equal(ok.json.data![0]!.deposit_data.amount, 64_000_000_000);
      for (const bad of [
        { count: 0, withdrawal_address: ADDRESS },
        { count: 1001, withdrawal_address: ADDRESS },
        { count: 1, withdrawal_address: "0x1234" },
        { count: 1, withdrawal_address: ADDRESS, amount_gwei: 64_000_000_000 },
        { count: 1 },
      ]) {
        const refused = await keygen(signer.url, signer.token, bad);
        assert.equal(refused.status, 400, JSON.stringify(bad));
        assert.ok(refused.json.message, "the refusal says why");
      }
      assert.equal((await signer.client.listKeys()).value().length, 1, "refused requests create no key");
    } finally {
      await signer.close();
    }
  });
});
