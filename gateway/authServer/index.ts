/**
 * The embedded authorization server, and the two ways the project starts it:
 *
 * - `devAuthServer`: `vmcp-okta dev` — upstream = the development IdP (the gateway registers itself
 *   there by RFC 7591), keys and HMAC secrets generated once per the stack's generations under
 *   `.vmcp-okta/auth-server/`, lifespans from the stack, memory storage.
 * - `containerAuthServer`: the production image — upstream = the stack's Okta authorization server
 *   and app, keys and secrets mounted from the stack's Secrets, Redis when the stack's
 *   `kubernetes.authServerStorage` says so.
 */
import * as fs from "node:fs";
import type { CompiledTeam } from "../../components/compile";
import { ProblemList, type Problem } from "../../components/errors";
import { DEFAULT_HMAC_SECRETS, DEFAULT_SIGNING_KEYS, validateKubernetes, type KubernetesSpec } from "../../components/kubernetes/config";
import { UPSTREAM_NAME, UPSTREAM_SCOPES, redirectUri } from "../../components/kubernetes/objects";
import { localKeyMaterial, mountedKeyMaterial } from "./keys";
import { lifespansFrom, type Lifespans } from "./lifespans";
import { createAuthServer, type AuthServerStorage, type EmbeddedAuthServer } from "./server";
import { Upstream } from "./upstream";

export { createAuthServer, DEFAULT_SCOPES, type AuthServerOptions, type AuthServerStorage, type EmbeddedAuthServer } from "./server";
export { Upstream, type UpstreamOptions } from "./upstream";
export { lifespansFrom, DEFAULT_LIFESPANS, type Lifespans } from "./lifespans";
export { localKeyMaterial, mountedKeyMaterial, loadSigningKeys } from "./keys";

/** The stack's kubernetes section, or the defaults when it has none that validates. */
function kubernetesOf(compiled: CompiledTeam): Pick<KubernetesSpec, "signingKeys" | "hmacSecrets" | "tokenLifespans" | "authServerStorage"> {
  const k = validateKubernetes(compiled.spec, new ProblemList());
  return k ?? { signingKeys: DEFAULT_SIGNING_KEYS, hmacSecrets: DEFAULT_HMAC_SECRETS };
}

export interface DevAuthServerOptions {
  compiled: CompiledTeam;
  /** The gateway's public URL: issuer and resource. */
  resourceUrl: string;
  /** The development IdP's issuer. */
  upstreamIssuer: string;
  /** Where key material persists (`.vmcp-okta/auth-server`). */
  keyDir: string;
  /** Override the stack's lifespans (tests: seconds, to watch tokens expire). */
  lifespans?: Partial<Lifespans>;
  storage?: AuthServerStorage;
  log?: (line: Record<string, unknown>) => void;
}

export async function devAuthServer(o: DevAuthServerOptions): Promise<EmbeddedAuthServer> {
  const k = kubernetesOf(o.compiled);
  const material = localKeyMaterial(o.keyDir, k.signingKeys, k.hmacSecrets);
  const upstream = await Upstream.connect({
    name: UPSTREAM_NAME,
    issuer: o.upstreamIssuer,
    redirectUri: redirectUri(o.resourceUrl),
    scopes: [...UPSTREAM_SCOPES, "email"],
    allowHttp: true,
    promptConsent: true,
    clientName: `vmcp-okta gateway (${o.compiled.spec.team})`,
  });
  return createAuthServer({
    issuer: o.resourceUrl,
    upstream,
    signingKeys: material.signingKeys,
    hmacSecrets: material.hmacSecrets,
    lifespans: { ...lifespansFrom(k.tokenLifespans), ...o.lifespans },
    storage: o.storage,
    acceptUpstreamTokens: true,
    log: o.log,
  });
}

/** Environment of the production image's embedded authorization server. */
export interface ContainerAuthConfig {
  upstreamIssuer: string;
  clientId: string;
  clientSecret?: string;
  keyDir: string;
  hmacDir: string;
  redisUsername?: string;
  redisPassword?: string;
}

function problem(code: string, path: string, message: string, fix: string, value?: unknown): Problem {
  return { code, path, message, fix, value, severity: "error" };
}

/**
 * Reads the embedded authorization server's settings from the environment, or undefined when it is
 * not switched on (no `VMCP_UPSTREAM_CLIENT_ID`). Names follow vMCP's mounts and variables:
 *
 *   VMCP_UPSTREAM_CLIENT_ID        the Okta app's client id (switches the server on)
 *   VMCP_UPSTREAM_CLIENT_SECRET    its secret, or VMCP_UPSTREAM_CLIENT_SECRET_FILE (a mounted Secret key)
 *   VMCP_ISSUER                    the Okta authorization server's issuer (the upstream)
 *   VMCP_AUTH_KEYS_DIR             key-0.pem, key-1.pem, … (default /etc/toolhive/authserver/keys)
 *   VMCP_AUTH_HMAC_DIR             hmac-0, hmac-1, …     (default /etc/toolhive/authserver/hmac)
 *   TOOLHIVE_AUTH_SERVER_REDIS_USERNAME / _PASSWORD  Redis ACL user, when authServerStorage is redis
 */
export function containerAuthConfig(env: NodeJS.ProcessEnv): { config?: ContainerAuthConfig; problems: Problem[] } {
  const clientId = env.VMCP_UPSTREAM_CLIENT_ID ?? "";
  if (!clientId) return { problems: [] };
  const problems: Problem[] = [];
  let clientSecret = env.VMCP_UPSTREAM_CLIENT_SECRET || undefined;
  const secretFile = env.VMCP_UPSTREAM_CLIENT_SECRET_FILE;
  if (!clientSecret && secretFile) {
    try {
      clientSecret = fs.readFileSync(secretFile, "utf8").trim();
    } catch (e) {
      problems.push(problem("container.client-secret-file", "VMCP_UPSTREAM_CLIENT_SECRET_FILE", `cannot read the client secret: ${(e as Error).message}`, "mount the Okta app's client secret there", secretFile));
    }
  }
  const keyDir = env.VMCP_AUTH_KEYS_DIR || "/etc/toolhive/authserver/keys";
  const hmacDir = env.VMCP_AUTH_HMAC_DIR || "/etc/toolhive/authserver/hmac";
  for (const [name, dir] of [["VMCP_AUTH_KEYS_DIR", keyDir], ["VMCP_AUTH_HMAC_DIR", hmacDir]] as const) {
    if (!fs.existsSync(dir)) problems.push(problem("container.auth-dir", name, "the folder does not exist", "mount the stack's signing-key and HMAC Secrets there (key-<i>.pem, hmac-<i>, newest first)", dir));
  }
  return {
    config: {
      upstreamIssuer: env.VMCP_ISSUER ?? "",
      clientId,
      clientSecret,
      keyDir,
      hmacDir,
      redisUsername: env.TOOLHIVE_AUTH_SERVER_REDIS_USERNAME || undefined,
      redisPassword: env.TOOLHIVE_AUTH_SERVER_REDIS_PASSWORD || undefined,
    },
    problems,
  };
}

export async function containerAuthServer(c: ContainerAuthConfig, compiled: CompiledTeam, resourceUrl: string, log?: (line: Record<string, unknown>) => void): Promise<EmbeddedAuthServer> {
  const k = kubernetesOf(compiled);
  const material = mountedKeyMaterial(c.keyDir, c.hmacDir);
  const upstreamUrl = new URL(c.upstreamIssuer);
  const upstream = await Upstream.connect({
    name: UPSTREAM_NAME,
    issuer: c.upstreamIssuer,
    clientId: c.clientId,
    clientSecret: c.clientSecret,
    redirectUri: redirectUri(resourceUrl),
    scopes: UPSTREAM_SCOPES,
    // A loopback upstream only in tests (the development IdP standing in for Okta).
    allowHttp: upstreamUrl.protocol === "http:" && ["localhost", "127.0.0.1", "[::1]"].includes(upstreamUrl.hostname),
    promptConsent: upstreamUrl.protocol === "http:",
  });
  const as = k.authServerStorage;
  const storage: AuthServerStorage | undefined =
    as?.type === "redis" && as.addr ? { type: "redis", addr: as.addr, username: c.redisUsername, password: c.redisPassword, keyPrefix: `vmcp-okta:${compiled.spec.team}:` } : undefined;
  return createAuthServer({
    issuer: resourceUrl,
    upstream,
    signingKeys: material.signingKeys,
    hmacSecrets: material.hmacSecrets,
    lifespans: lifespansFrom(k.tokenLifespans),
    storage,
    log,
  });
}
