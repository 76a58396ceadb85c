/**
 * DNS-rebinding protection: the Host header (port-agnostic, like the SDK's express-only
 * `hostHeaderValidation`) and, when present, the Origin header must name this gateway.
 */
import type { IncomingHttpHeaders } from "node:http";

const LOOPBACK_NAMES = ["localhost", "127.0.0.1", "[::1]"];

export interface HostPolicy {
  hostnames: Set<string>;
  origins: Set<string>;
  /** The last Host header that passed (a one-entry cache). */
  lastGoodHost?: string;
}

function hostnameOf(hostHeader: string): string | undefined {
  try {
    return new URL(`http://${hostHeader}`).hostname;
  } catch {
    return undefined;
  }
}

/** Allowed names: the loopback names, the resource URL's host, and any extra hosts. */
export function hostPolicy(resourceUrl: string, listenHost: string, extraHosts: readonly string[] = []): HostPolicy {
  const resource = new URL(resourceUrl);
  const hostnames = new Set<string>([...LOOPBACK_NAMES, resource.hostname]);
  if (listenHost !== "0.0.0.0" && listenHost !== "::") hostnames.add(hostnameOf(listenHost.includes(":") && !listenHost.startsWith("[") ? `[${listenHost}]` : listenHost) ?? listenHost);
  for (const h of extraHosts) hostnames.add(hostnameOf(h) ?? h);
  const origins = new Set<string>([resource.origin]);
  return { hostnames, origins };
}

/** Returns undefined when the request may proceed, else the reason for a 403. */
export function checkHost(headers: IncomingHttpHeaders, policy: HostPolicy): string | undefined {
  const host = headers.host;
  if (!host) return "Missing Host header";
  if (host !== policy.lastGoodHost) {
    const hostname = hostnameOf(host);
    if (!hostname || !policy.hostnames.has(hostname)) return `Invalid Host: ${hostname ?? host}`;
    policy.lastGoodHost = host; // the same Host header on every request: parse it once
  }
  const origin = headers.origin;
  if (origin !== undefined && origin !== "null") {
    let o: URL;
    try {
      o = new URL(origin);
    } catch {
      return "Invalid Origin header";
    }
    if (!policy.origins.has(o.origin) && !policy.hostnames.has(o.hostname)) return `Invalid Origin: ${o.origin}`;
  } else if (origin === "null") {
    return "Invalid Origin: null";
  }
  return undefined;
}
