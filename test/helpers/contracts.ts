/** Deploys compiled contracts (dist/contracts) on a test chain through viem. */
import { createPublicClient, createWalletClient, defineChain, http, type Hex, type PublicClient, type WalletClient, type Account, type Chain, type Transport } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { contractArtifact } from "../../src/onchain/artifacts.js";
import type { TestChain } from "./evm.js";

export interface ChainClients {
  chain: Chain;
  publicClient: PublicClient;
  wallet(index: number): WalletClient<Transport, Chain, Account>;
}

export function chainClients(chain: TestChain, url: string): ChainClients {
  const viemChain = defineChain({ id: chain.chainId, name: "bulwark-test", nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 }, rpcUrls: { default: { http: [url] } } });
  const publicClient = createPublicClient({ chain: viemChain, transport: http(url) }) as PublicClient;
  return {
    chain: viemChain,
    publicClient,
    wallet: (index: number) => createWalletClient({ chain: viemChain, transport: http(url), account: privateKeyToAccount(chain.accounts[index]!.privateKey) }),
  };
}

export async function deployArtifact(clients: ChainClients, from: number, name: string, args: readonly unknown[] = []): Promise<Hex> {
  const artifact = contractArtifact(name);
  const hash = await clients.wallet(from).deployContract({ abi: artifact.abi, bytecode: artifact.bytecode, args });
  const receipt = await clients.publicClient.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success" || receipt.contractAddress == null) throw new Error(`deploying ${name} failed`);
  return receipt.contractAddress;
}
