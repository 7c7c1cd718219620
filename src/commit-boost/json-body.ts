/**
 * Request bodies of the Commit-Boost signer API, read from the raw bytes (the JWT's payload_hash
 * covers exactly those). Nonces are unsigned 64-bit integers sent as JSON numbers, and Commit-Boost
 * suggests 2^64-1 for "no nonce": JSON.parse would round them, so their digits are taken from the
 * text itself.
 */
import { codedError } from "../errors/bulwark-error.js";

export class BodyError extends codedError("bad-request") {
  override name = "BodyError";
}

const MAX_U64 = (1n << 64n) - 1n;

/** The top-level object of `text`, each member's raw JSON text by key (the last one wins, as JSON.parse). */
function rawMembers(text: string): Map<string, string> {
  const members = new Map<string, string>();
  let i = 0;
  const space = () => {
    while (i < text.length && " \t\n\r".includes(text[i]!)) i++;
  };
  const skipString = () => {
    i++;
    while (text[i] !== '"') i += text[i] === "\\" ? 2 : 1;
    i++;
  };
  const skipValue = () => {
    if (text[i] === '"') return skipString();
    if (text[i] === "{" || text[i] === "[") {
      let depth = 0;
      do {
        if (text[i] === '"') {
          skipString();
          continue;
        }
        if (text[i] === "{" || text[i] === "[") depth++;
        if (text[i] === "}" || text[i] === "]") depth--;
        i++;
      } while (depth > 0);
      return;
    }
    while (i < text.length && !",}] \t\n\r".includes(text[i]!)) i++;
  };
  space();
  i++; // "{" (the text already parsed as an object)
  for (;;) {
    space();
    if (text[i] === "}") break;
    const keyStart = i;
    skipString();
    const key = JSON.parse(text.slice(keyStart, i)) as string;
    space();
    i++; // ":"
    space();
    const valueStart = i;
    skipValue();
    members.set(key, text.slice(valueStart, i));
    space();
    if (text[i] === ",") i++;
  }
  return members;
}

export interface ParsedBody {
  fields: Record<string, unknown>;
  /** Raw text of a member, for exact integers. */
  raw(key: string): string | undefined;
}

/** Parses a JSON object body; an empty body is an empty object. */
export function parseObjectBody(body: Buffer): ParsedBody {
  const text = body.toString("utf8");
  if (text.trim() === "") return { fields: {}, raw: () => undefined };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new BodyError(`request body is not valid JSON: ${(err as Error).message}`);
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) throw new BodyError("request body must be a JSON object");
  const members = rawMembers(text);
  return { fields: value as Record<string, unknown>, raw: (key) => members.get(key) };
}

/** A required u64 member, as its decimal digits. */
export function u64Field(body: ParsedBody, key: string): string {
  const raw = body.raw(key);
  if (raw === undefined) throw new BodyError(`${key}: required (an unsigned 64-bit integer)`);
  if (!/^(0|[1-9][0-9]{0,19})$/.test(raw) || BigInt(raw) > MAX_U64) throw new BodyError(`${key}: expected an unsigned 64-bit integer, got ${raw.slice(0, 40)}`);
  return raw;
}

/** A required hex member of `bytes` bytes, 0x prefix optional; returned 0x-prefixed lowercase. */
export function hexField(body: ParsedBody, key: string, bytes: number): string {
  const value = body.fields[key];
  const digits = typeof value === "string" ? (value.startsWith("0x") || value.startsWith("0X") ? value.slice(2) : value) : "";
  if (!new RegExp(`^[0-9a-fA-F]{${bytes * 2}}$`).test(digits)) throw new BodyError(`${key}: expected ${bytes} bytes of hex (${bytes * 2} digits, 0x prefix optional)`);
  return `0x${digits.toLowerCase()}`;
}

export function stringField(body: ParsedBody, key: string): string {
  const value = body.fields[key];
  if (typeof value !== "string") throw new BodyError(`${key}: expected a string`);
  return value;
}
