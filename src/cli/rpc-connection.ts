/**
 * The execution-layer connection of the on-chain commands (`pool vault`, `seth`): one way to open
 * it, its two options, and the address arguments and bigint-bearing JSON those commands share.
 */
import { Option } from "commander";
import { getAddress, isAddress, type Address } from "viem";
import { KeyFileError } from "../onchain/key-file.js";
import { connectRpc, type RpcConnection } from "../onchain/rpc.js";
import type { Wallet } from "../onchain/vault-client.js";
import { CliError } from "./errors.js";

export interface RpcOptions {
  rpcUrl: string;
  keyFile?: string;
}

export async function connect(options: RpcOptions): Promise<RpcConnection> {
  try {
    return await connectRpc(options.rpcUrl, options.keyFile);
  } catch (err) {
    if (err instanceof KeyFileError) throw err;
    throw new CliError(`cannot reach ${options.rpcUrl}: ${(err as Error).message.split("\n")[0]}`);
  }
}

/** The sender of a transaction: a command that sends one needs --key-file. */
export function sender(connection: RpcConnection): Wallet {
  if (connection.wallet === undefined) throw new CliError("this command sends a transaction: give --key-file");
  return connection.wallet;
}

export function rpcOption(): Option {
  return new Option("--rpc-url <url>", "execution-layer JSON-RPC endpoint").env("BULWARK_RPC_URL").makeOptionMandatory();
}

export function keyFileOption(): Option {
  return new Option("--key-file <file>", "file (0600) holding the sender's private key, 0x-hex").env("BULWARK_KEY_FILE");
}

/** A commander argument parser for a 20-byte address (any case in, checksummed out). */
export function address(name: string): (value: string) => Address {
  return (value: string) => {
    if (!isAddress(value, { strict: false })) throw new CliError(`${name} must be a 0x-prefixed 20-byte address, got "${value}"`);
    return getAddress(value);
  };
}

/** JSON for stdout, amounts (bigint) as decimal strings. */
export const json = (value: unknown) => JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v), 2);
