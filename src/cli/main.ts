import { Command } from "commander";
import { useFastHasher } from "../util/fast-hasher.js";
import { registerAttestationCommands } from "./attestation.js";
import { registerKeysCommands } from "./keys.js";
import { registerPoolCommands } from "./pool.js";
import { registerServeCommand } from "./serve.js";
import { registerSethCommands } from "./seth.js";
import { registerSlashingProtectionCommands } from "./slashing-protection.js";
import { CliError } from "./errors.js";

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

registerServeCommand(program);
registerKeysCommands(program);
registerSlashingProtectionCommands(program);
registerPoolCommands(program);
registerAttestationCommands(program);
registerSethCommands(program);

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
