import { BadRequestError } from "./errors.js";
import { isHex } from "../util/hex.js";

export function parseHexBytes(value: unknown, length: number, path: string): Uint8Array {
  if (!isHex(value, length)) {
    throw new BadRequestError(path, `expected 0x-prefixed ${length}-byte hex`);
  }
  return Uint8Array.from(Buffer.from(value.slice(2), "hex"));
}
