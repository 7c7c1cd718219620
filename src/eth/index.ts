export { computeDomain, forkVersionAt, signingRootOf } from "./domain.js";
export {
  BadRequestError,
  PresetMismatchError,
  SigningRootMismatchError,
  UnknownForkError,
  WrongNetworkError,
} from "./errors.js";
export { toHex } from "./hex.js";
export { slotsPerEpoch } from "./preset.js";
export { parseSigningRequest } from "./request.js";
export { computeSigningRoot } from "./signing-root.js";
export {
  type AggregateAndProofV2,
  type BeaconBlockV2,
  type DepositRequestData,
  FORK_VERSIONS,
  type ForkInfo,
  type ForkVersionName,
  type HeaderOnlyVersion,
  type ProtectionFacts,
  SIGNING_REQUEST_TYPES,
  type SigningRequest,
  type SigningRequestType,
  type SigningRootResult,
  type SyncCommitteeMessageData,
} from "./types.js";
