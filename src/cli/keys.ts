import type { Command } from "commander";
import { registerKeyGenerationCommands } from "./keys-generation.js";
import { registerKeyStoreCommands } from "./keys-store.js";

export function registerKeysCommands(program: Command): void {
  const keys = program.command("keys").description("generate validator keys and manage the signer's sealed key store");
  registerKeyGenerationCommands(keys);
  registerKeyStoreCommands(keys);
}
