import { Command } from "commander";
import { useFastHasher } from "../util/fast-hasher.js";
import { TOP_LEVEL_COMMANDS } from "./commands.js";
import { CliError } from "./errors.js";
import { registerCommandGroups } from "./lazy-commands.js";

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

// The program has no options of its own, so the first argument is the command.
await registerCommandGroups(program, TOP_LEVEL_COMMANDS, process.argv.slice(2));

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
