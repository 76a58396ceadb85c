/**
 * Where the bundled gateway reaches a team's backends inside the cluster: the Service the ToolHive
 * operator creates for each MCPServer. Pure naming, shared by the gateway's config validation (which
 * refuses a stack the container could not serve) and the container entry (which builds its backends).
 *
 * ToolHive v0.44.0, as the operator names and numbers it:
 *  - Service name `mcp-<name>-proxy`: cmd/thv-operator/pkg/controllerutil/resources.go
 *    (CreateProxyServiceName), used by serviceForMCPServer in cmd/thv-operator/controllers/mcpserver_controller.go;
 *  - port `spec.proxyPort`, default 8080: cmd/thv-operator/api/v1beta1/mcpserver_types.go (GetProxyPort);
 *    the stack never sets proxyPort, so it is always the default;
 *  - URL `http://<service>.<namespace>.svc.cluster.local:<port>/mcp` for streamable-http and for stdio
 *    behind the default proxyMode streamable-http; `/sse#<name>` for SSE: the MCPServer status URL in
 *    mcpserver_controller.go, built by pkg/transport/url.go (GenerateMCPServerURL).
 * The gateway speaks Streamable HTTP only, so an SSE backend needs an explicit URL.
 */
import { ProblemList } from "../errors";
import type { BackendSpec } from "../spec/types";

/** GetProxyPort's default (the stack never sets `proxyPort`). */
export const MCPSERVER_PROXY_PORT = 8080;
export const DEFAULT_CLUSTER_DOMAIN = "cluster.local";

export function mcpServerServiceName(backend: string): string {
  return `mcp-${backend}-proxy`;
}

/** The in-cluster Streamable HTTP URL of an MCPServer's proxy Service. */
export function mcpServerServiceUrl(backend: string, namespace: string, clusterDomain = DEFAULT_CLUSTER_DOMAIN): string {
  return `http://${mcpServerServiceName(backend)}.${namespace}.svc.${clusterDomain}:${MCPSERVER_PROXY_PORT}/mcp`;
}

/**
 * The URL of every backend: an override when given, else its MCPServer Service. Problems (an override
 * for an undeclared backend, a URL that is not http(s), an SSE backend without an override) go to
 * `problems` under `path` (e.g. `vmcp-okta:team.gateway.backendUrls`, or the env var's name).
 */
export function clusterBackendUrls(
  backends: readonly Pick<BackendSpec, "name" | "transport">[],
  namespace: string,
  overrides: Record<string, string>,
  problems: ProblemList,
  path: string,
  clusterDomain = DEFAULT_CLUSTER_DOMAIN,
): Record<string, string> {
  const declared = new Set(backends.map((b) => b.name));
  for (const [name, url] of Object.entries(overrides)) {
    if (!declared.has(name)) {
      problems.error("gateway.backend-url-unknown", `${path}.${name}`, "no backend of that name is declared", { value: name, fix: `use one of: ${[...declared].join(", ")}` });
      continue;
    }
    let u: URL | undefined;
    try {
      u = new URL(url);
    } catch {
      u = undefined;
    }
    if (!u || (u.protocol !== "http:" && u.protocol !== "https:")) {
      problems.error("gateway.backend-url-invalid", `${path}.${name}`, "a backend URL is an absolute http(s) URL of a Streamable HTTP MCP endpoint", {
        value: url,
        fix: `use e.g. ${mcpServerServiceUrl(name, namespace, clusterDomain)}`,
      });
    }
  }
  const urls: Record<string, string> = {};
  for (const b of backends) {
    if (overrides[b.name] !== undefined) urls[b.name] = overrides[b.name];
    else if (b.transport === "sse") {
      problems.error("gateway.backend-sse", `${path}.${b.name}`, "the MCPServer of an SSE backend serves SSE, which the gateway does not speak", {
        fix: "give the backend a Streamable HTTP URL here, or run it with transport: stdio or streamable-http",
      });
    } else urls[b.name] = mcpServerServiceUrl(b.name, namespace, clusterDomain);
  }
  return urls;
}
