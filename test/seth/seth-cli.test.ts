/**
 * End to end through the real programs: a `bulwark serve --keymanager --attestation software`
 * signer, and `bulwark seth …` as child processes against the test chain's JSON-RPC (real Prague
 * EVM, real deposit and EIP-4788/7002 system contracts). The registrar registers the signer's
 * identity; `seth deposit` has the signer generate a key for C and deposits it with the signer's
 * statement for 31 sETH; `seth eject` builds its proof from a beacon node serving a @lodestar/types
 * state: refused at 32.00 ETH, accepted at 31.98 ETH with the EIP-7002 request dequeued for the key;
 * then record-exit, complete (after the withdrawal arrives), claim and withdraw pay out exactly.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { getAddress, parseEther, toHex, type Address, type Hex } from "viem";
import { startBeaconNode } from "../helpers/beacon-node.js";
import { makeBeaconState, type TestValidator } from "../helpers/beacon-state.js";
import { skipWithoutEvmVectors, TestChain } from "../helpers/evm.js";
import { tempDir } from "../helpers/temp.js";
import { getJson, runBulwark, startBulwark, type Bulwark } from "../e2e/harness.js";
import { credentials } from "./seth-fixtures.js";

const skip = skipWithoutEvmVectors("sETH CLI test");

const ENV = { BULWARK_SEALING_PASSPHRASE: "e2e seth sealing passphrase" };
const DEPLOYER = 0;
const REGISTRAR = 1;
const STAKER = 2;
const EJECTOR = 3;

describe("bulwark seth (CLI, a real signer, a JSON-RPC test chain)", { skip }, () => {
  const scratch = tempDir("bulwark-e2e-seth-");
  const dataDir = join(scratch.path, "signer");
  const key = (i: number) => join(scratch.path, `key-${i}`);
  let chain: TestChain;
  let url = "";
  let signer: Bulwark | undefined;
  let registry = "";
  let seth = "";
  let pubkey: Hex = "0x";
  const as = (i: number) => ["--rpc-url", url, "--key-file", key(i)];
  const address = (i: number): Address => getAddress(chain.accounts[i]!.address);

  async function bulwark(args: string[], expectCode = 0) {
    const result = await runBulwark(["seth", ...args], { env: ENV, timeoutMs: 90_000 });
    assert.equal(result.code, expectCode, `bulwark seth ${args.join(" ")}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
    return result;
  }

  before(async () => {
    chain = await TestChain.start();
    url = await chain.serve();
    for (const [i, account] of chain.accounts.entries()) writeFileSync(key(i), `${account.privateKey}\n`, { mode: 0o600 });
    signer = await startBulwark(["serve", "--network", "hoodi", "--data-dir", dataDir, "--http-port", "0", "--signing-threads", "1", "--keymanager", "--attestation", "software"], {
      env: ENV,
      timeoutMs: 120_000,
    });
  });
  after(async () => {
    await signer?.stop();
    await chain?.close();
    scratch.cleanup();
  });

  test("deploy (registry and vault), then the registrar registers the signer's identity", async () => {
    const deployed = JSON.parse((await bulwark(["deploy", ...as(DEPLOYER), "--network", "hoodi", "--registrar", address(REGISTRAR)])).stdout) as { registry: string; seth: string };
    registry = deployed.registry;
    seth = deployed.seth;
    const nonce = toHex(randomBytes(32));
    const evidence = await getJson(`${signer!.url}/bulwark/v1/attestation/identity?nonce=${nonce}`);
    assert.equal(evidence.status, 200);
    const evidenceFile = join(scratch.path, "evidence.json");
    writeFileSync(evidenceFile, JSON.stringify(evidence.json));
    const expectFile = join(scratch.path, "measurements.json");
    writeFileSync(expectFile, JSON.stringify({ tdx: { mrtd: "00" } }));
    const identity = signer!.logs().find((line) => line.msg?.startsWith("attestation: SOFTWARE"))?.identity as string;
    assert.match(identity, /^0x[0-9a-fA-F]{40}$/);
    // Unregistered: refused before the signer is asked for a key.
    const early = await bulwark(["deposit", ...as(STAKER), "--seth", seth, "--signer-url", signer!.url, "--api-token-file", join(dataDir, "api-token.txt")], 1);
    assert.match(early.stderr, new RegExp(`identity ${identity} is not registered`));
    const keys = await getJson(`${signer!.url}/eth/v1/keystores`, { headers: { authorization: `Bearer ${readFileSync(join(dataDir, "api-token.txt"), "utf8").trim()}` } });
    assert.deepEqual((keys.json as { data: unknown[] }).data, [], "no key was generated for a refused deposit");
    const wrongIdentity = await bulwark(["register-identity", ...as(REGISTRAR), "--registry", registry, "--identity", address(STAKER), "--evidence", evidenceFile, "--expect", expectFile], 1);
    assert.match(wrongIdentity.stderr, /is the evidence of identity/);
    const register = ["register-identity", "--registry", registry, "--evidence", evidenceFile, "--expect", expectFile];
    const notRegistrar = await bulwark([...register, ...as(STAKER)], 1);
    assert.match(notRegistrar.stderr, /NotRegistrar/);
    await bulwark([...register, ...as(REGISTRAR)]);
  });

  test("deposit: the signer generates the key for C, its statement admits it, the staker gets 31 sETH", async () => {
    const tokenFile = join(dataDir, "api-token.txt");
    const out = JSON.parse((await bulwark(["deposit", ...as(STAKER), "--seth", seth, "--signer-url", signer!.url, "--api-token-file", tokenFile])).stdout) as { pubkey: Hex; identity: string };
    pubkey = out.pubkey;
    const statement = await getJson(`${signer!.url}/bulwark/v1/attestation/keys/${pubkey}`);
    assert.equal(statement.status, 200);
    assert.equal((statement.json as { message: { withdrawalCredentials: string } }).message.withdrawalCredentials, toHex(credentials(getAddress(seth))));
    const status = JSON.parse((await bulwark(["status", "--rpc-url", url, "--seth", seth, "--account", address(STAKER)])).stdout) as {
      totalSupply: string;
      validators: Array<{ pubkey: string; status: string; staker: string }>;
      account: { seth: string };
    };
    assert.equal(status.account.seth, parseEther("31").toString());
    assert.equal(status.totalSupply, parseEther("31").toString());
    assert.deepEqual(status.validators.map((v) => [v.pubkey, v.status, v.staker]), [[pubkey, "active", address(STAKER)]]);
  });

  async function withBeaconNode<T>(balance: number, work: (beaconUrl: string) => Promise<T>, fields: Partial<TestValidator> = {}, epoch = 31_250): Promise<T> {
    const state = makeBeaconState([{ pubkey, withdrawalCredentials: toHex(credentials(getAddress(seth))), balance, activationEpoch: 10, ...fields }], { filler: 3, slot: epoch * 32 });
    const header = { slot: BigInt(state.slot), proposerIndex: 5n, parentRoot: toHex(0xabn, { size: 32 }), bodyRoot: toHex(0xcdn, { size: 32 }) };
    const beacon = await startBeaconNode(state, "electra", header, BigInt(chain.pendingTimestamp));
    try {
      await chain.mine({ parentBeaconBlockRoot: beacon.root });
      return await work(beacon.url);
    } finally {
      await beacon.close();
    }
  }

  test("eject at 32.00 ETH: refused by the contract", async () => {
    await withBeaconNode(32_000_000_000, async (beaconUrl) => {
      const refused = await bulwark(["eject", ...as(EJECTOR), "--seth", seth, "--validator-index", "3", "--beacon-node", beaconUrl], 1);
      assert.match(refused.stderr, /BalanceNotBelowThreshold\(32000000000, 31990000000\)/);
      const notOurs = await bulwark(["eject", ...as(EJECTOR), "--seth", seth, "--validator-index", "1", "--beacon-node", beaconUrl], 1);
      assert.match(notOurs.stderr, /validator 1 is not one of/);
    });
  });

  test("eject at 31.98 ETH: C's EIP-7002 request for the key is dequeued; status shows it exiting", async () => {
    const hash = (await withBeaconNode(31_980_000_000, (beaconUrl) => bulwark(["eject", ...as(EJECTOR), "--seth", seth, "--validator-index", "3", "--beacon-node", beaconUrl]))).stdout.trim() as Hex;
    const receipt = (await chain.request("eth_getTransactionReceipt", [hash])) as { blockNumber: Hex; status: Hex };
    assert.equal(receipt.status, "0x1");
    assert.deepEqual(chain.withdrawalRequestsOf(BigInt(receipt.blockNumber)), [{ source: seth.toLowerCase(), pubkey, amountGwei: 0n }]);
    const status = JSON.parse((await bulwark(["status", "--rpc-url", url, "--seth", seth])).stdout) as { validators: Array<{ status: string; validatorIndex: string; ejector: string }>; exitingCount: string };
    assert.equal(status.validators[0]!.status, "exiting");
    assert.equal(status.validators[0]!.validatorIndex, "3");
    assert.equal(status.validators[0]!.ejector, address(EJECTOR));
    assert.equal(status.exitingCount, "1");
  });

  test("redeem queues the staker's sETH; deposit without a readable API token is refused", async () => {
    await bulwark(["redeem", ...as(STAKER), "--seth", seth, "--amount", "10.5"]);
    const status = JSON.parse((await bulwark(["status", "--rpc-url", url, "--seth", seth, "--account", address(STAKER)])).stdout) as { queuedTotal: string; account: { seth: string } };
    assert.equal(status.queuedTotal, parseEther("10.5").toString());
    assert.equal(status.account.seth, parseEther("20.5").toString());
    const missingToken = await bulwark(["deposit", ...as(STAKER), "--seth", seth, "--signer-url", signer!.url, "--api-token-file", join(scratch.path, "nope.txt")], 1);
    assert.match(missingToken.stderr, /cannot read .*nope\.txt/);
    assert.ok(readFileSync(join(dataDir, "api-token.txt"), "utf8").length > 0);
  });

  test("record-exit, the withdrawal arrives, complete, claim, withdraw: the split is exact", async () => {
    const exited = { exitEpoch: 31_000, withdrawableEpoch: 31_256 };
    const args = [...as(EJECTOR), "--seth", seth, "--validator-index", "3"];
    await withBeaconNode(31_980_000_000, (beaconUrl) => bulwark(["record-exit", ...args, "--beacon-node", beaconUrl]), exited);
    const early = await withBeaconNode(0, (beaconUrl) => bulwark(["complete", ...args, "--beacon-node", beaconUrl], 1), exited, 31_300);
    assert.match(early.stderr, /WithdrawalNotArrived\(31980000000000000000, 0\)/);
    await chain.mine({ withdrawals: [{ address: getAddress(seth), amountGwei: 31_980_000_000n }] });
    await withBeaconNode(0, (beaconUrl) => bulwark(["complete", ...args, "--beacon-node", beaconUrl]), exited, 31_300);
    await bulwark(["claim", ...as(EJECTOR), "--seth", seth]);
    type Status = { redemptionReserve: string; queuedTotal: string; validators: Array<{ status: string; ejectorClaim: string }>; account: { owed: string } };
    const staker = JSON.parse((await bulwark(["status", "--rpc-url", url, "--seth", seth, "--account", address(STAKER)])).stdout) as Status;
    const fee = BigInt(staker.validators[0]!.ejectorClaim) - parseEther("0.1");
    assert.equal(staker.validators[0]!.status, "completed");
    assert.equal(staker.redemptionReserve, (parseEther("31") - parseEther("10.5")).toString());
    assert.equal(staker.queuedTotal, "0");
    assert.equal(BigInt(staker.account.owed), parseEther("10.5") + parseEther("0.98") - parseEther("0.1") - fee, "the redemption plus the collateral left");
    const ejector = JSON.parse((await bulwark(["status", "--rpc-url", url, "--seth", seth, "--account", address(EJECTOR)])).stdout) as Status;
    assert.ok(BigInt(ejector.account.owed) >= parseEther("0.1") + fee, "the reward and the fee (plus the change of the fee margin)");
    const before = BigInt((await chain.request("eth_getBalance", [address(STAKER), "latest"])) as string);
    await bulwark(["withdraw", ...as(STAKER), "--seth", seth]);
    const after = BigInt((await chain.request("eth_getBalance", [address(STAKER), "latest"])) as string);
    assert.ok(after - before > BigInt(staker.account.owed) - parseEther("0.01"), "paid, less gas");
    const paid = JSON.parse((await bulwark(["status", "--rpc-url", url, "--seth", seth, "--account", address(STAKER)])).stdout) as Status;
    assert.equal(paid.account.owed, "0");
  });
});
