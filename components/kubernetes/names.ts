/**
 * Names of the Kubernetes objects a team owns. Everything the stack creates is prefixed with the
 * team's server name (`<team>-tools`), so two teams can share a namespace without colliding; only
 * the MCPServers keep the backend's own name, because vMCP derives tool prefixes from it.
 */
import type { TeamSpec } from "../spec/types";

export interface OperatorObject {
  kind: "Deployment" | "Service" | "ServiceAccount" | "Role" | "RoleBinding" | "ConfigMap" | "Secret";
  name: string;
  /** Where ToolHive v0.44.0's operator names it. */
  source: string;
}

/**
 * The objects the ToolHive operator itself creates in the team's namespace for the VirtualMCPServer
 * `server`. A stack object of the same kind and name would be overwritten or would fail the reconcile.
 */
export function operatorObjects(server: string): OperatorObject[] {
  const c = "cmd/thv-operator/controllers/virtualmcpserver_controller.go";
  return [
    { kind: "Deployment", name: server, source: "cmd/thv-operator/controllers/virtualmcpserver_deployment.go:188" },
    { kind: "Service", name: `vmcp-${server}`, source: `${c}:2264 vmcpServiceName` },
    { kind: "ServiceAccount", name: `${server}-vmcp`, source: `${c}:2225 vmcpServiceAccountName` },
    { kind: "Role", name: `${server}-vmcp`, source: `${c}:1286 EnsureRBACResources` },
    { kind: "RoleBinding", name: `${server}-vmcp`, source: `${c}:1286 EnsureRBACResources` },
    { kind: "ConfigMap", name: `${server}-vmcp-config`, source: `${c}:2270 vmcpConfigMapName` },
    { kind: "Secret", name: `${server}-hmac-secret`, source: `${c}:1324 ensureHMACSecret` },
  ];
}

/** The operator object a stack Secret named `name` would collide with, if any. */
export function operatorSecretCollision(server: string, name: string): OperatorObject | undefined {
  return operatorObjects(server).find((o) => o.kind === "Secret" && o.name === name);
}

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
  /** Every Secret name the stack and the operator use for themselves (backend secrets must avoid them). */
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
      ...operatorObjects(s).filter((o) => o.kind === "Secret").map((o) => o.name),
      names.idpClientSecret.name,
      names.redisSession.name,
      names.redisAuthServer.name,
      ...sg.map((g) => names.signingKey(g).name),
      ...hg.map((g) => names.hmacSecret(g).name),
    ],
  };
  return names;
}
