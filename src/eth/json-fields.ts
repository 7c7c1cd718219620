import { BadRequestError } from "./errors.js";

export type JsonObject = Record<string, unknown>;

export function joinPath(parent: string, key: string): string {
  return parent === "" ? key : `${parent}.${key}`;
}

export function expectObject(value: unknown, path: string): JsonObject {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new BadRequestError(path, "expected a JSON object");
  }
  return value as JsonObject;
}

export function snakeToCamel(key: string): string {
  return key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/**
 * Reads `key` (snake_case), falling back to its camelCase spelling: Web3Signer's own examples mix
 * both (`signingRoot`, `previousVersion`), and clients followed them.
 */
export function optionalField(obj: JsonObject, key: string): unknown {
  const value = obj[key];
  if (value !== undefined) return value;
  const camel = snakeToCamel(key);
  return camel === key ? undefined : obj[camel];
}

export function field(obj: JsonObject, key: string, parentPath: string): unknown {
  const value = optionalField(obj, key);
  if (value === undefined || value === null) {
    throw new BadRequestError(joinPath(parentPath, key), "missing");
  }
  return value;
}
