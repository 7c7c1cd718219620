import type { Command } from "commander";

/** `keys new-mnemonic`, `keys generate`, `keys verify-deposit` (being written). */
export function registerKeyGenerationCommands(_keys: Command): void {}
