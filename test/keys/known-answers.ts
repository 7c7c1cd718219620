/**
 * Known answers from another implementation: deposit data that ethstaker-deposit-cli 1.3.0 (the
 * successor of staking-deposit-cli, in Python on py_ecc) generated for a fixed 12-word mnemonic.
 * Values from Lighthouse's validator_manager test vectors (sigp/lighthouse,
 * validator_manager/test_vectors/vectors/*), which run `deposit.sh existing-mnemonic` with this
 * mnemonic and the withdrawal address below. BLS signatures are deterministic, so Bulwark must
 * reproduce every field but deposit_cli_version.
 */
import type { DepositDataJson } from "../../src/eth/deposit.js";

export const STAKING_DEPOSIT_CLI_WITHDRAWAL_ADDRESS = "0x0f51bb10119727a7e5ea3538074fb341f56b09ad";

export interface KnownKey {
  index: number;
  pubkey: string;
  /** 0x00 credentials from the withdrawal key m/12381/3600/i/0, when the vector used them. */
  blsWithdrawalCredentials?: string;
}

export const STAKING_DEPOSIT_CLI_MNEMONIC: { mnemonic: string; keys: KnownKey[] } = {
  mnemonic: "test test test test test test test test test test test waste",
  keys: [
    { index: 0, pubkey: "88b6b3a9b391fa5593e8bce8d06102df1a56248368086929709fbb4a8570dc6a560febeef8159b19789e9c1fd13572f0" },
    { index: 1, pubkey: "a33ab9d93fb53c4f027944aaa11a13be0c150b7cc2e379d85d1ed4db38d178b4e4ebeae05832158b8c746c1961da00ce" },
    {
      index: 99,
      pubkey: "a57a4ed429e415b862cc758e75c93936e3f6339640d0763b969ba133a82c03717827fbdd8ec42fc862ed50e3b5b528dc",
      blsWithdrawalCredentials: "00864081ef2f5aec1aa667872615e25027f1fdc256a4948b6318cf75a8d635a3",
    },
    {
      index: 1024,
      pubkey: "92ca8dddba4ae7ada6584c377fc53fb978ad9d5ee8db585b18e226c27682b326b3c68e10f5d99a453e233268c144e0ef",
      blsWithdrawalCredentials: "00dd4f8bfd1a48be288c2af8bb7315f6198900b5b3f56df010420d5328e682cb",
    },
    {
      index: 1026,
      pubkey: "997e27aa262238beb01464434694a466321b5270297bdfdb944b65a3b6617b6ce2613628ac35a8f4cf2e9b4b55c46ef8",
      blsWithdrawalCredentials: "0097fffee9cf9fd91a6fa89af90e73f1cb8b8a043e742afaeb2e57b83b0845fe",
    },
  ],
};

/** Validators 0 and 1 on mainnet, 0x01 credentials, 32 ETH. */
export const MAINNET_0X01_DEPOSITS: DepositDataJson[] = [
  {
    pubkey: "88b6b3a9b391fa5593e8bce8d06102df1a56248368086929709fbb4a8570dc6a560febeef8159b19789e9c1fd13572f0",
    withdrawal_credentials: "0100000000000000000000000f51bb10119727a7e5ea3538074fb341f56b09ad",
    amount: 32000000000,
    signature:
      "a8461b58a5a5a0573c4af37da6ee4ba63e35894cffad6797d4a2c80f8f2c79d2c30c0de0299d8edde76e0c3f3e6d4f1e03cc377969f56d8760717d6e86f9316da9375573ce7bb87a8520daedb13c49284377f7a4f64a70aa2ca44b1581d47e20",
    deposit_message_root: "62967565d11471da4af7769911926cd1826124048036b25616216f99bc320f13",
    deposit_data_root: "d26d642a880ff8a109260fe69681840f6e1868c8c1cd2163a1db5a094e8db03a",
    fork_version: "00000000",
    network_name: "mainnet",
    deposit_cli_version: "1.3.0",
  },
  {
    pubkey: "a33ab9d93fb53c4f027944aaa11a13be0c150b7cc2e379d85d1ed4db38d178b4e4ebeae05832158b8c746c1961da00ce",
    withdrawal_credentials: "0100000000000000000000000f51bb10119727a7e5ea3538074fb341f56b09ad",
    amount: 32000000000,
    signature:
      "93a398c09143203beb94c9223c7e18f36e5ea36090875284b222c2fcb16982e6f2e26f27ca9d30e3c6f6b5ad44857fc50f531925f4736810712f68a9d7a9c0eb664a851180f3b7d2e44a35717d43b3d3e4fd555354fa1dfa92f451870f36084d",
    deposit_message_root: "ce110433298ffb78d827d67dcc13655344a139cb7e3ce10b341937c0a76b25b7",
    deposit_data_root: "7c7617a2c11870ec49e975b3691b9f822d63938df38555161e23aa245b150c66",
    fork_version: "00000000",
    network_name: "mainnet",
    deposit_cli_version: "1.3.0",
  },
];

/** Validators 0 and 1 on hoodi, 0x02 (compounding) credentials, 32 ETH. */
export const HOODI_0X02_DEPOSITS: DepositDataJson[] = [
  {
    pubkey: "88b6b3a9b391fa5593e8bce8d06102df1a56248368086929709fbb4a8570dc6a560febeef8159b19789e9c1fd13572f0",
    withdrawal_credentials: "0200000000000000000000000f51bb10119727a7e5ea3538074fb341f56b09ad",
    amount: 32000000000,
    signature:
      "b4f4fc854e5ad32537345e10d8f44c6777299a2052c7349556ae581b81aa84fd61e04f94fc75ae36c47e2a507569ee94140d4e169c30e9e1fd37a763b74b86d37fb69626929fa5e2af87991c593cdd1fbd090d4336bd8034dddd7b1e842d7615",
    deposit_message_root: "aaf9657acb2afbf35942a2d9086564e48ef8a78b9697eed2810cf80de1452b40",
    deposit_data_root: "8146fed8c2a9326b57698fb4ce6390a381ba51b90e793e9f2637a68537900cbb",
    fork_version: "10000910",
    network_name: "hoodi",
    deposit_cli_version: "1.3.0",
  },
  {
    pubkey: "a33ab9d93fb53c4f027944aaa11a13be0c150b7cc2e379d85d1ed4db38d178b4e4ebeae05832158b8c746c1961da00ce",
    withdrawal_credentials: "0200000000000000000000000f51bb10119727a7e5ea3538074fb341f56b09ad",
    amount: 32000000000,
    signature:
      "a259ba4494b36fa32e6ac0eb19effdbd5c20ad3398bc69f777375ae96dbded15ad66934f2a71400b94055d0d1759a7be15baa5d085500b07653f6192ae3c31d96619cdf886800f2cc2f0b1b85e8e1774cc85ca42abfc7f1386d4035675ecbbaa",
    deposit_message_root: "01f08b8ea18b1d32cee06660f5a2863286a1abc0ea92fc3bcb86552d8f296a13",
    deposit_data_root: "94ebfd542174f6d2d0427572aac83b9bd7548173fe299382c237a1e6b3f82ce6",
    fork_version: "10000910",
    network_name: "hoodi",
    deposit_cli_version: "1.3.0",
  },
];

/** Validator 1024 on mainnet with 0x00 (BLS) credentials: derivation far from 0 and the withdrawal key. */
export const MAINNET_0X00_DEPOSIT_1024: DepositDataJson = {
  pubkey: "92ca8dddba4ae7ada6584c377fc53fb978ad9d5ee8db585b18e226c27682b326b3c68e10f5d99a453e233268c144e0ef",
  withdrawal_credentials: "00dd4f8bfd1a48be288c2af8bb7315f6198900b5b3f56df010420d5328e682cb",
  amount: 32000000000,
  signature:
    "a0a96851892b257c032284928641021e58e0bcd277c3da5a2c41bcce6633d144781e4761261138277b5a8cf0ead59cce073e5a3bbc4704a37abf8cd1e290dc52e56cb0c334303945ebbb79be453c8177937e44e08f980679f1a2997fe58d2d86",
  deposit_message_root: "5421d9177b4d035e6525506509ab702c5f458c53458dad437097b37cb8209b43",
  deposit_data_root: "2bedaf48f8315d8631defc97c1c4c05a8152e2dc3fe779fc8e800dd67bd839a2",
  fork_version: "00000000",
  network_name: "mainnet",
  deposit_cli_version: "1.3.0",
};
