/**
 * Host-header allow-list, as Web3Signer's --http-host-allowlist: protects a signer bound beyond
 * loopback from DNS-rebinding pages in a browser. "*" allows every host.
 */
import type { FastifyInstance } from "fastify";

export type HostAllowList = readonly string[];

export const DEFAULT_HOST_ALLOW_LIST: HostAllowList = ["localhost", "127.0.0.1", "::1"];

export function hostAllowed(list: HostAllowList, hostHeader: string | undefined): boolean {
  if (list.includes("*")) return true;
  if (hostHeader === undefined) return false;
  return list.includes(hostnameOf(hostHeader).toLowerCase());
}

function hostnameOf(hostHeader: string): string {
  if (hostHeader.startsWith("[")) return hostHeader.slice(1, hostHeader.indexOf("]"));
  const colon = hostHeader.lastIndexOf(":");
  return colon === -1 ? hostHeader : hostHeader.slice(0, colon);
}

/** Refuses (403) every request, on every route of `app`, whose Host header is not in the list. */
export function enforceHostAllowList(app: FastifyInstance, list: HostAllowList): void {
  app.addHook("onRequest", async (request, reply) => {
    if (!hostAllowed(list, request.headers.host)) {
      return reply.code(403).send({ statusCode: 403, error: "Forbidden", message: `host ${request.headers.host ?? "(none)"} is not in the allow-list` });
    }
  });
}
