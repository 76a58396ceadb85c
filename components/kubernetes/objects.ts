/**
 * Pure builders of the team's ToolHive custom resources (v1beta1). They take the validated specs and
 * the values that come from Okta (`S` is `string` in tests and render checks, `pulumi.Output<string>`
 * in the component), and return plain objects: the same objects are checked against the CRD schema,
 * its CEL rules and the operator's reconcile rules, and declared.
 */
import type { AggregationSpec, BackendSpec, TeamSpec } from "../spec/types";
import type { KubernetesSpec } from "./config";
import { LIFESPAN_FIELDS } from "./duration";

export const TOOLHIVE_API_VERSION = "toolhive.stacklok.dev/v1beta1";
/** The upstream provider's name; Cedar reads claims from this provider's token. */
export const UPSTREAM_NAME = "okta";
/** Scopes vMCP asks Okta for: `groups` puts the group claim in the token, `offline_access` gives refresh tokens. */
export const UPSTREAM_SCOPES = ["openid", "profile", "groups", "offline_access"];
/**
 * Scopes MCP clients may ask vMCP's embedded authorization server for: ToolHive's
 * registration.DefaultScopes (pkg/authserver/server/registration/client.go). Set on the
 * oidcConfigRef because vMCP's protected-resource metadata advertises only those scopes and falls
 * back to ["openid"] when none are given (pkg/auth/token.go NewAuthInfoHandler; the operator passes
 * the same list as the server's scopes_supported, cmd/thv-operator/pkg/vmcpconfig/converter.go
 * deriveScopesSupported). Clients request what the metadata lists, and the server issues refresh
 * tokens only for `offline_access`, so without it every client signs in again when its token expires.
 */
export const CLIENT_SCOPES = ["openid", "profile", "email", "offline_access"];

export interface ObjectMeta {
  name: string;
  namespace: string;
  labels: Record<string, string>;
}

export interface KubeObject<Spec = Record<string, unknown>> {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec: Spec;
}

/** Values only Okta knows (Outputs in the component). */
export interface UpstreamValues<S> {
  /** The Okta authorization server's issuer: `https://{domain}/oauth2/{id}`. */
  oktaIssuer: S;
  clientId: S;
  /** The redirect URI registered on the Okta app (default `<endpoint>/oauth/callback`). */
  redirectUri?: string;
  /** Scopes requested from Okta (default UPSTREAM_SCOPES, the ones the Okta policy rule allows). */
  scopes?: readonly string[];
}

export function teamLabels(spec: Pick<TeamSpec, "team" | "serverName">): Record<string, string> {
  return {
    "app.kubernetes.io/managed-by": "pulumi",
    "app.kubernetes.io/part-of": "vmcp-okta",
    "vmcp-okta/team": spec.team,
    "vmcp-okta/server": spec.serverName,
  };
}

function meta(spec: TeamSpec, k8s: KubernetesSpec, name: string): ObjectMeta {
  return { name, namespace: k8s.namespace, labels: teamLabels(spec) };
}

export function redirectUri(endpoint: string): string {
  return `${endpoint}/oauth/callback`;
}

export function mcpGroupObject(spec: TeamSpec, k8s: KubernetesSpec): KubeObject {
  return {
    apiVersion: TOOLHIVE_API_VERSION,
    kind: "MCPGroup",
    metadata: meta(spec, k8s, k8s.names.group),
    spec: { description: `${spec.team} team MCP tools (vmcp-okta)` },
  };
}

export function mcpServerObject(spec: TeamSpec, k8s: KubernetesSpec, b: BackendSpec): KubeObject {
  const out: Record<string, unknown> = {
    groupRef: { name: k8s.names.group },
    image: b.image,
    transport: b.transport,
  };
  if (b.args.length) out.args = [...b.args];
  const env = Object.entries(b.env).map(([name, value]) => ({ name, value }));
  if (env.length) out.env = env;
  if (b.secrets.length) {
    out.secrets = b.secrets.map((s) => ({ name: s.name, key: s.key, ...(s.targetEnvName ? { targetEnvName: s.targetEnvName } : {}) }));
  }
  if (b.resources) out.resources = b.resources;
  return { apiVersion: TOOLHIVE_API_VERSION, kind: "MCPServer", metadata: meta(spec, k8s, b.name), spec: out };
}

export function mcpOidcConfigObject(spec: TeamSpec, k8s: KubernetesSpec): KubeObject {
  const inline: Record<string, unknown> = { issuer: spec.endpoint };
  // Development only (validated): the guide sets both unconditionally with "Remove in production".
  if (k8s.insecureAllowHTTP) inline.insecureAllowHTTP = true;
  if (k8s.jwksAllowPrivateIP) inline.jwksAllowPrivateIP = true;
  return { apiVersion: TOOLHIVE_API_VERSION, kind: "MCPOIDCConfig", metadata: meta(spec, k8s, k8s.names.oidcConfig), spec: { type: "inline", inline } };
}

/** `config.aggregation` exactly as the core computed tool names (so Cedar sees the same names). */
export function aggregationConfig(a: AggregationSpec): Record<string, unknown> {
  const resolution: Record<string, unknown> = { prefixFormat: a.prefixFormat };
  if (a.priorityOrder.length) resolution.priorityOrder = [...a.priorityOrder];
  const out: Record<string, unknown> = { conflictResolution: a.conflictResolution, conflictResolutionConfig: resolution };
  const tools = Object.entries(a.overrides)
    .filter(([, renames]) => Object.keys(renames).length > 0)
    .map(([workload, renames]) => ({
      workload,
      overrides: Object.fromEntries(Object.entries(renames).map(([tool, name]) => [tool, { name }])),
    }));
  if (tools.length) out.tools = tools;
  return out;
}

export function virtualMcpServerObject<S>(spec: TeamSpec, k8s: KubernetesSpec, policies: readonly string[], upstream: UpstreamValues<S>): KubeObject {
  const n = k8s.names;
  const authServer: Record<string, unknown> = {
    issuer: spec.endpoint,
    upstreamProviders: [
      {
        name: UPSTREAM_NAME,
        type: "oidc",
        oidcConfig: {
          issuerUrl: upstream.oktaIssuer,
          clientId: upstream.clientId,
          clientSecretRef: { ...n.idpClientSecret },
          redirectUri: upstream.redirectUri ?? redirectUri(spec.endpoint),
          scopes: [...(upstream.scopes ?? UPSTREAM_SCOPES)],
        },
      },
    ],
    primaryUpstreamProvider: UPSTREAM_NAME,
    signingKeySecretRefs: k8s.signingKeys.map((s) => ({ ...n.signingKey(s.generation) })),
    hmacSecretRefs: k8s.hmacSecrets.map((h) => ({ ...n.hmacSecret(h.generation) })),
  };
  if (k8s.tokenLifespans) {
    const l: Record<string, string> = {};
    for (const [field, crdField] of Object.entries(LIFESPAN_FIELDS) as [keyof typeof LIFESPAN_FIELDS, string][]) {
      const v = k8s.tokenLifespans[field];
      if (v !== undefined) l[crdField] = v;
    }
    authServer.tokenLifespans = l;
  }
  const as = k8s.authServerStorage;
  if (as?.type === "redis") {
    const acl: Record<string, unknown> = { passwordSecretRef: { name: n.redisAuthServer.name, key: n.redisAuthServer.passwordKey } };
    if (as.usernameFrom) acl.usernameSecretRef = { name: n.redisAuthServer.name, key: n.redisAuthServer.usernameKey };
    authServer.storage = { type: "redis", redis: { addr: as.addr, ...(as.clusterMode ? { clusterMode: true } : {}), aclUserConfig: acl } };
  }
  if (k8s.insecureAllowHTTP) authServer.insecureAllowHTTP = true;

  const authz: Record<string, unknown> = {
    type: "inline",
    inline: { policies: [...policies], ...(spec.cedar.entitiesJson !== "[]" ? { entitiesJson: spec.cedar.entitiesJson } : {}) },
  };
  if (spec.cedar.groupClaimName) authz.groupClaimName = spec.cedar.groupClaimName;
  if (spec.cedar.roleClaimName) authz.roleClaimName = spec.cedar.roleClaimName;
  if (spec.cedar.groupEntityType !== "THVGroup") authz.groupEntityType = spec.cedar.groupEntityType;

  const out: Record<string, unknown> = {
    groupRef: { name: n.group },
    authServerConfig: authServer,
    incomingAuth: {
      type: "oidc",
      // The operator allows exactly [resourceUrl] as audience when the embedded AS is on.
      oidcConfigRef: { name: n.oidcConfig, audience: spec.endpoint, resourceUrl: spec.endpoint, scopes: [...CLIENT_SCOPES] },
      authzConfig: authz,
    },
    outgoingAuth: { source: "discovered" },
    config: { aggregation: aggregationConfig(spec.aggregation) },
  };
  if (k8s.replicas !== undefined) out.replicas = k8s.replicas;
  if (k8s.serviceType) out.serviceType = k8s.serviceType;
  const ss = k8s.sessionStorage;
  if (ss) {
    out.sessionStorage = {
      provider: ss.provider,
      ...(ss.address ? { address: ss.address } : {}),
      ...(ss.db !== undefined ? { db: ss.db } : {}),
      ...(ss.keyPrefix ? { keyPrefix: ss.keyPrefix } : {}),
      ...(ss.passwordFrom ? { passwordRef: { ...n.redisSession } } : {}),
    };
  }
  return { apiVersion: TOOLHIVE_API_VERSION, kind: "VirtualMCPServer", metadata: meta(spec, k8s, n.server), spec: out };
}

/** Every custom resource of the team, in dependency order. */
export function toolhiveObjects<S>(spec: TeamSpec, k8s: KubernetesSpec, policies: readonly string[], upstream: UpstreamValues<S>): KubeObject[] {
  return [
    mcpGroupObject(spec, k8s),
    ...spec.backends.map((b) => mcpServerObject(spec, k8s, b)),
    mcpOidcConfigObject(spec, k8s),
    virtualMcpServerObject(spec, k8s, policies, upstream),
  ];
}
