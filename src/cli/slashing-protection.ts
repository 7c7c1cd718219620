import { existsSync, readFileSync } from "node:fs";
import { once } from "node:events";
import { join } from "node:path";
import type { Command } from "commander";
import { slotsPerEpoch } from "../eth/preset.js";
import type { ValidatorHistory } from "../protection/history.js";
import { isHex } from "../util/hex.js";
import { InterchangeFormatError, parseInterchange, serializeInterchange } from "../protection/interchange.js";
import { describeStoreLocation, openProtectionStore, storeKind } from "../protection/open-store.js";
import { redactDatabaseUrl } from "../protection/postgres-store.js";
import { SQLITE_FILE_NAME } from "../protection/sqlite-store.js";
import type { ProtectionStore } from "../protection/store.js";
import { createProgress } from "../util/progress.js";
import { writeChunksAtomically } from "../util/atomic-file.js";
import { dataDirOption, dbOption, genesisValidatorsRootOption, networkFromOptions, networkOption } from "./common-options.js";
import { CliError } from "./errors.js";

interface StoreOptions {
  dataDir: string;
  network: string;
  genesisValidatorsRoot?: string;
  db?: string;
}

/** `--db URL` (env BULWARK_DB): "sqlite" (default, the file in --data-dir) or a postgres:// URL. */

export function registerSlashingProtectionCommands(program: Command): void {
  const group = program
    .command("slashing-protection")
    .description("import, export, prune and migrate EIP-3076 slashing-protection history");

  group
    .command("import")
    .description("merge an EIP-3076 interchange file (version 5) into the database; all of it or nothing")
    .argument("<file>", "interchange JSON file, or - for standard input")
    .addOption(dataDirOption())
    .addOption(networkOption())
    .addOption(genesisValidatorsRootOption())
    .addOption(dbOption())
    .action(async (file: string, options: StoreOptions) => importCommand(file, options));

  group
    .command("export")
    .description("write the complete signing history as an EIP-3076 interchange file (version 5)")
    .argument("<file>", "output file, or - for standard output")
    .addOption(dataDirOption())
    .addOption(networkOption())
    .addOption(genesisValidatorsRootOption())
    .addOption(dbOption())
    .option("--pubkey <pubkey>", "export only this validator (repeat for several)", collect, [] as string[])
    .action(async (file: string, options: StoreOptions & { pubkey?: string[] }) => exportCommand(file, options));

  group
    .command("prune")
    .description(
      "delete old history (attestations more than N epochs before each key's latest, blocks more than N epochs of slots before its latest) without weakening the protection",
    )
    .addOption(dataDirOption())
    .addOption(networkOption())
    .addOption(genesisValidatorsRootOption())
    .addOption(dbOption())
    .requiredOption("--keep-epochs <n>", "epochs of history to keep behind each key's latest record")
    .action(async (options: StoreOptions & { keepEpochs: string }) => pruneCommand(options));

  group
    .command("migrate")
    .description("copy one instance's history into a shared PostgreSQL database (merged with what is there)")
    .requiredOption("--from <source>", "sqlite:DIR, the data directory of the instance")
    .requiredOption("--to <url>", "postgres://... URL of the shared database")
    .addOption(networkOption())
    .addOption(genesisValidatorsRootOption())
    .action(async (options: { from: string; to: string; network: string; genesisValidatorsRoot?: string }) =>
      migrateCommand(options),
    );
}

async function importCommand(file: string, options: StoreOptions): Promise<void> {
  const network = networkFromOptions(options);
  const text = readInput(file);
  const name = file === "-" ? "standard input" : file;
  let interchange;
  try {
    interchange = parseInterchange(text);
  } catch (err) {
    if (err instanceof InterchangeFormatError) throw new CliError(`${name}: ${err.message}; nothing imported`);
    throw err;
  }
  // Checked before the database is opened so that a wrong file leaves nothing behind.
  if (interchange.genesisValidatorsRoot !== network.genesisValidatorsRoot) {
    throw new CliError(
      `${name} is for genesis validators root ${interchange.genesisValidatorsRoot}, but network ${network.name} has ${network.genesisValidatorsRoot}; nothing imported`,
    );
  }
  const records = interchange.validators.reduce((n, v) => n + v.blocks.length + v.attestations.length, 0);
  const store = await openStore(options, network.genesisValidatorsRoot, { mustExist: false });
  const progress = createProgress({ label: "importing", total: records });
  try {
    const summary = await store.importHistory(interchange.genesisValidatorsRoot, interchange.validators, {
      onProgress: (n) => progress.tick(n),
    });
    progress.done();
    process.stderr.write(
      `imported ${name}: ${summary.validators} validators, ${summary.blocksAdded} blocks and ${summary.attestationsAdded} attestations added, ${summary.duplicatesSkipped} already present\n`,
    );
  } catch (err) {
    throw new CliError(`${name}: ${(err as Error).message}`);
  } finally {
    await store.close();
  }
}

async function exportCommand(file: string, options: StoreOptions & { pubkey?: string[] }): Promise<void> {
  const network = networkFromOptions(options);
  const selected = (options.pubkey ?? []).map((pubkey) => {
    if (!isHex(pubkey, 48)) throw new CliError(`--pubkey ${pubkey}: expected 0x followed by 96 hex digits`);
    return pubkey.toLowerCase();
  });
  const pubkeys = selected.length > 0 ? [...new Set(selected)] : undefined;
  const store = await openStore(options, network.genesisValidatorsRoot, { mustExist: true });
  try {
    const total = pubkeys?.length ?? (await store.listValidators()).length;
    const progress = createProgress({ label: "exporting", total });
    async function* counted() {
      for await (const validator of store.exportHistory(pubkeys)) {
        progress.tick();
        yield validator;
      }
    }
    const chunks = serializeInterchange(network.genesisValidatorsRoot, counted());
    if (file === "-") await writeChunks(process.stdout, chunks);
    else await writeFileAtomically(file, chunks);
    progress.done();
    if (file !== "-") process.stderr.write(`exported ${total} validators to ${file}\n`);
  } finally {
    await store.close();
  }
}

async function pruneCommand(options: StoreOptions & { keepEpochs: string }): Promise<void> {
  const network = networkFromOptions(options);
  if (!/^(0|[1-9][0-9]*)$/.test(options.keepEpochs) || !Number.isSafeInteger(Number(options.keepEpochs))) {
    throw new CliError(`--keep-epochs ${options.keepEpochs}: expected a whole number of epochs`);
  }
  const keepEpochs = Number(options.keepEpochs);
  const slots = slotsPerEpoch(network);
  const store = await openStore(options, network.genesisValidatorsRoot, { mustExist: true });
  try {
    const summary = await store.prune(keepEpochs, slots).catch((err: Error) => {
      throw new CliError(err.message);
    });
    process.stderr.write(
      `pruned ${describeStoreLocation(options)}: ${summary.blocksRemoved} blocks and ${summary.attestationsRemoved} attestations removed from ${summary.validators} validators ` +
        `(kept the last ${keepEpochs} epochs, ${BigInt(keepEpochs) * BigInt(slots)} slots, behind each key's latest record)\n`,
    );
    if (summary.attestationsKept > 0) {
      process.stderr.write(
        `kept ${summary.attestationsKept} older attestations: a newer vote of the same key surrounds them (slashable data was imported), and removing them would weaken the protection\n`,
      );
    }
  } finally {
    await store.close();
  }
}

async function migrateCommand(options: { from: string; to: string; network: string; genesisValidatorsRoot?: string }): Promise<void> {
  const network = networkFromOptions(options);
  const match = /^sqlite:(.+)$/.exec(options.from);
  if (match === null) throw new CliError(`--from ${options.from}: expected sqlite:DIR (the data directory of the instance)`);
  const dataDir = match[1]!;
  const toPostgres = (() => {
    try {
      return storeKind(options.to) === "postgres";
    } catch {
      return false;
    }
  })();
  if (!toPostgres) throw new CliError(`--to ${redactDatabaseUrl(options.to)}: expected a postgres:// URL`);
  const to = redactDatabaseUrl(options.to);
  const source = await openStore({ dataDir }, network.genesisValidatorsRoot, { mustExist: true });
  try {
    const target = await openStore({ dataDir, db: options.to }, network.genesisValidatorsRoot, {
      mustExist: false,
    });
    try {
      const histories: ValidatorHistory[] = [];
      for await (const history of source.exportHistory()) histories.push(history);
      const records = histories.reduce((n, v) => n + v.blocks.length + v.attestations.length, 0);
      const progress = createProgress({ label: "migrating", total: records });
      const summary = await target
        .importHistory(network.genesisValidatorsRoot, histories, { onProgress: (n) => progress.tick(n) })
        .catch((err: Error) => {
          throw new CliError(`${to}: ${err.message}; nothing migrated`);
        });
      progress.done();
      const missing = await missingRecords(target, histories);
      if (missing > 0) throw new CliError(`${to}: ${missing} records of sqlite:${dataDir} are not in the database after the import`);
      process.stderr.write(
        `migrated sqlite:${dataDir} to ${to}: ${summary.validators} validators, ${summary.blocksAdded} blocks and ${summary.attestationsAdded} attestations added, ${summary.duplicatesSkipped} already present; every record verified\n`,
      );
    } finally {
      await target.close();
    }
  } finally {
    await source.close();
  }
}

/** How many of the given records the store does not hold (read back through its export). */
async function missingRecords(store: ProtectionStore, histories: readonly ValidatorHistory[]): Promise<number> {
  const expected = new Map(histories.map((h) => [h.pubkey.toLowerCase(), h]));
  let missing = 0;
  for await (const stored of store.exportHistory([...expected.keys()])) {
    const wanted = expected.get(stored.pubkey)!;
    const blocks = new Set(stored.blocks.map((b) => `${b.slot}/${b.signingRoot}`));
    const attestations = new Set(stored.attestations.map((a) => `${a.sourceEpoch}/${a.targetEpoch}/${a.signingRoot}`));
    missing += wanted.blocks.filter((b) => !blocks.has(`${b.slot}/${b.signingRoot}`)).length;
    missing += wanted.attestations.filter((a) => !attestations.has(`${a.sourceEpoch}/${a.targetEpoch}/${a.signingRoot}`)).length;
  }
  return missing;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function readInput(file: string): string {
  try {
    return readFileSync(file === "-" ? 0 : file, "utf8");
  } catch (err) {
    throw new CliError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).message}`);
  }
}

async function openStore(
  options: Pick<StoreOptions, "dataDir" | "db">,
  genesisValidatorsRoot: string,
  { mustExist }: { mustExist: boolean },
): Promise<ProtectionStore> {
  let sqlite: boolean;
  try {
    sqlite = storeKind(options.db) === "sqlite";
  } catch (err) {
    throw new CliError(`--db: ${(err as Error).message}`);
  }
  if (sqlite && mustExist && !existsSync(join(options.dataDir, SQLITE_FILE_NAME))) {
    throw new CliError(`no slashing-protection database in ${options.dataDir} (looked for ${SQLITE_FILE_NAME})`);
  }
  try {
    return await openProtectionStore({ dataDir: options.dataDir, genesisValidatorsRoot, db: options.db });
  } catch (err) {
    throw new CliError((err as Error).message);
  }
}

async function writeChunks(stream: NodeJS.WritableStream, chunks: AsyncIterable<string>): Promise<void> {
  for await (const chunk of chunks) {
    if (!stream.write(chunk)) await once(stream, "drain");
  }
}

/** Writes next to the target and renames (src/util/atomic-file.ts), so a failed export never leaves a truncated file. */
async function writeFileAtomically(file: string, chunks: AsyncIterable<string>): Promise<void> {
  try {
    await writeChunksAtomically(file, chunks, { mode: 0o600 });
  } catch (err) {
    throw new CliError(`cannot write ${file}: ${(err as Error).message}`);
  }
}
