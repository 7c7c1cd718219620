/**
 * The sETH vault as the issue describes it, in plain TypeScript: what each action should do to
 * supply, queue, reserve and payouts, and which actions must be refused (with the contract's
 * reason). No slashing: a validator's beacon balance is whatever the test's path sets it to.
 */
export const ETH = 10n ** 18n;
export const GWEI = 10n ** 9n;
export const MINTED = 31n * ETH;
export const THRESHOLD_GWEI = 31_990_000_000n;
export const REWARD = ETH / 10n;

export type Status = "active" | "exiting" | "completed";

export interface ModelValidator {
  staker: number;
  status: Status;
  balanceGwei: bigint; // on the beacon chain, until withdrawn
  ejector?: number;
  ejectorClaim: bigint;
}

export interface ModelRedemption {
  owner: number;
  remaining: bigint;
}

export class SethModel {
  readonly validators: ModelValidator[] = [];
  readonly seth = new Map<number, bigint>();
  readonly owed = new Map<number, bigint>();
  readonly queue: ModelRedemption[] = [];
  head = 0;
  reserve = 0n;
  supply = 0n;
  nextToEject = 0;

  get queuedTotal(): bigint {
    return this.queue.slice(this.head).reduce((sum, r) => sum + r.remaining, 0n);
  }

  count(status: Status): bigint {
    return BigInt(this.validators.filter((v) => v.status === status).length);
  }

  private add(map: Map<number, bigint>, who: number, amount: bigint): void {
    map.set(who, (map.get(who) ?? 0n) + amount);
  }

  deposit(staker: number): void {
    this.validators.push({ staker, status: "active", balanceGwei: 32_000_000_000n, ejectorClaim: 0n });
    this.add(this.seth, staker, MINTED);
    this.supply += MINTED;
  }

  /** undefined when the contract must accept, else the reason it must refuse with. */
  ejectRefusal(id: number): string | undefined {
    const v = this.validators[id]!;
    if (v.status !== "active") return "NotActive";
    if (v.balanceGwei >= THRESHOLD_GWEI) return "BalanceNotBelowThreshold";
    return undefined;
  }

  eject(id: number, by: number, fee: bigint): void {
    const v = this.validators[id]!;
    v.status = "exiting";
    v.ejector = by;
    v.ejectorClaim = fee + REWARD;
  }

  /** The validator ejectForRedemptions must pick, or the reason it must refuse. */
  redemptionEjection(): number | string {
    if (this.queuedTotal <= this.reserve + this.count("exiting") * MINTED) return "NoShortfall";
    let id = this.nextToEject;
    while (id < this.validators.length && this.validators[id]!.status !== "active") id++;
    if (id === this.validators.length) return "NothingToEject";
    return id;
  }

  ejectForRedemptions(id: number, by: number, fee: bigint): void {
    this.nextToEject = id + 1;
    const v = this.validators[id]!;
    v.status = "exiting";
    v.ejector = by;
    v.ejectorClaim = fee;
  }

  redeem(owner: number, amount: bigint): void {
    this.add(this.seth, owner, -amount);
    this.supply -= amount;
    this.queue.push({ owner, remaining: amount });
  }

  transfer(from: number, to: number, amount: bigint): void {
    this.add(this.seth, from, -amount);
    this.add(this.seth, to, amount);
  }

  /** The validator exited with its balance, which was withdrawn to C; then `complete`. */
  complete(id: number): void {
    const v = this.validators[id]!;
    const payout = v.balanceGwei * GWEI;
    v.status = "completed";
    v.balanceGwei = 0n;
    const toRedemptions = payout < MINTED ? payout : MINTED;
    const rest = payout - toRedemptions;
    const toEjector = rest < v.ejectorClaim ? rest : v.ejectorClaim;
    this.reserve += toRedemptions;
    if (v.ejector !== undefined) this.add(this.owed, v.ejector, toEjector);
    this.add(this.owed, v.staker, rest - toEjector);
  }

  claim(maxEntries: number): void {
    for (let n = 0; n < maxEntries && this.head < this.queue.length && this.reserve > 0n; n++) {
      const r = this.queue[this.head]!;
      const pay = r.remaining < this.reserve ? r.remaining : this.reserve;
      r.remaining -= pay;
      this.reserve -= pay;
      this.add(this.owed, r.owner, pay);
      if (r.remaining !== 0n) break;
      this.head++;
    }
  }

  withdraw(who: number): bigint {
    const amount = this.owed.get(who) ?? 0n;
    this.owed.set(who, 0n);
    return amount;
  }

  /** ETH at stake on the beacon chain for C's validators not yet completed. */
  atStake(): bigint {
    return this.validators.filter((v) => v.status !== "completed").reduce((sum, v) => sum + v.balanceGwei * GWEI, 0n);
  }
}
