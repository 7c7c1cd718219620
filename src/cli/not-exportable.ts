/** Keys generated inside with attestation on never leave: `keys export` refuses them. */
import { isNotExportable } from "../attestation/provenance-store.js";
import { CliError } from "./errors.js";

export function refuseNotExportable(dataDir: string, pubkeys: readonly string[]): void {
  const refused = pubkeys.filter((pubkey) => isNotExportable(dataDir, pubkey));
  if (refused.length > 0) {
    throw new CliError(`not exportable: ${refused.join(", ")} ${refused.length === 1 ? "was" : "were"} generated inside this signer with attestation on, and its provenance statement says it never leaves; nothing exported`);
  }
}
