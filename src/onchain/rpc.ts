/** viem clients for any execution-layer JSON-RPC endpoint; the chain id is asked from the node. */
import { createPublicClient, createWalletClient, defineChain, http, type Chain, type PublicClient } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { readPrivateKeyFile } from "./key-file.js";
import type { Wallet } from "./vault-client.js";

export interface RpcConnection {
  chain: Chain;
  publicClient: PublicClient;
  /** Present when a key file was given. */
  wallet?: Wallet;
}

export async function connectRpc(rpcUrl: string, keyFile?: string): Promise<RpcConnection> {
  const probe = createPublicClient({ transport: http(rpcUrl) });
  const id = await probe.getChainId();
  const chain = defineChain({ id, name: `chain ${id}`, nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 }, rpcUrls: { default: { http: [rpcUrl] } } });
  const publicClient = createPublicClient({ chain, transport: http(rpcUrl) }) as PublicClient;
  if (keyFile === undefined) return { chain, publicClient };
  const account = privateKeyToAccount(readPrivateKeyFile(keyFile));
  return { chain, publicClient, wallet: createWalletClient({ chain, transport: http(rpcUrl), account }) };
}
