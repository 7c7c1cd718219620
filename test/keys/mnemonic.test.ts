/**
 * BIP-39 through @scure/bip39, checked against computations made here with node:crypto (SHA-256
 * checksum bits, PBKDF2-HMAC-SHA512 seed) and against the seed EIP-2333's first test case names.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash, pbkdf2Sync } from "node:crypto";
import { wordlist } from "@scure/bip39/wordlists/english.js";
import {
  MnemonicError,
  mnemonicProblem,
  mnemonicToSeed,
  newMnemonic,
  normalizeMnemonic,
  parseMnemonic,
} from "../../src/keys/mnemonic.js";

const ABANDON_ABOUT = `${"abandon ".repeat(11)}about`;
const ABANDON_ART = `${"abandon ".repeat(23)}art`;

/** Entropy of a mnemonic, decoded here independently: 11 bits per word, checksum = SHA-256 bits. */
function decodeIndependently(mnemonic: string): { entropy: Buffer; checksumOk: boolean } {
  const bits = mnemonic
    .split(" ")
    .map((w) => wordlist.indexOf(w).toString(2).padStart(11, "0"))
    .join("");
  const checksumBits = bits.length / 33;
  const entropyBits = bits.slice(0, bits.length - checksumBits);
  const entropy = Buffer.from(entropyBits.match(/.{8}/g)!.map((b) => parseInt(b, 2)));
  const hashBits = [...createHash("sha256").update(entropy).digest()].map((b) => b.toString(2).padStart(8, "0")).join("");
  return { entropy, checksumOk: hashBits.slice(0, checksumBits) === bits.slice(bits.length - checksumBits) };
}

function independentSeed(mnemonic: string, passphrase: string): string {
  return pbkdf2Sync(mnemonic.normalize("NFKD"), `mnemonic${passphrase}`.normalize("NFKD"), 2048, 64, "sha512").toString("hex");
}

test("new mnemonics have 24 words from the English list, a correct checksum and 256 bits of entropy", () => {
  const seen = new Set<string>();
  for (let i = 0; i < 20; i++) {
    const mnemonic = newMnemonic();
    const words = mnemonic.split(" ");
    assert.equal(words.length, 24);
    assert.ok(words.every((w) => wordlist.includes(w)));
    const { entropy, checksumOk } = decodeIndependently(mnemonic);
    assert.equal(entropy.length, 32);
    assert.ok(checksumOk, "checksum computed with node:crypto matches");
    assert.equal(parseMnemonic(mnemonic), mnemonic);
    seen.add(mnemonic);
  }
  assert.equal(seen.size, 20, "no repeats");
});

test("the all-zero-entropy 24-word mnemonic ends in 'art', and its seed matches PBKDF2-HMAC-SHA512", () => {
  // Independently: 256 zero bits, then the first 8 bits of SHA-256(32 zero bytes) as checksum.
  const checksum = createHash("sha256").update(Buffer.alloc(32)).digest()[0]!;
  assert.equal(wordlist[checksum], "art", "last word = 3 zero entropy bits + 8 checksum bits");
  assert.equal(parseMnemonic(ABANDON_ART), ABANDON_ART);
  for (const passphrase of ["", "TREZOR", "päss wörd"]) {
    assert.equal(Buffer.from(mnemonicToSeed(ABANDON_ART, passphrase)).toString("hex"), independentSeed(ABANDON_ART, passphrase));
  }
  // Published BIP-39 vector (Trezor): "abandon x23 art" with passphrase TREZOR.
  assert.equal(
    Buffer.from(mnemonicToSeed(ABANDON_ART, "TREZOR")).toString("hex"),
    "bda85446c68413707090a52022edd26a1c9462295029f2e60cd7c4f2bbd3097170af7a4d73245cafa9c3cca8d561a7c3de6f5d4a10be8ed2a5e608d68f92fcc8",
  );
});

test("EIP-2333 test case 0's seed is the BIP-39 seed of 'abandon x11 about' with passphrase TREZOR", () => {
  assert.equal(
    Buffer.from(mnemonicToSeed(ABANDON_ABOUT, "TREZOR")).toString("hex"),
    "c55257c360c07c72029aebc1b53c05ed0362ada38ead3e3e9efa3708e53495531f09a6987599d18264c1e1c92f2cf141630c7a3c4ab7c81b2f001698e7463b04",
  );
});

test("a wrong checksum, an unknown word and a wrong length are refused with positions, never words", () => {
  const words = ABANDON_ART.split(" ");
  const wrongLast = [...words.slice(0, 23), "zoo"].join(" ");
  assert.match(mnemonicProblem(wrongLast) ?? "", /checksum/);
  assert.throws(() => parseMnemonic(wrongLast), (err) => err instanceof MnemonicError && /checksum/.test(err.message));

  // Swapping two different words keeps every word valid but breaks the checksum.
  const real = newMnemonic().split(" ");
  const i = real.findIndex((w, k) => k > 0 && w !== real[0]);
  const swapped = [...real];
  [swapped[0], swapped[i]] = [swapped[i]!, swapped[0]!];
  assert.match(mnemonicProblem(swapped.join(" ")) ?? "", /checksum/);

  const typo = [...words];
  typo[6] = "abandonn";
  typo[9] = "qwertyx";
  assert.throws(
    () => parseMnemonic(typo.join(" ")),
    (e) => {
      assert.ok(e instanceof MnemonicError);
      assert.match(e.message, /words 7, 10 are not in the BIP-39 English wordlist/);
      assert.doesNotMatch(e.message, /abandonn|qwertyx/);
      return true;
    },
  );
  assert.match(mnemonicProblem(words.slice(0, 23).join(" ")) ?? "", /12, 15, 18, 21 or 24 words, this one has 23/);
  assert.match(mnemonicProblem("") ?? "", /this one has 0/);
});

test("typed or stored mnemonics are normalized: case, newlines, tabs and repeated spaces", () => {
  const messy = `  ${ABANDON_ART.toUpperCase().replaceAll(" ", " \t ")}\r\n`;
  assert.equal(normalizeMnemonic(messy), ABANDON_ART);
  assert.equal(parseMnemonic(messy), ABANDON_ART);
  // 12-word mnemonics (128 bits) from other tools are accepted.
  assert.equal(parseMnemonic(ABANDON_ABOUT), ABANDON_ABOUT);
});
