/**
 * What the container image runs: the gateway for one team's stack file, validating bearer tokens from
 * a real issuer (an Okta custom authorization server). Configured by the environment only:
 *
 *   VMCP_STACK_FILE    path of the mounted `Pulumi.<stack>.yaml` (default /config/Pulumi.stack.yaml)
 *   VMCP_ISSUER        the issuer, exactly as in the tokens' `iss` (required), e.g.
 *                      https://example.okta.com/oauth2/aus123; keys are found by OIDC discovery
 *   VMCP_RESOURCE_URL  the gateway's public URL, RFC 9728 resource (default: the stack's endpoint)
 *   VMCP_AUDIENCE      the tokens' expected `aud` (default: the resource URL)
 *   HOST, PORT         listen address (default 0.0.0.0:8080 in the image, 127.0.0.1:8080 otherwise)
 *   VMCP_BACKEND_SOURCE, VMCP_BACKEND_URLS, VMCP_CLUSTER_DOMAIN
 *                      where the backends are (productionBackends.ts): in a cluster, each MCPServer's Service
 *   VMCP_DRAIN_SECONDS on SIGTERM, /readyz fails for this long while requests are still served, then
 *                      calls still in flight get as long again to finish (default 5; SIGINT does not drain)
 *   VMCP_ADMIN_HOST, VMCP_ADMIN_PORT
 *                      the admin listener with the status page `/` (access matrix, backend errors) and
 *                      `/metrics` (default 127.0.0.1:9090: only from inside the pod; VMCP_ADMIN_PORT=off: none)
 *   VMCP_PUBLIC_OPS    true: also serve `/` and `/metrics` on the public listener (default false)
 *   VMCP_MAX_SESSIONS_PER_USER  open MCP sessions per token subject (default 100; more get HTTP 429)
 *   VMCP_BODY_TIMEOUT_MS        how long a request body may take to arrive (default 30000; then 408)
 *   VMCP_SESSION_REDIS_ADDRESS, VMCP_SESSION_REDIS_DB, VMCP_SESSION_REDIS_KEY_PREFIX
 *                      share MCP sessions between replicas through Redis (host:port, db 0-15, prefix
 *                      ending in ':'); default: the stack's kubernetes.sessionStorage when its provider
 *                      is redis, else in memory. Password: THV_SESSION_REDIS_PASSWORD (as vMCP,
 *                      ToolHive pkg/vmcp/config/config.go) or THV_SESSION_REDIS_PASSWORD_FILE
 *   VMCP_UPSTREAM_CLIENT_ID     switches on the embedded authorization server (vMCP's authServerConfig):
 *                      clients sign in here, VMCP_ISSUER is then the upstream Okta issuer; with
 *                      VMCP_UPSTREAM_CLIENT_SECRET(_FILE), VMCP_AUTH_KEYS_DIR, VMCP_AUTH_HMAC_DIR
 *                      (gateway/authServer/index.ts containerAuthConfig)
 *
 * No development identity provider and no anonymous mode here. Logs are JSON lines on stdout; SIGTERM
 * and SIGINT drain, then shut down cleanly.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { ConfigError, ProblemList, type Problem } from "../../components/errors";
import { compileTeam, type CompiledTeam } from "../../components/compile";
import { loadStackFile } from "../../components/stackConfig";
import { startGateway, type BackendLaunch, type RunningGateway } from "../server";
import { backendEnv, productionBackends, type ProductionBackendEnv } from "./productionBackends";
import { containerAuthConfig, containerAuthServer, type EmbeddedAuthServer } from "../authServer";
import { checkSharedSessionOptions, type SharedSessionOptions } from "../mcp/sharedSessions";

export interface ContainerConfig {
  stackFile: string;
  issuer: string;
  resourceUrl?: string;
  audience?: string;
  host: string;
  port: number;
  backends: ProductionBackendEnv;
  drainMs: number;
  /** null: no admin listener. */
  adminPort: number | null;
  adminHost: string;
  publicOps: boolean;
  maxSessionsPerPrincipal: number;
  bodyTimeoutMs: number;
}

/** An integer variable in [min, max], or its default when unset; a bad value is a problem. */
function intEnv(env: NodeJS.ProcessEnv, name: string, min: number, max: number, fallback: number, problems: Problem[], code: string, fix: string): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    problems.push(problem(code, name, `not an integer from ${min} to ${max}`, fix, raw));
    return fallback;
  }
  return n;
}

function problem(code: string, p: string, message: string, fix: string, value?: unknown): Problem {
  return { code, path: p, message, fix, value, severity: "error" };
}

/** Reads and checks the environment; throws a ConfigError listing every problem. */
export function containerConfig(env: NodeJS.ProcessEnv): ContainerConfig {
  const problems: Problem[] = [];
  const stackFile = env.VMCP_STACK_FILE || "/config/Pulumi.stack.yaml";
  if (!/^Pulumi\.[A-Za-z0-9._-]+\.yaml$/.test(path.basename(stackFile))) {
    problems.push(problem("container.stack-file", "VMCP_STACK_FILE", "the stack file must be named Pulumi.<stack>.yaml", "mount it under its own name, e.g. /config/Pulumi.engineering.yaml", stackFile));
  }
  const issuer = env.VMCP_ISSUER ?? "";
  if (!issuer) {
    problems.push(problem("container.issuer-missing", "VMCP_ISSUER", "no issuer: the gateway validates tokens from exactly one issuer", "set VMCP_ISSUER to your Okta authorization server's issuer, e.g. https://example.okta.com/oauth2/aus123"));
  } else {
    try {
      const u = new URL(issuer);
      if (u.protocol !== "https:" && !["localhost", "127.0.0.1", "[::1]"].includes(u.hostname)) {
        problems.push(problem("container.issuer-https", "VMCP_ISSUER", "the issuer must use https", "use the https issuer your authorization server announces", issuer));
      }
    } catch {
      problems.push(problem("container.issuer-invalid", "VMCP_ISSUER", "not a URL", "use the issuer URL exactly as it appears in the tokens' iss claim", issuer));
    }
  }
  const port = env.PORT === undefined || env.PORT === "" ? 8080 : Number(env.PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) problems.push(problem("container.port", "PORT", "not a TCP port", "use e.g. 8080", env.PORT));
  const backendProblems = new ProblemList();
  const backends = backendEnv(env, backendProblems);
  problems.push(...backendProblems.items);
  const drainSeconds = env.VMCP_DRAIN_SECONDS === undefined || env.VMCP_DRAIN_SECONDS === "" ? 5 : Number(env.VMCP_DRAIN_SECONDS);
  if (!Number.isFinite(drainSeconds) || drainSeconds < 0 || drainSeconds > 600) {
    problems.push(problem("container.drain-seconds", "VMCP_DRAIN_SECONDS", "not a number of seconds between 0 and 600", "use e.g. 5", env.VMCP_DRAIN_SECONDS));
  }
  const adminOff = (env.VMCP_ADMIN_PORT ?? "").toLowerCase() === "off";
  const adminPort = adminOff ? null : intEnv(env, "VMCP_ADMIN_PORT", 0, 65535, 9090, problems, "container.admin-port", "use a free port such as 9090, or off for no admin listener");
  const adminHost = env.VMCP_ADMIN_HOST || "127.0.0.1";
  const publicOpsRaw = (env.VMCP_PUBLIC_OPS ?? "").toLowerCase();
  if (!["", "true", "false"].includes(publicOpsRaw)) {
    problems.push(problem("container.public-ops", "VMCP_PUBLIC_OPS", "not true or false", "leave it unset (the status page and metrics stay on the admin listener), or set true", env.VMCP_PUBLIC_OPS));
  }
  const maxSessionsPerPrincipal = intEnv(env, "VMCP_MAX_SESSIONS_PER_USER", 1, 100_000, 100, problems, "container.max-sessions", "use e.g. 100");
  const bodyTimeoutMs = intEnv(env, "VMCP_BODY_TIMEOUT_MS", 100, 600_000, 30_000, problems, "container.body-timeout", "use e.g. 30000 (30 s)");
  if (problems.length) throw new ConfigError(problems);
  return {
    adminPort,
    adminHost,
    publicOps: publicOpsRaw === "true",
    maxSessionsPerPrincipal,
    bodyTimeoutMs,
    stackFile,
    issuer,
    resourceUrl: env.VMCP_RESOURCE_URL || undefined,
    audience: env.VMCP_AUDIENCE || undefined,
    host: env.HOST || "127.0.0.1",
    port,
    backends,
    drainMs: drainSeconds * 1000,
  };
}

/** The stack's `kubernetes.sessionStorage`, as written in the team (validated by components/kubernetes/config.ts). */
interface StackSessionStorage {
  provider?: string;
  address?: string;
  db?: number;
  keyPrefix?: string;
}

/**
 * Where MCP sessions are kept: Redis when VMCP_SESSION_REDIS_ADDRESS is set or the stack's
 * sessionStorage says redis (the variables override the stack's address, db and prefix), else
 * undefined (memory). Throws a ConfigError naming the bad variable.
 */
export function sessionStorageConfig(env: NodeJS.ProcessEnv, stack: StackSessionStorage | undefined): SharedSessionOptions | undefined {
  const fromStack = stack?.provider === "redis" ? stack : undefined;
  const address = env.VMCP_SESSION_REDIS_ADDRESS || fromStack?.address;
  if (!address) return undefined;
  const problems: Problem[] = [];
  const db = intEnv(env, "VMCP_SESSION_REDIS_DB", 0, 15, fromStack?.db ?? 0, problems, "container.session-redis-db", "use a Redis database number from 0 to 15");
  let password = env.THV_SESSION_REDIS_PASSWORD || undefined;
  const file = env.THV_SESSION_REDIS_PASSWORD_FILE;
  if (file) {
    if (password) problems.push(problem("container.session-redis-password", "THV_SESSION_REDIS_PASSWORD_FILE", "both the password and a password file are set", "set only one of THV_SESSION_REDIS_PASSWORD and THV_SESSION_REDIS_PASSWORD_FILE"));
    try {
      password = fs.readFileSync(file, "utf8").replace(/\r?\n$/, "");
    } catch (e) {
      problems.push(problem("container.session-redis-password-file", "THV_SESSION_REDIS_PASSWORD_FILE", `cannot read it: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, "mount the Redis password Secret at that path", file));
    }
  }
  const o: SharedSessionOptions = { address, db, keyPrefix: env.VMCP_SESSION_REDIS_KEY_PREFIX || fromStack?.keyPrefix || undefined, password };
  try {
    checkSharedSessionOptions(o);
  } catch (e) {
    const name = /keyPrefix/.test((e as Error).message) ? "VMCP_SESSION_REDIS_KEY_PREFIX" : "VMCP_SESSION_REDIS_ADDRESS";
    problems.push(problem("container.session-redis", name, (e as Error).message, "use host:port for the address and a key prefix ending in ':'"));
  }
  if (problems.length) throw new ConfigError(problems);
  return o;
}

export function loadContainerStack(stackFile: string): CompiledTeam {
  const base = path.basename(stackFile);
  const stack = base.slice("Pulumi.".length, -".yaml".length);
  return compileTeam(loadStackFile(stack, path.dirname(path.resolve(stackFile))).team);
}

async function main(): Promise<void> {
  const log = (line: object) => process.stdout.write(JSON.stringify({ time: new Date().toISOString(), ...line }) + "\n");
  let cfg: ContainerConfig;
  let compiled: CompiledTeam;
  let backends: BackendLaunch[];
  let sessionRedis: SharedSessionOptions | undefined;
  try {
    cfg = containerConfig(process.env);
    compiled = loadContainerStack(cfg.stackFile);
    backends = productionBackends(compiled.spec, cfg.backends);
    const k8s = compiled.spec.raw.kubernetes as { sessionStorage?: StackSessionStorage } | undefined;
    sessionRedis = sessionStorageConfig(process.env, k8s?.sessionStorage);
  } catch (e) {
    process.stderr.write((e as Error).message + "\n");
    process.exit(1);
  }
  for (const w of compiled.warnings) log({ level: "warn", msg: "config warning", code: w.code, path: w.path, message: w.message });
  const resourceUrl = cfg.resourceUrl ?? compiled.spec.endpoint;
  // The embedded authorization server (VMCP_UPSTREAM_CLIENT_ID set): clients sign in here as with
  // vMCP's authServerConfig; VMCP_ISSUER is then the upstream Okta issuer (gateway/authServer/index.ts).
  const auth = containerAuthConfig(process.env);
  if (auth.problems.length) {
    process.stderr.write(new ConfigError(auth.problems).message + "\n");
    process.exit(1);
  }
  let authServer: EmbeddedAuthServer | undefined;
  try {
    authServer = auth.config ? await containerAuthServer(auth.config, compiled, resourceUrl, log) : undefined;
  } catch (e) {
    process.stderr.write(`the embedded authorization server cannot start: ${(e as Error).message}\n`);
    process.exit(1);
  }
  let gateway: RunningGateway;
  try {
    gateway = await startGateway({
      authServer,
      compiled,
      host: cfg.host,
      port: cfg.port,
      resourceUrl,
      issuer: cfg.issuer,
      audience: cfg.audience ?? resourceUrl,
      backends,
      handleSignals: false,
      logger: log,
      adminPort: cfg.adminPort,
      adminHost: cfg.adminHost,
      publicOps: cfg.publicOps,
      maxSessionsPerPrincipal: cfg.maxSessionsPerPrincipal,
      bodyTimeoutMs: cfg.bodyTimeoutMs,
      sessionStorage: sessionRedis ? { redis: sessionRedis } : undefined,
    });
  } catch (e) {
    process.stderr.write(`the gateway cannot start: ${(e as Error).message}\n`);
    process.exit(1);
  }
  log({ level: "info", msg: "gateway listening", sessionStorage: sessionRedis ? { provider: "redis", address: sessionRedis.address, db: sessionRedis.db, keyPrefix: sessionRedis.keyPrefix } : { provider: "memory" }, team: compiled.spec.team, url: gateway.url, mcp: gateway.publicMcpUrl, admin: gateway.adminUrl, resource: resourceUrl, issuer: cfg.issuer, backends: backends.map((b) => ({ name: b.name, url: b.url, command: b.command })) });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    // SIGTERM is Kubernetes (or docker stop) ending the pod: drain. SIGINT is a person: stop now.
    const drainMs = signal === "SIGTERM" ? cfg.drainMs : 0;
    log({ level: "info", msg: "shutting down", signal, drainMs });
    drain(gateway, drainMs).then(() => gateway.close()).then(() => authServer?.close()).then(
      () => process.exit(0),
      (e: Error) => {
        log({ level: "error", msg: "shutdown failed", error: e.message });
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
  gateway.ready.then(
    () => log({ level: "info", msg: "ready" }),
    (e: Error) => log({ level: "warn", msg: "not every backend is ready", error: e.message }),
  );
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Kubernetes removes a terminating pod from the Service's endpoints while it sends SIGTERM, so
 * requests keep arriving for a moment: fail readiness and keep serving for `ms`, then give calls in
 * flight up to `ms` more before closing. The Deployment's terminationGracePeriodSeconds covers both.
 */
async function drain(gateway: RunningGateway, ms: number): Promise<void> {
  gateway.drain();
  await sleep(ms);
  const deadline = Date.now() + ms;
  while (gateway.inFlight() > 0 && Date.now() < deadline) await sleep(50);
}

if (require.main === module) {
  main().catch((e: Error) => {
    process.stderr.write(`error: ${e.message}\n`);
    process.exit(1);
  });
}
