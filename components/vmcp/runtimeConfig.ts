/**
 * vMCP's runtime configuration for a team, as ToolHive's operator writes it into the ConfigMap
 * `<name>-vmcp-config` (keys `config.yaml` and `authserver-config.yaml`), computed from the same
 * custom resources the stack declares, and a local variant that `vmcp serve --config` runs on a
 * laptop with static backends.
 *
 * Followed (ToolHive v0.44.0, read, not copied):
 * - cmd/thv-operator/pkg/vmcpconfig/converter.go              Convert: name, groupRef, incoming auth
 *   (OIDC from the MCPOIDCConfig reference, inline Cedar authz, primary upstream), outgoing auth
 *   (default `discovered`), aggregation defaults, operational defaults, session storage,
 *   the auth server RunConfig
 * - cmd/thv-operator/pkg/oidc/resolver.go                      resolveFromInlineSharedConfig,
 *   createServiceURL (resource URL default `http://<name>.<ns>.svc.cluster.local:4483`)
 * - cmd/thv-operator/pkg/controllerutil/authserver.go          BuildAuthServerRunConfig: mount paths
 *   of keys and HMAC secrets, upstream client-secret env vars, Redis storage
 * - cmd/thv-operator/controllers/virtualmcpserver_vmcpconfig.go  the ConfigMap's name, keys, labels
 * - pkg/vmcp/config/config.go, defaults.go                     field names and order (yaml tags),
 *   DefaultOperationalConfig
 * - pkg/vmcp/cli/serve.go                                      static mode (`backends` set) and the
 *   sibling `authserver-config.yaml`
 *
 * Objects are built in the Go structs' field order, so the YAML reads like the operator's.
 */
import { stringify } from "yaml";
import type { CompiledTeam } from "../compile";
import { ConfigError, ProblemList } from "../errors";
import { validateKubernetes } from "../kubernetes/config";
import { toolhiveObjects, type KubeObject } from "../kubernetes/objects";

type Obj = Record<string, unknown>;

/** vMCP's default proxy port (VirtualMCPServer.GetProxyPort). */
export const VMCP_PROXY_PORT = 4483;
/** The upstream client secret env var prefix (controllerutil.UpstreamClientSecretEnvVar). */
const UPSTREAM_CLIENT_SECRET_ENV = "TOOLHIVE_UPSTREAM_CLIENT_SECRET";
const AUTH_SERVER_KEYS_DIR = "/etc/toolhive/authserver/keys";
const AUTH_SERVER_HMAC_DIR = "/etc/toolhive/authserver/hmac";
/** authserver.CurrentSchemaVersion */
const AUTH_SERVER_SCHEMA_VERSION = "v0.1.0";
/** authserver.DefaultUpstreamName (ResolveUpstreamName of ""). */
const DEFAULT_UPSTREAM_NAME = "default";

export interface VmcpConfigMap {
  /** `<VirtualMCPServer name>-vmcp-config` */
  name: string;
  namespace: string;
  /** The `config.yaml` key, as an object. */
  config: Obj;
  /** The `authserver-config.yaml` key, present when the server has an embedded auth server. */
  authServer?: Obj;
}

export interface StaticBackend {
  /** The MCPServer's name, so prefixes (and so Cedar's tool names) are the same as in the cluster. */
  name: string;
  url: string;
  transport: "streamable-http" | "sse";
}

export interface LocalVariantOptions {
  backends: readonly StaticBackend[];
  /** The identity provider whose tokens vMCP validates directly (incoming OIDC). */
  issuer: string;
  /** Expected `aud`, and the protected resource's URL. */
  audience: string;
  /** Development: http issuer, JWKS on a loopback address. */
  insecureAllowHttp?: boolean;
}

function isObj(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function obj(v: unknown): Obj {
  return isObj(v) ? v : {};
}

/** Drops undefined, false, "" and empty lists/maps: the `omitempty` fields of the Go structs. */
function omitEmpty(o: Obj, keep: readonly string[] = []): Obj {
  const out: Obj = {};
  for (const [k, v] of Object.entries(o)) {
    const empty = v === undefined || v === null || v === false || v === 0 || v === "" || (Array.isArray(v) && v.length === 0) || (isObj(v) && Object.keys(v).length === 0);
    if (!empty || keep.includes(k)) out[k] = v ?? "";
  }
  return out;
}

function findOne(objects: readonly KubeObject[], kind: string, name?: string): KubeObject | undefined {
  return objects.find((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
}

/** `incomingAuth.oidc`: MCPOIDCConfig (inline) + the per-server reference (resolver.go, converter.go). */
function incomingOidc(vmcp: KubeObject, objects: readonly KubeObject[]): Obj | undefined {
  const ref = obj(obj(vmcp.spec.incomingAuth).oidcConfigRef);
  if (!ref.name) return undefined;
  const oidcConfig = findOne(objects, "MCPOIDCConfig", String(ref.name));
  if (!oidcConfig) throw new Error(`vMCP config: VirtualMCPServer ${vmcp.metadata.name} references MCPOIDCConfig ${String(ref.name)}, which the stack does not declare`);
  if (oidcConfig.spec.type !== "inline") throw new Error(`vMCP config: MCPOIDCConfig type ${String(oidcConfig.spec.type)} is not rendered (only inline)`);
  const inline = obj(oidcConfig.spec.inline);
  const resource = (ref.resourceUrl as string | undefined) || `http://${vmcp.metadata.name}.${vmcp.metadata.namespace}.svc.cluster.local:${VMCP_PROXY_PORT}`;
  const caRef = obj(obj(inline.caBundleRef).configMapRef);
  return omitEmpty(
    {
      issuer: inline.issuer,
      clientId: inline.clientId,
      clientSecretEnv: inline.clientSecretRef ? "VMCP_OIDC_CLIENT_SECRET" : undefined,
      audience: ref.audience,
      resource,
      jwksUrl: inline.jwksUrl,
      introspectionUrl: inline.introspectionUrl,
      scopes: ref.scopes,
      protectedResourceAllowPrivateIp: inline.protectedResourceAllowPrivateIP,
      jwksAllowPrivateIp: inline.jwksAllowPrivateIP,
      insecureAllowHttp: inline.insecureAllowHTTP,
      caBundlePath: caRef.name ? `/config/certs/${String(caRef.name)}/${String(caRef.key ?? "ca.crt")}` : undefined,
    },
    ["issuer", "clientId", "audience"], // no omitempty on these
  );
}

/** `incomingAuth.authz` from the inline Cedar authz (convertAuthzConfig + resolvePrimaryUpstreamProvider). */
function incomingAuthz(vmcp: KubeObject): Obj | undefined {
  const authz = obj(obj(vmcp.spec.incomingAuth).authzConfig);
  if (!authz.type) return undefined;
  if (authz.type !== "inline") throw new Error(`vMCP config: authzConfig type ${String(authz.type)} is not rendered (only inline)`);
  const inline = obj(authz.inline);
  const as = obj(vmcp.spec.authServerConfig);
  const upstreams = (as.upstreamProviders as Obj[] | undefined) ?? [];
  const explicit = (as.primaryUpstreamProvider as string | undefined) || (inline.primaryUpstreamProvider as string | undefined);
  const primary = explicit || (upstreams.length ? String(upstreams[0].name || DEFAULT_UPSTREAM_NAME) : undefined);
  return omitEmpty(
    {
      type: "cedar",
      policies: inline.policies,
      entitiesJson: inline.entitiesJson,
      primaryUpstreamProvider: primary,
      groupClaimName: authz.groupClaimName,
      roleClaimName: authz.roleClaimName,
      groupEntityType: authz.groupEntityType,
    },
    ["type"],
  );
}

/** `aggregation` with the converter's defaults (convertAggregationWithDefaults, applyConflictResolutionDefaults). */
function aggregation(vmcp: KubeObject): Obj {
  const src = obj(obj(vmcp.spec.config).aggregation);
  const strategy = (src.conflictResolution as string | undefined) || "prefix";
  const srcResolution = src.conflictResolutionConfig as Obj | undefined;
  const resolution = srcResolution
    ? omitEmpty({ prefixFormat: srcResolution.prefixFormat, priorityOrder: srcResolution.priorityOrder })
    : strategy === "prefix"
      ? { prefixFormat: "{workload}_" }
      : {};
  const tools = ((src.tools as Obj[] | undefined) ?? []).map((t) =>
    omitEmpty(
      {
        workload: t.workload,
        filter: t.filter,
        overrides: Object.fromEntries(Object.entries(obj(t.overrides)).map(([tool, o]) => [tool, omitEmpty({ name: obj(o).name, description: obj(o).description, annotations: obj(o).annotations })])),
        excludeAll: t.excludeAll,
      },
      ["workload"],
    ),
  );
  return omitEmpty(
    { conflictResolution: strategy, conflictResolutionConfig: resolution, tools, excludeAllTools: src.excludeAllTools, defaultToolVisibility: src.defaultToolVisibility },
    ["conflictResolution", "conflictResolutionConfig"],
  );
}

/** pkg/vmcp/config/defaults.go DefaultOperationalConfig, as yaml.v3 marshals it (Go durations). */
function defaultOperational(): Obj {
  return {
    timeouts: { default: "30s" },
    failureHandling: {
      healthCheckInterval: "30s",
      unhealthyThreshold: 3,
      statusReportingInterval: "30s",
      partialFailureMode: "fail",
      circuitBreaker: { failureThreshold: 5, timeout: "1m0s" },
    },
  };
}

/** `sessionStorage` (convertSessionStorage; the password comes from THV_SESSION_REDIS_PASSWORD). */
function sessionStorage(vmcp: KubeObject): Obj | undefined {
  const ss = obj(vmcp.spec.sessionStorage);
  if (ss.provider !== "redis") return undefined;
  return omitEmpty({ provider: ss.provider, address: ss.address, db: ss.db, keyPrefix: ss.keyPrefix }, ["provider"]);
}

/** `authserver-config.yaml` (controllerutil.BuildAuthServerRunConfig). */
function authServerRunConfig(vmcp: KubeObject, resource: string | undefined, scopes: unknown): Obj | undefined {
  const as = vmcp.spec.authServerConfig as Obj | undefined;
  if (!as) return undefined;
  const keys = (as.signingKeySecretRefs as unknown[] | undefined) ?? [];
  const hmacs = (as.hmacSecretRefs as unknown[] | undefined) ?? [];
  const lifespans = obj(as.tokenLifespans);
  const upstreams = ((as.upstreamProviders as Obj[] | undefined) ?? []).map((p) => {
    const envSuffix = String(p.name).replace(/-/g, "_").toUpperCase();
    const oidc = obj(p.oidcConfig);
    return omitEmpty(
      {
        name: p.name,
        type: p.type,
        oidc_config:
          p.type === "oidc"
            ? omitEmpty(
                {
                  issuer_url: oidc.issuerUrl,
                  client_id: oidc.clientId,
                  client_secret_env_var: oidc.clientSecretRef ? `${UPSTREAM_CLIENT_SECRET_ENV}_${envSuffix}` : undefined,
                  redirect_uri: oidc.redirectUri || (resource ? `${resource.replace(/\/+$/, "")}/oauth/callback` : undefined),
                  scopes: oidc.scopes,
                  additional_authorization_params: oidc.additionalAuthorizationParams,
                  subject_claim: oidc.subjectClaim,
                },
                ["issuer_url", "client_id"],
              )
            : undefined,
      },
      ["type"],
    );
  });
  const storage = obj(as.storage);
  const redis = obj(storage.redis);
  const acl = obj(redis.aclUserConfig);
  return omitEmpty(
    {
      schema_version: AUTH_SERVER_SCHEMA_VERSION,
      issuer: as.issuer,
      authorization_endpoint_base_url: as.authorizationEndpointBaseURL,
      signing_key_config: keys.length
        ? omitEmpty({ key_dir: AUTH_SERVER_KEYS_DIR, signing_key_file: "key-0.pem", fallback_key_files: keys.slice(1).map((_, i) => `key-${i + 1}.pem`) })
        : undefined,
      hmac_secret_files: hmacs.map((_, i) => `${AUTH_SERVER_HMAC_DIR}/hmac-${i}`),
      token_lifespans: omitEmpty({ access_token_lifespan: lifespans.accessTokenLifespan, refresh_token_lifespan: lifespans.refreshTokenLifespan, auth_code_lifespan: lifespans.authCodeLifespan }),
      upstreams,
      scopes_supported: scopes,
      baseline_client_scopes: as.baselineClientScopes,
      allowed_audiences: resource ? [resource] : [],
      storage:
        storage.type === "redis"
          ? {
              type: "redis",
              redis_config: omitEmpty(
                {
                  addr: redis.addr,
                  cluster_mode: redis.clusterMode,
                  auth_type: "aclUser",
                  acl_user_config: { username_env_var: acl.usernameSecretRef ? "TOOLHIVE_AUTH_SERVER_REDIS_USERNAME" : "", password_env_var: "TOOLHIVE_AUTH_SERVER_REDIS_PASSWORD" },
                  key_prefix: `thv:auth:{${vmcp.metadata.namespace}:${vmcp.metadata.name}}:`,
                },
                ["auth_type", "key_prefix"],
              ),
            }
          : undefined,
      disable_upstream_token_injection: as.disableUpstreamTokenInjection,
      insecure_allow_http: as.insecureAllowHTTP,
    },
    ["schema_version", "issuer", "upstreams", "allowed_audiences"],
  );
}

/**
 * The operator's ConfigMap `<name>-vmcp-config` for the stack's VirtualMCPServer (there is one per
 * team), from the objects the stack declares.
 */
export function vmcpConfigMap(objects: readonly KubeObject[]): VmcpConfigMap {
  const vmcp = findOne(objects, "VirtualMCPServer");
  if (!vmcp) throw new Error("vMCP config: the stack declares no VirtualMCPServer");
  const spec = vmcp.spec;
  const incoming = spec.incomingAuth as Obj | undefined;
  const oidc = incoming ? incomingOidc(vmcp, objects) : undefined;
  const outgoing = obj(spec.outgoingAuth);
  const config = omitEmpty({
    name: vmcp.metadata.name,
    groupRef: obj(spec.groupRef).name,
    incomingAuth: incoming ? omitEmpty({ type: incoming.type, oidc, authz: incomingAuthz(vmcp) }, ["type"]) : undefined,
    // Only `source` is rendered: the stack declares no per-backend outgoing auth.
    outgoingAuth: { source: (outgoing.source as string | undefined) || "discovered" },
    aggregation: aggregation(vmcp),
    operational: defaultOperational(),
    sessionStorage: sessionStorage(vmcp),
  });
  const authServer = authServerRunConfig(vmcp, oidc?.resource as string | undefined, oidc?.scopes);
  return { name: `${vmcp.metadata.name}-vmcp-config`, namespace: vmcp.metadata.namespace, config, ...(authServer ? { authServer } : {}) };
}

/**
 * The same configuration for a laptop: static backends (`backends`, static mode in
 * pkg/vmcp/cli/serve.go, which needs `outgoingAuth.source: inline`) named like the MCPServers, so
 * vMCP advertises the same tool names and Cedar sees them; incoming OIDC validating the given
 * issuer's tokens directly; no embedded auth server and no shared session store.
 */
export function localVmcpConfig(operator: Obj, opts: LocalVariantOptions): Obj {
  const incoming = obj(operator.incomingAuth);
  const authz = incoming.authz as Obj | undefined;
  // Without the embedded auth server Cedar reads the validated token itself, not an upstream's.
  const localAuthz = authz ? Object.fromEntries(Object.entries(authz).filter(([k]) => k !== "primaryUpstreamProvider")) : undefined;
  const local: Obj = {
    name: operator.name,
    groupRef: operator.groupRef,
    backends: opts.backends.map((b) => ({ name: b.name, url: b.url, transport: b.transport })),
    incomingAuth: omitEmpty(
      {
        type: "oidc",
        oidc: omitEmpty(
          {
            issuer: opts.issuer,
            clientId: "",
            audience: opts.audience,
            resource: opts.audience,
            // The scopes the protected-resource metadata advertises, as the operator wrote them.
            scopes: obj(incoming.oidc).scopes,
            jwksAllowPrivateIp: opts.insecureAllowHttp,
            protectedResourceAllowPrivateIp: opts.insecureAllowHttp,
            insecureAllowHttp: opts.insecureAllowHttp,
          },
          ["issuer", "clientId", "audience"],
        ),
        authz: localAuthz,
      },
      ["type"],
    ),
    outgoingAuth: { source: "inline" },
    aggregation: operator.aggregation,
    operational: operator.operational,
  };
  return local;
}

/** YAML as written to the ConfigMap keys (and read by `vmcp serve --config`). */
export function vmcpYaml(doc: Obj, comment?: string): string {
  const head = comment ? comment.split("\n").map((l) => `# ${l}`.trimEnd()).join("\n") + "\n" : "";
  return head + stringify(doc, { lineWidth: 0 });
}

/** The ConfigMap object itself (labels as virtualmcpserver_vmcpconfig.go labelsForVmcpConfig). */
export function vmcpConfigMapObject(cm: VmcpConfigMap, serverName: string): Obj {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: {
      name: cm.name,
      namespace: cm.namespace,
      labels: { "toolhive.stacklok.io/component": "vmcp-config", "toolhive.stacklok.io/virtual-mcp-server": serverName, "toolhive.stacklok.io/managed-by": "toolhive-operator" },
    },
    data: { "config.yaml": vmcpYaml(cm.config), ...(cm.authServer ? { "authserver-config.yaml": vmcpYaml(cm.authServer) } : {}) },
  };
}

/** The static backends of the local variant: each backend's `local.url`, else a named placeholder. */
export function localBackendsFor(backends: readonly { name: string; local?: { url?: string } }[], urls: Record<string, string> = {}): StaticBackend[] {
  return backends.map((b) => ({ name: b.name, url: urls[b.name] ?? b.local?.url ?? `<dev:${b.name}.url>`, transport: "streamable-http" }));
}

const RENDER_NOTE =
  "Values in <angle brackets> exist only after deployment (or, for the local variant, once\n" +
  "`vmcp-okta dev --engine vmcp` has started the backends).";

/**
 * The files `vmcp-okta render` writes for vMCP: the operator's ConfigMap keys under `vmcp/` (so
 * `vmcp serve --config vmcp/config.yaml` finds its sibling authserver-config.yaml, as in the pod),
 * and the local variant under `vmcp-local/` (no embedded auth server, so no sibling file).
 */
export function vmcpRenderFiles(
  objects: readonly KubeObject[],
  stack: string,
  local: { backends: StaticBackend[]; issuer: string; audience: string; insecureAllowHttp: boolean },
): Record<string, string> {
  // A stack that declares no VirtualMCPServer (the bundled gateway deployed instead) has no vMCP config.
  if (!findOne(objects, "VirtualMCPServer")) return {};
  const cm = vmcpConfigMap(objects);
  const where = `ConfigMap ${cm.namespace}/${cm.name}`;
  const files: Record<string, string> = {
    "vmcp/config.yaml": vmcpYaml(cm.config, `vmcp-okta render --stack ${stack}: vMCP's runtime configuration, key config.yaml of ${where},\nas ToolHive's operator writes it (pkg/vmcp/config format).\n${RENDER_NOTE}`),
  };
  if (cm.authServer) {
    files["vmcp/authserver-config.yaml"] = vmcpYaml(cm.authServer, `vmcp-okta render --stack ${stack}: key authserver-config.yaml of ${where} (the embedded\nauthorization server's RunConfig; key and secret files are mounted at these paths in the pod).\n${RENDER_NOTE}`);
  }
  files["vmcp-local/config.yaml"] = vmcpYaml(
    localVmcpConfig(cm.config, local),
    `vmcp-okta render --stack ${stack}: the same configuration for a laptop (vmcp serve --config this file):\nstatic backends named like the MCPServers, incoming OIDC from the development identity provider.\n${RENDER_NOTE}`,
  );
  return files;
}

/**
 * The local variant straight from a compiled team (its `kubernetes:` section validated as the stack
 * would be): for the benchmark and tools that hold a CompiledTeam rather than a stack file.
 */
export function localVmcpConfigForTeam(compiled: CompiledTeam, opts: LocalVariantOptions): Obj {
  const problems = new ProblemList();
  const k8s = validateKubernetes(compiled.spec, problems);
  if (!k8s || problems.errors.length) throw new ConfigError(problems.items);
  const objects = toolhiveObjects(compiled.spec, k8s, compiled.policies.map((p) => p.text), { oktaIssuer: "https://okta.invalid/oauth2/default", clientId: "unused" });
  return localVmcpConfig(vmcpConfigMap(objects).config, opts);
}

export interface LocalEmbeddedOptions {
  /** Where vMCP listens (`http://127.0.0.1:<port>`): its authorization server's issuer and the resource. */
  url: string;
  backends: readonly StaticBackend[];
  /** The upstream identity provider (the development IdP standing in for Okta) and vMCP's client there. */
  upstream: { issuer: string; clientId: string };
}

/**
 * The operator's configuration with its embedded authorization server, on a laptop: vMCP issues the
 * tokens (issuer and audience are its own URL), signs users in at the upstream (Okta's place), and
 * Cedar reads the upstream token's claims (`primaryUpstreamProvider` kept). No key or HMAC files:
 * the auth server then generates ephemeral ones (pkg/authserver/runner/embeddedauthserver.go
 * loadHMACSecrets, "development mode"); in-memory storage. The upstream's client secret is read
 * from the env var the operator names (`client_secret_env_var`).
 */
export function localEmbeddedVmcpFiles(cm: VmcpConfigMap, opts: LocalEmbeddedOptions): { config: Obj; authServer: Obj; clientSecretEnvVar: string } {
  if (!cm.authServer) throw new Error("vMCP config: the stack's VirtualMCPServer has no embedded authorization server");
  const base = localVmcpConfig(cm.config, { backends: opts.backends, issuer: opts.url, audience: opts.url, insecureAllowHttp: true });
  const authz = obj(obj(cm.config.incomingAuth).authz);
  const incoming = obj(base.incomingAuth);
  const config = { ...base, incomingAuth: { ...incoming, authz: { ...obj(incoming.authz), primaryUpstreamProvider: authz.primaryUpstreamProvider } } };
  const [first] = (cm.authServer.upstreams as Obj[]) ?? [];
  const oidc = obj(first?.oidc_config);
  const clientSecretEnvVar = String(oidc.client_secret_env_var ?? `${UPSTREAM_CLIENT_SECRET_ENV}_${String(first?.name).toUpperCase()}`);
  const { signing_key_config: _keys, hmac_secret_files: _hmac, storage: _storage, ...rest } = cm.authServer;
  const authServer = {
    ...rest,
    issuer: opts.url,
    upstreams: [
      {
        ...first,
        oidc_config: {
          ...oidc,
          issuer_url: opts.upstream.issuer,
          client_id: opts.upstream.clientId,
          client_secret_env_var: clientSecretEnvVar,
          redirect_uri: `${opts.url}/oauth/callback`,
          allow_private_ips: true,
          insecure_allow_http: true,
        },
      },
    ],
    allowed_audiences: [opts.url],
    insecure_allow_http: true,
  };
  return { config, authServer, clientSecretEnvVar };
}
