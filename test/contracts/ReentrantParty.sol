// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// A pool party that is a contract and, whenever it receives ETH, calls back into the vault with
/// `attack` (e.g. withdraw() again). It records whether the call back was refused.
contract ReentrantParty {
    address public vault;
    bytes public attack;
    bool public reentered;
    bool public reentryRefused;
    bytes public reentryError;

    function setTarget(address vault_, bytes calldata attack_) external {
        vault = vault_;
        attack = attack_;
    }

    /// Calls `target` (the vault) with `data` and `value` as this party; bubbles a revert up.
    function act(address target, bytes calldata data) external payable {
        (bool ok, bytes memory out) = target.call{value: msg.value}(data);
        if (!ok) {
            assembly {
                revert(add(out, 32), mload(out))
            }
        }
    }

    receive() external payable {
        if (attack.length == 0 || reentered) return;
        reentered = true;
        (bool ok, bytes memory out) = vault.call(attack);
        reentryRefused = !ok;
        reentryError = out;
    }
}
