/**
 * The aggregator's fan-out: one signing request sent, identical, to every participant of a pool at
 * once (POST /api/v1/eth2/distributed/sign/{composite} of the remote-signing-api distributed
 * profile), and the pool's signature made from the first M usable partials without waiting for
 * the rest.
 *
 * An answer is a candidate partial when the participant answered 200 with its own id (the one the
 * pool definition gives its endpoint), the signing root the aggregator computed itself, and a
 * signature that is a G2 point in the right subgroup. As soon as M candidates are in, they are
 * combined and the result verified once against the composite key (quorum.ts); only when that
 * fails are they verified one by one, and each partial that does not verify against its
 * participant's component key is a failure ("invalid-partial") naming that participant; the fan-out
 * then waits for more answers. Everything else (timeout, refused connection, 4xx/5xx, malformed
 * body, another id, another root) is a failure with a reason, reported per participant. Answers
 * that arrive after the result are still verified, off the caller's path, so that the failure
 * metrics reveal a participant that misbehaves even when it is slow.
 */
import { type PublicKey, Signature } from "@chainsafe/blst";
import { defaultTransport, type ParticipantTransport } from "./participant-http.js";
import { type CandidatePartial, combine, verifyPartial } from "./quorum.js";

/** Why a participant's answer gave no usable partial. Also the metric label (with - as _). */
export type FailureReason =
  | "timeout"
  | "connection-refused"
  | "network-error"
  | "unauthorized"
  | "refused-slashing"
  | "http-error"
  | "invalid-response"
  | "wrong-participant"
  | "wrong-root"
  | "invalid-partial";

export interface ParticipantFailure {
  id: number;
  reason: FailureReason;
  /** Human-readable, naming what was wrong (the participant's own message for HTTP errors). */
  message: string;
  /** The HTTP status when the participant answered. */
  status?: number;
}

export interface FanoutTarget {
  id: number;
  /** Base URL, no trailing slash. */
  endpoint: string;
  /** Bearer token the participant expects from this coordinator. */
  token: string;
  /** The participant's component public key, parsed (and validated) once. */
  componentKey: PublicKey;
}

export interface FanoutRequest {
  /** Composite public key (0x-hex), the identifier in the participants' path. */
  composite: string;
  /** The request body as JSON text, sent unchanged to every participant. */
  body: string;
  /** The signing root the aggregator computed; every partial must be over exactly this. */
  signingRoot: Uint8Array;
  threshold: number;
  /** N, the number of participants of the pool. */
  participants: number;
  /** The pool's public key: the recovered signature must verify against it. */
  compositeKey: PublicKey;
  deadlineMs: number;
}

export interface FanoutResult {
  /** The pool's signature (96 bytes compressed), verified against the composite key; undefined without a quorum. */
  signature: Uint8Array | undefined;
  /** The ids of the partials the signature was made from (or of the usable ones when there was no quorum). */
  partials: number[];
  /** Every participant that had failed (or had not answered) when the result was settled. */
  failures: ParticipantFailure[];
  /** M usable partials were in, yet no verified signature came of them (a broken pool definition). */
  combineError?: string;
  /** Time spent recovering and verifying (blst), in seconds: the aggregator's overhead. */
  verifySeconds: number;
  /** The part of it after the last partial needed arrived: the overhead on the critical path. */
  quorumVerifySeconds: number;
}

export interface FanoutObserver {
  /** A participant answered (or failed) after `seconds`; `ok` when the partial was valid. */
  participantDone(id: number, seconds: number, ok: boolean): void;
  participantFailed(failure: ParticipantFailure): void;
}

export interface FanoutOptions {
  observer?: FanoutObserver;
  /** How participants are asked (default: httpTransport(), see participant-http.ts). */
  transport?: ParticipantTransport;
  /**
   * How a partial that arrives after the quorum is checked (for the metrics only). By default here,
   * on the spot; the aggregator passes a worker thread's (src/pool/signing/late-verify.ts), which
   * answers undefined when it is too far behind to check: such a partial is left out of the metrics.
   */
  verifyLate?: (signingRoot: Uint8Array, candidate: CandidatePartial) => Promise<boolean | undefined>;
}

/** Largest response body read from a participant; a partial-signature answer is a few hundred bytes. */
const MAX_RESPONSE_BYTES = 64 * 1024;
const SIGNATURE_HEX = /^0x[0-9a-fA-F]{192}$/;
const ROOT_HEX = /^0x[0-9a-fA-F]{64}$/;
const DOES_NOT_VERIFY = "partial signature does not verify against the participant's component public key";

/**
 * Sends the request to every target in parallel. Resolves as soon as `threshold` valid partials
 * are in, or once every target has failed, or at the deadline (every target still outstanding is
 * then aborted and reported as a timeout). Never rejects.
 */
export function fanOut(targets: readonly FanoutTarget[], request: FanoutRequest, options: FanoutOptions = {}): Promise<FanoutResult> {
  const transport = options.transport ?? defaultTransport();
  const observer = options.observer;
  const verifyLate = options.verifyLate ?? ((root: Uint8Array, candidate: CandidatePartial) => Promise.resolve(verifyPartial(root, candidate)));
  const started = performance.now();
  const candidates: CandidatePartial[] = [];
  const failures: ParticipantFailure[] = [];
  const pending = new Map<number, AbortController>();
  let verifySeconds = 0;
  let quorumVerifySeconds = 0;
  let signature: Uint8Array | undefined;
  let used: number[] = [];
  let combineError: string | undefined;
  let settled = false;
  let resolveResult!: (result: FanoutResult) => void;
  const result = new Promise<FanoutResult>((resolve) => (resolveResult = resolve));

  const settle = () => {
    if (settled) return;
    settled = true;
    const outstanding: ParticipantFailure[] = [...pending.keys()].map((id) => ({
      id,
      reason: "timeout",
      message: `no answer within ${request.deadlineMs} ms`,
    }));
    resolveResult({
      signature,
      partials: signature === undefined ? candidates.map((c) => c.id) : used,
      failures: [...failures, ...outstanding].sort((a, b) => a.id - b.id),
      ...(combineError === undefined ? {} : { combineError }),
      verifySeconds,
      quorumVerifySeconds,
    });
  };

  const fail = (failure: ParticipantFailure) => {
    if (!settled) failures.push(failure);
    observer?.participantFailed(failure);
  };

  /** Combines the first M candidates until one combination verifies or too few are left. */
  const tryQuorum = () => {
    while (!settled && candidates.length >= request.threshold) {
      const t0 = performance.now();
      const combination = combine(candidates.slice(0, request.threshold), request);
      const spent = (performance.now() - t0) / 1000;
      verifySeconds += spent;
      quorumVerifySeconds = spent;
      if (combination.ok) {
        signature = combination.signature;
        used = combination.used;
        settle();
        return;
      }
      if (combination.faulty.length === 0) {
        combineError = "error" in combination ? combination.error : "no verified signature";
        settle();
        return;
      }
      for (const id of combination.faulty) {
        candidates.splice(candidates.findIndex((c) => c.id === id), 1);
        fail({ id, reason: "invalid-partial", message: DOES_NOT_VERIFY, status: 200 });
      }
    }
  };

  const deadline = setTimeout(() => {
    settle();
    for (const [id, controller] of pending) controller.abort(new DeadlineError(id));
  }, request.deadlineMs);

  const finish = (id: number) => {
    pending.delete(id);
    if (pending.size === 0) clearTimeout(deadline);
    if (!settled && pending.size === 0) settle();
  };

  for (const target of targets) {
    const controller = new AbortController();
    pending.set(target.id, controller);
    const url = `${target.endpoint}/api/v1/eth2/distributed/sign/${request.composite}`;
    void askOne(transport, url, target, request, controller.signal)
      .then((answer) => {
        // Answered: no longer outstanding, whatever the answer is worth.
        pending.delete(target.id);
        const seconds = (performance.now() - started) / 1000;
        const checked = answer.ok ? checkPartial(target, request, answer.body) : answer;
        if (!checked.ok) {
          observer?.participantDone(target.id, seconds, false);
          fail(checked.failure);
          return;
        }
        if (!settled) {
          observer?.participantDone(target.id, seconds, true);
          candidates.push(checked.candidate);
          tryQuorum();
          return;
        }
        // Late: nobody waits for it any more, so it is verified on its own, for the metrics.
        return verifyLate(request.signingRoot, checked.candidate).then((valid) => {
          if (valid === undefined) return;
          observer?.participantDone(target.id, seconds, valid);
          if (!valid) fail({ id: target.id, reason: "invalid-partial", message: DOES_NOT_VERIFY, status: 200 });
        });
      })
      .finally(() => finish(target.id));
  }
  if (targets.length === 0) {
    clearTimeout(deadline);
    settle();
  }
  return result;
}

class DeadlineError extends Error {
  override name = "DeadlineError";
  constructor(readonly id: number) {
    super(`participant ${id}: deadline passed`);
  }
}

type Answer = { ok: true; body: Record<string, unknown> } | { ok: false; failure: ParticipantFailure };

async function askOne(transport: ParticipantTransport, url: string, target: FanoutTarget, request: FanoutRequest, signal: AbortSignal): Promise<Answer> {
  const fail = (reason: FailureReason, message: string, status?: number): Answer => ({
    ok: false,
    failure: { id: target.id, reason, message, ...(status !== undefined ? { status } : {}) },
  });
  let response: { status: number; text: string };
  try {
    response = await transport(url, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json", authorization: `Bearer ${target.token}` },
      body: request.body,
      signal,
      maxBytes: MAX_RESPONSE_BYTES,
    });
  } catch (err) {
    if (signal.aborted && signal.reason instanceof DeadlineError) return fail("timeout", `no answer within ${request.deadlineMs} ms`);
    const code = errorCode(err);
    if (code === "ECONNREFUSED") return fail("connection-refused", `connection refused (${target.endpoint})`);
    return fail("network-error", `${code ?? (err as Error).message} (${target.endpoint})`);
  }
  const text = response.text;
  let json: unknown;
  try {
    json = text === "" ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (response.status !== 200) {
    const message = participantMessage(json, text);
    // 412 is also the signing API's status for another network; the error code tells them apart.
    if (response.status === 412 && (json as { error?: unknown } | undefined)?.error !== "wrong-network") {
      return fail("refused-slashing", `refused (412): ${message}`, 412);
    }
    if (response.status === 401 || response.status === 403) {
      return fail("unauthorized", `refused our token (${response.status}): ${message}`, response.status);
    }
    return fail("http-error", `HTTP ${response.status}: ${message}`, response.status);
  }
  if (json === null || typeof json !== "object" || Array.isArray(json)) return fail("invalid-response", "answer is not a JSON object", 200);
  return { ok: true, body: json as Record<string, unknown> };
}

/** A candidate partial when the answer carries a well-formed one for this participant and root (not yet verified). */
function checkPartial(
  target: FanoutTarget,
  request: FanoutRequest,
  body: Record<string, unknown>,
): { ok: true; candidate: CandidatePartial } | { ok: false; failure: ParticipantFailure } {
  const fail = (reason: FailureReason, message: string) => ({ ok: false as const, failure: { id: target.id, reason, message, status: 200 } });
  const id = body.participant_id;
  const idNumber = typeof id === "string" && /^[0-9]{1,10}$/.test(id) ? Number(id) : typeof id === "number" ? id : undefined;
  if (idNumber === undefined) return fail("invalid-response", "participant_id missing or not a decimal integer");
  if (idNumber !== target.id) return fail("wrong-participant", `answered as participant ${String(id)}, but its endpoint is participant ${target.id}'s`);
  const root = body.signing_root;
  if (typeof root !== "string" || !ROOT_HEX.test(root)) return fail("invalid-response", "signing_root missing or not 32 bytes of hex");
  const ours = "0x" + Buffer.from(request.signingRoot).toString("hex");
  if (root.toLowerCase() !== ours) return fail("wrong-root", `signed root ${root.toLowerCase()}, expected ${ours}`);
  if (typeof body.signature !== "string" || !SIGNATURE_HEX.test(body.signature)) {
    return fail("invalid-partial", "signature missing or not 96 bytes of hex");
  }
  let signature: Signature;
  try {
    // Subgroup-checked: a point outside G2 never reaches the recovery.
    signature = Signature.fromHex(body.signature, true, true);
  } catch {
    return fail("invalid-partial", "signature is not a valid G2 point");
  }
  return { ok: true, candidate: { id: target.id, signature, componentKey: target.componentKey } };
}

/** The body as text, refusing (and dropping the connection of) an answer larger than `limit`. */
function participantMessage(json: unknown, text: string): string {
  const message = (json as { message?: unknown } | undefined)?.message;
  const raw = typeof message === "string" ? message : text;
  const clean = raw.replace(/[\r\n\t]+/g, " ").trim();
  return clean.length > 300 ? clean.slice(0, 300) + "…" : clean || "(no message)";
}

function errorCode(err: unknown): string | undefined {
  let current: unknown = err;
  for (let depth = 0; depth < 4 && current !== null && typeof current === "object"; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string") return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** One line naming each failed participant and why, for the 503 message and the logs. */
export function describeFailures(failures: readonly ParticipantFailure[]): string {
  return failures.map((f) => `participant ${f.id}: ${f.reason} (${f.message})`).join("; ");
}
