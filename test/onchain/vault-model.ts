/**
 * The vault's accounting as a plain TypeScript model, written from the rules (not from the
 * contract): what each party is owed after reward splits and the settlement.
 */
export interface ModelTerms {
  aggregatorBond: bigint;
  operatorBond: bigint;
  operators: number;
  aggregatorRewardBps: bigint;
  operatorRewardBps: bigint;
}

export type Party = "aggregator" | "stakePool" | `operator${number}`;

const DEPOSIT = 32n * 10n ** 18n;

export class VaultModel {
  readonly owed = new Map<Party, bigint>();
  /** ETH in the vault that nobody is owed yet (after staking). */
  unallocated = 0n;
  settled = false;
  /** Set by settle: what the stake pool got of its principal, and what all bonds got. */
  settlement: { toStakePool: bigint; toBonds: bigint } | undefined;

  constructor(readonly terms: ModelTerms) {}

  get funding(): bigint {
    return DEPOSIT - this.bonds;
  }

  get bonds(): bigint {
    return this.terms.aggregatorBond + BigInt(this.terms.operators) * this.terms.operatorBond;
  }

  private operatorNames(): Party[] {
    return Array.from({ length: this.terms.operators }, (_, i) => `operator${i}` as Party);
  }

  private credit(party: Party, amount: bigint): void {
    this.owed.set(party, (this.owed.get(party) ?? 0n) + amount);
  }

  arrive(wei: bigint): void {
    this.unallocated += wei;
  }

  private split(amount: bigint): void {
    const toAggregator = (amount * this.terms.aggregatorRewardBps) / 10_000n;
    const toOperator = (amount * this.terms.operatorRewardBps) / 10_000n;
    this.credit("aggregator", toAggregator);
    for (const op of this.operatorNames()) this.credit(op, toOperator);
    this.credit("stakePool", amount - toAggregator - toOperator * BigInt(this.terms.operators));
  }

  distribute(): void {
    this.split(this.unallocated);
    this.unallocated = 0n;
  }

  settle(): void {
    const pot = this.unallocated;
    this.unallocated = 0n;
    this.settled = true;
    const toStakePool = pot < this.funding ? pot : this.funding;
    this.credit("stakePool", toStakePool);
    const rest = pot - toStakePool;
    const toBonds = rest < this.bonds ? rest : this.bonds;
    if (toBonds === this.bonds) {
      this.credit("aggregator", this.terms.aggregatorBond);
      for (const op of this.operatorNames()) this.credit(op, this.terms.operatorBond);
    } else if (toBonds > 0n) {
      // Pro rata by bond; the aggregator's part also takes the rounding remainder.
      const each = (toBonds * this.terms.operatorBond) / this.bonds;
      for (const op of this.operatorNames()) this.credit(op, each);
      this.credit("aggregator", toBonds - each * BigInt(this.terms.operators));
    }
    this.split(rest - toBonds);
    this.settlement = { toStakePool, toBonds };
  }

  take(party: Party): bigint {
    const amount = this.owed.get(party) ?? 0n;
    this.owed.set(party, 0n);
    return amount;
  }
}
