import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createPublicClient, createWalletClient, decodeEventLog, defineChain, http, parseAbi, toHex, type Abi, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import {
  BEACON_ROOTS_ADDRESS,
  DEPOSIT_CONTRACT_ADDRESS,
  EVM_VECTORS_DIR,
  skipWithoutEvmVectors,
  TestChain,
  WITHDRAWAL_REQUESTS_ADDRESS,
} from "../helpers/evm.js";
import { signedDeposit } from "./vault-fixtures.js";

const skip = skipWithoutEvmVectors("EVM harness tests");

describe("test EVM harness (Prague, real system contracts)", { skip }, () => {
  let chain: TestChain;
  let url: string;
  before(async () => {
    chain = await TestChain.start();
    url = await chain.serve();
  });
  after(() => chain.close());

  const clients = () => {
    const c = defineChain({ id: chain.chainId, name: "test", nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 }, rpcUrls: { default: { http: [url] } } });
    const account = privateKeyToAccount(chain.accounts[0]!.privateKey);
    return {
      pub: createPublicClient({ chain: c, transport: http(url) }),
      wallet: createWalletClient({ chain: c, transport: http(url), account }),
      account,
    };
  };

  it("serves the deposit contract with its genesis storage (empty-tree root)", async () => {
    const { pub } = clients();
    const root = await pub.readContract({
      address: DEPOSIT_CONTRACT_ADDRESS,
      abi: parseAbi(["function get_deposit_root() view returns (bytes32)"]),
      functionName: "get_deposit_root",
    });
    assert.equal(root, "0xd70a234731285c6804c2a4f56711ddb8c82c99740f207854891028af34e27e5e");
  });

  it("accepts a real deposit and serves its DepositEvent through eth_getLogs", async () => {
    const { pub, wallet } = clients();
    const depositAbi = JSON.parse(readFileSync(join(EVM_VECTORS_DIR, "deposit_contract.abi.json"), "utf8")) as Abi;
    const credentials = new Uint8Array(32);
    credentials[0] = 1;
    const { deposit } = signedDeposit(credentials);
    const from = await pub.getBlockNumber();
    const hash = await wallet.writeContract({
      address: DEPOSIT_CONTRACT_ADDRESS,
      abi: depositAbi,
      functionName: "deposit",
      args: [`0x${deposit.pubkey}`, `0x${deposit.withdrawal_credentials}`, `0x${deposit.signature}`, `0x${deposit.deposit_data_root}`],
      value: 32n * 10n ** 18n,
    });
    assert.equal((await pub.waitForTransactionReceipt({ hash })).status, "success");
    const logs = await pub.getLogs({ address: DEPOSIT_CONTRACT_ADDRESS, fromBlock: from, toBlock: "latest" });
    assert.equal(logs.length, 1);
    assert.equal(logs[0]!.transactionHash, hash);
    const event = decodeEventLog({ abi: depositAbi, data: logs[0]!.data, topics: logs[0]!.topics }) as unknown as { eventName: string; args: { pubkey: Hex } };
    assert.equal(event.eventName, "DepositEvent");
    assert.equal(event.args.pubkey, `0x${deposit.pubkey}`);
    assert.deepEqual(await pub.getLogs({ address: BEACON_ROOTS_ADDRESS, fromBlock: from }), []);
    const count = await pub.readContract({ address: DEPOSIT_CONTRACT_ADDRESS, abi: depositAbi, functionName: "get_deposit_count" });
    assert.equal(count, "0x0100000000000000", "one deposit (little-endian count)");
  });

  it("stores the parent beacon block root through EIP-4788 and serves it by timestamp", async () => {
    const { pub } = clients();
    const root = toHex(0xabcdefn, { size: 32 });
    const block = await chain.mine({ parentBeaconBlockRoot: root });
    const got = await pub.call({ to: BEACON_ROOTS_ADDRESS, data: toHex(block.header.timestamp, { size: 32 }) });
    assert.equal(got.data, root);
    await assert.rejects(pub.call({ to: BEACON_ROOTS_ADDRESS, data: toHex(block.header.timestamp + 1n, { size: 32 }) }));
  });

  it("queues an EIP-7002 request from a transaction and dequeues it in the block's system call", async () => {
    const { pub, wallet, account } = clients();
    const fee = BigInt((await pub.call({ to: WITHDRAWAL_REQUESTS_ADDRESS })).data!);
    assert.equal(fee, 1n);
    const pubkey = `0x${"ab".repeat(48)}` as Hex;
    chain.automine = false;
    const hash = await wallet.sendTransaction({ to: WITHDRAWAL_REQUESTS_ADDRESS, data: `${pubkey}${"00".repeat(8)}` as Hex, value: fee, gas: 200_000n });
    assert.equal(await chain.getStorage(WITHDRAWAL_REQUESTS_ADDRESS, 3n), toHex(1n, { size: 32 }), "tail is 1 in the pending block");
    assert.equal(BigInt(await chain.getStorage(WITHDRAWAL_REQUESTS_ADDRESS, 4n)), BigInt(account.address));
    assert.equal(await chain.getStorage(WITHDRAWAL_REQUESTS_ADDRESS, 5n), `0x${"ab".repeat(32)}`);
    const block = await chain.mine();
    chain.automine = true;
    const receipt = await pub.getTransactionReceipt({ hash });
    assert.equal(receipt.status, "success");
    assert.deepEqual(chain.withdrawalRequestsOf(block.header.number), [{ source: account.address.toLowerCase(), pubkey, amountGwei: 0n }]);
    assert.equal(BigInt(await chain.getStorage(WITHDRAWAL_REQUESTS_ADDRESS, 3n)), 0n, "queue reset after dequeue");
  });
});
