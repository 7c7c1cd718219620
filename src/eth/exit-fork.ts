import { ForkSeq } from "@lodestar/params";
import type { Network } from "../config/networks.js";
import { networkForkVersionAt } from "./domain.js";
import { bytesEqual } from "../util/hex.js";
import type { ForkInfo } from "./types.js";

/**
 * Fork version for a VoluntaryExit signature. EIP-7044: from Deneb on, exits are verified with
 * CAPELLA_FORK_VERSION whatever their epoch, so that they stay valid forever. EIP-7044-aware clients
 * send the Capella fork in fork_info, others the current (Deneb or later) one, so the client's state
 * being at Capella or later, or the exit epoch being at or after Deneb, selects the Capella version on
 * any network that schedules Deneb. Otherwise (a network without Deneb, or a client state before
 * Capella) the network's schedule at the exit epoch applies, as get_domain did before Deneb.
 */
export function voluntaryExitForkVersion(network: Network, forkInfo: ForkInfo, exitEpoch: number): Uint8Array {
  const { config } = network;
  if (Number.isFinite(config.DENEB_FORK_EPOCH)) {
    const clientFork = config.forksAscendingEpochOrder.find(
      (fork) => Number.isFinite(fork.epoch) && bytesEqual(fork.version, forkInfo.fork.currentVersion),
    );
    if (exitEpoch >= config.DENEB_FORK_EPOCH || (clientFork !== undefined && clientFork.seq >= ForkSeq.capella)) {
      return config.CAPELLA_FORK_VERSION;
    }
  }
  return networkForkVersionAt(network, exitEpoch);
}
