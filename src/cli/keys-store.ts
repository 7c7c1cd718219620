import type { Command } from "commander";

/** `keys import`, `keys list`, `keys export`, `keys delete` (being written). */
export function registerKeyStoreCommands(_keys: Command): void {}
