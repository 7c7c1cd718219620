export { computeDomain, forkVersionAt, signingRootOf } from "./domain.js";
export {
  BadRequestError,
  PresetMismatchError,
  SigningRootMismatchError,
  UnknownForkError,
  WrongNetworkError,
} from "./errors.js";
export { toHex } from "../util/hex.js";
export { slotsPerEpoch } from "./preset.js";
export { parseSigningRequest } from "./request.js";
export {
  BATCH_TYPES,
  type RecordedKind,
  REQUEST_TYPES,
  type RequestTypeSpec,
  requestTypeLabel,
  SIGNING_REQUEST_TYPES,
  signingRequestType,
} from "./request-types.js";
export { computeSigningRoot } from "./signing-root.js";
export {
  type AggregateAndProofAnyFork,
  type AggregateAndProofV2,
  type BeaconBlockV2,
  type DepositRequestData,
  FORK_VERSIONS,
  type ForkInfo,
  type ForkVersionName,
  GLOAS_VERSIONS,
  type GloasVersioned,
  type HeaderOnlyVersion,
  type ProtectionFacts,
  type SigningRequest,
  type SigningRequestType,
  type SigningRootResult,
  type SyncCommitteeMessageData,
} from "./types.js";
