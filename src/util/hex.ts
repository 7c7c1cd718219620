/** The 0x-hex strings of the APIs and files, and the raw bytes behind them: one set of conversions. */

const HEX = /^0x(?:[0-9a-fA-F]{2})*$/;

export function toHex(bytes: Uint8Array): string {
  return "0x" + Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}

export function hexToBytes(hex: string): Buffer {
  return Buffer.from(hex.slice(2), "hex");
}

/** The bytes of hex with or without its 0x, as a Uint8Array of their own (not a view of a Buffer pool). */
export function bytesOfHex(hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex.replace(/^0x/, ""), "hex"));
}

/**
 * Whether `value` is 0x-prefixed hex of whole bytes (the SSZ library's own parser is lax), and, when
 * `bytes` is given, of exactly that many bytes.
 */
export function isHex(value: unknown, bytes?: number): value is string {
  return typeof value === "string" && HEX.test(value) && (bytes === undefined || value.length === 2 + 2 * bytes);
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}
