import { ForkSeq } from "@lodestar/params";
import type { Network } from "../config/networks.js";
import { forkVersionAt } from "./domain.js";
import { bytesEqual } from "./hex.js";
import type { ForkInfo } from "./types.js";

/**
 * Fork version for a VoluntaryExit signature. EIP-7044: from Deneb on, exits are always signed with
 * CAPELLA_FORK_VERSION so that they stay valid forever. Some clients already send the Capella fork
 * in fork_info, others send the current (Deneb or later) fork; both must give the Capella domain.
 */
export function voluntaryExitForkVersion(
  network: Network,
  forkInfo: ForkInfo,
  exitEpoch: number,
): Uint8Array {
  if (denebActive(network, forkInfo)) return network.config.CAPELLA_FORK_VERSION;
  return forkVersionAt(forkInfo.fork, exitEpoch);
}

/**
 * Whether the client's state is at Deneb or later: its fork started at or after DENEB_FORK_EPOCH,
 * or its current version is that of a scheduled Deneb-or-later fork of this network (clients that
 * put the message's epoch in fork.epoch rather than the fork's start are still recognised).
 */
function denebActive(network: Network, forkInfo: ForkInfo): boolean {
  const { config } = network;
  if (!Number.isFinite(config.DENEB_FORK_EPOCH)) return false;
  if (forkInfo.fork.epoch >= config.DENEB_FORK_EPOCH) return true;
  return config.forksAscendingEpochOrder.some(
    (fork) =>
      fork.seq >= ForkSeq.deneb &&
      Number.isFinite(fork.epoch) &&
      bytesEqual(fork.version, forkInfo.fork.currentVersion),
  );
}
