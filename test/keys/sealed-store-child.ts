/**
 * Test-only child process for the sealed-store tests: another process writing the same store.
 *
 *   node sealed-store-child.js DATA_DIR FIRST_SEED COUNT open|create
 *
 * Secret from SEALED_TEST_SECRET. With `open` it opens the existing store first; with `create` it
 * opens (creating when absent) only after the go signal, to race another creator. It prints "ready"
 * on stdout, waits for a line on stdin (the go signal, so that several children start at once),
 * then adds keys FIRST_SEED .. FIRST_SEED+COUNT-1 one `add` call each, and prints a JSON summary.
 * Any error: its name and message on stderr, exit code 2.
 */
import { once } from "node:events";
import { SealedKeyStore } from "../../src/keys/sealed-store.js";
import { sealedTestKey } from "./sealed-store-helpers.js";

const [dataDir, firstArg, countArg, mode] = process.argv.slice(2);
const secret = Buffer.from(process.env.SEALED_TEST_SECRET ?? "", "utf8");

try {
  const first = Number(firstArg);
  const count = Number(countArg);
  let store = mode === "open" ? await SealedKeyStore.open(dataDir!, secret, { create: false }) : undefined;
  process.stdout.write("ready\n");
  process.stdin.setEncoding("utf8");
  await once(process.stdin, "data");
  store ??= await SealedKeyStore.open(dataDir!, secret, { create: true });
  let added = 0;
  for (let i = 0; i < count; i++) {
    added += (await store.add([sealedTestKey(first + i)])).length;
  }
  process.stdout.write(JSON.stringify({ added, size: store.size }) + "\n");
  process.exit(0);
} catch (err) {
  process.stderr.write(`${(err as Error).name}: ${(err as Error).message}\n${(err as Error).stack ?? ""}\n`);
  process.exit(2);
}
