/**
 * BIP-39 mnemonics (English wordlist) for validator key generation, through @scure/bip39: new
 * 24-word mnemonics, checksum validation with a reason a person can act on, and the 64-byte seed
 * that EIP-2333 derivation starts from.
 *
 * Error messages never contain a word of the mnemonic, only positions: they reach terminals and
 * logs, and every word narrows a brute-force search.
 */
import { generateMnemonic, mnemonicToSeedSync, validateMnemonic } from "@scure/bip39";
import { wordlist } from "@scure/bip39/wordlists/english.js";
import { codedError } from "../errors/bulwark-error.js";

/** Words of a newly generated mnemonic: 256 bits of entropy plus an 8-bit checksum. */
export const NEW_MNEMONIC_WORDS = 24;
const NEW_MNEMONIC_STRENGTH_BITS = 256;

/** Every length BIP-39 defines; existing mnemonics of any of them are accepted (12 = 128 bits). */
export const MNEMONIC_WORD_COUNTS: readonly number[] = [12, 15, 18, 21, 24];

export class MnemonicError extends codedError("mnemonic") {
  override name = "MnemonicError";
}

/** A new random 24-word English mnemonic (CSPRNG entropy, via @scure/bip39). */
export function newMnemonic(): string {
  return generateMnemonic(wordlist, NEW_MNEMONIC_STRENGTH_BITS);
}

/**
 * The canonical form of a mnemonic as typed or stored: NFKD, lower case, words separated by single
 * spaces, surrounding whitespace (a trailing newline, tabs, double spaces) dropped.
 */
export function normalizeMnemonic(text: string): string {
  return text.normalize("NFKD").toLowerCase().trim().split(/\s+/u).filter((w) => w !== "").join(" ");
}

/** Why `mnemonic` (already normalized) is not a valid English BIP-39 mnemonic, or undefined. */
export function mnemonicProblem(mnemonic: string): string | undefined {
  const words = mnemonic === "" ? [] : mnemonic.split(" ");
  if (!MNEMONIC_WORD_COUNTS.includes(words.length)) {
    return `a BIP-39 mnemonic has 12, 15, 18, 21 or 24 words, this one has ${words.length}`;
  }
  const unknown = words.flatMap((word, i) => (wordlist.includes(word) ? [] : [i + 1]));
  if (unknown.length > 0) {
    const which = unknown.length === 1 ? "word" : "words";
    return `${which} ${unknown.join(", ")} ${unknown.length === 1 ? "is" : "are"} not in the BIP-39 English wordlist`;
  }
  if (!validateMnemonic(mnemonic, wordlist)) {
    return "the mnemonic's checksum does not match (a word is wrong or the words are out of order)";
  }
  return undefined;
}

/**
 * Normalizes and validates a mnemonic, checksum included. Throws MnemonicError with a reason that
 * names word positions, never words.
 */
export function parseMnemonic(text: string): string {
  const mnemonic = normalizeMnemonic(text);
  const problem = mnemonicProblem(mnemonic);
  if (problem !== undefined) throw new MnemonicError(`invalid mnemonic: ${problem}`);
  return mnemonic;
}

/**
 * The BIP-39 seed (PBKDF2-HMAC-SHA512, 2048 rounds, salt "mnemonic" + passphrase, both NFKD) of a
 * mnemonic, after validating it. The passphrase is the optional "25th word"; empty by default, as
 * in staking-deposit-cli. The caller should zero the seed when done.
 */
export function mnemonicToSeed(mnemonic: string, passphrase = ""): Uint8Array {
  return mnemonicToSeedSync(parseMnemonic(mnemonic), passphrase);
}
