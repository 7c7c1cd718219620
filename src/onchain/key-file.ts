/** The sender's execution-layer private key, from a file only its owner can read (0600). */
import { readFileSync, statSync } from "node:fs";
import type { Hex } from "viem";
import { codedError } from "../errors/bulwark-error.js";

export class KeyFileError extends codedError("key-file") {
  override name = "KeyFileError";
}

export function readPrivateKeyFile(path: string): Hex {
  let mode: number;
  let text: string;
  try {
    mode = statSync(path).mode;
    text = readFileSync(path, "utf8").trim();
  } catch (err) {
    throw new KeyFileError(`cannot read key file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  if ((mode & 0o077) !== 0) {
    throw new KeyFileError(`key file ${path} is readable by others (mode ${(mode & 0o777).toString(8)}); chmod 600 it`);
  }
  const hex = text.startsWith("0x") ? text.slice(2) : text;
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw new KeyFileError(`key file ${path} must hold one 32-byte private key in hex`);
  return `0x${hex.toLowerCase()}`;
}
