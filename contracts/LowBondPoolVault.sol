// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {BeaconProofs, ValidatorStateProof} from "./BeaconProofs.sol";

interface IDepositContract {
    function deposit(bytes calldata pubkey, bytes calldata withdrawal_credentials, bytes calldata signature, bytes32 deposit_data_root)
        external
        payable;
}

/// Who takes part in one pool validator and on what terms; fixed at creation.
struct VaultConfig {
    address aggregator;
    address[] operators; // operator i+1 of the pool definition at index i
    uint256 threshold; // M: operator votes needed for an exit
    uint256 aggregatorBond; // wei
    uint256 operatorBond; // wei, each
    address stakePool;
    uint64 stakeDeadline; // unix seconds: after it, an unstaked vault can be refunded
    uint16 aggregatorRewardBps; // reward shares in basis points; the stake pool gets the rest
    uint16 operatorRewardBps; // each operator
}

/// The deposit `bulwark pool create` signed for this validator.
struct DepositData {
    bytes pubkey;
    bytes32 withdrawalCredentials;
    uint64 amountGwei;
    bytes signature;
    bytes32 depositDataRoot;
}

/// The withdrawal address of one low-bond pool validator: holds the aggregator's and operators'
/// bonds and the stake pool's ETH, makes the deposit, requests the full exit through EIP-7002 for
/// the aggregator, an M-of-N operator quorum or the stake pool, and settles from an EIP-4788 proof.
/// There is no owner and no admin path: every rule is fixed at creation.
contract LowBondPoolVault {
    enum Phase {
        Uninitialized,
        Funding,
        Staked,
        Settled,
        Refunded
    }

    address internal constant WITHDRAWAL_REQUESTS = 0x00000961Ef480Eb55e80D19ad83579A64c007002;
    uint256 public constant DEPOSIT_AMOUNT = 32 ether;
    uint64 internal constant DEPOSIT_GWEI = 32_000_000_000;
    uint256 internal constant SLOTS_PER_EPOCH = 32;
    /// A "not exiting" proof for a reward split must be this recent: a validator whose exit_epoch
    /// is still FAR_FUTURE cannot be fully withdrawn within MIN_VALIDATOR_WITHDRAWABILITY_DELAY
    /// (256 epochs, over 27 hours), so nothing in the vault can be principal yet.
    uint256 public constant REWARD_PROOF_MAX_AGE = 12 hours;

    address public immutable factory;
    address public immutable depositContract;

    Phase public phase;
    address public aggregator;
    address[] internal operatorList;
    uint256 public threshold;
    uint256 public aggregatorBond;
    uint256 public operatorBond;
    address public stakePool;
    uint256 public stakePoolFunding;
    uint64 public stakeDeadline;
    uint16 public aggregatorRewardBps;
    uint16 public operatorRewardBps;
    DepositData internal depositData;

    mapping(address => bool) public isOperator;
    mapping(address => uint256) public contributed; // bonds and funding in, while not staked
    uint256 public contributionsIn;
    uint256 public partiesPaidIn;
    mapping(address => bool) public paidIn;
    mapping(address => bool) public hasVoted;
    uint256 public exitVotes;
    uint256 public exitRequests;

    mapping(address => uint256) public owed; // pull payments
    uint256 public totalOwed;
    uint256 public rewardsDistributed;
    uint256 public settledPot;

    uint256 private locked = 1;

    event Bonded(address indexed party, uint256 amount);
    event Funded(address indexed stakePool, uint256 amount);
    event Staked(bytes pubkey);
    event ExitVote(address indexed operator, uint256 votes);
    event ExitRequested(address indexed by, uint256 fee);
    event RewardsDistributed(uint256 amount);
    event SettledOut(uint256 pot, uint256 toStakePool, uint256 toBonds, uint256 surplus);
    event RefundOpened();
    event Withdrawn(address indexed party, uint256 amount);

    error NotFactory();
    error AlreadyInitialized();
    error BadConfig(string reason);
    error BadDeposit(string reason);
    error WrongPhase(Phase expected, Phase actual);
    error NotParty(address caller);
    error WrongAmount(uint256 expected, uint256 sent);
    error AlreadyPaidIn(address party);
    error NotAllPaidIn(uint256 paidIn, uint256 needed);
    error DeadlinePassed(uint64 deadline);
    error DeadlineNotReached(uint64 deadline);
    error AlreadyVoted(address operator);
    error FeeAboveMaximum(uint256 fee, uint256 maxFee);
    error FeeNotCovered(uint256 fee, uint256 sent);
    error ExitRequestFailed();
    error NotThisValidator(string reason);
    error NotWithdrawn(string reason);
    error StaleProof(uint64 beaconTimestamp);
    error ValidatorExiting();
    error NothingOwed();
    error TransferFailed();
    error Reentrant();

    modifier nonReentrant() {
        if (locked != 1) revert Reentrant();
        locked = 2;
        _;
        locked = 1;
    }

    modifier inPhase(Phase expected) {
        if (phase != expected) revert WrongPhase(expected, phase);
        _;
    }

    constructor(address depositContract_) {
        factory = msg.sender;
        depositContract = depositContract_;
    }

    /// Called once by the factory in the creating transaction (the address, hence the credentials, is
    /// fixed by CREATE2 before the deposit data exists).
    function initialize(VaultConfig calldata c, DepositData calldata d) external {
        if (msg.sender != factory) revert NotFactory();
        if (phase != Phase.Uninitialized) revert AlreadyInitialized();
        uint256 n = c.operators.length;
        if (n < 2) revert BadConfig("at least 2 operators");
        if (c.threshold < 1 || c.threshold > n) revert BadConfig("threshold outside 1..N");
        if (c.aggregator == address(0) || c.stakePool == address(0) || c.aggregator == c.stakePool) revert BadConfig("aggregator and stake pool");
        uint256 bonds = c.aggregatorBond + n * c.operatorBond;
        if (bonds > DEPOSIT_AMOUNT) revert BadConfig("bonds above 32 ETH");
        if (uint256(c.aggregatorRewardBps) + n * uint256(c.operatorRewardBps) > 10_000) revert BadConfig("reward shares above 100%");
        for (uint256 i = 0; i < n; i++) {
            address op = c.operators[i];
            if (op == address(0) || op == c.aggregator || op == c.stakePool || isOperator[op]) revert BadConfig("operators distinct from each other and the other parties");
            isOperator[op] = true;
            operatorList.push(op);
        }
        checkDeposit(d);
        aggregator = c.aggregator;
        threshold = c.threshold;
        aggregatorBond = c.aggregatorBond;
        operatorBond = c.operatorBond;
        stakePool = c.stakePool;
        stakePoolFunding = DEPOSIT_AMOUNT - bonds;
        stakeDeadline = c.stakeDeadline;
        aggregatorRewardBps = c.aggregatorRewardBps;
        operatorRewardBps = c.operatorRewardBps;
        depositData = d;
        phase = Phase.Funding;
    }

    function checkDeposit(DepositData calldata d) internal view {
        if (d.pubkey.length != 48) revert BadDeposit("pubkey must be 48 bytes");
        if (d.signature.length != 96) revert BadDeposit("signature must be 96 bytes");
        if (d.amountGwei != DEPOSIT_GWEI) revert BadDeposit("amount must be 32 ETH");
        bytes32 expected = bytes32(uint256(uint160(address(this))));
        bytes32 wc = d.withdrawalCredentials;
        if ((wc[0] != 0x01 && wc[0] != 0x02) || (wc & ~bytes32(bytes1(0xff))) != expected) {
            revert BadDeposit("withdrawal credentials must be 0x01 or 0x02 with this vault's address");
        }
        if (depositRoot(d) != d.depositDataRoot) revert BadDeposit("deposit_data_root does not match the deposit");
    }

    /// hash_tree_root(DepositData), as the deposit contract computes it.
    function depositRoot(DepositData calldata d) internal pure returns (bytes32) {
        bytes32 pubkeyRoot = sha256(abi.encodePacked(d.pubkey, bytes16(0)));
        bytes32 signatureRoot = sha256(abi.encodePacked(sha256(d.signature[:64]), sha256(abi.encodePacked(d.signature[64:], bytes32(0)))));
        return sha256(
            abi.encodePacked(
                sha256(abi.encodePacked(pubkeyRoot, d.withdrawalCredentials)),
                sha256(abi.encodePacked(BeaconProofs.le64(d.amountGwei), signatureRoot)) // le64 is the 8 bytes already padded to 32
            )
        );
    }

    // ---- views ----

    function operators() external view returns (address[] memory) {
        return operatorList;
    }

    function deposit() external view returns (DepositData memory) {
        return depositData;
    }

    function partiesCount() public view returns (uint256) {
        return operatorList.length + 2;
    }

    /// ETH in the vault that no one has been credited with yet.
    function unallocated() public view returns (uint256) {
        return address(this).balance - totalOwed - (phase == Phase.Funding ? contributionsIn : 0);
    }

    /// The EIP-7002 fee for one request now.
    function exitFee() public view returns (uint256) {
        (bool ok, bytes memory out) = WITHDRAWAL_REQUESTS.staticcall("");
        if (!ok || out.length != 32) revert ExitRequestFailed();
        return abi.decode(out, (uint256));
    }

    // ---- funding ----

    function bond() external payable nonReentrant inPhase(Phase.Funding) {
        uint256 expected;
        if (msg.sender == aggregator) expected = aggregatorBond;
        else if (isOperator[msg.sender]) expected = operatorBond;
        else revert NotParty(msg.sender);
        payIn(expected);
        emit Bonded(msg.sender, msg.value);
    }

    function fund() external payable nonReentrant inPhase(Phase.Funding) {
        if (msg.sender != stakePool) revert NotParty(msg.sender);
        payIn(stakePoolFunding);
        emit Funded(msg.sender, msg.value);
    }

    function payIn(uint256 expected) internal {
        if (block.timestamp >= stakeDeadline) revert DeadlinePassed(stakeDeadline);
        if (msg.value != expected) revert WrongAmount(expected, msg.value);
        if (paidIn[msg.sender]) revert AlreadyPaidIn(msg.sender);
        paidIn[msg.sender] = true;
        contributed[msg.sender] = msg.value;
        contributionsIn += msg.value;
        partiesPaidIn += 1;
    }

    /// Sends the 32 ETH deposit once every party has paid in. Anyone may call it.
    function stake() external nonReentrant inPhase(Phase.Funding) {
        if (partiesPaidIn != partiesCount()) revert NotAllPaidIn(partiesPaidIn, partiesCount());
        phase = Phase.Staked;
        contributionsIn = 0;
        DepositData memory d = depositData;
        IDepositContract(depositContract).deposit{value: DEPOSIT_AMOUNT}(d.pubkey, abi.encodePacked(d.withdrawalCredentials), d.signature, d.depositDataRoot);
        emit Staked(d.pubkey);
    }

    /// After the deadline, an unstaked vault returns every contribution (then `withdraw`).
    function refund() external nonReentrant inPhase(Phase.Funding) {
        if (block.timestamp < stakeDeadline) revert DeadlineNotReached(stakeDeadline);
        phase = Phase.Refunded;
        credit(aggregator, contributed[aggregator]);
        credit(stakePool, contributed[stakePool]);
        for (uint256 i = 0; i < operatorList.length; i++) credit(operatorList[i], contributed[operatorList[i]]);
        contributionsIn = 0;
        emit RefundOpened();
    }

    // ---- exits ----

    /// The aggregator or the stake pool requests the full exit; pays the current fee, at most maxFee.
    function requestExit(uint256 maxFee) external payable nonReentrant inPhase(Phase.Staked) {
        if (msg.sender != aggregator && msg.sender != stakePool) revert NotParty(msg.sender);
        sendExitRequest(maxFee);
    }

    /// An operator votes for the full exit; the M-th vote (and any later vote) sends the request,
    /// paying the current fee from msg.value, at most maxFee. Earlier votes get their value back.
    function voteExit(uint256 maxFee) external payable nonReentrant inPhase(Phase.Staked) {
        if (!isOperator[msg.sender]) revert NotParty(msg.sender);
        if (hasVoted[msg.sender]) revert AlreadyVoted(msg.sender);
        hasVoted[msg.sender] = true;
        exitVotes += 1;
        emit ExitVote(msg.sender, exitVotes);
        if (exitVotes >= threshold) sendExitRequest(maxFee);
        else pay(msg.sender, msg.value);
    }

    function sendExitRequest(uint256 maxFee) internal {
        uint256 fee = exitFee();
        if (fee > maxFee) revert FeeAboveMaximum(fee, maxFee);
        if (msg.value < fee) revert FeeNotCovered(fee, msg.value);
        exitRequests += 1;
        emit ExitRequested(msg.sender, fee);
        (bool ok,) = WITHDRAWAL_REQUESTS.call{value: fee}(abi.encodePacked(depositData.pubkey, uint64(0)));
        if (!ok) revert ExitRequestFailed();
        pay(msg.sender, msg.value - fee);
    }

    // ---- rewards and settlement ----

    /// Splits what arrived since the last split (partial withdrawals, fee-recipient income) by the
    /// reward shares. While staked it needs a recent proof that the validator is not exiting, so
    /// returning principal is never mistaken for rewards; after settlement no proof is needed.
    function distributeRewards(ValidatorStateProof calldata proof) external nonReentrant {
        if (phase == Phase.Staked) {
            if (proof.beaconTimestamp + REWARD_PROOF_MAX_AGE < block.timestamp) revert StaleProof(proof.beaconTimestamp);
            checkValidator(proof);
            if (proof.validator.exitEpoch != BeaconProofs.FAR_FUTURE_EPOCH) revert ValidatorExiting();
        } else if (phase != Phase.Settled) {
            revert WrongPhase(Phase.Staked, phase);
        }
        uint256 amount = unallocated();
        rewardsDistributed += amount;
        splitByShares(amount);
        emit RewardsDistributed(amount);
    }

    /// After the full withdrawal (proof: exit initiated, withdrawable epoch reached, balance zero),
    /// pays the stake pool's principal first, then the bonds (shortfall pro rata), then splits any
    /// surplus by the reward shares. Anyone may call it.
    function settle(ValidatorStateProof calldata proof) external nonReentrant inPhase(Phase.Staked) {
        uint64 balance = checkValidator(proof);
        if (proof.validator.exitEpoch == BeaconProofs.FAR_FUTURE_EPOCH) revert NotWithdrawn("exit not initiated");
        if (proof.validator.withdrawableEpoch > proof.header.slot / SLOTS_PER_EPOCH) revert NotWithdrawn("withdrawable epoch not reached");
        if (balance != 0) revert NotWithdrawn("balance not yet withdrawn");
        phase = Phase.Settled;
        uint256 pot = unallocated();
        settledPot = pot;
        uint256 toStakePool = pot < stakePoolFunding ? pot : stakePoolFunding;
        credit(stakePool, toStakePool);
        uint256 rest = pot - toStakePool;
        uint256 bonds = DEPOSIT_AMOUNT - stakePoolFunding;
        uint256 toBonds = rest < bonds ? rest : bonds;
        if (toBonds == bonds) {
            credit(aggregator, aggregatorBond);
            for (uint256 i = 0; i < operatorList.length; i++) credit(operatorList[i], operatorBond);
        } else if (toBonds > 0) {
            uint256 each = (toBonds * operatorBond) / bonds;
            for (uint256 i = 0; i < operatorList.length; i++) credit(operatorList[i], each);
            credit(aggregator, toBonds - each * operatorList.length); // its pro-rata part plus rounding dust
        }
        uint256 surplus = rest - toBonds;
        splitByShares(surplus);
        emit SettledOut(pot, toStakePool, toBonds, surplus);
    }

    function checkValidator(ValidatorStateProof calldata proof) internal view returns (uint64 balance) {
        if (keccak256(proof.validator.pubkey) != keccak256(depositData.pubkey)) revert NotThisValidator("pubkey");
        if (proof.validator.withdrawalCredentials != depositData.withdrawalCredentials) revert NotThisValidator("withdrawal credentials");
        balance = BeaconProofs.verify(proof);
    }

    function splitByShares(uint256 amount) internal {
        if (amount == 0) return;
        uint256 toAggregator = (amount * aggregatorRewardBps) / 10_000;
        uint256 toEachOperator = (amount * operatorRewardBps) / 10_000;
        credit(aggregator, toAggregator);
        for (uint256 i = 0; i < operatorList.length; i++) credit(operatorList[i], toEachOperator);
        credit(stakePool, amount - toAggregator - toEachOperator * operatorList.length);
    }

    function credit(address party, uint256 amount) internal {
        if (amount == 0) return;
        owed[party] += amount;
        totalOwed += amount;
    }

    /// Pays the caller what it is owed (refund, rewards, settlement).
    function withdraw() external nonReentrant {
        uint256 amount = owed[msg.sender];
        if (amount == 0) revert NothingOwed();
        owed[msg.sender] = 0;
        totalOwed -= amount;
        pay(msg.sender, amount);
        emit Withdrawn(msg.sender, amount);
    }

    function pay(address to, uint256 amount) internal {
        if (amount == 0) return;
        (bool ok,) = to.call{value: amount}("");
        if (!ok) revert TransferFailed();
    }

    /// Withdrawals and fee-recipient income arrive without a call; plain transfers are accepted too.
    receive() external payable {}
}
