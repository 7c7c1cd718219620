import { BadRequestError } from "./errors.js";

const HEX = /^0x(?:[0-9a-fA-F]{2})*$/;

export function toHex(bytes: Uint8Array): string {
  return "0x" + Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}

/** Whether `value` is 0x-prefixed hex of whole bytes (the SSZ library's own parser is lax). */
export function isHex(value: unknown): value is string {
  return typeof value === "string" && HEX.test(value);
}

export function parseHexBytes(value: unknown, length: number, path: string): Uint8Array {
  if (!isHex(value) || value.length !== 2 + 2 * length) {
    throw new BadRequestError(path, `expected 0x-prefixed ${length}-byte hex`);
  }
  return Uint8Array.from(Buffer.from(value.slice(2), "hex"));
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}
