// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {BeaconProofs, ValidatorStateProof} from "../../contracts/BeaconProofs.sol";

/// Exposes the proof verifier for tests of the proof library alone.
contract BeaconProofsProbe {
    function verify(ValidatorStateProof calldata p) external view returns (uint64) {
        return BeaconProofs.verify(p);
    }

    function validatorGindex(uint64 index) external pure returns (uint256) {
        return BeaconProofs.validatorGindex(index);
    }

    function balanceGindex(uint64 index) external pure returns (uint256) {
        return BeaconProofs.balanceGindex(index);
    }
}
