/**
 * Configuration precedence for long-running commands: flags > BULWARK_* environment > YAML file >
 * defaults. Commander already ranks flags over environment over defaults; this slots the YAML file
 * (keys named like the long flags, e.g. `http-port: 9000`) just above the defaults.
 */
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { parse as parseYaml } from "yaml";
import { codedError } from "../errors/bulwark-error.js";

export class ConfigFileError extends codedError("config-file") {
  override name = "ConfigFileError";
}

export function applyConfigFile(command: Command, path: string): void {
  let document: unknown;
  try {
    document = parseYaml(readFileSync(path, "utf8"));
  } catch (err) {
    throw new ConfigFileError(`config file ${path}: ${(err as Error).message}`);
  }
  if (document === null || document === undefined) return;
  if (typeof document !== "object" || Array.isArray(document)) {
    throw new ConfigFileError(`config file ${path}: expected a mapping of option names to values`);
  }
  const byName = new Map(command.options.map((option) => [option.long?.replace(/^--/, ""), option]));
  for (const [key, value] of Object.entries(document)) {
    const option = byName.get(key);
    if (option === undefined || key === "config") {
      throw new ConfigFileError(`config file ${path}: unknown option "${key}" (use the long flag names, e.g. http-port)`);
    }
    const name = option.attributeName();
    const source = command.getOptionValueSource(name);
    if (source === "cli" || source === "env") continue;
    command.setOptionValueWithSource(name, option.isBoolean() ? Boolean(value) : configValue(value), "config");
  }
}

function configValue(value: unknown): string | string[] {
  if (Array.isArray(value)) return value.map(String);
  return String(value);
}
