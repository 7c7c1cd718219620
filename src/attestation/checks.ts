/**
 * The outcome of verifying evidence: every check by name, so that a refusal says which check
 * failed and why, and a person or a program can see everything that was (and was not) checked.
 */

export type CheckName =
  | "evidence-format"
  | "collateral-validity"
  | "crl-signatures"
  | "pck-chain"
  | "quote-signature"
  | "qe-report"
  | "collateral-signatures"
  | "tcb-status"
  | "td-attributes"
  | "report-signature"
  | "certificate-chain"
  | "signing-key"
  | "policy"
  | "vmpl"
  | "reported-tcb"
  | "measurements"
  | "report-data"
  | "software-evidence"
  | "statement-signature";

export interface Check {
  name: CheckName;
  ok: boolean;
  detail: string;
}

export class CheckList {
  readonly checks: Check[] = [];

  pass(name: CheckName, detail: string): void {
    this.checks.push({ name, ok: true, detail });
  }

  fail(name: CheckName, detail: string): void {
    this.checks.push({ name, ok: false, detail });
  }

  /** Runs one check; an exception is that check failing with the exception's message. */
  run(name: CheckName, check: () => string): void {
    try {
      this.pass(name, check());
    } catch (err) {
      this.fail(name, (err as Error).message);
    }
  }

  get ok(): boolean {
    return this.checks.length > 0 && this.checks.every((c) => c.ok);
  }

  failed(name: CheckName): boolean {
    return this.checks.some((c) => c.name === name && !c.ok);
  }
}
