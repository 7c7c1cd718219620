// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// One validator's record as the beacon state holds it (phase0 Validator container).
struct BeaconValidator {
    bytes pubkey; // 48 bytes
    bytes32 withdrawalCredentials;
    uint64 effectiveBalance;
    bool slashed;
    uint64 activationEligibilityEpoch;
    uint64 activationEpoch;
    uint64 exitEpoch;
    uint64 withdrawableEpoch;
}

/// A BeaconBlockHeader; its hash_tree_root is what EIP-4788 stores as the parent beacon block root.
struct BeaconBlockHeader {
    uint64 slot;
    uint64 proposerIndex;
    bytes32 parentRoot;
    bytes32 stateRoot;
    bytes32 bodyRoot;
}

/// Proof that, in the state under `header`, validators[validatorIndex] is `validator` and
/// balances[validatorIndex] is the 8 bytes at (validatorIndex % 4) of `balanceChunk`.
struct ValidatorStateProof {
    uint64 beaconTimestamp; // the EIP-4788 key: the timestamp of the execution block whose parent beacon root is hash(header)
    BeaconBlockHeader header;
    uint64 validatorIndex;
    BeaconValidator validator;
    bytes32[] validatorBranch; // from hash_tree_root(validator) up to header.stateRoot
    bytes32 balanceChunk;
    bytes32[] balanceBranch; // from the balances chunk up to header.stateRoot
}

/// SSZ Merkle proofs (sha256 precompile) against an EIP-4788 beacon block root.
/// Generalized indices are those of the Electra and Fulu BeaconState (37 and 38 fields, so a
/// depth-6 container; validators at field 11, balances at field 12, both lists of limit 2^40).
library BeaconProofs {
    address internal constant BEACON_ROOTS = 0x000F3df6D732807Ef1319fB7B8bB8522d0Beac02;
    uint64 internal constant FAR_FUTURE_EPOCH = type(uint64).max;
    uint256 internal constant STATE_DEPTH = 6;
    uint256 internal constant VALIDATORS_FIELD = 11;
    uint256 internal constant BALANCES_FIELD = 12;
    uint256 internal constant VALIDATORS_DEPTH = 40; // List[Validator, 2^40]
    uint256 internal constant BALANCES_DEPTH = 38; // List[Gwei, 2^40] packs 4 per chunk

    error BeaconRootUnavailable(uint64 timestamp);
    error InvalidProof(string what);

    /// The parent beacon block root recorded by EIP-4788 for the block at `timestamp`.
    function beaconRoot(uint64 timestamp) internal view returns (bytes32 root) {
        (bool ok, bytes memory out) = BEACON_ROOTS.staticcall(abi.encode(uint256(timestamp)));
        if (!ok || out.length != 32) revert BeaconRootUnavailable(timestamp);
        root = abi.decode(out, (bytes32));
    }

    function validatorGindex(uint64 index) internal pure returns (uint256) {
        return (((((1 << STATE_DEPTH) | VALIDATORS_FIELD) << 1) << VALIDATORS_DEPTH) | index);
    }

    function balanceGindex(uint64 index) internal pure returns (uint256) {
        return (((((1 << STATE_DEPTH) | BALANCES_FIELD) << 1) << BALANCES_DEPTH) | (index / 4));
    }

    function le64(uint64 v) internal pure returns (bytes32) {
        uint256 r;
        for (uint256 i = 0; i < 8; i++) {
            r |= uint256((v >> (8 * i)) & 0xff) << (248 - 8 * i);
        }
        return bytes32(r);
    }

    function pubkeyRoot(bytes memory pubkey) internal pure returns (bytes32) {
        if (pubkey.length != 48) revert InvalidProof("pubkey length");
        return sha256(abi.encodePacked(pubkey, bytes16(0)));
    }

    function hashPair(bytes32 a, bytes32 b) private pure returns (bytes32) {
        return sha256(abi.encodePacked(a, b));
    }

    function headerRoot(BeaconBlockHeader memory h) internal pure returns (bytes32) {
        return hashPair(
            hashPair(hashPair(le64(h.slot), le64(h.proposerIndex)), hashPair(h.parentRoot, h.stateRoot)),
            hashPair(hashPair(h.bodyRoot, bytes32(0)), hashPair(bytes32(0), bytes32(0)))
        );
    }

    function validatorRoot(BeaconValidator memory v) internal pure returns (bytes32) {
        return hashPair(
            hashPair(
                hashPair(pubkeyRoot(v.pubkey), v.withdrawalCredentials),
                hashPair(le64(v.effectiveBalance), bytes32(uint256(v.slashed ? 1 : 0) << 248))
            ),
            hashPair(
                hashPair(le64(v.activationEligibilityEpoch), le64(v.activationEpoch)),
                hashPair(le64(v.exitEpoch), le64(v.withdrawableEpoch))
            )
        );
    }

    /// Walks `branch` (leaf side first) from `leaf` at generalized index `gindex` and compares with `root`.
    function isValidBranch(bytes32 leaf, bytes32[] memory branch, uint256 gindex, bytes32 root) internal pure returns (bool) {
        bytes32 node = leaf;
        for (uint256 i = 0; i < branch.length; i++) {
            node = (gindex & 1) == 1 ? hashPair(branch[i], node) : hashPair(node, branch[i]);
            gindex >>= 1;
        }
        return gindex == 1 && node == root;
    }

    /// Checks the whole proof against the EIP-4788 root and returns the validator's balance in gwei.
    function verify(ValidatorStateProof memory p) internal view returns (uint64 balanceGwei) {
        bytes32 root = beaconRoot(p.beaconTimestamp);
        if (headerRoot(p.header) != root) revert InvalidProof("header");
        if (!isValidBranch(validatorRoot(p.validator), p.validatorBranch, validatorGindex(p.validatorIndex), p.header.stateRoot)) {
            revert InvalidProof("validator");
        }
        if (!isValidBranch(p.balanceChunk, p.balanceBranch, balanceGindex(p.validatorIndex), p.header.stateRoot)) {
            revert InvalidProof("balance");
        }
        uint256 offset = (uint256(p.validatorIndex) % 4) * 8;
        uint256 chunk = uint256(p.balanceChunk);
        for (uint256 i = 0; i < 8; i++) {
            balanceGwei |= uint64((chunk >> (248 - 8 * (offset + i))) & 0xff) << uint64(8 * i);
        }
    }
}
