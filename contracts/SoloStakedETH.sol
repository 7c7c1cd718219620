// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {BeaconProofs, ValidatorStateProof} from "./BeaconProofs.sol";
import {EnclaveRegistry} from "./EnclaveRegistry.sol";
import {MinimalERC20} from "./MinimalERC20.sol";

interface IBeaconDepositContract {
    function deposit(bytes calldata pubkey, bytes calldata withdrawal_credentials, bytes calldata signature, bytes32 deposit_data_root)
        external
        payable;
}

/// Liquid solo validating: sETH (this ERC-20) and its vault C (this same address, the withdrawal
/// address of every validator it admits).
///
/// A staker deposits 32 ETH for a key generated inside an attested Bulwark signer (its EIP-712
/// KeyProvenance statement, signed by an identity in the EnclaveRegistry, binds the key to C's
/// withdrawal credentials and to this deposit) and gets 31 sETH; the 32nd ETH is the validator's
/// collateral. Anyone may eject a validator whose proven balance is under the threshold (EIP-4788
/// proof, EIP-7002 request) for a reward; the fee and the reward come out of that validator's
/// exit balance. sETH is redeemed 1:1 for ETH through a first-come-first-served queue, and a queue
/// larger than the principal on its way lets anyone request the exit of the oldest active
/// validator. When a validator's exit balance is proven and its withdrawal has arrived, 31 ETH goes
/// to the redemption side, then the ejector's fee and reward, then the rest to the staker.
///
/// Credentials are 0x02 (compounding) so that nothing is skimmed while the validator is active:
/// every wei of a validator arrives with its full withdrawal, in an amount its exit proof states,
/// and is attributed to it alone. There is no owner, no pause and no upgrade; payouts are pulls.
contract SoloStakedETH is MinimalERC20 {
    enum Status {
        None,
        Active,
        Exiting, // exit requested by C (ejection or redemption)
        Completed
    }

    struct Validator {
        address staker;
        Status status;
        bool indexKnown;
        uint64 validatorIndex;
        uint64 exitBalanceGwei; // 0 until recorded
        address ejector;
        uint256 ejectorClaim; // wei owed to the ejector out of this validator's exit balance
        bytes pubkey;
    }

    struct Redemption {
        address owner;
        uint256 amount; // wei of sETH burned
        uint256 remaining; // wei still to pay
    }

    address internal constant WITHDRAWAL_REQUESTS = 0x00000961Ef480Eb55e80D19ad83579A64c007002;
    uint256 public constant DEPOSIT_AMOUNT = 32 ether;
    uint64 internal constant DEPOSIT_GWEI = 32_000_000_000;
    uint256 public constant MINTED_PER_VALIDATOR = 31 ether;
    uint256 internal constant SLOTS_PER_EPOCH = 32;
    /// An ejection acts on the balance now: its proof must be this recent.
    uint256 public constant EJECT_PROOF_MAX_AGE = 1 hours;

    bytes32 internal constant DOMAIN_TYPEHASH = keccak256("EIP712Domain(string name,string version)");
    bytes32 internal constant KEY_PROVENANCE_TYPEHASH = keccak256(
        "KeyProvenance(bytes32 genesisValidatorsRoot,bytes pubkey,bytes32 withdrawalCredentials,uint64 amountGwei,bytes32 depositDataRoot,bool generatedInside,bool notExportable)"
    );

    address public immutable depositContract;
    EnclaveRegistry public immutable registry;
    bytes32 public immutable genesisValidatorsRoot;
    uint64 public immutable ejectionThresholdGwei;
    uint256 public immutable ejectionReward;
    bytes32 public immutable domainSeparator;

    Validator[] internal validators; // in deposit order
    mapping(bytes32 => uint256) internal idPlusOne; // keccak256(pubkey) => id + 1
    uint256 public nextToEject; // oldest-first pointer for redemption ejections
    uint256 public activeCount;
    uint256 public exitingCount;

    Redemption[] internal queue;
    uint256 public queueHead;
    uint256 public queuedTotal; // wei burned into the queue and not yet paid
    uint256 public redemptionReserve; // wei attributed to the redemption side, not yet given to a redeemer

    mapping(address => uint256) public owed; // pull payments
    uint256 public totalOwed;

    uint256 private locked = 1;

    event Deposited(uint256 indexed id, address indexed staker, bytes pubkey, address identity);
    event ExitRequested(uint256 indexed id, address indexed by, uint256 fee, uint256 reward, bool forRedemptions);
    event ExitBalanceRecorded(uint256 indexed id, uint64 balanceGwei);
    event Completed(uint256 indexed id, uint256 exitBalance, uint256 toRedemptions, uint256 toEjector, uint256 toStaker);
    event RedemptionQueued(uint256 indexed position, address indexed owner, uint256 amount);
    event RedemptionPaid(uint256 indexed position, address indexed owner, uint256 amount, uint256 remaining);
    event Withdrawn(address indexed to, uint256 amount);

    error WrongAmount(uint256 expected, uint256 sent);
    error BadDeposit(string reason);
    error PubkeyAlreadyUsed(bytes pubkey);
    error IdentityNotRegistered(address recovered);
    error UnknownValidator(bytes pubkey);
    error WrongValidatorIndex(uint64 given, uint64 expected);
    error NotThisVaultsCredentials(bytes32 withdrawalCredentials);
    error NotActive(uint256 id);
    error StaleProof(uint64 beaconTimestamp);
    error AlreadyExiting(uint256 id);
    error BalanceNotBelowThreshold(uint64 balanceGwei, uint64 thresholdGwei);
    error NoShortfall(uint256 queued, uint256 covered);
    error NothingToEject();
    error FeeAboveMaximum(uint256 fee, uint256 maxFee);
    error FeeNotCovered(uint256 fee, uint256 sent);
    error ExitRequestFailed();
    error NotExited(string reason);
    error ExitBalanceAlreadyRecorded(uint256 id);
    error ExitBalanceNotRecorded(uint256 id);
    error WithdrawalNotArrived(uint256 needed, uint256 unattributed);
    error NothingToRedeem();
    error NothingOwed();
    error TransferFailed();
    error Reentrant();

    modifier nonReentrant() {
        if (locked != 1) revert Reentrant();
        locked = 2;
        _;
        locked = 1;
    }

    constructor(address depositContract_, EnclaveRegistry registry_, bytes32 genesisValidatorsRoot_, uint64 ejectionThresholdGwei_, uint256 ejectionReward_)
        MinimalERC20("Solo Staked ETH", "sETH")
    {
        depositContract = depositContract_;
        registry = registry_;
        genesisValidatorsRoot = genesisValidatorsRoot_;
        ejectionThresholdGwei = ejectionThresholdGwei_;
        ejectionReward = ejectionReward_;
        domainSeparator = keccak256(abi.encode(DOMAIN_TYPEHASH, keccak256("Bulwark"), keccak256("1")));
    }

    // ---- views ----

    /// 0x02 (compounding) credentials with this contract as the withdrawal address.
    function withdrawalCredentials() public view returns (bytes32) {
        return bytes32((uint256(0x02) << 248) | uint256(uint160(address(this))));
    }

    /// The EIP-712 digest of the KeyProvenance statement a deposit of `pubkey` must carry.
    function provenanceDigest(bytes calldata pubkey, bytes32 depositDataRoot) public view returns (bytes32) {
        bytes32 structHash = keccak256(
            abi.encode(
                KEY_PROVENANCE_TYPEHASH, genesisValidatorsRoot, keccak256(pubkey), withdrawalCredentials(), uint256(DEPOSIT_GWEI), depositDataRoot, true, true
            )
        );
        return keccak256(abi.encodePacked(hex"1901", domainSeparator, structHash));
    }

    function validatorCount() external view returns (uint256) {
        return validators.length;
    }

    function validator(uint256 id) external view returns (Validator memory) {
        return validators[id];
    }

    /// The id of `pubkey`'s validator, or reverts with UnknownValidator.
    function idOf(bytes calldata pubkey) public view returns (uint256) {
        uint256 n = idPlusOne[keccak256(pubkey)];
        if (n == 0) revert UnknownValidator(pubkey);
        return n - 1;
    }

    function queueLength() external view returns (uint256) {
        return queue.length;
    }

    function redemption(uint256 position) external view returns (Redemption memory) {
        return queue[position];
    }

    /// ETH in C no one has been credited with: withdrawals not yet attributed by `complete`.
    function unattributed() public view returns (uint256) {
        return address(this).balance - redemptionReserve - totalOwed;
    }

    /// The EIP-7002 fee for one request now.
    function exitFee() public view returns (uint256) {
        (bool ok, bytes memory out) = WITHDRAWAL_REQUESTS.staticcall("");
        if (!ok || out.length != 32) revert ExitRequestFailed();
        return abi.decode(out, (uint256));
    }

    // ---- deposit ----

    /// Stakes exactly 32 ETH for a Bulwark-generated key and mints 31 sETH to the sender.
    function deposit(bytes calldata pubkey, bytes calldata signature, bytes32 depositDataRoot, bytes calldata provenanceSignature)
        external
        payable
        nonReentrant
    {
        if (msg.value != DEPOSIT_AMOUNT) revert WrongAmount(DEPOSIT_AMOUNT, msg.value);
        if (pubkey.length != 48) revert BadDeposit("pubkey must be 48 bytes");
        if (signature.length != 96) revert BadDeposit("signature must be 96 bytes");
        bytes32 key = keccak256(pubkey);
        if (idPlusOne[key] != 0) revert PubkeyAlreadyUsed(pubkey);
        address identity = recover(provenanceDigest(pubkey, depositDataRoot), provenanceSignature);
        if (identity == address(0) || !registry.isRegistered(identity)) revert IdentityNotRegistered(identity);

        validators.push();
        uint256 id = validators.length - 1;
        Validator storage v = validators[id];
        v.staker = msg.sender;
        v.status = Status.Active;
        v.pubkey = pubkey;
        idPlusOne[key] = id + 1;
        activeCount += 1;
        // The deposit contract recomputes the deposit data root from these fields and reverts on a mismatch.
        IBeaconDepositContract(depositContract).deposit{value: DEPOSIT_AMOUNT}(
            pubkey, abi.encodePacked(withdrawalCredentials()), signature, depositDataRoot
        );
        _mint(msg.sender, MINTED_PER_VALIDATOR);
        emit Deposited(id, msg.sender, pubkey, identity);
    }

    /// ecrecover of a 65-byte r‖s‖v signature; address(0) when malformed.
    function recover(bytes32 digest, bytes calldata sig) internal pure returns (address) {
        if (sig.length != 65) return address(0);
        bytes32 r = bytes32(sig[0:32]);
        bytes32 s = bytes32(sig[32:64]);
        uint8 v = uint8(sig[64]);
        if (v < 27) v += 27;
        if (uint256(s) > 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0) return address(0);
        return ecrecover(digest, v, r, s);
    }

    // ---- ejection ----

    /// Anyone: with a recent proof that the validator's balance is under the threshold, requests
    /// its full exit. msg.value pays the EIP-7002 fee (at most maxFee; the excess is credited back);
    /// the fee and the reward are owed to the caller out of this validator's exit balance.
    function eject(uint64 validatorIndex, ValidatorStateProof calldata proof, uint256 maxFee) external payable nonReentrant {
        (uint256 id, uint64 balance) = checkProof(validatorIndex, proof);
        if (validators[id].status != Status.Active) revert NotActive(id);
        if (proof.beaconTimestamp + EJECT_PROOF_MAX_AGE < block.timestamp) revert StaleProof(proof.beaconTimestamp);
        if (proof.validator.exitEpoch != BeaconProofs.FAR_FUTURE_EPOCH) revert AlreadyExiting(id);
        if (balance >= ejectionThresholdGwei) revert BalanceNotBelowThreshold(balance, ejectionThresholdGwei);
        requestExit(id, ejectionReward, maxFee, false);
    }

    /// Anyone, while the redemption queue is larger than the reserve plus the principal of the
    /// validators already exiting: requests the exit of the oldest active validator. Oldest first
    /// is a rule no one can steer; the caller is owed its fee back out of that validator's exit.
    function ejectForRedemptions(uint256 maxFee) external payable nonReentrant {
        uint256 covered = redemptionReserve + exitingCount * MINTED_PER_VALIDATOR;
        if (queuedTotal <= covered) revert NoShortfall(queuedTotal, covered);
        uint256 id = nextToEject;
        while (id < validators.length && validators[id].status != Status.Active) id++;
        if (id == validators.length) revert NothingToEject();
        nextToEject = id + 1;
        requestExit(id, 0, maxFee, true);
    }

    function requestExit(uint256 id, uint256 reward, uint256 maxFee, bool forRedemptions) internal {
        uint256 fee = exitFee();
        if (fee > maxFee) revert FeeAboveMaximum(fee, maxFee);
        if (msg.value < fee) revert FeeNotCovered(fee, msg.value);
        Validator storage v = validators[id];
        v.status = Status.Exiting;
        v.ejector = msg.sender;
        v.ejectorClaim = fee + reward;
        activeCount -= 1;
        exitingCount += 1;
        emit ExitRequested(id, msg.sender, fee, reward, forRedemptions);
        (bool ok,) = WITHDRAWAL_REQUESTS.call{value: fee}(abi.encodePacked(v.pubkey, uint64(0)));
        if (!ok) revert ExitRequestFailed();
        credit(msg.sender, msg.value - fee);
    }

    // ---- completion ----

    /// Anyone, between the validator's exit and its withdrawal: records the balance it exited with
    /// (an unslashed validator's balance no longer changes from the epoch after its exit epoch, a
    /// slashed one's from the epoch after its withdrawable epoch; with 0x02 credentials nothing is
    /// skimmed before the full withdrawal).
    function recordExitBalance(uint64 validatorIndex, ValidatorStateProof calldata proof) external nonReentrant {
        (uint256 id, uint64 balance) = checkProof(validatorIndex, proof);
        Validator storage v = validators[id];
        if (v.status != Status.Active && v.status != Status.Exiting) revert NotActive(id);
        if (v.exitBalanceGwei != 0) revert ExitBalanceAlreadyRecorded(id);
        if (proof.validator.exitEpoch == BeaconProofs.FAR_FUTURE_EPOCH) revert NotExited("exit not initiated");
        // A slashed validator keeps being penalised until its withdrawable epoch, an exited one until its exit epoch.
        uint256 epoch = proof.header.slot / SLOTS_PER_EPOCH;
        if (epoch <= (proof.validator.slashed ? proof.validator.withdrawableEpoch : proof.validator.exitEpoch)) revert NotExited("balance may still change");
        if (balance == 0) revert NotExited("already withdrawn: prove the balance from before the withdrawal");
        v.exitBalanceGwei = balance;
        emit ExitBalanceRecorded(id, balance);
    }

    /// Anyone, once the withdrawal is complete (proof: withdrawable epoch reached, balance zero) and
    /// its ETH is here: 31 ETH (or all, if less) to the redemption side, then the ejector's fee and
    /// reward, then the rest to the staker.
    function complete(uint64 validatorIndex, ValidatorStateProof calldata proof) external nonReentrant {
        (uint256 id, uint64 balance) = checkProof(validatorIndex, proof);
        Validator storage v = validators[id];
        if (v.status != Status.Active && v.status != Status.Exiting) revert NotActive(id);
        if (v.exitBalanceGwei == 0) revert ExitBalanceNotRecorded(id);
        if (proof.validator.withdrawableEpoch > proof.header.slot / SLOTS_PER_EPOCH) revert NotExited("withdrawable epoch not reached");
        if (balance != 0) revert NotExited("balance not yet withdrawn");
        uint256 payout = uint256(v.exitBalanceGwei) * 1 gwei;
        uint256 available = unattributed();
        if (payout > available) revert WithdrawalNotArrived(payout, available);

        if (v.status == Status.Active) activeCount -= 1;
        else exitingCount -= 1;
        v.status = Status.Completed;
        uint256 toRedemptions = payout < MINTED_PER_VALIDATOR ? payout : MINTED_PER_VALIDATOR;
        uint256 rest = payout - toRedemptions;
        uint256 toEjector = rest < v.ejectorClaim ? rest : v.ejectorClaim;
        uint256 toStaker = rest - toEjector;
        redemptionReserve += toRedemptions;
        credit(v.ejector, toEjector);
        credit(v.staker, toStaker);
        emit Completed(id, payout, toRedemptions, toEjector, toStaker);
    }

    /// The proof's validator is one of C's, at the index given (the first proof fixes the index),
    /// and the proof holds against the EIP-4788 root. Returns its id and proven balance (gwei).
    function checkProof(uint64 validatorIndex, ValidatorStateProof calldata proof) internal returns (uint256 id, uint64 balance) {
        if (proof.validatorIndex != validatorIndex) revert WrongValidatorIndex(proof.validatorIndex, validatorIndex);
        id = idOf(proof.validator.pubkey);
        if (proof.validator.withdrawalCredentials != withdrawalCredentials()) revert NotThisVaultsCredentials(proof.validator.withdrawalCredentials);
        Validator storage v = validators[id];
        if (v.indexKnown && v.validatorIndex != validatorIndex) revert WrongValidatorIndex(validatorIndex, v.validatorIndex);
        balance = BeaconProofs.verify(proof);
        v.indexKnown = true;
        v.validatorIndex = validatorIndex;
    }

    // ---- redemption ----

    /// Burns `amount` sETH into the first-come-first-served queue (paid by `claim`, then `withdraw`).
    function redeem(uint256 amount) external nonReentrant {
        if (amount == 0) revert NothingToRedeem();
        _burn(msg.sender, amount);
        queue.push(Redemption(msg.sender, amount, amount));
        queuedTotal += amount;
        emit RedemptionQueued(queue.length - 1, msg.sender, amount);
    }

    /// Anyone: pays the queue in order from the reserve, at most `maxEntries` entries (the head
    /// entry may be paid in part). Each payment is credited to its owner for `withdraw`.
    function claim(uint256 maxEntries) external nonReentrant {
        uint256 head = queueHead;
        for (uint256 n = 0; n < maxEntries && head < queue.length && redemptionReserve > 0; n++) {
            Redemption storage r = queue[head];
            uint256 pay = r.remaining < redemptionReserve ? r.remaining : redemptionReserve;
            r.remaining -= pay;
            redemptionReserve -= pay;
            queuedTotal -= pay;
            credit(r.owner, pay);
            emit RedemptionPaid(head, r.owner, pay, r.remaining);
            if (r.remaining != 0) break;
            head++;
        }
        queueHead = head;
    }

    // ---- payouts ----

    function credit(address to, uint256 amount) internal {
        if (amount == 0) return;
        owed[to] += amount;
        totalOwed += amount;
    }

    function withdraw() external nonReentrant {
        uint256 amount = owed[msg.sender];
        if (amount == 0) revert NothingOwed();
        owed[msg.sender] = 0;
        totalOwed -= amount;
        (bool ok,) = msg.sender.call{value: amount}("");
        if (!ok) revert TransferFailed();
        emit Withdrawn(msg.sender, amount);
    }

    /// Withdrawals arrive without a call; plain transfers are accepted (and stay unattributed).
    receive() external payable {}
}
