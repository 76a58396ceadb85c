/**
 * The bundled MCP gateway: vMCP's incoming side (bearer JWT → groups → Cedar → per-call decision
 * and filtered lists) in front of a stack's backends, on MCP Streamable HTTP at `/mcp`.
 *
 *   client ──POST /mcp──▶ Host/Origin check ─▶ bearer JWT (jose, JWKS via OIDC discovery)
 *          ─▶ session ─▶ core authorizer (Cedar, policies parsed once) ─▶ catalogue route
 *          ─▶ shared backend connection (stdio child or Streamable HTTP) ─▶ answer (JSON or SSE)
 *
 * See gateway/README.md for the architecture and why the hot path is a lean JSON-RPC router
 * rather than an SDK Server plus an SDK Client per session.
 */
import * as fs from "node:fs";
import * as http from "node:http";
import * as path from "node:path";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";
import type { CompiledTeam } from "../components/compile";
import { Backend, type BackendLaunch } from "./backends/backend";
import { bearerToken } from "./auth/bearer";
import { bearerChallenge, metadataPath, metadataUrl, protectedResourceMetadata } from "./auth/protectedResource";
import { TokenError } from "./auth/tokenVerifier";
import { bearerVerifierFor } from "./auth/authServerVerifier";
import type { EmbeddedAuthServer } from "./authServer/server";
import { checkHost, hostPolicy } from "./http/hostCheck";
import { McpEndpoint } from "./http/mcpEndpoint";
import { sendJson } from "./http/replies";
import { rpcError, RpcCode } from "./mcp/jsonrpc";
import { Router, type Identity } from "./mcp/router";
import { policiesReadArguments } from "./mcp/decisionCache";
import { SharedSessions, type SharedSessionOptions } from "./mcp/sharedSessions";
import { stamp, stderrLogger, type Logger } from "./ops/logger";
import { GatewayMetrics } from "./ops/metrics";
import { statusPage, type BackendStatus } from "./ops/statusPage";

export type { BackendLaunch } from "./backends/backend";

export interface GatewayOptions {
  /** The team, compiled by the core (`compileTeam`): spec, authorizer (policies parsed once), matrix. */
  compiled: CompiledTeam;
  /** Listen address (default 127.0.0.1). */
  host?: string;
  /** Listen port (default 8080; 0 = ephemeral). */
  port?: number;
  /** The protected resource's URL: RFC 9728 `resource`, default audience, allowed Host. */
  resourceUrl: string;
  /** The token issuer; its OIDC discovery document names the JWKS. */
  issuer: string;
  /**
   * The embedded authorization server (gateway/authServer), as vMCP's `authServerConfig`: it serves
   * its endpoints here, the protected-resource metadata names it, and bearer tokens are its own,
   * mapped to the upstream's claims for Cedar. `issuer` is then the upstream's.
   */
  authServer?: EmbeddedAuthServer;
  /** Expected `aud` (default: resourceUrl). */
  audience?: string;
  /** Backends to run (default: each `compiled.spec.backends[].local`, with the backend's name). */
  backends?: BackendLaunch[];
  /**
   * Development only: requests without an Authorization header run as these claims (for the MCP
   * conformance suite, which cannot send a token). Refused unless the stack's environment is
   * "development". A request that does carry a token is still validated.
   */
  anonymousDev?: { claims: Record<string, unknown> };
  /** Receives structured log lines (default: JSON lines on stderr). */
  logger?: (line: object) => void;
  /** Per-request timeout towards backends, reset by progress (default 60 000 ms). */
  requestTimeoutMs?: number;
  /** Request body cap (default 4 MiB). */
  maxBodyBytes?: number;

  // ----- further options (all optional) -----
  /** Working directory of stdio backends without their own `cwd` (default: process.cwd()). */
  cwd?: string;
  /** More Host names accepted besides loopback and the resourceUrl host (e.g. behind a proxy). */
  allowedHosts?: string[];
  /** Clock skew allowed on exp/nbf (default 30 s). */
  clockToleranceSec?: number;
  /** Minimum interval between JWKS refetches caused by an unknown `kid` (default 30 000 ms). */
  jwksCooldownMs?: number;
  /** Periodic JWKS reload (default 600 000 ms; 0 disables). */
  jwksRefreshMs?: number;
  /** How long a verified token is remembered (default 30 000 ms, never past exp; 0 disables). */
  tokenCacheTtlMs?: number;
  /** Timeout of a backend's initialize and list calls (default 30 000 ms). */
  initTimeoutMs?: number;
  /** `ready` rejects if the backends are not all up by then (default 60 000 ms); the gateway keeps trying. */
  startupTimeoutMs?: number;
  /** Sessions with no traffic, no open stream and no call in flight are dropped after this (default 30 min). */
  sessionIdleMs?: number;
  /**
   * Open sessions one token subject may hold (default 100). One more `initialize` is answered with
   * HTTP 429 and Retry-After (when its first idle session expires); other users are not affected.
   */
  maxSessionsPerPrincipal?: number;
  /**
   * Share MCP sessions with other replicas through Redis (as the stack's `kubernetes.sessionStorage`
   * with provider redis): a session opened here continues on any replica using the same Redis and key
   * prefix, and the per-subject cap counts every replica's sessions. Default: none (this process's
   * memory). See gateway/mcp/sharedSessions.ts.
   */
  sessionStorage?: { redis: SharedSessionOptions };
  /**
   * How long a POST body may take to arrive once the request is authenticated (default 30 000 ms).
   * A half-sent or trickled body is answered 408 and its connection closed. Node's own
   * `headersTimeout`/`requestTimeout` are set from it too (Node's defaults are 60 s and 5 min).
   */
  bodyTimeoutMs?: number;
  /** How often each ready backend is sent a health `ping` (default 15 000 ms; 0 disables). */
  healthIntervalMs?: number;
  /** A health ping not answered within this marks the backend stalled: /readyz fails (default 5 000 ms). */
  healthTimeoutMs?: number;
  /**
   * Also serve the status page `/` (access matrix, backends and their errors) and `/metrics` on the
   * public listener. Default: true for a development stack, false for production, where they are
   * only on the admin listener.
   */
  publicOps?: boolean;
  /**
   * Port of the admin listener, which serves `/`, `/metrics`, `/healthz` and `/readyz` on
   * `adminHost`. Default: 0 (an ephemeral port, logged and given as `adminUrl`) for a production
   * stack, none for development; null: no admin listener.
   */
  adminPort?: number | null;
  /** Address of the admin listener (default 127.0.0.1: only reachable from the pod or host itself). */
  adminHost?: string;
  /** Keep-alive comment interval on SSE streams (default 15 000 ms). */
  sseKeepAliveMs?: number;
  /** Close cleanly on SIGTERM/SIGINT, then re-raise the signal if nobody else handles it (default true). */
  handleSignals?: boolean;
  /** Include prom-client's process metrics (default true). */
  defaultMetrics?: boolean;
  /**
   * Reuse a token's Cedar decision for the same target when no policy reads `context` or `arg_*`
   * (then arguments cannot change it); default true. See gateway/mcp/decisionCache.ts.
   */
  decisionCache?: boolean;
}

export interface GatewayStatus {
  ready: boolean;
  /** The issuer's signing keys are known (tokens can be verified). */
  signingKeys: boolean;
  sessions: number;
  backends: BackendStatus[];
  /** Advertised tool names (all backends, before per-user filtering). */
  tools: string[];
}

export interface RunningGateway {
  /** Base URL, e.g. http://127.0.0.1:8080 */
  url: string;
  /** The MCP endpoint, `${url}/mcp`. */
  mcpUrl: string;
  /** The MCP URL clients are given: the resource's origin + `/mcp` (its origin must be the RFC 9728 resource's). */
  publicMcpUrl: string;
  /** Resolves when every backend has answered initialize (rejects after startupTimeoutMs). */
  ready: Promise<void>;
  close(): Promise<void>;
  /** Live state of backends and sessions (also shown at `/`). */
  status(): GatewayStatus;
  /** The gateway's own Prometheus registry (served at /metrics). */
  metrics: Registry;
  /** Base URL of the admin listener (`/`, `/metrics`, `/healthz`, `/readyz`), when there is one. */
  adminUrl?: string;
  /**
   * Start draining (before close on SIGTERM): /readyz answers 503 so the Service stops routing new
   * traffic here, while requests that still arrive are served. See gateway/container/main.ts.
   */
  drain(): void;
  /** Backend calls in flight (what a drain waits for). */
  inFlight(): number;
}

/** The defaults of GatewayOptions (documented on each option). */
export const GATEWAY_DEFAULTS = {
  host: "127.0.0.1",
  port: 8080,
  requestTimeoutMs: 60_000,
  maxBodyBytes: 4 * 1024 * 1024,
  initTimeoutMs: 30_000,
  startupTimeoutMs: 60_000,
  sessionIdleMs: 30 * 60_000,
  sseKeepAliveMs: 15_000,
  maxSessionsPerPrincipal: 100,
  bodyTimeoutMs: 30_000,
  healthIntervalMs: 15_000,
  healthTimeoutMs: 5_000,
  adminHost: "127.0.0.1",
} as const;
const DEFAULTS = GATEWAY_DEFAULTS;

/** Checks a numeric option; a bad value is a clear error naming the option, its range and default. */
function intOption(name: keyof GatewayOptions, value: unknown, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new Error(`GatewayOptions.${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}; leave it out for the default (${fallback})`);
  }
  return value;
}

/** Every limit and listener option, validated and defaulted in one place. */
function limitsOf(opts: GatewayOptions) {
  const production = opts.compiled.spec.environment !== "development";
  const adminPort = opts.adminPort === null ? null : opts.adminPort === undefined ? (production ? 0 : null) : intOption("adminPort", opts.adminPort, 0, 65535, 0);
  const adminHost = opts.adminHost ?? DEFAULTS.adminHost;
  if (typeof adminHost !== "string" || adminHost === "") throw new Error(`GatewayOptions.adminHost must be a non-empty address, got ${JSON.stringify(adminHost)}; leave it out for ${DEFAULTS.adminHost}`);
  if (opts.publicOps !== undefined && typeof opts.publicOps !== "boolean") throw new Error(`GatewayOptions.publicOps must be true or false, got ${JSON.stringify(opts.publicOps)}`);
  const healthTimeoutMs = intOption("healthTimeoutMs", opts.healthTimeoutMs, 1, 600_000, DEFAULTS.healthTimeoutMs);
  const healthIntervalMs = intOption("healthIntervalMs", opts.healthIntervalMs, 0, 3_600_000, DEFAULTS.healthIntervalMs);
  if (healthIntervalMs > 0 && healthIntervalMs < healthTimeoutMs) {
    throw new Error(`GatewayOptions.healthIntervalMs (${healthIntervalMs}) must be at least healthTimeoutMs (${healthTimeoutMs}), or 0 to disable health probes`);
  }
  return {
    sessionIdleMs: intOption("sessionIdleMs", opts.sessionIdleMs, 1_000, 7 * 24 * 3_600_000, DEFAULTS.sessionIdleMs),
    maxSessionsPerPrincipal: intOption("maxSessionsPerPrincipal", opts.maxSessionsPerPrincipal, 1, 100_000, DEFAULTS.maxSessionsPerPrincipal),
    bodyTimeoutMs: intOption("bodyTimeoutMs", opts.bodyTimeoutMs, 100, 600_000, DEFAULTS.bodyTimeoutMs),
    maxBodyBytes: intOption("maxBodyBytes", opts.maxBodyBytes, 1_024, 1_073_741_824, DEFAULTS.maxBodyBytes),
    healthIntervalMs,
    healthTimeoutMs,
    publicOps: opts.publicOps ?? !production,
    adminPort,
    adminHost,
  };
}

function packageVersion(): string {
  try {
    return JSON.parse(fs.readFileSync(path.join(__dirname, "..", "package.json"), "utf8")).version ?? "0.0.0";
  } catch {
    return "0.0.0";
  }
}

function httpUrl(name: string, value: string): URL {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw new Error(`${name} must be an absolute URL, got ${JSON.stringify(value)}`);
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error(`${name} must be an http(s) URL, got ${JSON.stringify(value)}`);
  return u;
}

/** The launches declared by the stack (`backends.<name>.local`). */
export function backendLaunchesFromSpec(compiled: CompiledTeam): BackendLaunch[] {
  const missing = compiled.spec.backends.filter((b) => !b.local?.command && !b.local?.url).map((b) => b.name);
  if (missing.length) {
    throw new Error(`backends without a local launch: ${missing.join(", ")}; add local.command (stdio) or local.url (Streamable HTTP) to each, or pass GatewayOptions.backends`);
  }
  return compiled.spec.backends.map((b) =>
    b.local!.url ? { name: b.name, url: b.local!.url } : { name: b.name, command: b.local!.command!, args: b.local!.args ?? [], env: b.local!.env },
  );
}

export async function startGateway(opts: GatewayOptions): Promise<RunningGateway> {
  const { compiled } = opts;
  httpUrl("resourceUrl", opts.resourceUrl);
  httpUrl("issuer", opts.issuer);
  if (opts.anonymousDev) {
    if (compiled.spec.environment !== "development") {
      throw new Error(`anonymousDev is only allowed for a development stack; team ${compiled.spec.team} has environment "${compiled.spec.environment}"`);
    }
    const sub = opts.anonymousDev.claims.sub;
    if (typeof sub !== "string" || sub === "") throw new Error("anonymousDev.claims needs a non-empty string sub");
  }
  const limits = limitsOf(opts);
  const host = opts.host ?? DEFAULTS.host;
  const port = opts.port ?? DEFAULTS.port;
  const requestTimeoutMs = opts.requestTimeoutMs ?? DEFAULTS.requestTimeoutMs;
  const log = stamp((opts.logger ?? stderrLogger) as Logger);
  const launches = opts.backends ?? backendLaunchesFromSpec(compiled);
  const names = new Set<string>();
  for (const l of launches) {
    if (names.has(l.name)) throw new Error(`backend ${l.name} is given twice`);
    names.add(l.name);
  }

  const metrics = new GatewayMetrics(opts.defaultMetrics ?? true);
  const version = packageVersion();
  const verifier = bearerVerifierFor(opts.authServer, {
    issuer: opts.issuer,
    audience: opts.audience ?? opts.resourceUrl,
    clockToleranceSec: opts.clockToleranceSec,
    jwksCooldownMs: opts.jwksCooldownMs,
    jwksRefreshMs: opts.jwksRefreshMs,
    tokenCacheTtlMs: opts.tokenCacheTtlMs,
    log,
  });

  let shared: SharedSessions | undefined;
  if (opts.sessionStorage) {
    shared = new SharedSessions(opts.sessionStorage.redis, limits.sessionIdleMs);
    try {
      await shared.ready();
    } catch (e) {
      await shared.close();
      throw new Error(`GatewayOptions.sessionStorage: ${(e as Error).message}; check the address, db and password (THV_SESSION_REDIS_PASSWORD)`);
    }
  }

  const backends: Backend[] = [];
  const decisionCache = (opts.decisionCache ?? true) && !policiesReadArguments(compiled.authorizer);
  const router = new Router({
    compiled,
    backends,
    metrics,
    log,
    serverInfo: { name: "vmcp-okta-gateway", version },
    decisionCache,
    maxSessionsPerPrincipal: limits.maxSessionsPerPrincipal,
    sessionIdleMs: limits.sessionIdleMs,
    shared,
  });
  for (const l of launches) {
    backends.push(
      new Backend(l, { requestTimeoutMs, initTimeoutMs: opts.initTimeoutMs ?? DEFAULTS.initTimeoutMs, cwd: opts.cwd ?? process.cwd(), clientInfo: { name: "vmcp-okta-gateway", version } }, router),
    );
  }

  const hosts = hostPolicy(opts.resourceUrl, host, opts.allowedHosts);
  const endpoint = new McpEndpoint({
    router,
    metrics,
    maxBodyBytes: limits.maxBodyBytes,
    bodyTimeoutMs: limits.bodyTimeoutMs,
    sseKeepAliveMs: opts.sseKeepAliveMs ?? DEFAULTS.sseKeepAliveMs,
  });
  const prmPath = metadataPath(opts.resourceUrl);
  const prmUrl = metadataUrl(opts.resourceUrl);
  const prm = protectedResourceMetadata(opts.resourceUrl, opts.authServer?.issuer ?? opts.issuer, `${compiled.spec.team} MCP gateway`, opts.authServer?.scopesSupported);
  // Ready: every backend initialized and answering its health probes, and the issuer's signing keys
  // known (without them no token can be verified). While keys are missing, a readiness check retries
  // fetching them, at most every 5 s. Stricter than vMCP, whose static mode is always ready
  // (pkg/vmcp/server/server.go handleReadiness): a pod that cannot verify tokens or reach a backend
  // should not get traffic.
  let lastKeyRetry = 0;
  const signingKeys = (): boolean => {
    if (verifier.hasKeys()) return true;
    if (Date.now() - lastKeyRetry > 5_000) {
      lastKeyRetry = Date.now();
      verifier.warmUp();
    }
    return false;
  };
  const isReady = () => backends.every((b) => b.state === "ready" && b.healthy) && signingKeys();
  let draining = false;

  const status = (): GatewayStatus => ({
    ready: isReady(),
    signingKeys: verifier.hasKeys(),
    sessions: router.sessions.size,
    backends: backends.map((b) => ({
      name: b.name,
      transport: b.transport,
      state: b.state,
      healthy: b.healthy,
      tools: [...router.catalog.tools.entries()].filter(([, r]) => r.backend === b).map(([name]) => name),
      prompts: b.catalog.prompts.length,
      resources: b.catalog.resources.length + b.catalog.resourceTemplates.length,
      restarts: b.restarts,
      inFlight: b.inFlight,
      lastError: b.lastError,
      pid: b.pid,
    })),
    tools: [...router.catalog.tools.keys()],
  });

  const unauthorized = (res: http.ServerResponse, e: TokenError) => {
    metrics.authFailures.inc({ reason: e.reason });
    metrics.requests.inc({ method: "unauthenticated", status: String(e.status) });
    log({ level: "info", msg: "auth.rejected", reason: e.reason, status: e.status });
    if (e.status === 503) {
      sendJson(res, 503, { error: "temporarily_unavailable", error_description: e.description }, { "retry-after": "5" });
      return;
    }
    sendJson(res, 401, { error: "invalid_token", error_description: e.description }, { "www-authenticate": bearerChallenge(prmUrl, "invalid_token", e.description) });
  };

  const authenticate = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<Identity | undefined> => {
    const b = bearerToken(req.headers.authorization);
    if (b.kind === "none") {
      if (opts.anonymousDev) return { claims: opts.anonymousDev.claims, anonymous: true };
      unauthorized(res, new TokenError(401, "missing bearer token", "missing_token"));
      return undefined;
    }
    if (b.kind === "malformed") {
      unauthorized(res, new TokenError(401, "the Authorization header is not a bearer token", "malformed_header"));
      return undefined;
    }
    try {
      return { claims: await verifier.verify(b.token), anonymous: false };
    } catch (e) {
      unauthorized(res, e instanceof TokenError ? e : new TokenError(401, "the token could not be validated", "invalid"));
      return undefined;
    }
  };

  /**
   * Both listeners' routes. The public one serves MCP, the protected-resource metadata, /healthz
   * and /readyz, plus `/` and `/metrics` only with `publicOps`; the admin one serves only
   * `/`, `/metrics`, `/healthz` and `/readyz`.
   */
  const handler = async (req: http.IncomingMessage, res: http.ServerResponse, listener: "public" | "admin"): Promise<void> => {
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    const p = q === -1 ? url : url.slice(0, q);
    const admin = listener === "admin";
    const opsHere = admin || limits.publicOps;
    if (!admin && opts.authServer && (await opts.authServer.handle(req, res))) return;
    if (p === "/mcp" && !admin) {
      const bad = checkHost(req.headers, hosts);
      if (bad) {
        metrics.requests.inc({ method: "rejected_host", status: "403" });
        sendJson(res, 403, rpcError(null, RpcCode.ConnectionClosed, bad));
        return;
      }
      const identity = await authenticate(req, res);
      if (!identity) return;
      await endpoint.handle(req, res, identity);
      return;
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET" }).end();
      return;
    }
    switch (p) {
      case "/healthz":
        return sendJson(res, 200, { status: "ok" });
      case "/readyz": {
        const s = status();
        const ready = s.ready && !draining;
        // Backend error texts only where the status page is served (they can name internal hosts).
        const backendsOut = s.backends.map((b) => ({ name: b.name, state: b.state, healthy: b.healthy, ...(opsHere && b.lastError ? { lastError: b.lastError } : {}) }));
        return sendJson(res, ready ? 200 : 503, { ready, signingKeys: s.signingKeys, ...(draining ? { draining } : {}), backends: backendsOut });
      }
      case "/metrics": {
        if (!opsHere) return sendJson(res, 404, { error: "not_found" });
        const text = await metrics.registry.metrics();
        res.writeHead(200, { "content-type": metrics.registry.contentType });
        res.end(text);
        return;
      }
      case "/": {
        if (!opsHere) return sendJson(res, 404, { error: "not_found" });
        const s = status();
        const declared = new Set(compiled.matrix.tools);
        const html = statusPage({
          team: compiled.spec.team,
          environment: compiled.spec.environment,
          mcpUrl: publicMcpUrl,
          resourceUrl: opts.resourceUrl,
          issuer: opts.issuer,
          matrix: compiled.matrix,
          backends: s.backends,
          undeclaredTools: s.tools.filter((t) => !declared.has(t)),
          anonymousDev: !!opts.anonymousDev,
        });
        res.writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store", "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'" });
        res.end(html);
        return;
      }
      default:
        if (admin) return sendJson(res, 404, { error: "not_found" });
        if (p === prmPath || p === "/.well-known/oauth-protected-resource" || p === "/.well-known/oauth-protected-resource/mcp") {
          return sendJson(res, 200, prm, { "cache-control": "max-age=300" });
        }
        return sendJson(res, 404, { error: "not_found" });
    }
  };

  // Node's own backstops for slow clients, derived from bodyTimeoutMs (its defaults: headers 60 s,
  // whole request 5 min, checked every 30 s). The body deadline itself is http/body.ts's (408).
  const serverOptions: http.ServerOptions = {
    noDelay: true,
    keepAliveTimeout: 65_000,
    headersTimeout: Math.min(limits.bodyTimeoutMs, 30_000),
    requestTimeout: limits.bodyTimeoutMs + 10_000,
    connectionsCheckingInterval: Math.min(Math.max(Math.floor(limits.bodyTimeoutMs / 2), 250), 30_000),
  };
  const serve = (listener: "public" | "admin") => (req: http.IncomingMessage, res: http.ServerResponse) => {
    handler(req, res, listener).catch((e) => {
      // The exception's text is logged, never sent: the client gets a fixed message.
      log({ level: "error", msg: "http.unhandled", error: (e as Error)?.message, stack: (e as Error)?.stack?.split("\n").slice(0, 4).join(" | ") });
      if (!res.headersSent) sendJson(res, 500, rpcError(null, RpcCode.InternalError, "internal error"));
      else res.destroy();
    });
  };
  const listen = (srv: http.Server, p: number, h: string) =>
    new Promise<string>((resolve, reject) => {
      srv.once("error", reject);
      srv.listen(p, h, () => {
        srv.off("error", reject);
        const a = srv.address() as AddressInfo;
        resolve(`http://${a.family === "IPv6" ? `[${a.address}]` : a.address}:${a.port}`);
      });
    });
  const server = http.createServer(serverOptions, serve("public"));
  const url = await listen(server, port, host);
  const mcpUrl = `${url}/mcp`;
  const publicMcpUrl = new URL("/mcp", opts.resourceUrl).href;
  let adminServer: http.Server | undefined;
  let adminUrl: string | undefined;
  if (limits.adminPort !== null) {
    adminServer = http.createServer(serverOptions, serve("admin"));
    try {
      adminUrl = await listen(adminServer, limits.adminPort, limits.adminHost);
    } catch (e) {
      server.close();
      throw new Error(`the admin listener cannot listen on ${limits.adminHost}:${limits.adminPort}: ${(e as Error).message}; set adminPort to a free port (0: any), or null for none`);
    }
  }

  let startupTimer: NodeJS.Timeout | undefined;
  const ready = new Promise<void>((resolve, reject) => {
    const check = () => {
      if (backends.every((b) => b.everReady)) {
        if (startupTimer) clearTimeout(startupTimer);
        resolve();
      }
    };
    router.onStateChange = check;
    const ms = opts.startupTimeoutMs ?? DEFAULTS.startupTimeoutMs;
    startupTimer = setTimeout(() => {
      const down = backends.filter((b) => !b.everReady).map((b) => `${b.name}${b.lastError ? ` (${b.lastError})` : ""}`);
      reject(new Error(`backends not ready after ${ms} ms: ${down.join(", ")}`));
    }, ms);
    startupTimer.unref();
    check();
  });
  ready.catch(() => {}); // a caller that never awaits `ready` must not crash the process

  log({
    msg: "gateway.start",
    url,
    mcpUrl: publicMcpUrl,
    team: compiled.spec.team,
    environment: compiled.spec.environment,
    issuer: opts.issuer,
    resource: opts.resourceUrl,
    backends: launches.map((l) => ({ name: l.name, transport: l.command ? "stdio" : "http" })),
    anonymousDev: !!opts.anonymousDev,
    decisionCache,
    adminUrl,
    publicOps: limits.publicOps,
    maxSessionsPerPrincipal: limits.maxSessionsPerPrincipal,
    bodyTimeoutMs: limits.bodyTimeoutMs,
    sessionStorage: opts.sessionStorage ? { provider: "redis", address: opts.sessionStorage.redis.address, db: opts.sessionStorage.redis.db ?? 0 } : { provider: "memory" },
  });
  if (opts.anonymousDev) log({ level: "warn", msg: "gateway.anonymous_dev", user: opts.anonymousDev.claims.sub, note: "requests without a token run as this development identity" });
  verifier.warmUp();
  for (const b of backends) b.start();

  // Idle sessions are swept a few times per idle period (at most every minute).
  const sweeper = setInterval(
    () => {
      const cutoff = Date.now() - limits.sessionIdleMs;
      for (const s of router.sessions.values()) {
        if (s.lastSeen < cutoff && !s.stream?.open && s.calls.size === 0) router.closeSession(s, "idle");
      }
    },
    Math.min(60_000, Math.max(250, Math.floor(limits.sessionIdleMs / 4))),
  );
  sweeper.unref();

  // Health probes: a backend that stops answering (stalled, not dead) makes /readyz fail.
  let prober: NodeJS.Timeout | undefined;
  if (limits.healthIntervalMs > 0) {
    prober = setInterval(() => {
      for (const b of backends) {
        void b.probe(limits.healthTimeoutMs).then((changed) => {
          if (changed) metrics.backendUp.set({ backend: b.name }, b.state === "ready" && b.healthy ? 1 : 0);
        });
      }
    }, limits.healthIntervalMs);
    prober.unref();
  }

  let closing: Promise<void> | undefined;
  const signals: NodeJS.Signals[] = ["SIGTERM", "SIGINT"];
  const onSignal = (sig: NodeJS.Signals) => {
    log({ msg: "gateway.signal", signal: sig });
    void close().then(() => {
      if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
    });
  };
  const close = (): Promise<void> => {
    closing ??= (async () => {
      clearInterval(sweeper);
      if (prober) clearInterval(prober);
      if (startupTimer) clearTimeout(startupTimer);
      for (const s of signals) process.off(s, onSignal);
      verifier.close();
      // Only this process's copies: with shared sessions, other replicas continue them.
      for (const s of [...router.sessions.values()]) router.closeSession(s, "gateway shutting down");
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await Promise.all(backends.map((b) => b.close()));
      server.closeAllConnections();
      await closed;
      if (adminServer) {
        const adminClosed = new Promise<void>((resolve) => adminServer!.close(() => resolve()));
        adminServer.closeAllConnections();
        await adminClosed;
      }
      await shared?.close();
      log({ msg: "gateway.stop" });
    })();
    return closing;
  };
  if (opts.handleSignals ?? true) for (const s of signals) process.once(s, onSignal);

  const drain = () => {
    if (!draining) log({ msg: "gateway.draining" });
    draining = true;
  };
  const inFlight = () => backends.reduce((n, b) => n + b.inFlight, 0);
  return { url, mcpUrl, publicMcpUrl, adminUrl, ready, close, status, metrics: metrics.registry, drain, inFlight };
}
