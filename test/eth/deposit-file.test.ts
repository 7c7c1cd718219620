/**
 * verifyDepositFile: accepts good deposit data from Bulwark and from another tool, and names the
 * problem in tampered, mismatched or malformed entries.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ssz } from "@lodestar/types";
import { resolveNetwork } from "../../src/config/networks.js";
import {
  createDeposit,
  type DepositDataJson,
  depositSigningRoot,
  executionWithdrawalCredentials,
  parseExecutionAddress,
} from "../../src/eth/deposit.js";
import { verifyDepositFile } from "../../src/eth/deposit-file.js";
import { deriveValidatorKeys } from "../../src/keys/derive.js";
import { HOODI_0X02_DEPOSITS, MAINNET_0X00_DEPOSIT_1024, MAINNET_0X01_DEPOSITS } from "../keys/known-answers.js";

const mainnet = resolveNetwork("mainnet");
const hoodi = resolveNetwork("hoodi");
const GWEI = 1_000_000_000;
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const bytes = (h: string) => Uint8Array.from(Buffer.from(h, "hex"));

function ours(network = mainnet, count = 3, compounding = false, amount = 32 * GWEI): DepositDataJson[] {
  const credentials = executionWithdrawalCredentials(parseExecutionAddress("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"), compounding);
  return deriveValidatorKeys(new Uint8Array(64).fill(5), 0, count).map((k) =>
    createDeposit(k.secretKey, { withdrawalCredentials: credentials, amount, network }),
  );
}

function only(report: ReturnType<typeof verifyDepositFile>, index: number): string[] {
  const entry = report.entries[index];
  assert.ok(entry, `entry ${index}`);
  return entry.problems;
}

test("good deposit data verifies: Bulwark's own, and another tool's for mainnet and hoodi", () => {
  for (const [data, network] of [
    [ours(mainnet), mainnet],
    [ours(hoodi, 2, true, 2048 * GWEI), hoodi],
    [MAINNET_0X01_DEPOSITS, mainnet],
    [[MAINNET_0X00_DEPOSIT_1024], mainnet],
    [HOODI_0X02_DEPOSITS, hoodi],
  ] as const) {
    const report = verifyDepositFile(JSON.parse(JSON.stringify(data)), network);
    assert.deepEqual(report.problems, []);
    assert.ok(report.ok, JSON.stringify(report.entries.filter((e) => !e.ok)));
    assert.equal(report.entries.length, data.length);
    report.entries.forEach((e, i) => assert.equal(e.pubkey, data[i]!.pubkey));
  }
});

test("a tampered signature fails its entry only, with a reason", () => {
  const data = ours();
  const other = ours(mainnet, 2);
  // A valid signature, but of another deposit (valid curve point, wrong message).
  data[1] = { ...data[1]!, signature: other[0]!.signature };
  // A flipped bit: usually not even a curve point.
  const sig = bytes(data[2]!.signature);
  sig[40] ^= 1;
  data[2] = { ...data[2]!, signature: hex(sig) };
  const report = verifyDepositFile(data, mainnet);
  assert.equal(report.ok, false);
  assert.deepEqual(report.entries.map((e) => e.ok), [true, false, false]);
  for (const i of [1, 2]) {
    const problems = only(report, i);
    assert.ok(problems.some((p) => /^signature does not verify/.test(p)), problems.join("; "));
    // The deposit_data_root covers the signature, so it no longer matches either.
    assert.ok(problems.some((p) => /^deposit_data_root does not match/.test(p)), problems.join("; "));
  }
});

test("a changed amount breaks both roots and the signature; a consistent re-rooting still fails the signature", () => {
  const [good] = ours();
  const changed = { ...good!, amount: 31 * GWEI };
  let problems = only(verifyDepositFile([changed], mainnet), 0);
  assert.ok(problems.some((p) => p.startsWith("deposit_message_root does not match")));
  assert.ok(problems.some((p) => p.startsWith("deposit_data_root does not match")));
  assert.ok(problems.some((p) => p.startsWith("signature does not verify")));

  // Someone recomputes both roots for the new amount: only the signature can tell.
  const message = { pubkey: bytes(good!.pubkey), withdrawalCredentials: bytes(good!.withdrawal_credentials), amount: 31 * GWEI };
  const rerooted = {
    ...changed,
    deposit_message_root: hex(ssz.phase0.DepositMessage.hashTreeRoot(message)),
    deposit_data_root: hex(ssz.phase0.DepositData.hashTreeRoot({ ...message, signature: bytes(good!.signature) })),
  };
  problems = only(verifyDepositFile([rerooted], mainnet), 0);
  assert.deepEqual(problems, [problems.find((p) => p.startsWith("signature does not verify"))]);
});

test("amount out of bounds: above 32 ETH without 0x02, above 2048 ETH, below 1 ETH (even when correctly signed)", () => {
  const [key] = deriveValidatorKeys(new Uint8Array(64).fill(6), 0, 1);
  const address = parseExecutionAddress("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed");
  /** Signed by hand, bypassing createDeposit's bounds. */
  const signed = (compounding: boolean, amount: number): DepositDataJson => {
    const message = { pubkey: key!.publicKey, withdrawalCredentials: executionWithdrawalCredentials(address, compounding), amount };
    const signature = key!.secretKey.sign(depositSigningRoot(message, bytes("00000000"))).toBytes();
    return {
      pubkey: hex(message.pubkey),
      withdrawal_credentials: hex(message.withdrawalCredentials),
      amount,
      signature: hex(signature),
      deposit_message_root: hex(ssz.phase0.DepositMessage.hashTreeRoot(message)),
      deposit_data_root: hex(ssz.phase0.DepositData.hashTreeRoot({ ...message, signature })),
      fork_version: "00000000",
      network_name: "mainnet",
      deposit_cli_version: "2.7.0",
    };
  };
  assert.ok(verifyDepositFile([signed(false, 32 * GWEI)], mainnet).ok, "the hand-made deposit itself is right");
  assert.ok(verifyDepositFile([signed(true, 2048 * GWEI)], mainnet).ok);
  assert.deepEqual(only(verifyDepositFile([signed(false, 33 * GWEI)], mainnet), 0), [
    "amount 33000000000 gwei is above 32000000000 gwei (32 ETH), the most a validator without compounding (0x02) credentials can use",
  ]);
  assert.match(only(verifyDepositFile([signed(true, 2049 * GWEI)], mainnet), 0).join(), /above 2048000000000 gwei/);
  assert.match(only(verifyDepositFile([signed(false, GWEI - 1)], mainnet), 0).join(), /below the minimum deposit/);
});

test("wrong network: another network's file fails on fork_version, network_name and signature", () => {
  const report = verifyDepositFile(HOODI_0X02_DEPOSITS, mainnet);
  assert.equal(report.ok, false);
  for (const entry of report.entries) {
    assert.ok(entry.problems.includes('network_name is "hoodi", expected "mainnet"'), entry.problems.join("; "));
    assert.ok(entry.problems.includes("fork_version is 10000910, but mainnet's genesis fork version is 00000000"));
    assert.ok(entry.problems.some((p) => p.startsWith("signature does not verify")));
  }
});

test("a wrong fork version or network name alone is caught even when the signature is right", () => {
  const [good] = ours(hoodi, 1);
  assert.deepEqual(only(verifyDepositFile([{ ...good!, fork_version: "00000000" }], hoodi), 0), [
    "fork_version is 00000000, but hoodi's genesis fork version is 10000910",
  ]);
  assert.deepEqual(only(verifyDepositFile([{ ...good!, network_name: "holesky" }], hoodi), 0), ['network_name is "holesky", expected "hoodi"']);
});

test("malformed files and entries get clear reasons", () => {
  assert.deepEqual(verifyDepositFile({ pubkey: "x" }, mainnet).problems, ["deposit data must be a JSON array of deposits"]);
  assert.deepEqual(verifyDepositFile([], mainnet).problems, ["deposit data holds no deposits"]);
  const [good] = ours(mainnet, 1);
  const report = verifyDepositFile(
    [
      "not an object",
      { ...good!, pubkey: `0x${good!.pubkey}` },
      { ...good!, signature: good!.signature.slice(2) },
      { ...good!, amount: "32000000000" },
      { ...good!, withdrawal_credentials: `03${good!.withdrawal_credentials.slice(2)}` },
      { ...good!, deposit_cli_version: "0.9.0" },
      (({ network_name: _n, deposit_message_root: _m, ...rest }) => rest)(good!),
      { ...good!, withdrawal_credentials: `01ff${good!.withdrawal_credentials.slice(4)}` },
    ],
    mainnet,
  );
  const reasons = report.entries.map((e) => e.problems.join("; "));
  assert.match(reasons[0]!, /entry is not a JSON object/);
  assert.match(reasons[1]!, /pubkey must be hex without a 0x prefix/);
  assert.match(reasons[2]!, /signature must be 192 hex digits \(96 bytes\)/);
  assert.match(reasons[3]!, /amount must be a whole number of gwei \(a JSON number\)/);
  assert.match(reasons[4]!, /withdrawal_credentials prefix 0x03 is not 0x00, 0x01 or 0x02/);
  assert.match(reasons[5]!, /deposit_cli_version "0.9.0" is not a version of at least 1.0.0/);
  assert.match(reasons[6]!, /deposit_message_root is missing/);
  assert.match(reasons[6]!, /network_name is missing/);
  assert.match(reasons[7]!, /11 zero bytes/);
  assert.ok(report.entries.every((e) => !e.ok));
});

test("a pubkey twice in one file fails the repeat", () => {
  const data = ours(mainnet, 2);
  const report = verifyDepositFile([data[0], data[1], data[0]], mainnet);
  assert.deepEqual(report.entries.map((e) => e.ok), [true, true, false]);
  assert.deepEqual(only(report, 2), ["pubkey repeats deposit #0"]);
});
