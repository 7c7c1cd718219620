/**
 * Before the aggregator destroys a pool's whole key it must be sure of the validator index it signs
 * the exit for: an exit for the wrong index is worthless, and with the whole key gone the pool's
 * own exit is lost for good. So the beacon nodes' answers are checked, not trusted:
 * - read from the finalized state (`states/finalized`, and the response's `finalized` flag true,
 *   `execution_optimistic` false), so no reorg can change it;
 * - for the composite key itself (`data.validator.pubkey`): a node that answers for another key
 *   (a lying or buggy node) is caught;
 * - `active_ongoing`: an index exists and a voluntary exit is valid (pending: not yet; exiting,
 *   exited or slashed: an exit would be refused);
 * - with several beacon nodes, every one must answer and all must agree on the index.
 * Any doubt is a refusal that says why; the caller keeps the whole key.
 */
import { PoolError } from "../errors.js";
import { fetchValidator, type ValidatorAnswer } from "./beacon-client.js";

export type ValidatorCheck =
  | { ok: true; index: number; status: string }
  /** `unknown`: no beacon node knows the validator yet (ask again later); `doubt`: an answer does not check out. */
  | { ok: false; kind: "unknown" | "doubt"; reason: string };

/** Checks one answer; undefined when it is fine. */
function problemWith(answer: ValidatorAnswer, composite: string, node: string): string | undefined {
  if (answer.pubkey === undefined) return `${node} answered without the validator's public key`;
  if (answer.pubkey !== composite) return `${node} answered for another key (${answer.pubkey}), not ${composite}`;
  if (!answer.finalized) return `${node} answered from a state that is not finalized`;
  if (answer.optimistic) return `${node} answered from an optimistic (unverified) execution state`;
  if (answer.index === undefined) return `${node} answered without a validator index`;
  if (answer.status !== "active_ongoing") return `${node} says validator ${answer.index} is ${answer.status}, not active_ongoing`;
  return undefined;
}

export async function checkValidatorForExit(beaconNodes: readonly string[], compositePublicKey: string): Promise<ValidatorCheck> {
  if (beaconNodes.length === 0) throw new PoolError("invalid-parameters", "no beacon node given");
  const composite = compositePublicKey.toLowerCase();
  const answers = await Promise.all(
    beaconNodes.map(async (node) => {
      try {
        return { node, answer: await fetchValidator(node, composite) };
      } catch (err) {
        return { node, error: (err as Error).message };
      }
    }),
  );
  const failed = answers.filter((a) => a.error !== undefined);
  if (failed.length === answers.length) {
    return { ok: false, kind: "unknown", reason: failed.map((a) => a.error!).join("; ") };
  }
  if (failed.length > 0) {
    return { ok: false, kind: "doubt", reason: `not every beacon node answered: ${failed.map((a) => a.error!).join("; ")}` };
  }
  const problems = answers.flatMap((a) => problemWith(a.answer!, composite, a.node) ?? []);
  if (problems.length > 0) return { ok: false, kind: "doubt", reason: problems.join("; ") };
  const indices = new Set(answers.map((a) => a.answer!.index!));
  if (indices.size > 1) {
    return { ok: false, kind: "doubt", reason: `the beacon nodes disagree on the index: ${answers.map((a) => `${a.node} says ${a.answer!.index!}`).join(", ")}` };
  }
  return { ok: true, index: answers[0]!.answer!.index!, status: answers[0]!.answer!.status };
}
