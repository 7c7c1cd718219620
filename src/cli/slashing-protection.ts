import { createWriteStream, existsSync, readFileSync, renameSync, rmSync } from "node:fs";
import { once } from "node:events";
import { join } from "node:path";
import type { Command } from "commander";
import { isHex } from "../protection/hex.js";
import { InterchangeFormatError, parseInterchange, serializeInterchange } from "../protection/interchange.js";
import { openProtectionStore } from "../protection/open-store.js";
import { SQLITE_FILE_NAME } from "../protection/sqlite-store.js";
import type { ProtectionStore } from "../protection/store.js";
import { createProgress } from "../util/progress.js";
import { dataDirOption, genesisValidatorsRootOption, networkFromOptions, networkOption } from "./common-options.js";
import { CliError } from "./errors.js";

interface StoreOptions {
  dataDir: string;
  network: string;
  genesisValidatorsRoot?: string;
}

export function registerSlashingProtectionCommands(program: Command): void {
  const group = program
    .command("slashing-protection")
    .description("import and export EIP-3076 slashing-protection history");

  group
    .command("import")
    .description("merge an EIP-3076 interchange file (version 5) into the database; all of it or nothing")
    .argument("<file>", "interchange JSON file, or - for standard input")
    .addOption(dataDirOption())
    .addOption(networkOption())
    .addOption(genesisValidatorsRootOption())
    .action(async (file: string, options: StoreOptions) => importCommand(file, options));

  group
    .command("export")
    .description("write the complete signing history as an EIP-3076 interchange file (version 5)")
    .argument("<file>", "output file, or - for standard output")
    .addOption(dataDirOption())
    .addOption(networkOption())
    .addOption(genesisValidatorsRootOption())
    .option("--pubkey <pubkey>", "export only this validator (repeat for several)", collect, [] as string[])
    .action(async (file: string, options: StoreOptions & { pubkey?: string[] }) => exportCommand(file, options));
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
  options: StoreOptions,
  genesisValidatorsRoot: string,
  { mustExist }: { mustExist: boolean },
): Promise<ProtectionStore> {
  if (mustExist && !existsSync(join(options.dataDir, SQLITE_FILE_NAME))) {
    throw new CliError(`no slashing-protection database in ${options.dataDir} (looked for ${SQLITE_FILE_NAME})`);
  }
  try {
    return await openProtectionStore({ dataDir: options.dataDir, genesisValidatorsRoot });
  } catch (err) {
    throw new CliError((err as Error).message);
  }
}

async function writeChunks(stream: NodeJS.WritableStream, chunks: AsyncIterable<string>): Promise<void> {
  for await (const chunk of chunks) {
    if (!stream.write(chunk)) await once(stream, "drain");
  }
}

/** Writes next to the target and renames, so a failed export never leaves a truncated file. */
async function writeFileAtomically(file: string, chunks: AsyncIterable<string>): Promise<void> {
  const temporary = `${file}.partial-${process.pid}`;
  const stream = createWriteStream(temporary, { mode: 0o600 });
  try {
    await writeChunks(stream, chunks);
    stream.end();
    await once(stream, "finish");
    renameSync(temporary, file);
  } catch (err) {
    stream.destroy();
    rmSync(temporary, { force: true });
    throw new CliError(`cannot write ${file}: ${(err as Error).message}`);
  }
}
