/**
 * The lazily loaded command groups (src/cli/lazy-commands.ts): each group, loaded alone, registers
 * exactly the commands its table row names, in that order, so that `bulwark NAME` loads the module
 * that really holds NAME; and all groups together give every command once.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Command } from "commander";
import { TOP_LEVEL_COMMANDS } from "../../src/cli/commands.js";
import { type CommandGroup, registerCommandGroups } from "../../src/cli/lazy-commands.js";
import { POOL_COMMAND_GROUPS } from "../../src/cli/pool.js";

async function namesRegisteredBy(group: CommandGroup): Promise<string[]> {
  const parent = new Command();
  await (await group.load())(parent, []);
  return parent.commands.map((c) => c.name());
}

for (const [table, groups] of [["top level", TOP_LEVEL_COMMANDS], ["pool", POOL_COMMAND_GROUPS]] as const) {
  describe(`lazy command groups: ${table}`, () => {
    for (const group of groups) {
      test(`${group.names.join(", ")}: registered by its own module, nothing more`, async () => {
        assert.deepEqual(await namesRegisteredBy(group), group.names);
      });
    }

    test("a command name selects only its group; help and unknown names load every group", async () => {
      const all = groups.flatMap((g) => g.names);
      assert.equal(new Set(all).size, all.length, "a command in two groups");
      const last = groups.at(-1)!;
      const one = new Command();
      await registerCommandGroups(one, groups, [last.names[0]!, "--help"]);
      assert.deepEqual(one.commands.map((c) => c.name()), last.names);
      for (const rest of [["--help"], ["no-such-command"], []]) {
        const every = new Command();
        await registerCommandGroups(every, groups, rest);
        assert.deepEqual(every.commands.map((c) => c.name()), all, JSON.stringify(rest));
      }
    });
  });
}
