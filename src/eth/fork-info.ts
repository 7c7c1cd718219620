import { ssz } from "@lodestar/types";
import { parseHexBytes } from "./hex.js";
import { expectObject, field, joinPath } from "./json-fields.js";
import { decodeSsz } from "./ssz-json.js";
import type { ForkInfo } from "./types.js";

export function parseForkInfo(body: Record<string, unknown>): ForkInfo {
  const forkInfo = expectObject(field(body, "fork_info", ""), "fork_info");
  const fork = expectObject(field(forkInfo, "fork", "fork_info"), "fork_info.fork");
  const version = (key: string): Uint8Array =>
    parseHexBytes(field(fork, key, "fork_info.fork"), 4, joinPath("fork_info.fork", key));
  return {
    fork: {
      previousVersion: version("previous_version"),
      currentVersion: version("current_version"),
      epoch: decodeSsz(ssz.Epoch, field(fork, "epoch", "fork_info.fork"), "fork_info.fork.epoch"),
    },
    genesisValidatorsRoot: parseHexBytes(
      field(forkInfo, "genesis_validators_root", "fork_info"),
      32,
      "fork_info.genesis_validators_root",
    ),
  };
}
