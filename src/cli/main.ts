import { Command } from "commander";
import { useFastHasher } from "../util/fast-hasher.js";
import { CliError } from "./errors.js";

/**
 * The top-level commands, in the order help lists them, each loaded only when needed: a command
 * then starts with its own imports, not every command's (`slashing-protection export` need not
 * load fastify, the EVM client or the attestation verifiers; about a second of CPU per run).
 */
const COMMANDS: ReadonlyArray<readonly [name: string, load: () => Promise<(program: Command) => void>]> = [
  ["serve", async () => (await import("./serve.js")).registerServeCommand],
  ["keys", async () => (await import("./keys.js")).registerKeysCommands],
  ["slashing-protection", async () => (await import("./slashing-protection.js")).registerSlashingProtectionCommands],
  ["pool", async () => (await import("./pool.js")).registerPoolCommands],
  ["attestation", async () => (await import("./attestation.js")).registerAttestationCommands],
  ["seth", async () => (await import("./seth.js")).registerSethCommands],
];

// `bulwark keys list | head -1` closes the pipe early: that is the reader's choice, not an error.
process.stdout.on("error", (err: NodeJS.ErrnoException) => {
  if (err.code === "EPIPE") process.exit(0);
  throw err;
});

useFastHasher();

const program = new Command()
  .name("bulwark")
  .description("Slashing-proof remote signer for Ethereum validators")
  .version("0.1.0")
  .showHelpAfterError();

// The program has no options of its own, so the first argument is the command. Anything else
// (--help, --version, a mistyped command) registers them all, for the full help and suggestions.
const named = COMMANDS.filter(([name]) => name === process.argv[2]);
for (const [, load] of named.length > 0 ? named : COMMANDS) (await load())(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CliError) {
    process.stderr.write(`error: ${err.message}\n`);
    process.exitCode = err.exitCode;
  } else {
    process.stderr.write(`error: ${(err as Error).message}\n`);
    process.exitCode = 1;
  }
}
