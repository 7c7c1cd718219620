/** `bulwark keys import | list | delete`: the signer's sealed key store from the command line. */
import { createWriteStream, existsSync, mkdirSync, readFileSync } from "node:fs";
import { createKeystore, writeKeystoreFile } from "../keys/create-keystore.js";
import { once } from "node:events";
import { type Command, Option } from "commander";
import { runningSigner } from "../config/signer-lock.js";
import { loadKeystores } from "../keys/load-keystores.js";
import { readSealingSecret, SEALING_ENV, SealedKeyStore } from "../keys/sealed-store.js";
import { isHex } from "../util/hex.js";
import { serializeInterchange } from "../protection/interchange.js";
import { openProtectionStore } from "../protection/open-store.js";
import { dataDirOption, dbOption, genesisValidatorsRootOption, networkFromOptions, networkOption } from "./common-options.js";
import { CliError } from "./errors.js";
import { refuseNotExportable } from "./not-exportable.js";

interface SealedOptions {
  dataDir: string;
  sealingPassphraseFile?: string;
}

function sealingOption(): Option {
  return new Option("--sealing-passphrase-file <file>", `passphrase that seals the key store (or set ${SEALING_ENV})`).env(
    "BULWARK_SEALING_PASSPHRASE_FILE",
  );
}

async function openSealed(options: SealedOptions, create: boolean): Promise<SealedKeyStore> {
  try {
    const secret = readSealingSecret(options.sealingPassphraseFile !== undefined ? { passphraseFile: options.sealingPassphraseFile } : {});
    try {
      return await SealedKeyStore.open(options.dataDir, secret, { create });
    } finally {
      secret.fill(0);
    }
  } catch (err) {
    throw new CliError((err as Error).message);
  }
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function pubkeysFrom(values: string[]): string[] {
  if (values.length === 0) throw new CliError("give at least one --pubkey");
  return [
    ...new Set(
      values.map((pubkey) => {
        if (!isHex(pubkey, 48)) throw new CliError(`--pubkey ${pubkey}: expected 0x followed by 96 hex digits`);
        return pubkey.toLowerCase();
      }),
    ),
  ];
}

export function registerKeyStoreCommands(keys: Command): void {
  keys
    .command("import")
    .description("decrypt EIP-2335 keystores once and keep the keys in the sealed key store of the data directory")
    .addOption(dataDirOption())
    .requiredOption("--keystores <dir>", "directory of EIP-2335 keystore files")
    .option("--keystores-passwords <dir>", "directory of password files named like the keystores, with .txt")
    .option("--keystores-password-file <file>", "one password file for every keystore")
    .addOption(sealingOption())
    .action(async (options: SealedOptions & { keystores: string; keystoresPasswords?: string; keystoresPasswordFile?: string }) => {
      if ((options.keystoresPasswords === undefined) === (options.keystoresPasswordFile === undefined)) {
        throw new CliError("give exactly one of --keystores-passwords DIR or --keystores-password-file FILE");
      }
      // The secret is checked before the slow decryption, so a typo costs nothing.
      const sealed = await openSealed(options, true);
      const loaded = await loadKeystores({
        keystoresDir: options.keystores,
        ...(options.keystoresPasswords !== undefined ? { passwordsDir: options.keystoresPasswords } : {}),
        ...(options.keystoresPasswordFile !== undefined ? { passwordFile: options.keystoresPasswordFile } : {}),
      }).catch((err: Error) => {
        throw new CliError(err.message);
      });
      try {
        const added = await sealed.add(loaded);
        process.stderr.write(
          `imported ${added.length} keys into ${sealed.path} (${loaded.length - added.length} already there); a running signer picks them up on POST /reload (with the bearer token in its api-token.txt)\n`,
        );
      } finally {
        for (const key of loaded) key.secretKey.fill(0);
      }
    });

  keys
    .command("list")
    .description("list the public keys in the sealed key store")
    .addOption(dataDirOption())
    .addOption(sealingOption())
    .action(async (options: SealedOptions) => {
      if (!SealedKeyStore.exists(options.dataDir)) throw new CliError(`no sealed key store in ${options.dataDir}`);
      const sealed = await openSealed(options, false);
      for (const pubkey of sealed.pubkeys()) process.stdout.write(`${pubkey}\n`);
    });

  keys
    .command("export")
    .description("write EIP-2335 keystores (new password) for keys of the sealed key store, e.g. to move them")
    .addOption(dataDirOption())
    .addOption(sealingOption())
    .option("--pubkey <pubkey>", "key to export (repeat for several)", collect, [] as string[])
    .requiredOption("--password-file <file>", "password for the new keystores (at least 12 characters)")
    .requiredOption("--out <dir>", "directory for the keystore files (created 0700)")
    .action(async (options: SealedOptions & { pubkey: string[]; passwordFile: string; out: string }) => {
      const pubkeys = pubkeysFrom(options.pubkey);
      let password: string;
      try {
        password = readFileSync(options.passwordFile, "utf8").replace(/\r?\n$/, "");
      } catch (err) {
        throw new CliError(`cannot read --password-file ${options.passwordFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
      if (password.length < 12) throw new CliError(`the password in ${options.passwordFile} is shorter than 12 characters`);
      if (!SealedKeyStore.exists(options.dataDir)) throw new CliError(`no sealed key store in ${options.dataDir}`);
      const sealed = await openSealed(options, false);
      const missing = pubkeys.filter((pubkey) => !sealed.has(pubkey));
      if (missing.length > 0) throw new CliError(`not in the sealed key store: ${missing.join(", ")}`);
      refuseNotExportable(options.dataDir, pubkeys);
      mkdirSync(options.out, { recursive: true, mode: 0o700 });
      const secrets = sealed.keys().filter((key) => pubkeys.includes(key.pubkey));
      const timestamp = Math.floor(Date.now() / 1000);
      try {
        for (const key of secrets) {
          const keystore = await createKeystore(key.secretKey, password, "");
          // No derivation path is known for a sealed key, so the name carries the key instead.
          const file = await writeKeystoreFile(options.out, `keystore-${key.pubkey.slice(2, 18)}-${timestamp}.json`, keystore);
          process.stderr.write(`wrote ${file} (${key.pubkey})\n`);
        }
      } finally {
        for (const key of secrets) key.secretKey.fill(0);
      }
      process.stderr.write("Export the keys' slashing-protection history too (slashing-protection export --pubkey) before using them elsewhere.\n");
    });

  keys
    .command("delete")
    .description("remove keys from the sealed key store, writing their slashing-protection history first")
    .addOption(dataDirOption())
    .addOption(networkOption())
    .addOption(genesisValidatorsRootOption())
    .addOption(sealingOption())
    .addOption(dbOption())
    .option("--pubkey <pubkey>", "key to delete (repeat for several)", collect, [] as string[])
    .requiredOption("--protection-out <file>", "where to write the EIP-3076 history of the deleted keys (must not exist)")
    .action(async (options: SealedOptions & { network: string; genesisValidatorsRoot?: string; db?: string; pubkey: string[]; protectionOut: string }) => {
      const pubkeys = pubkeysFrom(options.pubkey);
      const network = networkFromOptions(options);
      const signer = runningSigner(options.dataDir);
      if (signer !== undefined) {
        throw new CliError(
          `a signer (pid ${signer}) is running on ${options.dataDir} and would keep signing until it reloads, so the exported history could be incomplete: delete through its keymanager API (DELETE /eth/v1/keystores stops signing at once) or stop it first`,
        );
      }
      if (existsSync(options.protectionOut)) throw new CliError(`${options.protectionOut} already exists; choose a new file`);
      if (!SealedKeyStore.exists(options.dataDir)) throw new CliError(`no sealed key store in ${options.dataDir}`);
      const sealed = await openSealed(options, false);
      const missing = pubkeys.filter((pubkey) => !sealed.has(pubkey));
      if (missing.length > 0) throw new CliError(`not in the sealed key store: ${missing.join(", ")}; nothing deleted`);
      // The signer's own database (--db as for serve): the deletion is tombstoned where the signer looks.
      const store = await openProtectionStore({ dataDir: options.dataDir, genesisValidatorsRoot: network.genesisValidatorsRoot, ...(options.db !== undefined ? { db: options.db } : {}) }).catch(
        (err: Error) => {
          throw new CliError(err.message);
        },
      );
      try {
        // History first: a deleted key without its history must never be moved elsewhere.
        const out = createWriteStream(options.protectionOut, { mode: 0o600, flags: "wx" });
        for await (const chunk of serializeInterchange(network.genesisValidatorsRoot, store.exportHistory(pubkeys))) {
          if (!out.write(chunk)) await once(out, "drain");
        }
        out.end();
        await once(out, "finish");
        // Tombstoned before the sealed store forgets them: an older copy of it must not bring them back.
        await store.tombstone(pubkeys);
      } finally {
        await store.close();
      }
      const removed = await sealed.remove(pubkeys);
      process.stderr.write(
        `deleted ${removed.length} keys from ${sealed.path}; their history is in ${options.protectionOut}. A running signer stops using them on POST /reload or restart.\n`,
      );
    });
}
