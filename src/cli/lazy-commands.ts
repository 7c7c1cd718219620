/**
 * Commands whose modules load only when one of their commands runs: a command then starts with its
 * own imports, not every command's (`slashing-protection export` need not load fastify, the EVM
 * client or the attestation verifiers: about a second of CPU per run). Help and a mistyped command
 * load every group, so that help lists everything and commander can suggest the right name.
 * test/cli/lazy-commands.test.ts checks that each group registers exactly the names it declares.
 */
import type { Command } from "commander";

export interface CommandGroup {
  /** The commands the group registers on its parent, in the order help lists them. */
  names: readonly string[];
  /** The group's registration; `rest` is the arguments after the group's command name. */
  load: () => Promise<(parent: Command, rest: readonly string[]) => void | Promise<void>>;
}

/** Registers on `parent` the group that `rest[0]` names, or every group when it names none. */
export async function registerCommandGroups(parent: Command, groups: readonly CommandGroup[], rest: readonly string[]): Promise<void> {
  const named = groups.filter((group) => group.names.includes(rest[0] ?? ""));
  for (const group of named.length > 0 ? named : groups) await (await group.load())(parent, rest.slice(1));
}
