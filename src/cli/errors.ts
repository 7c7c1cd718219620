import { BulwarkError } from "../errors/bulwark-error.js";

/** An error the user caused or can fix; printed as one line without a stack trace. */
export class CliError extends BulwarkError<"cli"> {
  override name = "CliError";
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super("cli", message);
  }
}
