/**
 * Lodestar reads its consensus preset (mainnet, minimal or gnosis) from LODESTAR_PRESET once, when
 * @lodestar/params is first imported. This file must not import it: the launcher calls it first to
 * pick the preset the chosen network needs.
 */
const PRESET_OF_NETWORK: Record<string, "minimal" | "gnosis"> = {
  minimal: "minimal",
  gnosis: "gnosis",
  chiado: "gnosis",
};

export function presetForArgs(args: readonly string[], env: NodeJS.ProcessEnv): "minimal" | "gnosis" | undefined {
  let network = env.BULWARK_NETWORK;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--network") network = args[i + 1];
    else if (arg.startsWith("--network=")) network = arg.slice("--network=".length);
  }
  return network === undefined ? undefined : PRESET_OF_NETWORK[network];
}
