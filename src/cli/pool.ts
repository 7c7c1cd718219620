/**
 * `bulwark pool …`: the low-bond threshold pool from the command line.
 *
 * Operator side: `operator-init`, `operator-id`, `join`, `exit-share`.
 * Aggregator side: `create` (the key ceremony), `presign-exit` (then the whole key is destroyed),
 * `exit` (submit the pre-signed exit).
 * Anyone: `exit-combine` (M partial exits into a SignedVoluntaryExit), `status`.
 * The identity and ceremony commands are registered from ./pool-ceremony.js, the exits from
 * ./pool-exits.js, the servers (`participant`, `aggregator`) from ./pool-servers.js and the vault
 * from ./pool-vault.js; what they share is in ./pool-common.js.
 *
 * Machine-readable results go to stdout (an identity, a composite key, a file path, exit JSON);
 * explanations go to stderr.
 */
import type { Command } from "commander";
import { dataDirStatus } from "../pool/storage/status.js";
import { readSealingSecret } from "../keys/sealed-store.js";
import { dataDirOption } from "./common-options.js";
import { type CommandGroup, registerCommandGroups } from "./lazy-commands.js";
import { run, say, sealingOption, type SealingOptions } from "./pool-common.js";

/** The pool's subcommands by module, in help order; each module loads only when needed. */
export const POOL_COMMAND_GROUPS: readonly CommandGroup[] = [
  { names: ["operator-init", "operator-id", "create", "join"], load: async () => (await import("./pool-ceremony.js")).registerPoolCeremonyCommands },
  { names: ["status"], load: async () => registerPoolStatusCommand },
  { names: ["presign-exit", "exit", "exit-share", "exit-combine"], load: async () => (await import("./pool-exits.js")).registerPoolExitCommands },
  { names: ["participant", "aggregator"], load: async () => (await import("./pool-servers.js")).registerPoolServerCommands },
  { names: ["vault"], load: async () => (await import("./pool-vault.js")).registerPoolVaultCommands },
];

export async function registerPoolCommands(program: Command, rest: readonly string[]): Promise<void> {
  const pool = program
    .command("pool")
    .description("low-bond threshold pool: operator identity, key ceremony, join, pre-signed and operator exits, servers");
  await registerCommandGroups(pool, POOL_COMMAND_GROUPS, rest);
}

function registerPoolStatusCommand(pool: Command): void {
  pool
    .command("status")
    .description("what this data directory holds of each pool (share, whole key, pre-signed exit)")
    .addOption(dataDirOption())
    .addOption(sealingOption())
    .action(
      run(async (options: SealingOptions) => {
        let secret: Buffer | undefined;
        try {
          secret = readSealingSecret(options.sealingPassphraseFile !== undefined ? { passphraseFile: options.sealingPassphraseFile } : {});
        } catch {
          secret = undefined;
        }
        try {
          const status = await dataDirStatus(options.dataDir, secret);
          if (status.identity !== undefined) process.stdout.write(`identity ${status.identity}\n`);
          for (const p of status.pools) {
            const share = typeof p.share === "number" ? `participant ${p.share}` : `share ${p.share}`;
            const wholeKey =
              p.wholeKey === "present"
                ? "whole key sealed"
                : p.wholeKey === "unknown"
                  ? "whole key unknown (no sealing secret)"
                  : p.presignedExit !== undefined
                    ? "whole key destroyed"
                    : "whole key not on disk";
            const exit = p.presignedExit !== undefined ? "exit pre-signed" : "exit not pre-signed";
            process.stdout.write(`${p.compositePublicKey} ${p.network} ${p.threshold}-of-${p.participants}: ${share}; ${wholeKey}; ${exit}\n`);
          }
          if (status.pools.length === 0) say(`no pools in ${options.dataDir}`);
          if (!status.wholeKeyStore) say("no whole-key store in this data directory (no whole key on disk)");
        } finally {
          secret?.fill(0);
        }
      }),
    );
}
