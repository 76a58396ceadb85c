/**
 * Names of the Kubernetes objects a team owns. Everything the stack creates is prefixed with the
 * team's server name (`<team>-tools`), so two teams can share a namespace without colliding; only
 * the MCPServers keep the backend's own name, because vMCP derives tool prefixes from it.
 */
import type { TeamSpec } from "../spec/types";

export interface ToolhiveNames {
  /** MCPGroup and VirtualMCPServer. */
  server: string;
  group: string;
  oidcConfig: string;
  /** Default namespace when the config names none: `vmcp-<team>`. */
  defaultNamespace: string;
  idpClientSecret: { name: string; key: string };
  signingKey(generation: string): { name: string; key: string };
  hmacSecret(generation: string): { name: string; key: string };
  redisSession: { name: string; key: string };
  redisAuthServer: { name: string; passwordKey: string; usernameKey: string };
  /** The name of the Service the operator creates for the VirtualMCPServer. */
  service: string;
  /** Every Secret name the stack uses for itself (backend secrets must avoid them). */
  reserved(signingGenerations: string[], hmacGenerations: string[]): string[];
}

export function toolhiveNames(spec: Pick<TeamSpec, "team" | "serverName">): ToolhiveNames {
  const s = spec.serverName;
  const names: ToolhiveNames = {
    server: s,
    group: s,
    oidcConfig: `${s}-oidc`,
    defaultNamespace: `vmcp-${spec.team}`,
    idpClientSecret: { name: `${s}-idp-client-secret`, key: "client-secret" },
    signingKey: (g) => ({ name: `${s}-signing-key-${g}`, key: "signing-key.pem" }),
    hmacSecret: (g) => ({ name: `${s}-hmac-${g}`, key: "hmac" }),
    redisSession: { name: `${s}-redis-session`, key: "password" },
    redisAuthServer: { name: `${s}-redis-auth-server`, passwordKey: "password", usernameKey: "username" },
    service: `vmcp-${s}`,
    reserved: (sg, hg) => [
      names.idpClientSecret.name,
      names.redisSession.name,
      names.redisAuthServer.name,
      ...sg.map((g) => names.signingKey(g).name),
      ...hg.map((g) => names.hmacSecret(g).name),
    ],
  };
  return names;
}
