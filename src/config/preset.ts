/**
 * Lodestar reads its consensus preset (mainnet, minimal or gnosis) from LODESTAR_PRESET once, when
 * @lodestar/params is first imported. This file must not import it: the launcher calls it first to
 * pick the preset the chosen network needs, wherever the network is named (flag, environment, the
 * YAML options file, a pool definition, or a consensus config.yaml's PRESET_BASE).
 */
import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";

type Preset = "minimal" | "gnosis";

const PRESET_OF_NETWORK: Record<string, Preset> = {
  minimal: "minimal",
  gnosis: "gnosis",
  chiado: "gnosis",
};

function flagValue(args: readonly string[], flag: string): string | undefined {
  let value: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === flag) value = args[i + 1];
    else if (arg.startsWith(`${flag}=`)) value = arg.slice(flag.length + 1);
  }
  return value;
}

/** Reads one top-level key of a YAML file; problems are left for the command itself to report. */
function yamlKey(path: string, key: string): string | undefined {
  try {
    const document = parseYaml(readFileSync(path, "utf8")) as Record<string, unknown> | null;
    const value = document?.[key];
    return typeof value === "string" ? value : undefined;
  } catch {
    return undefined;
  }
}

export function presetForArgs(args: readonly string[], env: NodeJS.ProcessEnv): Preset | undefined {
  const configFile = flagValue(args, "--config") ?? env.BULWARK_CONFIG;
  const poolFile = flagValue(args, "--pool");
  const network =
    flagValue(args, "--network") ??
    env.BULWARK_NETWORK ??
    (configFile !== undefined ? yamlKey(configFile, "network") : undefined) ??
    // A pool definition (JSON, which YAML also reads) names its network too.
    (poolFile !== undefined ? yamlKey(poolFile, "network") : undefined);
  if (network === undefined) return undefined;
  if (network.endsWith(".yaml") || network.endsWith(".yml")) {
    const base = yamlKey(network, "PRESET_BASE");
    return base === "minimal" || base === "gnosis" ? base : undefined;
  }
  return PRESET_OF_NETWORK[network];
}
