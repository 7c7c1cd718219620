/**
 * A loopback stand-in for the beacon-node API calls a state proof needs: one block (header, SSZ
 * post-state through the debug API, validator lookup by pubkey) and its child block, whose execution
 * payload timestamp is the test chain block where EIP-4788 serves the first block's root.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { toHex, type Hex } from "viem";
import { beaconBlockRoot, type BeaconBlockHeaderFields } from "../../src/onchain/beacon-proof.js";
import type { TestBeaconState } from "./beacon-state.js";

export interface BeaconNodeStandIn {
  url: string;
  /** The block's root (what EIP-4788 must serve at childTimestamp). */
  root: Hex;
  close(): Promise<void>;
}

export async function startBeaconNode(state: TestBeaconState, fork: string, header: Omit<BeaconBlockHeaderFields, "stateRoot">, childTimestamp: bigint): Promise<BeaconNodeStandIn> {
  const stateRoot = toHex(state.hashTreeRoot());
  const full = { ...header, stateRoot };
  const root = beaconBlockRoot(full);
  const childRoot = toHex(0xc41dn, { size: 32 });
  const headerJson = {
    root,
    canonical: true,
    header: {
      message: { slot: String(header.slot), proposer_index: String(header.proposerIndex), parent_root: header.parentRoot, state_root: stateRoot, body_root: header.bodyRoot },
      signature: `0x${"00".repeat(96)}`,
    },
  };
  const stateBytes = state.serialize();
  const validators = state.validators.getAllReadonlyValues().map((v) => toHex(v.pubkey));
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    const json = (body: unknown) => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
    if (url.pathname === `/eth/v1/beacon/headers/${root}` || url.pathname === "/eth/v1/beacon/headers/finalized") return json({ data: headerJson });
    if (url.pathname === "/eth/v1/beacon/headers" && url.searchParams.get("parent_root") === root) return json({ data: [{ root: childRoot, canonical: true }] });
    if (url.pathname === `/eth/v2/beacon/blocks/${childRoot}`) return json({ version: fork, data: { message: { body: { execution_payload: { timestamp: String(childTimestamp) } } } } });
    if (url.pathname === `/eth/v2/debug/beacon/states/${stateRoot}`) {
      return res.writeHead(200, { "content-type": "application/octet-stream", "eth-consensus-version": fork }).end(Buffer.from(stateBytes));
    }
    const lookup = url.pathname.match(/^\/eth\/v1\/beacon\/states\/(0x[0-9a-f]{64})\/validators\/(0x[0-9a-f]{96})$/);
    if (lookup !== null && lookup[1] === stateRoot) {
      const index = validators.indexOf(lookup[2] as Hex);
      if (index >= 0) return json({ data: { index: String(index) } });
    }
    res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ code: 404, message: "not found" }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, root, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
