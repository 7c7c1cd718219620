import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createPublicClient, createWalletClient, defineChain, http, parseAbi, toHex, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import {
  BEACON_ROOTS_ADDRESS,
  DEPOSIT_CONTRACT_ADDRESS,
  evmVectorsPresent,
  TestChain,
  WITHDRAWAL_REQUESTS_ADDRESS,
} from "../helpers/evm.js";

const present = evmVectorsPresent();
if (!present) console.log("# skipping EVM harness tests: ../shared/vectors/evm is absent");

describe("test EVM harness (Prague, real system contracts)", { skip: !present }, () => {
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
