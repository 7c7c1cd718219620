/** The execution-layer connection of the on-chain commands (`pool vault`, `seth`): one way to open it. */
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
