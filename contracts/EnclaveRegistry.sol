// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// The signing identities (secp256k1 addresses) of Bulwark instances whose TEE evidence was
/// verified. Version 1: a named registrar, fixed at deployment, registers an identity after
/// checking its evidence off-chain (`bulwark attestation verify`) and records what it checked: the
/// hash of the evidence document and of the expected-measurements file it was checked against.
/// Revocation removes the identity for new deposits; validators already admitted are unaffected.
contract EnclaveRegistry {
    struct Identity {
        bytes32 evidenceHash; // keccak256 of the evidence document verified
        bytes32 measurementHash; // keccak256 of the expected-measurements file it was checked against
        uint64 registeredAt;
        uint64 revokedAt; // 0 while registered
    }

    address public immutable registrar;
    mapping(address => Identity) internal identities;

    event IdentityRegistered(address indexed identity, bytes32 evidenceHash, bytes32 measurementHash);
    event IdentityRevoked(address indexed identity);

    error NotRegistrar(address caller);
    error AlreadyRegistered(address identity);
    error NotRegistered(address identity);

    constructor(address registrar_) {
        registrar = registrar_;
    }

    modifier onlyRegistrar() {
        if (msg.sender != registrar) revert NotRegistrar(msg.sender);
        _;
    }

    /// An identity is registered once; a revoked identity stays revoked (a new instance makes a new identity).
    function register(address identity, bytes32 evidenceHash, bytes32 measurementHash) external onlyRegistrar {
        if (identity == address(0) || identities[identity].registeredAt != 0) revert AlreadyRegistered(identity);
        identities[identity] = Identity(evidenceHash, measurementHash, uint64(block.timestamp), 0);
        emit IdentityRegistered(identity, evidenceHash, measurementHash);
    }

    function revoke(address identity) external onlyRegistrar {
        Identity storage id = identities[identity];
        if (id.registeredAt == 0 || id.revokedAt != 0) revert NotRegistered(identity);
        id.revokedAt = uint64(block.timestamp);
        emit IdentityRevoked(identity);
    }

    function isRegistered(address identity) external view returns (bool) {
        Identity storage id = identities[identity];
        return id.registeredAt != 0 && id.revokedAt == 0;
    }

    function identityRecord(address who) external view returns (Identity memory) {
        return identities[who];
    }
}
