// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {LowBondPoolVault, VaultConfig, DepositData} from "./LowBondPoolVault.sol";

/// Deploys one LowBondPoolVault per pool validator with CREATE2. The address depends on the deployer,
/// a salt and the whole configuration (not the deposit data), so `bulwark pool create
/// --withdrawal-vault` can put it in the deposit's credentials before the vault exists, and nobody
/// else can deploy a different vault at it.
contract LowBondPoolVaultFactory {
    address public immutable depositContract;

    event VaultCreated(address indexed vault, address indexed deployer, bytes32 salt, bytes pubkey);

    constructor(address depositContract_) {
        depositContract = depositContract_;
    }

    function create2Salt(address deployer, bytes32 salt, VaultConfig calldata config) public pure returns (bytes32) {
        return keccak256(abi.encode(deployer, salt, keccak256(abi.encode(config))));
    }

    function vaultAddress(address deployer, bytes32 salt, VaultConfig calldata config) external view returns (address) {
        bytes32 initCodeHash = keccak256(abi.encodePacked(type(LowBondPoolVault).creationCode, abi.encode(depositContract)));
        bytes32 h = keccak256(abi.encodePacked(bytes1(0xff), address(this), create2Salt(deployer, salt, config), initCodeHash));
        return address(uint160(uint256(h)));
    }

    function createVault(bytes32 salt, VaultConfig calldata config, DepositData calldata deposit) external returns (address) {
        LowBondPoolVault vault = new LowBondPoolVault{salt: create2Salt(msg.sender, salt, config)}(depositContract);
        vault.initialize(config, deposit);
        emit VaultCreated(address(vault), msg.sender, salt, deposit.pubkey);
        return address(vault);
    }
}
