/**
 * The pool aggregator: answers the ordinary Web3Signer signing API for a pool's composite key (so
 * the operators' validator clients point at it) by combining partial signatures of the operators'
 * participants. It implements SigningService, so src/server/app.ts serves it unchanged.
 *
 * For every request:
 *  1. parse the typed request and compute the signing root and the slashing facts itself
 *     (400/412 before anything is sent out);
 *  2. a signature already recovered for the identical signing root is reused (bounded LRU
 *     cache), and an identical request already being fanned out is joined: no new fan-out;
 *  3. otherwise fan the identical body out to every participant in parallel with a deadline,
 *     recover from the first M well-formed partials and verify the result once against the
 *     composite key; only if that fails verify the partials one by one, naming the faulty
 *     participants, and wait for others (src/pool/signing/fanout.ts, quorum.ts); no verified
 *     signature: 503 naming each participant that failed and why (412 instead when so many
 *     participants refused on slashing grounds that no quorum could ever form);
 *  4. meanwhile, from the moment the fan-out starts, check and durably record the aggregator's own
 *     slashing protection for the composite key (also for a cached signature, as a repeat):
 *     refused, 412, nothing released;
 *  5. release only when both succeeded: the verified signature and the durable record; cache it.
 * Non-slashable types (RANDAO, selection proofs, sync committee, ...) skip step 4 only.
 * The signing policy (src/protection/policy.ts: time horizon, start guard, deposits, ...) refuses
 * in step 1, 412; participants apply their own, and their policy refusals count like slashing ones.
 */
import { PublicKey } from "@chainsafe/blst";
import type { Logger } from "pino";
import { componentPublicKey, initThreshold } from "../../bls/threshold.js";
import type { Network } from "../../config/networks.js";
import type { BatchOutcome, CoreHealth, SignError, SigningService, SignOutcome } from "../../core/api.js";
import { checkBatchIdentifiers } from "../../eth/batch-identifiers.js";
import { BATCH_TYPES, computeSigningRoot, parseSigningRequest, type SigningRootResult } from "../../eth/index.js";
import { signErrorOf } from "../../errors/route.js";
import { checkPolicy, type SigningPolicy, startGuardStatus } from "../../protection/policy.js";
import { describeRefusal } from "../../protection/rules.js";
import type { ProtectionStore } from "../../protection/store.js";
import { protectionRequestOf } from "../../protection/request-of.js";
import type { PoolDefinition } from "../definition.js";
import { atMostEvery, PROBE_INTERVAL_MS } from "./probe-cache.js";
import { LatePartialVerifier } from "./late-verify.js";
import { describeFailures, fanOut, type FanoutObserver, type FanoutResult, type FanoutTarget } from "./fanout.js";
import { defaultTransport, type ParticipantTransport } from "./participant-http.js";
import { codedError } from "../../errors/bulwark-error.js";

/** A participant's account document is a few hundred bytes; more is not an account. */
const PROBE_RESPONSE_BYTES = 64 * 1024;

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export const DEFAULT_DEADLINE_MS = 2000;
export const DEFAULT_CACHE_SIZE = 4096;

/** Hooks for metrics (PoolMetrics) and benchmarks; the aggregator never depends on prom-client. */
export interface AggregatorObserver extends FanoutObserver {
  /**
   * Aggregator CPU time of one signature: verifying the M partials used, recovering, verifying the
   * result; and the part of it on the critical path (the verification of the partial that completed
   * the quorum, recovery, final verification), the rest having overlapped with the wait.
   */
  overheadSeconds(seconds: number, criticalPathSeconds: number): void;
  fanout(outcome: "quorum" | "refused_slashing" | "unavailable"): void;
  cacheHit(): void;
}

export interface AggregatorOptions {
  network: Network;
  /** The aggregator's own slashing-protection store; closed by `close()`. */
  store: ProtectionStore;
  pool: PoolDefinition;
  /** The bearer token each participant (by id) expects from this aggregator; one per participant. */
  tokens: ReadonlyMap<number, string>;
  /** How long to wait for M valid partials (default 2000 ms). */
  deadlineMs?: number;
  /** Recovered signatures kept for identical retries (default 4096; 0 disables the cache). */
  cacheSize?: number;
  observer?: AggregatorObserver;
  logger?: Logger;
  /** How participants are asked (default: node:http keep-alive, participant-http.ts); tests fake them here. */
  transport?: ParticipantTransport;
  /** What the aggregator refuses whatever the history says (time horizon, start guard, deposits, ...). */
  policy: SigningPolicy;
  /** The wall clock, Unix ms; default Date.now. */
  now?: () => number;
}

/** The aggregator cannot start with this pool, network or configuration. */
export class PoolAggregatorError extends codedError("pool-aggregator-config") {
  override name = "PoolAggregatorError";
}

/** Counters for tests and benchmarks (the metrics have the same and more). */
export interface AggregatorStats {
  /** Fan-outs started (one per distinct signing root not in the cache). */
  fanouts: number;
  /** Requests answered from the cache of recovered signatures. */
  cacheHits: number;
  /** Requests that joined an identical request's fan-out already under way. */
  joined: number;
  /** Rounds of /healthcheck probes sent to the participants. */
  probes: number;
}

type Failure = { ok: false; error: SignError };

const fail = (code: SignError["code"], message: string, reason?: string): Failure => ({
  ok: false,
  error: { code, message, ...(reason !== undefined ? { reason } : {}) },
});

/** One fan-out, shared by identical concurrent requests; `recovered` once a request passed protection. */
interface Job {
  fanout: Promise<FanoutResult>;
  recovered?: SignOutcome;
}

export class PoolAggregator implements SigningService {
  readonly composite: string;
  readonly threshold: number;
  readonly stats: AggregatorStats = { fanouts: 0, cacheHits: 0, joined: 0, probes: 0 };
  private readonly compositeKey: PublicKey;
  private readonly targets: FanoutTarget[];
  private readonly network: Network;
  private readonly store: ProtectionStore;
  private readonly deadlineMs: number;
  private readonly cacheSize: number;
  private readonly observer: AggregatorObserver | undefined;
  private readonly logger: Logger | undefined;
  private readonly transport: ParticipantTransport;
  private readonly policy: SigningPolicy;
  private readonly now: () => number;
  /** Signing root (0x-hex) → recovered, verified signature; Map order is the LRU order. */
  private readonly cache = new Map<string, string>();
  private readonly jobs = new Map<string, Job>();
  private readonly lateVerifier = new LatePartialVerifier();

  private constructor(options: AggregatorOptions, targets: FanoutTarget[], compositeKey: PublicKey) {
    this.network = options.network;
    this.store = options.store;
    this.composite = options.pool.compositePublicKey.toLowerCase();
    this.threshold = options.pool.threshold;
    this.compositeKey = compositeKey;
    this.targets = targets;
    this.deadlineMs = options.deadlineMs ?? DEFAULT_DEADLINE_MS;
    this.cacheSize = options.cacheSize ?? DEFAULT_CACHE_SIZE;
    this.observer = options.observer;
    this.logger = options.logger;
    this.transport = options.transport ?? defaultTransport();
    this.policy = options.policy;
    this.now = options.now ?? Date.now;
  }

  /**
   * Checks the pool against the network and itself (every component key must be the commitments
   * evaluated at its id) and that every participant has a token, then builds the aggregator.
   */
  static async create(options: AggregatorOptions): Promise<PoolAggregator> {
    await initThreshold();
    const { pool, network } = options;
    if (pool.genesisValidatorsRoot.toLowerCase() !== network.genesisValidatorsRoot.toLowerCase()) {
      throw new PoolAggregatorError(
        `the pool is for genesis validators root ${pool.genesisValidatorsRoot} (${pool.network}), but this aggregator runs on ${network.name} (${network.genesisValidatorsRoot})`,
      );
    }
    if (options.store.genesisValidatorsRoot.toLowerCase() !== network.genesisValidatorsRoot.toLowerCase()) {
      throw new PoolAggregatorError(`the slashing-protection database belongs to genesis validators root ${options.store.genesisValidatorsRoot}`);
    }
    const deadline = options.deadlineMs ?? DEFAULT_DEADLINE_MS;
    if (!Number.isInteger(deadline) || deadline < 1 || deadline > 600_000) throw new PoolAggregatorError(`deadline: expected 1 to 600000 ms, got ${deadline}`);
    const cacheSize = options.cacheSize ?? DEFAULT_CACHE_SIZE;
    if (!Number.isInteger(cacheSize) || cacheSize < 0) throw new PoolAggregatorError(`cache size: expected a non-negative integer, got ${cacheSize}`);
    const commitments = pool.commitments.map((c) => Buffer.from(c.slice(2), "hex"));
    const targets: FanoutTarget[] = [];
    for (const participant of pool.participants) {
      let expected: string;
      try {
        expected = "0x" + Buffer.from(componentPublicKey(commitments, participant.id)).toString("hex");
      } catch (err) {
        throw new PoolAggregatorError(`pool definition: ${(err as Error).message}`);
      }
      if (expected !== participant.componentPublicKey.toLowerCase()) {
        throw new PoolAggregatorError(`pool definition: participant ${participant.id}'s component public key does not match the commitments`);
      }
      const token = options.tokens.get(participant.id);
      if (token === undefined) throw new PoolAggregatorError(`no coordinator token for participant ${participant.id} (${participant.endpoint})`);
      targets.push({
        id: participant.id,
        endpoint: participant.endpoint.replace(/\/+$/, ""),
        token,
        componentKey: PublicKey.fromHex(participant.componentPublicKey, true),
      });
    }
    const unknown = [...options.tokens.keys()].filter((id) => !pool.participants.some((p) => p.id === id));
    if (unknown.length > 0) throw new PoolAggregatorError(`tokens given for participants ${unknown.join(", ")}, which are not in the pool`);
    let compositeKey: PublicKey;
    try {
      compositeKey = PublicKey.fromHex(pool.compositePublicKey, true);
    } catch {
      throw new PoolAggregatorError("pool definition: composite_public_key is not a valid BLS public key");
    }
    return new PoolAggregator(options, targets, compositeKey);
  }

  async listKeys(): Promise<string[]> {
    return [this.composite];
  }

  async sign(pubkey: string, body: unknown): Promise<SignOutcome> {
    if (pubkey.toLowerCase() !== this.composite) return fail("unknown-key", `no pool key ${pubkey} here (this aggregator signs for ${this.composite})`);
    const prepared = this.prepare(body);
    if (!prepared.ok) return prepared;
    const { result } = prepared;
    const root = "0x" + Buffer.from(result.signingRoot).toString("hex");

    const cached = this.cache.get(root);
    if (cached !== undefined) {
      // The same signing root is the same message: the protection check still runs, as a repeat.
      const refusal = await this.checkProtection(result);
      if (refusal !== undefined) return refusal;
      this.cache.delete(root);
      this.cache.set(root, cached);
      this.stats.cacheHits++;
      this.observer?.cacheHit();
      return { ok: true, signature: cached };
    }

    const job = this.job(root, body, result.signingRoot);
    try {
      // The aggregator's own commit runs while the partials come in; the signature leaves only
      // once both the verified signature and the durable record are there.
      const [gathered, refusal] = await Promise.all([job.fanout, this.checkProtection(result)]);
      if (gathered.signature === undefined && gathered.combineError === undefined) return this.quorumFailure(gathered);
      if (refusal !== undefined) return refusal;
      job.recovered ??= this.recovered(gathered);
      const outcome = job.recovered;
      if (outcome.ok && this.cacheSize > 0) {
        this.cache.set(root, outcome.signature);
        if (this.cache.size > this.cacheSize) this.cache.delete(this.cache.keys().next().value!);
      }
      return outcome;
    } finally {
      // Identical requests arriving from now on find the cache (or, after a failure, fan out anew).
      if (this.jobs.get(root) === job) this.jobs.delete(root);
    }
  }

  /**
   * The batch endpoint, one signature per identifier. A pool aggregator signs for one composite
   * key, so a batch has at most one item it can sign; every other identifier is a 404.
   */
  async signBatch(pubkeys: readonly string[], body: unknown): Promise<BatchOutcome> {
    const type = (body as { type?: unknown } | null)?.type;
    if (typeof type !== "string" || !BATCH_TYPES.has(type.toUpperCase())) {
      return fail("bad-request", `type: batch signing supports ${[...BATCH_TYPES].join(", ")}; got ${JSON.stringify(type)}`);
    }
    const checked = checkBatchIdentifiers(pubkeys, 1);
    if (!checked.ok) return fail("bad-request", checked.message);
    const { keys } = checked;
    const prepared = this.prepare(body);
    if (!prepared.ok) return prepared;
    const results = await Promise.all(keys.map((key) => this.sign(key, body)));
    return { ok: true, results };
  }

  /**
   * Healthy when the protection store answers and at least M participants answer their account
   * resource with the component key the pool definition gives them.
   */
  async health(): Promise<CoreHealth> {
    const protection = await this.store.health();
    const probes = await this.probeParticipants();
    const problems = probes.filter((p): p is string => p !== undefined);
    const up = this.targets.length - problems.length;
    const signingOk = up >= this.threshold;
    const signing =
      problems.length === 0
        ? { ok: true }
        : { ok: signingOk, error: `${up} of ${this.targets.length} participants ready (${this.threshold} needed): ${problems.join("; ")}` };
    return { ok: protection.ok && signingOk, keysLoaded: 1, protection, signing, startGuard: startGuardStatus(this.policy, this.now()) };
  }

  /** One probe of every participant, at most every PROBE_INTERVAL_MS (see probe-cache.ts). */
  private readonly probeParticipants = atMostEvery(PROBE_INTERVAL_MS, () => this.probeAll());

  private async probeAll(): Promise<Array<string | undefined>> {
    const timeoutMs = Math.min(this.deadlineMs, 2000);
    this.stats.probes++;
    return Promise.all(
      this.targets.map(async (target): Promise<string | undefined> => {
        try {
          const response = await this.transport(`${target.endpoint}/api/v1/eth2/distributed/accounts/${this.composite}`, {
            method: "GET",
            headers: { accept: "application/json", authorization: `Bearer ${target.token}` },
            signal: AbortSignal.timeout(timeoutMs),
            maxBytes: PROBE_RESPONSE_BYTES,
          });
          const json = parseJson(response.text) as { public_key?: unknown; participant_id?: unknown } | undefined;
          if (response.status !== 200) return `participant ${target.id}: HTTP ${response.status}`;
          if (String(json?.participant_id) !== String(target.id)) return `participant ${target.id}: answers as participant ${String(json?.participant_id)}`;
          if (typeof json?.public_key !== "string" || json.public_key.toLowerCase() !== target.componentKey.toHex(true).toLowerCase()) {
            return `participant ${target.id}: holds another component key`;
          }
          return undefined;
        } catch (err) {
          return `participant ${target.id}: ${(err as Error).name === "TimeoutError" ? `no answer within ${timeoutMs} ms` : (err as Error).message}`;
        }
      }),
    );
  }

  async close(): Promise<void> {
    await this.lateVerifier.close();
    await this.store.close();
  }

  private job(root: string, body: unknown, signingRoot: Uint8Array): Job {
    const running = this.jobs.get(root);
    if (running !== undefined) {
      this.stats.joined++;
      return running;
    }
    this.stats.fanouts++;
    const fanout = fanOut(
      this.targets,
      {
        composite: this.composite,
        body: JSON.stringify(body),
        signingRoot,
        threshold: this.threshold,
        participants: this.targets.length,
        compositeKey: this.compositeKey,
        deadlineMs: this.deadlineMs,
      },
      { ...(this.observer ? { observer: this.observer } : {}), transport: this.transport, verifyLate: (root, candidate) => this.lateVerifier.verify(root, candidate) },
    );
    const job: Job = { fanout };
    this.jobs.set(root, job);
    void fanout.then((result) => {
      if (result.signature !== undefined) this.observer?.fanout("quorum");
      else this.observer?.fanout(this.slashingRefusals(result) > this.targets.length - this.threshold ? "refused_slashing" : "unavailable");
      if (result.failures.length > 0) {
        this.logger?.[result.signature !== undefined ? "debug" : "warn"](
          { root, failures: result.failures.map(({ id, reason, message }) => ({ id, reason, message })) },
          `fan-out: ${result.signature === undefined ? "no signature" : "signed"} from ${result.partials.length} partial signatures, ${result.failures.length} participants failed`,
        );
      }
    });
    return job;
  }

  private slashingRefusals(result: FanoutResult): number {
    return result.failures.filter((f) => f.reason === "refused-slashing").length;
  }

  /** Fewer than M valid partials: 412 if the participants' own protection makes a quorum impossible, else 503. */
  private quorumFailure(result: FanoutResult): Failure {
    const refusals = result.failures.filter((f) => f.reason === "refused-slashing");
    if (refusals.length > this.targets.length - this.threshold) {
      return fail(
        "slashing",
        `refused by the slashing protection or signing policy of participants ${refusals.map((f) => f.id).join(", ")} (${this.threshold} of ${this.targets.length} needed): ${describeFailures(refusals)}`,
        "refused-by-participants",
      );
    }
    return fail(
      "unavailable",
      `pool signature unavailable: ${result.partials.length} valid partial signatures of the ${this.threshold} needed from ${this.targets.length} participants; ${describeFailures(result.failures)}`,
    );
  }

  private prepare(body: unknown): { ok: true; result: SigningRootResult } | Failure {
    try {
      const request = parseSigningRequest(body);
      const result = computeSigningRoot(this.network, request);
      const decision = checkPolicy(this.policy, request, result.protection, this.now());
      if (!decision.allowed) return fail("policy", decision.message, decision.reason);
      return { ok: true, result };
    } catch (err) {
      return { ok: false, error: signErrorOf(err, "cannot compute signing root: ") };
    }
  }

  /** Undefined when allowed (and durably recorded, or a harmless repeat); a refusal otherwise. */
  private async checkProtection(result: SigningRootResult): Promise<Failure | undefined> {
    const facts = result.protection;
    if (facts === null) return undefined;
    const request = protectionRequestOf(this.composite, result.signingRoot, facts);
    try {
      const [decision] = await this.store.checkAndRecord([request]);
      if (decision === undefined) return fail("internal", "slashing protection gave no decision; not signed");
      if (!decision.allowed) return fail("slashing", describeRefusal(decision.refusal), decision.refusal.reason);
      return undefined;
    } catch (err) {
      return fail("internal", `slashing protection unavailable, not signed: ${(err as Error).message}`);
    }
  }

  /** The fan-out's signature, verified against the composite key there; an unverified signature is never returned. */
  private recovered(result: FanoutResult): SignOutcome {
    this.observer?.overheadSeconds(result.verifySeconds, result.quorumVerifySeconds);
    if (result.signature === undefined) {
      this.logger?.error({ participants: result.partials }, `no pool signature from valid partials: ${result.combineError}`);
      return fail("internal", `${result.combineError ?? "no verified pool signature"}; not returned`);
    }
    return { ok: true, signature: "0x" + Buffer.from(result.signature).toString("hex") };
  }
}
