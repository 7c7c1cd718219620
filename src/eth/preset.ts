import { ACTIVE_PRESET } from "@lodestar/params";
import { gnosisPreset } from "@lodestar/params/presets/gnosis";
import { mainnetPreset } from "@lodestar/params/presets/mainnet";
import { minimalPreset } from "@lodestar/params/presets/minimal";
import type { Network } from "../config/networks.js";
import { PresetMismatchError } from "./errors.js";

const SLOTS_PER_EPOCH_BY_PRESET: Record<string, number> = {
  mainnet: mainnetPreset.SLOTS_PER_EPOCH,
  minimal: minimalPreset.SLOTS_PER_EPOCH,
  gnosis: gnosisPreset.SLOTS_PER_EPOCH,
};

/**
 * Refuses a network whose preset is not the one this process's SSZ types were built for.
 * @lodestar/params fixes the preset (SLOTS_PER_EPOCH, list and bitvector sizes) when first imported,
 * from LODESTAR_PRESET; a block or contribution hashed with another preset's types would give a
 * wrong root without any error. (@lodestar/config already refuses to build such a network; this
 * guards hand-built Network objects.)
 */
export function assertProcessPreset(network: Network): void {
  const preset = network.config.PRESET_BASE;
  if (preset !== ACTIVE_PRESET) {
    throw new PresetMismatchError(
      `network ${network.name} uses the ${preset} preset but this process was started with the ` +
        `${ACTIVE_PRESET} preset; start it with LODESTAR_PRESET=${preset}`,
    );
  }
}

/** SLOTS_PER_EPOCH of the network's own preset (mainnet 32, minimal 8, gnosis 16). */
export function slotsPerEpoch(network: Network): number {
  const slots = SLOTS_PER_EPOCH_BY_PRESET[network.config.PRESET_BASE];
  if (slots === undefined) {
    throw new PresetMismatchError(`network ${network.name} has unknown preset ${network.config.PRESET_BASE}`);
  }
  return slots;
}
