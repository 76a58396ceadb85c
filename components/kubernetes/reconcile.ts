/**
 * The ToolHive operator's reconcile-time rules (reference §8), which the CRD schema and CEL cannot
 * express, checked on the objects before anything is deployed. A violation here would otherwise show
 * up as `phase: Failed` on the VirtualMCPServer after `pulumi up` reported success.
 */
import { ProblemList } from "../errors";
import type { Environment } from "../spec/types";
import { LIFESPAN_BOUNDS, LIFESPAN_FIELDS, formatDuration, parseGoDuration } from "./duration";
import type { KubeObject } from "./objects";

const DNS_LABEL = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
const LOCALHOST = new Set(["localhost", "127.0.0.1", "[::1]"]);

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v && typeof v === "object" && !Array.isArray(v) ? (v as Obj) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/**
 * Checks the team's objects as the operator would. `objects` must hold one VirtualMCPServer and the
 * MCPOIDCConfig, MCPGroup and MCPServers it refers to. Problems use the path
 * `<Kind>/<name>.spec.<field>`.
 */
export function checkReconcileRules(objects: readonly KubeObject[], environment: Environment, problems = new ProblemList()): ProblemList {
  const find = (kind: string) => objects.filter((o) => o.kind === kind);
  const at = (o: KubeObject, field: string) => `${o.kind}/${o.metadata.name}.spec.${field}`;
  const vmcps = find("VirtualMCPServer");
  if (vmcps.length !== 1) {
    problems.error("reconcile.vmcp-count", "VirtualMCPServer", `expected one VirtualMCPServer, found ${vmcps.length}`);
    return problems;
  }
  const vmcp = vmcps[0];
  const spec = obj(vmcp.spec);
  const as = obj(spec.authServerConfig);
  const incoming = obj(spec.incomingAuth);
  const ref = obj(incoming.oidcConfigRef);
  const issuer = typeof as.issuer === "string" ? as.issuer : undefined;

  // Namespaced references resolve in the VirtualMCPServer's namespace.
  for (const o of objects) {
    if (o.metadata.namespace !== vmcp.metadata.namespace) {
      problems.error("reconcile.namespace", `${o.kind}/${o.metadata.name}.metadata.namespace`, "every object must be in the VirtualMCPServer's namespace", { value: o.metadata.namespace });
    }
  }
  const group = find("MCPGroup").find((g) => g.metadata.name === obj(spec.groupRef).name);
  if (!group) problems.error("reconcile.group-ref", at(vmcp, "groupRef.name"), "no MCPGroup with that name", { value: obj(spec.groupRef).name });
  for (const s of find("MCPServer")) {
    if (obj(obj(s.spec).groupRef).name !== obj(spec.groupRef).name) {
      problems.error("reconcile.server-group", at(s, "groupRef.name"), "the backend is not in the VirtualMCPServer's group", { value: obj(obj(s.spec).groupRef).name });
    }
  }

  if (Object.keys(as).length > 0) {
    // 1. issuer, https unless development.
    if (!issuer) problems.error("reconcile.issuer-missing", at(vmcp, "authServerConfig.issuer"), "the embedded auth server needs an issuer");
    else {
      let url: URL | undefined;
      try {
        url = new URL(issuer);
      } catch {
        problems.error("reconcile.issuer-url", at(vmcp, "authServerConfig.issuer"), "not a URL", { value: issuer });
      }
      if (url?.protocol === "http:") {
        if (environment !== "development") {
          problems.error("reconcile.issuer-http", at(vmcp, "authServerConfig.issuer"), "the issuer must be https outside development", { value: issuer, fix: "use an https endpoint" });
        } else if (!LOCALHOST.has(url.hostname) && as.insecureAllowHTTP !== true) {
          problems.error("reconcile.issuer-http", at(vmcp, "authServerConfig.issuer"), "an http issuer on a non-localhost host needs insecureAllowHTTP", { value: issuer });
        }
      }
    }
    // 4. embedded AS requires OIDC incoming auth.
    if (incoming.type !== "oidc") problems.error("reconcile.incoming-oidc", at(vmcp, "incomingAuth.type"), "embedded auth server requires OIDC incoming auth", { value: incoming.type });
    // 2. issuer equality with the MCPOIDCConfig.
    const oidc = find("MCPOIDCConfig").find((o) => o.metadata.name === ref.name);
    if (!oidc) problems.error("reconcile.oidc-ref", at(vmcp, "incomingAuth.oidcConfigRef.name"), "no MCPOIDCConfig with that name", { value: ref.name });
    else {
      const inlineIssuer = obj(obj(oidc.spec).inline).issuer;
      if (inlineIssuer !== issuer) {
        problems.error("reconcile.issuer-mismatch", at(oidc, "inline.issuer"), `auth server issuer mismatch: must equal authServerConfig.issuer byte for byte (${JSON.stringify(issuer)})`, {
          value: inlineIssuer,
        });
      }
    }
    // 3. audience must be the resource URL (the AS allows only [resourceUrl]).
    if (!ref.resourceUrl) problems.error("reconcile.resource-url", at(vmcp, "incomingAuth.oidcConfigRef.resourceUrl"), "set it explicitly: the default is an in-cluster URL no client uses");
    if (ref.audience !== ref.resourceUrl) {
      problems.error("reconcile.audience", at(vmcp, "incomingAuth.oidcConfigRef.audience"), `incomingAuth.oidc.audience not in auth server's allowed audiences [${String(ref.resourceUrl)}]`, {
        value: ref.audience,
      });
    }
    // Upstreams: DNS labels, unique, primary names one of them, redirect on the issuer host.
    const upstreams = arr(as.upstreamProviders).map(obj);
    if (upstreams.length === 0) problems.error("reconcile.upstreams", at(vmcp, "authServerConfig.upstreamProviders"), "at least one upstream provider is required");
    const upstreamNames = new Set<string>();
    upstreams.forEach((u, i) => {
      const name = String(u.name ?? "");
      if (!DNS_LABEL.test(name) || name.length > 63) {
        problems.error("reconcile.upstream-name", at(vmcp, `authServerConfig.upstreamProviders[${i}].name`), "upstream names are DNS labels", { value: u.name });
      }
      if (upstreamNames.has(name)) problems.error("reconcile.upstream-duplicate", at(vmcp, `authServerConfig.upstreamProviders[${i}].name`), "duplicate upstream name", { value: name });
      upstreamNames.add(name);
      const redirect = obj(u.oidcConfig).redirectUri;
      if (issuer && typeof redirect === "string" && redirect !== `${issuer}/oauth/callback`) {
        problems.error("reconcile.redirect-uri", at(vmcp, `authServerConfig.upstreamProviders[${i}].oidcConfig.redirectUri`), "the callback is served by the embedded AS: it must be <issuer>/oauth/callback", {
          value: redirect,
        });
      }
    });
    if (as.primaryUpstreamProvider !== undefined && !upstreamNames.has(String(as.primaryUpstreamProvider))) {
      problems.error("reconcile.primary-upstream", at(vmcp, "authServerConfig.primaryUpstreamProvider"), "names no upstream provider", { value: as.primaryUpstreamProvider });
    }
    // 5. lifespans within the runtime's bounds.
    const l = obj(as.tokenLifespans);
    for (const [field, crdField] of Object.entries(LIFESPAN_FIELDS) as [keyof typeof LIFESPAN_FIELDS, string][]) {
      const v = l[crdField];
      if (v === undefined) continue;
      const ms = typeof v === "string" ? parseGoDuration(v) : undefined;
      const [min, max] = LIFESPAN_BOUNDS[field];
      if (ms === undefined || ms < min || ms > max) {
        problems.error("reconcile.lifespan", at(vmcp, `authServerConfig.tokenLifespans.${crdField}`), `must be between ${formatDuration(min)} and ${formatDuration(max)}`, { value: v });
      }
    }
    // Keys: at least one persistent signing key and HMAC secret, else tokens die with the pod.
    if (arr(as.signingKeySecretRefs).length === 0) {
      problems.error("reconcile.ephemeral-signing-key", at(vmcp, "authServerConfig.signingKeySecretRefs"), "without persistent signing keys, tokens break on every restart and differ per replica");
    }
    if (arr(as.hmacSecretRefs).length === 0) {
      problems.error("reconcile.ephemeral-hmac", at(vmcp, "authServerConfig.hmacSecretRefs"), "without persistent HMAC secrets, codes and refresh tokens break on every restart");
    }
  }

  // 6. replicas > 1 requires Redis session storage and Redis auth-server storage.
  const replicas = typeof spec.replicas === "number" ? spec.replicas : 1;
  if (replicas > 1) {
    if (obj(spec.sessionStorage).provider !== "redis") {
      problems.error("reconcile.replicas-session", at(vmcp, "sessionStorage"), "replicas > 1 requires Redis session storage", { value: replicas });
    }
    if (Object.keys(as).length > 0 && obj(as.storage).type !== "redis") {
      problems.error("reconcile.replicas-auth-storage", at(vmcp, "authServerConfig.storage"), "replicas > 1 requires Redis auth-server storage", { value: replicas });
    }
  }
  return problems;
}
