// Key management of the signing core, called directly: keystore import (with and without history),
// duplicates, deletion returning the EIP-3076 history, and no sealed store. Real SQLite store and
// sealed key store in a temp dir.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SecretKey } from "@chainsafe/blst";
import { KeyImportUnavailableError } from "../../src/core/key-management.js";
import { attestationCase } from "../server/cases.js";
import { cheapKeystore } from "../keys/fixtures.js";
import { coreStarter, pubkeyOf } from "./core-fixture.js";

const PASSWORD = "core-test-password";
const core = coreStarter();

function newKey(seed: number): SecretKey {
  return SecretKey.fromKeygen(new Uint8Array(32).fill(seed));
}

async function keystoreOf(key: SecretKey): Promise<unknown> {
  return cheapKeystore({ secretKey: key.toBytes(), pubkey: key.toPublicKey().toHex(true) }, PASSWORD);
}

describe("signing core: key management", () => {
  it("imports a keystore into the sealed store; the key signs and is not read-only", async () => {
    const { core: signer } = await core({ sealed: true });
    const key = newKey(81);
    const statuses = await signer.importKeystores([{ keystore: await keystoreOf(key), password: PASSWORD }]);
    assert.deepEqual(statuses, [{ status: "imported", pubkey: pubkeyOf(key) }]);
    assert.deepEqual(await signer.listKeyInfo(), [{ pubkey: pubkeyOf(key), readonly: false }]);
    const outcome = await signer.sign(pubkeyOf(key), attestationCase(5, 6).body);
    assert.ok(outcome.ok, JSON.stringify(outcome));
  });

  it("reports a keystore already loaded (or twice in one request) as duplicate, a wrong password as error", async () => {
    const { core: signer } = await core({ sealed: true });
    const key = newKey(82);
    const keystore = await keystoreOf(key);
    await signer.importKeystores([{ keystore, password: PASSWORD }]);
    const other = newKey(83);
    const otherKeystore = await keystoreOf(other);
    const statuses = await signer.importKeystores([
      { keystore, password: PASSWORD },
      { keystore: otherKeystore, password: PASSWORD },
      { keystore: otherKeystore, password: PASSWORD },
      { keystore: await keystoreOf(newKey(84)), password: "wrong" },
    ]);
    assert.deepEqual(statuses.slice(0, 3), [
      { status: "duplicate", pubkey: pubkeyOf(key) },
      { status: "imported", pubkey: pubkeyOf(other) },
      { status: "duplicate", pubkey: pubkeyOf(other) },
    ]);
    assert.equal(statuses[3]!.status, "error");
    assert.equal((await signer.listKeys()).length, 2);
  });

  it("deletes a key: it stops signing, and its history comes back as EIP-3076 data", async () => {
    const { core: signer } = await core({ sealed: true });
    const key = newKey(85);
    await signer.importKeystores([{ keystore: await keystoreOf(key), password: PASSWORD }]);
    const attestation = attestationCase(7, 8);
    assert.ok((await signer.sign(pubkeyOf(key), attestation.body)).ok);

    const unknown = pubkeyOf(newKey(86));
    const deletion = await signer.deleteKeys([pubkeyOf(key), unknown]);
    assert.deepEqual(deletion.statuses, [{ status: "deleted" }, { status: "not_found" }]);
    const history = JSON.parse(deletion.slashingProtection) as { data: Array<{ pubkey: string; signed_attestations: Array<{ source_epoch: string; target_epoch: string; signing_root?: string }> }> };
    assert.equal(history.data.length, 1);
    assert.equal(history.data[0]!.pubkey, pubkeyOf(key));
    assert.deepEqual(
      history.data[0]!.signed_attestations.map((a) => [a.source_epoch, a.target_epoch, a.signing_root]),
      [["7", "8", attestation.root]],
    );
    assert.deepEqual(await signer.listKeys(), []);
    const afterDeletion = await signer.sign(pubkeyOf(key), attestationCase(8, 9).body);
    assert.ok(!afterDeletion.ok && afterDeletion.error.code === "unknown-key");
    // Deleted, the key is now known to the database only: a second deletion says so.
    assert.deepEqual((await signer.deleteKeys([pubkeyOf(key)])).statuses, [{ status: "not_active" }]);
  });

  it("refuses a read-only key (from a keystore directory) in a deletion", async () => {
    const key = newKey(87);
    const { core: signer } = await core({ keys: [key], sealed: true });
    const deletion = await signer.deleteKeys([pubkeyOf(key)]);
    assert.equal(deletion.statuses[0]!.status, "error");
    assert.match(deletion.statuses[0]!.message ?? "", /read-only key/);
    assert.deepEqual(await signer.listKeys(), [pubkeyOf(key)]);
  });

  it("cannot import or generate without a sealed store (code no-sealed-store)", async () => {
    const { core: signer } = await core();
    await assert.rejects(signer.importKeystores([{ keystore: await keystoreOf(newKey(88)), password: PASSWORD }]), (err: unknown) => {
      assert.ok(err instanceof KeyImportUnavailableError);
      assert.equal(err.code, "no-sealed-store");
      assert.match(err.message, /no sealed key store/);
      return true;
    });
    await assert.rejects(signer.generateKeys({ count: 1, withdrawalAddress: "0x" + "11".repeat(20) }), KeyImportUnavailableError);
  });

  it("refuses unusable EIP-3076 data with code protection-import, the cause kept, nothing imported", async () => {
    const { core: signer } = await core({ sealed: true });
    const key = newKey(89);
    const bad = { metadata: { interchange_format_version: "5", genesis_validators_root: "0x" + "00".repeat(32) }, data: [] };
    await assert.rejects(signer.importKeystores([{ keystore: await keystoreOf(key), password: PASSWORD }], bad), (err: unknown) => {
      assert.equal((err as { code?: string }).code, "protection-import");
      assert.match((err as Error).message, /^slashing protection data: /);
      assert.ok((err as Error).cause instanceof Error, "the cause is kept");
      return true;
    });
    assert.deepEqual(await signer.listKeys(), []);
  });
});
