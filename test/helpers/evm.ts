/**
 * A real Ethereum execution layer in-process for contract tests: @ethereumjs/vm with Prague rules,
 * the network's deposit contract (with its genesis storage) and the EIP-4788, EIP-7002 and EIP-7251
 * system contracts from ../shared/vectors/evm at their addresses, and blocks built the way a client
 * builds them (EIP-4788 root written at the start, the 7002/7251 system calls dequeuing at the end).
 *
 * It answers JSON-RPC (over loopback HTTP with `serve()`, or in-process with `request`), so the
 * code under test talks to it through viem exactly as it talks to a real node.
 *
 * Each transaction sent is mined at once in its own block (unless `automine` is false: then it
 * waits in a pending block until `mine()`, and its state is visible through `getStorage`).
 * The beacon side is the test's: `mine({ parentBeaconBlockRoot })` puts a root where EIP-4788
 * serves it, `mine({ withdrawals })` credits withdrawals as the consensus layer does.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { AddressInfo } from "node:net";
import { createBlock, type Block } from "@ethereumjs/block";
import { Common, Hardfork, Hoodi } from "@ethereumjs/common";
import { createTxFromRLP, type TypedTransaction } from "@ethereumjs/tx";
import { bytesToHex, createZeroAddress, setLengthLeft, createAddressFromString, hexToBytes, type PrefixedHexString } from "@ethereumjs/util";
import { buildBlock, createVM, type BlockBuilder, type TxReceipt, type VM } from "@ethereumjs/vm";
import { keccak256, toHex, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { SHARED_DIR } from "./temp.js";

export const EVM_VECTORS_DIR = join(SHARED_DIR, "vectors", "evm");
export const SYSTEM_ADDRESS = "0xfffffffffffffffffffffffffffffffffffffffe";
export const BEACON_ROOTS_ADDRESS = "0x000F3df6D732807Ef1319fB7B8bB8522d0Beac02";
export const WITHDRAWAL_REQUESTS_ADDRESS = "0x00000961Ef480Eb55e80D19ad83579A64c007002";
export const CONSOLIDATION_REQUESTS_ADDRESS = "0x0000BBdDc7CE488642fb579F8B00f3a590007251";
export const DEPOSIT_CONTRACT_ADDRESS = "0x00000000219ab540356cBB839Cbe05303d7705Fa";
export const BLOCK_GAS_LIMIT = 60_000_000n;
const SLOT_SECONDS = 12;

export interface TestAccount {
  address: Hex;
  privateKey: Hex;
}

/** An EIP-7002 request as the system call returned it at the end of a block. */
export interface DequeuedWithdrawalRequest {
  source: Hex;
  pubkey: Hex;
  amountGwei: bigint;
}

interface MinedTx {
  tx: TypedTransaction;
  receipt: TxReceipt;
  blockNumber: bigint;
  index: number;
  gasUsed: bigint;
  contractAddress?: Hex;
  firstLogIndex: number;
}

interface MinedBlock {
  block: Block;
  txs: MinedTx[];
  withdrawalRequests: DequeuedWithdrawalRequest[];
}

class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: Hex,
  ) {
    super(message);
  }
}

/** Whether the shared vectors are present (tests skip with a printed reason otherwise). */
function evmVectorsPresent(): boolean {
  try {
    readFileSync(join(EVM_VECTORS_DIR, "deposit_contract.runtime.hex"));
    return true;
  } catch {
    return false;
  }
}

/**
 * The `skip` option of a suite that needs the shared EVM vectors: false when they are present,
 * otherwise the reason, which is also printed with `what` the suite is.
 */
export function skipWithoutEvmVectors(what: string): false | string {
  if (evmVectorsPresent()) return false;
  const reason = "../shared/vectors/evm is absent";
  console.log(`# skipping ${what}: ${reason}`);
  return reason;
}

function vectorHex(name: string): string {
  return readFileSync(join(EVM_VECTORS_DIR, name), "utf8").trim();
}

const quantity = (v: bigint | number): Hex => `0x${BigInt(v).toString(16)}`;
const hexOf = (b: Uint8Array): Hex => bytesToHex(b) as Hex;

export interface MineOptions {
  /** The root EIP-4788 stores for this block (the consensus layer's parent beacon block root). */
  parentBeaconBlockRoot?: Hex;
  /** Consensus-layer withdrawals credited at the end of the block. */
  withdrawals?: Array<{ address: Hex; amountGwei: bigint }>;
}

export class TestChain {
  /** Funded accounts (10,000 ETH each), with deterministic keys. */
  readonly accounts: TestAccount[];
  readonly chainId: number;
  /** When false, sent transactions wait in a pending block until mine(). */
  automine = true;
  private readonly blocks: MinedBlock[] = [];
  private readonly txByHash = new Map<string, MinedTx>();
  private pending: { builder: BlockBuilder; txs: MinedTx[]; options: MineOptions } | undefined;
  private nextTimestamp: number;
  private server: Server | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly vm: VM,
    readonly common: Common,
    genesis: Block,
    accounts: TestAccount[],
  ) {
    this.accounts = accounts;
    this.chainId = Number(common.chainId());
    this.blocks.push({ block: genesis, txs: [], withdrawalRequests: [] });
    this.nextTimestamp = Number(genesis.header.timestamp) + SLOT_SECONDS;
  }

  static async start(options: { accounts?: number; genesisTimestamp?: number } = {}): Promise<TestChain> {
    // Hoodi's chain id (560048) and deposit contract address, with Prague rules from genesis.
    const common = new Common({ chain: Hoodi, hardfork: Hardfork.Prague });
    const vm = await createVM({ common });
    const accounts: TestAccount[] = [];
    for (let i = 0; i < (options.accounts ?? 12); i++) {
      const privateKey = keccak256(toHex(`bulwark test account ${i}`));
      accounts.push({ address: privateKeyToAccount(privateKey).address, privateKey });
    }
    const depositStorage = Object.entries(JSON.parse(vectorHex("deposit_contract.genesis_storage.json")) as Record<string, string>);
    const alloc: Record<string, unknown> = {
      [DEPOSIT_CONTRACT_ADDRESS.toLowerCase()]: ["0x0", vectorHex("deposit_contract.runtime.hex"), depositStorage, "0x1"],
      [BEACON_ROOTS_ADDRESS.toLowerCase()]: ["0x0", vectorHex("eip4788_beacon_roots.runtime.hex"), [], "0x1"],
      // Slot 0 left empty (not the deployment's inhibitor): the fee is 1 wei from the first block.
      [WITHDRAWAL_REQUESTS_ADDRESS.toLowerCase()]: ["0x0", vectorHex("eip7002_withdrawal_requests.runtime.hex"), [], "0x1"],
      [CONSOLIDATION_REQUESTS_ADDRESS.toLowerCase()]: ["0x0", vectorHex("eip7251_consolidation_requests.runtime.hex"), [], "0x1"],
    };
    for (const a of accounts) alloc[a.address.toLowerCase()] = [quantity(10_000n * 10n ** 18n), "0x", [], "0x0"];
    await (vm.stateManager as unknown as { generateCanonicalGenesis(s: unknown): Promise<void> }).generateCanonicalGenesis(alloc);
    const genesis = createBlock(
      {
        header: {
          number: 0n,
          gasLimit: BLOCK_GAS_LIMIT,
          baseFeePerGas: 1_000_000_000n,
          timestamp: BigInt(options.genesisTimestamp ?? 1_800_000_000),
          stateRoot: await vm.stateManager.getStateRoot(),
        },
      },
      { common },
    );
    return new TestChain(vm, common, genesis, accounts);
  }

  get latest(): Block {
    return this.blocks[this.blocks.length - 1]!.block;
  }

  /** The timestamp the next block will have. */
  get pendingTimestamp(): number {
    return this.nextTimestamp;
  }

  /** Moves the clock: the next block is `seconds` later than it would have been. */
  advanceTime(seconds: number): void {
    if (this.pending !== undefined) throw new Error("advanceTime with a pending block");
    this.nextTimestamp += seconds;
  }

  /** EIP-7002 requests dequeued by the system call at the end of block `number`. */
  withdrawalRequestsOf(number: bigint): DequeuedWithdrawalRequest[] {
    return this.blocks[Number(number)]?.withdrawalRequests ?? [];
  }

  async getStorage(address: Hex, slot: bigint): Promise<Hex> {
    const value = await this.vm.stateManager.getStorage(createAddressFromString(address), hexToBytes(toHex(slot, { size: 32 })));
    return hexOf(setLengthLeft(value, 32)); // the state manager returns values without leading zeros
  }

  async getBalance(address: Hex): Promise<bigint> {
    const account = await this.vm.stateManager.getAccount(createAddressFromString(address));
    return account?.balance ?? 0n;
  }

  /** Mines the pending block (or an empty one) with these consensus-layer inputs. */
  mine(options: MineOptions = {}): Promise<Block> {
    return this.serialized(async () => {
      if (this.pending === undefined) await this.openBlock(options);
      return this.sealPending();
    });
  }

  private async openBlock(options: MineOptions): Promise<void> {
    const parent = this.latest;
    const builder = await buildBlock(this.vm, {
      parentBlock: parent,
      headerData: {
        timestamp: BigInt(this.nextTimestamp),
        coinbase: "0x0000000000000000000000000000000000000000",
        gasLimit: BLOCK_GAS_LIMIT,
        parentBeaconBlockRoot: hexToBytes((options.parentBeaconBlockRoot ?? `0x${"00".repeat(32)}`) as PrefixedHexString),
      },
      withdrawals: (options.withdrawals ?? []).map((w, i) => ({
        index: BigInt(i),
        validatorIndex: 0n,
        address: w.address,
        amount: w.amountGwei,
      })),
      blockOpts: { putBlockIntoBlockchain: false },
    });
    this.pending = { builder, txs: [], options };
  }

  private async sealPending(): Promise<Block> {
    const pending = this.pending!;
    this.pending = undefined;
    const { block, requests } = await pending.builder.build();
    const withdrawalRequests: DequeuedWithdrawalRequest[] = [];
    const data = requests?.find((r) => r.type === 1)?.data;
    for (let offset = 0; data !== undefined && offset + 76 <= data.length; offset += 76) {
      const record = data.subarray(offset, offset + 76);
      withdrawalRequests.push({
        source: hexOf(record.subarray(0, 20)),
        pubkey: hexOf(record.subarray(20, 68)),
        amountGwei: Buffer.from(record.subarray(68, 76)).readBigUInt64LE(),
      });
    }
    const number = block.header.number;
    for (const mined of pending.txs) mined.blockNumber = number;
    this.blocks.push({ block, txs: pending.txs, withdrawalRequests });
    this.nextTimestamp = Number(block.header.timestamp) + SLOT_SECONDS;
    return block;
  }

  private async sendRaw(raw: Hex): Promise<Hex> {
    let tx: TypedTransaction;
    try {
      tx = createTxFromRLP(hexToBytes(raw as PrefixedHexString), { common: this.common });
    } catch (err) {
      throw new RpcError(-32602, `invalid transaction: ${(err as Error).message}`);
    }
    if (this.pending === undefined) await this.openBlock({});
    const pending = this.pending!;
    const firstLogIndex = pending.txs.reduce((n, t) => n + t.receipt.logs.length, 0);
    let result;
    try {
      result = await pending.builder.addTransaction(tx);
    } catch (err) {
      throw new RpcError(-32000, (err as Error).message);
    }
    const mined: MinedTx = {
      tx,
      receipt: result.receipt,
      blockNumber: this.latest.header.number + 1n,
      index: pending.txs.length,
      gasUsed: result.totalGasSpent,
      firstLogIndex,
      ...(result.createdAddress !== undefined ? { contractAddress: result.createdAddress.toString() as Hex } : {}),
    };
    pending.txs.push(mined);
    const hash = hexOf(tx.hash());
    this.txByHash.set(hash, mined);
    if (this.automine) await this.sealPending();
    return hash;
  }

  private blockAt(tag: unknown): MinedBlock | undefined {
    if (tag === undefined || tag === "latest" || tag === "pending" || tag === "safe" || tag === "finalized") return this.blocks[this.blocks.length - 1];
    if (tag === "earliest") return this.blocks[0];
    return this.blocks[Number(BigInt(tag as string))];
  }

  private async simulate(call: Record<string, string | undefined>): Promise<{ returnValue: Uint8Array; gasUsed: bigint; error?: string }> {
    const vm = await this.vm.shallowCopy();
    await vm.stateManager.setStateRoot(this.latest.header.stateRoot);
    const header = this.latest.header;
    const block = createBlock(
      { header: { number: header.number + 1n, timestamp: BigInt(this.nextTimestamp), gasLimit: BLOCK_GAS_LIMIT, baseFeePerGas: header.calcNextBaseFee() } },
      { common: this.common },
    );
    const caller = call.from !== undefined ? createAddressFromString(call.from) : createZeroAddress();
    const result = await vm.evm.runCall({
      caller,
      origin: caller,
      ...(call.to !== undefined && call.to !== null ? { to: createAddressFromString(call.to) } : {}),
      data: hexToBytes((call.data ?? call.input ?? "0x") as PrefixedHexString),
      value: BigInt(call.value ?? 0),
      gasLimit: call.gas !== undefined ? BigInt(call.gas) : BLOCK_GAS_LIMIT,
      block,
      skipBalance: true,
    });
    const error = result.execResult.exceptionError?.error;
    return { returnValue: result.execResult.returnValue, gasUsed: result.execResult.executionGasUsed, ...(error !== undefined ? { error } : {}) };
  }

  private intrinsicGas(call: Record<string, string | undefined>): bigint {
    const data = hexToBytes((call.data ?? call.input ?? "0x") as PrefixedHexString);
    const zeros = data.filter((b) => b === 0).length;
    const tokens = BigInt(zeros + 4 * (data.length - zeros));
    const create = call.to === undefined || call.to === null;
    const standard = 21_000n + tokens * 4n + (create ? 32_000n + 2n * BigInt(Math.ceil(data.length / 32)) : 0n);
    const floor = 21_000n + tokens * 10n; // EIP-7623
    return standard > floor ? standard : floor;
  }

  private revertError(sim: { returnValue: Uint8Array; error?: string }): RpcError {
    return new RpcError(3, `execution reverted${sim.error !== "revert" ? ` (${sim.error})` : ""}`, hexOf(sim.returnValue));
  }

  private blockJson(mined: MinedBlock, fullTransactions: boolean): Record<string, unknown> {
    const h = mined.block.header;
    return {
      number: quantity(h.number),
      hash: hexOf(mined.block.hash()),
      parentHash: hexOf(h.parentHash),
      timestamp: quantity(h.timestamp),
      gasLimit: quantity(h.gasLimit),
      gasUsed: quantity(h.gasUsed),
      baseFeePerGas: quantity(h.baseFeePerGas ?? 0n),
      miner: h.coinbase.toString(),
      stateRoot: hexOf(h.stateRoot),
      receiptsRoot: hexOf(h.receiptTrie),
      transactionsRoot: hexOf(h.transactionsTrie),
      logsBloom: hexOf(h.logsBloom),
      extraData: hexOf(h.extraData),
      difficulty: "0x0",
      totalDifficulty: "0x0",
      nonce: "0x0000000000000000",
      mixHash: hexOf(h.mixHash),
      sha3Uncles: hexOf(h.uncleHash),
      size: "0x0",
      uncles: [],
      parentBeaconBlockRoot: h.parentBeaconBlockRoot !== undefined ? hexOf(h.parentBeaconBlockRoot) : undefined,
      withdrawals: [],
      transactions: mined.txs.map((t) => (fullTransactions ? this.txJson(t) : hexOf(t.tx.hash()))),
    };
  }

  private txJson(mined: MinedTx): Record<string, unknown> {
    const json = mined.tx.toJSON() as Record<string, unknown>;
    const block = this.blocks[Number(mined.blockNumber)];
    return {
      ...json,
      hash: hexOf(mined.tx.hash()),
      from: mined.tx.getSenderAddress().toString(),
      type: quantity(mined.tx.type),
      input: json.data,
      blockNumber: block !== undefined ? quantity(mined.blockNumber) : null,
      blockHash: block !== undefined ? hexOf(block.block.hash()) : null,
      transactionIndex: block !== undefined ? quantity(mined.index) : null,
    };
  }

  private logsOf(mined: MinedTx, block: MinedBlock): Array<Record<string, unknown>> {
    return mined.receipt.logs.map(([address, topics, data], i) => ({
      address: hexOf(address),
      topics: topics.map(hexOf),
      data: hexOf(data),
      blockNumber: quantity(mined.blockNumber),
      blockHash: hexOf(block.block.hash()),
      transactionHash: hexOf(mined.tx.hash()),
      transactionIndex: quantity(mined.index),
      logIndex: quantity(mined.firstLogIndex + i),
      removed: false,
    }));
  }

  private receiptJson(mined: MinedTx): Record<string, unknown> | null {
    const block = this.blocks[Number(mined.blockNumber)];
    if (block === undefined || !block.txs.includes(mined)) return null;
    const to = mined.tx.to;
    const baseFee = block.block.header.baseFeePerGas ?? 0n;
    const tx = mined.tx as TypedTransaction & { maxFeePerGas?: bigint; maxPriorityFeePerGas?: bigint; gasPrice?: bigint };
    const effectiveGasPrice =
      tx.maxFeePerGas !== undefined
        ? baseFee + (tx.maxPriorityFeePerGas! < tx.maxFeePerGas - baseFee ? tx.maxPriorityFeePerGas! : tx.maxFeePerGas - baseFee)
        : tx.gasPrice ?? 0n;
    return {
      transactionHash: hexOf(mined.tx.hash()),
      transactionIndex: quantity(mined.index),
      blockHash: hexOf(block.block.hash()),
      blockNumber: quantity(mined.blockNumber),
      from: mined.tx.getSenderAddress().toString(),
      to: to !== undefined ? to.toString() : null,
      cumulativeGasUsed: quantity(mined.receipt.cumulativeBlockGasUsed),
      gasUsed: quantity(mined.gasUsed),
      effectiveGasPrice: quantity(effectiveGasPrice),
      contractAddress: mined.contractAddress ?? null,
      logs: this.logsOf(mined, block),
      logsBloom: hexOf(mined.receipt.bitvector),
      status: "status" in mined.receipt && mined.receipt.status === 1 ? "0x1" : "0x0",
      type: quantity(mined.tx.type),
    };
  }

  private getLogs(filter: Record<string, unknown>): Array<Record<string, unknown>> {
    const from = filter.blockHash !== undefined ? undefined : Number(this.blockAt(filter.fromBlock ?? "latest")!.block.header.number);
    const to = filter.blockHash !== undefined ? undefined : Number(this.blockAt(filter.toBlock ?? "latest")!.block.header.number);
    const addresses = filter.address === undefined ? undefined : ([filter.address].flat() as string[]).map((a) => a.toLowerCase());
    const topics = (filter.topics ?? []) as Array<string | string[] | null>;
    const out: Array<Record<string, unknown>> = [];
    for (const block of this.blocks) {
      const n = Number(block.block.header.number);
      if (filter.blockHash !== undefined ? hexOf(block.block.hash()) !== filter.blockHash : n < from! || n > to!) continue;
      for (const mined of block.txs) {
        for (const log of this.logsOf(mined, block)) {
          if (addresses !== undefined && !addresses.includes((log.address as string).toLowerCase())) continue;
          const logTopics = log.topics as string[];
          const match = topics.every((want, i) => want === null || (Array.isArray(want) ? want.includes(logTopics[i]!) : want === logTopics[i]));
          if (match) out.push(log);
        }
      }
    }
    return out;
  }

  /** One JSON-RPC method call, as a node answers it. */
  request(method: string, params: unknown[] = []): Promise<unknown> {
    return this.serialized(() => this.dispatch(method, params));
  }

  private serialized<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async dispatch(method: string, params: unknown[]): Promise<unknown> {
    const p = params as any[];
    switch (method) {
      case "eth_chainId":
        return quantity(this.chainId);
      case "net_version":
        return String(this.chainId);
      case "eth_blockNumber":
        return quantity(this.latest.header.number);
      case "eth_gasPrice":
        return quantity((this.latest.header.calcNextBaseFee() ?? 0n) + 1_000_000_000n);
      case "eth_maxPriorityFeePerGas":
        return quantity(1_000_000_000n);
      case "eth_feeHistory": {
        const count = Math.min(Number(BigInt(p[0])), this.blocks.length);
        const recent = this.blocks.slice(-count);
        return {
          oldestBlock: quantity(recent[0]!.block.header.number),
          baseFeePerGas: [...recent.map((b) => quantity(b.block.header.baseFeePerGas ?? 0n)), quantity(this.latest.header.calcNextBaseFee())],
          gasUsedRatio: recent.map((b) => Number(b.block.header.gasUsed) / Number(b.block.header.gasLimit)),
          reward: recent.map(() => ((p[2] ?? []) as unknown[]).map(() => quantity(1_000_000_000n))),
        };
      }
      case "eth_getBalance":
        return quantity(await this.getBalance(p[0]));
      case "eth_getTransactionCount": {
        const account = await this.vm.stateManager.getAccount(createAddressFromString(p[0]));
        return quantity(account?.nonce ?? 0n);
      }
      case "eth_getCode":
        return hexOf(await this.vm.stateManager.getCode(createAddressFromString(p[0])));
      case "eth_getStorageAt":
        return this.getStorage(p[0], BigInt(p[1]));
      case "eth_sendRawTransaction":
        return this.sendRaw(p[0]);
      case "eth_call": {
        const sim = await this.simulate(p[0]);
        if (sim.error !== undefined) throw this.revertError(sim);
        return hexOf(sim.returnValue);
      }
      case "eth_estimateGas": {
        const sim = await this.simulate(p[0]);
        if (sim.error !== undefined) throw this.revertError(sim);
        // 64/63 for calls that forward all but 1/64 of their gas, and a margin for refunds.
        const estimate = this.intrinsicGas(p[0]) + (sim.gasUsed * 64n) / 63n + sim.gasUsed / 5n + 10_000n;
        return quantity(estimate < BLOCK_GAS_LIMIT ? estimate : BLOCK_GAS_LIMIT);
      }
      case "eth_getTransactionReceipt": {
        const mined = this.txByHash.get(String(p[0]).toLowerCase());
        return mined === undefined ? null : this.receiptJson(mined);
      }
      case "eth_getTransactionByHash": {
        const mined = this.txByHash.get(String(p[0]).toLowerCase());
        return mined === undefined ? null : this.txJson(mined);
      }
      case "eth_getBlockByNumber": {
        const block = this.blockAt(p[0]);
        return block === undefined ? null : this.blockJson(block, p[1] === true);
      }
      case "eth_getBlockByHash": {
        const block = this.blocks.find((b) => hexOf(b.block.hash()) === String(p[0]).toLowerCase());
        return block === undefined ? null : this.blockJson(block, p[1] === true);
      }
      case "eth_getLogs":
        return this.getLogs(p[0] ?? {});
      default:
        throw new RpcError(-32601, `method ${method} not supported by the test chain`);
    }
  }

  /** A loopback HTTP JSON-RPC endpoint over this chain; returns its URL. */
  async serve(): Promise<string> {
    if (this.server === undefined) {
      this.server = createServer((req, res) => {
        void readBody(req).then(async (body) => {
          const answer = async (call: { id?: unknown; method: string; params?: unknown[] }) => {
            try {
              return { jsonrpc: "2.0", id: call.id ?? null, result: await this.request(call.method, call.params ?? []) };
            } catch (err) {
              const e = err instanceof RpcError ? err : new RpcError(-32603, (err as Error).message);
              return { jsonrpc: "2.0", id: call.id ?? null, error: { code: e.code, message: e.message, ...(e.data !== undefined ? { data: e.data } : {}) } };
            }
          };
          let parsed: unknown;
          try {
            parsed = JSON.parse(body);
          } catch {
            res.writeHead(400).end();
            return;
          }
          const result = Array.isArray(parsed) ? await Promise.all(parsed.map(answer)) : await answer(parsed as { method: string });
          res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(result));
        });
      });
      await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    }
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}
