/** Compares the report data in hardware evidence with what the verifier recomputed. */
import type { CheckList } from "./checks.js";

export function checkReportData(checks: CheckList, actual: Buffer, expected: Buffer | undefined, what: string): void {
  if (expected === undefined) return;
  if (actual.equals(expected)) checks.pass("report-data", `${what} binds ${expected.toString("hex")}`);
  else checks.fail("report-data", `${what} is ${actual.toString("hex")}, expected ${expected.toString("hex")}`);
}
