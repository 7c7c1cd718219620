/** The top-level commands of `bulwark`, in the order help lists them (see ./lazy-commands.ts). */
import type { CommandGroup } from "./lazy-commands.js";

export const TOP_LEVEL_COMMANDS: readonly CommandGroup[] = [
  { names: ["serve"], load: async () => (await import("./serve.js")).registerServeCommand },
  { names: ["keys"], load: async () => (await import("./keys.js")).registerKeysCommands },
  { names: ["slashing-protection"], load: async () => (await import("./slashing-protection.js")).registerSlashingProtectionCommands },
  { names: ["pool"], load: async () => (await import("./pool.js")).registerPoolCommands },
  { names: ["attestation"], load: async () => (await import("./attestation.js")).registerAttestationCommands },
  { names: ["seth"], load: async () => (await import("./seth.js")).registerSethCommands },
];
