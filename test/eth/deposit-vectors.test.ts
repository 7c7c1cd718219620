// Web3Signer's deposit vectors (../shared/vectors/client-fixtures/web3signer: staking-deposit-cli
// output whose signatures Web3Signer's acceptance test reproduces exactly), replayed unchanged as
// DEPOSIT requests. The signature must equal the file's byte for byte. Deposits are checked at the
// signing-root level (the signing core may refuse DEPOSIT by policy): one helper, depositSignature.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { SecretKey } from "@chainsafe/blst";
import { ssz } from "@lodestar/types";
import { resolveNetwork } from "../../src/config/networks.js";
import { computeSigningRoot, parseSigningRequest } from "../../src/eth/index.js";
import { SHARED_DIR } from "../helpers/temp.js";
import { fromHex, hex } from "./helpers.js";

const DIR = join(SHARED_DIR, "vectors/client-fixtures/web3signer");
const FILES = ["deposit_data-medalla.json", "deposit_data-pyrmont.json"];

interface DepositEntry {
  pubkey: string;
  withdrawal_credentials: string;
  amount: number;
  signature: string;
  deposit_message_root: string;
  deposit_data_root: string;
  fork_version: string;
}

/** The DEPOSIT request Web3Signer's test sends for an entry, and the signature Bulwark's root gives. */
function depositSignature(secretKey: SecretKey, entry: DepositEntry): { signature: string; request: Record<string, unknown> } {
  const request = {
    type: "DEPOSIT",
    deposit: {
      pubkey: "0x" + entry.pubkey,
      withdrawal_credentials: "0x" + entry.withdrawal_credentials,
      amount: String(entry.amount),
      genesis_fork_version: "0x" + entry.fork_version,
    },
  };
  // The deposit domain ignores the configured network (genesis_fork_version, zero root).
  const { signingRoot } = computeSigningRoot(resolveNetwork("mainnet"), parseSigningRequest(request));
  return { signature: secretKey.sign(signingRoot).toHex().toLowerCase(), request };
}

const present = FILES.every((file) => existsSync(join(DIR, file))) && existsSync(join(DIR, "deposit-keys.json"));
if (!present) console.log(`# skipping Web3Signer deposit vectors: ${DIR} not found`);

describe("Web3Signer's deposit vectors", { skip: present ? false : `${DIR} not found` }, () => {
  const keys = present
    ? (JSON.parse(readFileSync(join(DIR, "deposit-keys.json"), "utf8")) as { secretKeys: string[] }).secretKeys.map((k) => SecretKey.fromBytes(fromHex(k)))
    : [];
  for (const file of FILES) {
    test(`${file}: every signature is reproduced exactly`, () => {
      const entries = JSON.parse(readFileSync(join(DIR, file), "utf8")) as DepositEntry[];
      assert.equal(entries.length, keys.length);
      entries.forEach((entry, i) => {
        const key = keys[i]!;
        assert.equal(key.toPublicKey().toHex(true).slice(2), entry.pubkey, "the vector's key");
        const { signature, request } = depositSignature(key, entry);
        assert.equal(signature, "0x" + entry.signature);
        // The file's roots agree with lodestar's over the same message and that signature.
        const message = ssz.phase0.DepositMessage.fromJson((request as { deposit: unknown }).deposit);
        assert.equal(hex(ssz.phase0.DepositMessage.hashTreeRoot(message)).slice(2), entry.deposit_message_root);
        const data = { ...message, signature: fromHex(signature) };
        assert.equal(hex(ssz.phase0.DepositData.hashTreeRoot(data)).slice(2), entry.deposit_data_root);
      });
    });
  }
});
