/**
 * Lodestar reads its consensus preset (mainnet or minimal) from LODESTAR_PRESET once, when
 * @lodestar/params is first imported. This file must not import it: the launcher calls it first to
 * pick the preset the chosen network needs.
 */
export function presetForArgs(args: readonly string[], env: NodeJS.ProcessEnv): "minimal" | undefined {
  let network = env.BULWARK_NETWORK;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--network") network = args[i + 1];
    else if (arg.startsWith("--network=")) network = arg.slice("--network=".length);
  }
  return network === "minimal" ? "minimal" : undefined;
}
