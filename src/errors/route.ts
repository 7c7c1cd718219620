/**
 * The one route from an error to what a server does with it: the HTTP status and body, the metric
 * label and the log line, all from the catalogue. Used by the signing API (src/server/app.ts), the
 * keymanager API, the pool participant and aggregator, and the Commit-Boost API.
 */
import type { FastifyReply } from "fastify";
import type { Logger } from "pino";
import { BulwarkError } from "./bulwark-error.js";
import { ERROR_TABLE, type LogLevel } from "./catalogue.js";
import { type ErrorCode, SIGN_ERROR_CODES, type SignErrorCode } from "./codes.js";

/** A refusal as the core returns it (src/core/api.ts SignError), or any other coded error as data. */
export interface CodedError {
  code: ErrorCode;
  message: string;
  reason?: string;
}

export interface RoutedError {
  code: ErrorCode;
  status: number;
  metricLabel: string;
  logLevel: LogLevel;
  message: string;
  reason?: string;
}

/**
 * The catalogue entry of a returned refusal or a thrown error. Messages of Bulwark errors are
 * written for users and never hold secrets, so they are answered as they are; anything else
 * thrown is "internal" with its message.
 */
export function routeError(error: CodedError | unknown): RoutedError {
  const coded = asCoded(error);
  const entry = ERROR_TABLE[coded.code];
  return {
    code: coded.code,
    status: entry.status,
    metricLabel: entry.metricLabel,
    logLevel: entry.logLevel,
    message: coded.message,
    ...(coded.reason !== undefined ? { reason: coded.reason } : {}),
  };
}

/**
 * A thrown error as a signing refusal: its own code when it is one of the signing codes, otherwise
 * "internal" with `internalPrefix` before its message (the root could not be computed, ...).
 */
export function signErrorOf(error: unknown, internalPrefix = ""): { code: SignErrorCode; message: string } {
  const { code, message } = asCoded(error);
  if (isSignErrorCode(code) && code !== "internal") return { code, message };
  return { code: "internal", message: internalPrefix + message };
}

export function isSignErrorCode(code: string): code is SignErrorCode {
  return (SIGN_ERROR_CODES as readonly string[]).includes(code);
}

/** The route's log line at the catalogue's level, with the code (and reason) added to `fields`. */
export function logRoutedError(logger: Logger, routed: RoutedError, fields: Record<string, unknown>): void {
  logger[routed.logLevel]({ ...fields, code: routed.code, ...(routed.reason !== undefined ? { reason: routed.reason } : {}) }, routed.message);
}

/**
 * The bodies the APIs answer: Web3Signer's signing API (and the distributed profile) send
 * `{statusCode, error: code, message}`; the keymanager and Commit-Boost APIs `{code: status, message}`.
 */
export type ErrorBodyShape = "signing" | "status-code";

export function errorBody(routed: RoutedError, shape: ErrorBodyShape): Record<string, unknown> {
  return shape === "signing"
    ? { statusCode: routed.status, error: routed.code, message: routed.message }
    : { code: routed.status, message: routed.message };
}

export interface ReplyErrorOptions {
  shape: ErrorBodyShape;
  logger?: Logger;
  /** Context of the log line (key, request type, route). */
  fields?: Record<string, unknown>;
  /** Counts the outcome under its metric label. */
  count?: (metricLabel: string, routed: RoutedError) => void;
}

/** Routes `error`: counts it, logs it, and answers it on `reply`. */
export function replyError(reply: FastifyReply, error: CodedError | unknown, options: ReplyErrorOptions): FastifyReply {
  const routed = routeError(error);
  options.count?.(routed.metricLabel, routed);
  if (options.logger !== undefined) logRoutedError(options.logger, routed, options.fields ?? {});
  return reply.code(routed.status).send(errorBody(routed, options.shape));
}

function asCoded(error: unknown): CodedError {
  if (error instanceof BulwarkError) return { code: error.code, message: error.message };
  if (isCodedData(error)) return error;
  return { code: "internal", message: error instanceof Error ? error.message : String(error) };
}

function isCodedData(error: unknown): error is CodedError {
  if (error === null || typeof error !== "object" || error instanceof Error) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  return typeof code === "string" && Object.hasOwn(ERROR_TABLE, code) && typeof message === "string";
}
