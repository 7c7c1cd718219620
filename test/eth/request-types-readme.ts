/**
 * Test-only: the README's request-type table as the code's table renders it. request-types.test.ts
 * compares the README with this; printing it (node dist/test/eth/request-types-readme.js) gives the
 * rows to paste after adding a type.
 */
import { REQUEST_TYPES, type RequestTypeSpec, SIGNING_REQUEST_TYPES } from "../../src/eth/index.js";

export const README_TABLE_HEADER = [
  "| type | body key | signs | `fork_info` | batch | slashing protection |",
  "|---|---|---|---|---|---|",
];

export function readmeRow(type: string, spec: RequestTypeSpec): string {
  const protection = spec.recorded === null ? spec.protection : `**${spec.recorded} record**; ${spec.protection}`;
  const yesNo = (value: boolean) => (value ? "yes" : "no");
  return `| \`${type}\` | \`${spec.bodyKey}\` | ${spec.signs} | ${yesNo(spec.forkInfo)} | ${yesNo(spec.batch)} | ${protection} |`;
}

export function readmeTable(): string[] {
  return [...README_TABLE_HEADER, ...SIGNING_REQUEST_TYPES.map((type) => readmeRow(type, REQUEST_TYPES[type]))];
}

if (process.argv[1]?.endsWith("request-types-readme.js")) console.log(readmeTable().join("\n"));
