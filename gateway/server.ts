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
import { TokenError, TokenVerifier } from "./auth/tokenVerifier";
import { checkHost, hostPolicy } from "./http/hostCheck";
import { McpEndpoint } from "./http/mcpEndpoint";
import { sendJson } from "./http/replies";
import { rpcError, RpcCode } from "./mcp/jsonrpc";
import { Router, type Identity } from "./mcp/router";
import { policiesReadArguments } from "./mcp/decisionCache";
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
  /** Resolves when every backend has answered initialize (rejects after startupTimeoutMs). */
  ready: Promise<void>;
  close(): Promise<void>;
  /** Live state of backends and sessions (also shown at `/`). */
  status(): GatewayStatus;
  /** The gateway's own Prometheus registry (served at /metrics). */
  metrics: Registry;
}

const DEFAULTS = {
  host: "127.0.0.1",
  port: 8080,
  requestTimeoutMs: 60_000,
  maxBodyBytes: 4 * 1024 * 1024,
  initTimeoutMs: 30_000,
  startupTimeoutMs: 60_000,
  sessionIdleMs: 30 * 60_000,
  sseKeepAliveMs: 15_000,
};

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
  const verifier = new TokenVerifier({
    issuer: opts.issuer,
    audience: opts.audience ?? opts.resourceUrl,
    clockToleranceSec: opts.clockToleranceSec,
    jwksCooldownMs: opts.jwksCooldownMs,
    jwksRefreshMs: opts.jwksRefreshMs,
    tokenCacheTtlMs: opts.tokenCacheTtlMs,
    log,
  });

  const backends: Backend[] = [];
  const decisionCache = (opts.decisionCache ?? true) && !policiesReadArguments(compiled.authorizer);
  const router = new Router({ compiled, backends, metrics, log, serverInfo: { name: "vmcp-okta-gateway", version }, decisionCache });
  for (const l of launches) {
    backends.push(
      new Backend(l, { requestTimeoutMs, initTimeoutMs: opts.initTimeoutMs ?? DEFAULTS.initTimeoutMs, cwd: opts.cwd ?? process.cwd(), clientInfo: { name: "vmcp-okta-gateway", version } }, router),
    );
  }

  const hosts = hostPolicy(opts.resourceUrl, host, opts.allowedHosts);
  const endpoint = new McpEndpoint({ router, metrics, maxBodyBytes: opts.maxBodyBytes ?? DEFAULTS.maxBodyBytes, sseKeepAliveMs: opts.sseKeepAliveMs ?? DEFAULTS.sseKeepAliveMs });
  const prmPath = metadataPath(opts.resourceUrl);
  const prmUrl = metadataUrl(opts.resourceUrl);
  const prm = protectedResourceMetadata(opts.resourceUrl, opts.issuer, `${compiled.spec.team} MCP gateway`);
  const isReady = () => backends.every((b) => b.state === "ready");

  const status = (): GatewayStatus => ({
    ready: isReady(),
    sessions: router.sessions.size,
    backends: backends.map((b) => ({
      name: b.name,
      transport: b.transport,
      state: b.state,
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

  const handler = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    const p = q === -1 ? url : url.slice(0, q);
    if (p === "/mcp") {
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
        return sendJson(res, s.ready ? 200 : 503, { ready: s.ready, backends: s.backends.map((b) => ({ name: b.name, state: b.state, lastError: b.lastError })) });
      }
      case "/metrics": {
        const text = await metrics.registry.metrics();
        res.writeHead(200, { "content-type": metrics.registry.contentType });
        res.end(text);
        return;
      }
      case "/": {
        const s = status();
        const declared = new Set(compiled.matrix.tools);
        const html = statusPage({
          team: compiled.spec.team,
          environment: compiled.spec.environment,
          mcpUrl,
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
        if (p === prmPath || p === "/.well-known/oauth-protected-resource" || p === "/.well-known/oauth-protected-resource/mcp") {
          return sendJson(res, 200, prm, { "cache-control": "max-age=300" });
        }
        return sendJson(res, 404, { error: "not_found" });
    }
  };

  const server = http.createServer({ noDelay: true, keepAliveTimeout: 65_000 }, (req, res) => {
    handler(req, res).catch((e) => {
      log({ level: "error", msg: "http.unhandled", error: (e as Error).message });
      if (!res.headersSent) sendJson(res, 500, rpcError(null, RpcCode.InternalError, "internal error"));
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const urlHost = addr.family === "IPv6" ? `[${addr.address}]` : addr.address;
  const url = `http://${urlHost}:${addr.port}`;
  const mcpUrl = `${url}/mcp`;

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
    mcpUrl,
    team: compiled.spec.team,
    environment: compiled.spec.environment,
    issuer: opts.issuer,
    resource: opts.resourceUrl,
    backends: launches.map((l) => ({ name: l.name, transport: l.command ? "stdio" : "http" })),
    anonymousDev: !!opts.anonymousDev,
    decisionCache,
  });
  if (opts.anonymousDev) log({ level: "warn", msg: "gateway.anonymous_dev", user: opts.anonymousDev.claims.sub, note: "requests without a token run as this development identity" });
  verifier.warmUp();
  for (const b of backends) b.start();

  const sweeper = setInterval(() => {
    const cutoff = Date.now() - (opts.sessionIdleMs ?? DEFAULTS.sessionIdleMs);
    for (const s of router.sessions.values()) {
      if (s.lastSeen < cutoff && !s.stream?.open && s.calls.size === 0) router.closeSession(s, "idle");
    }
  }, 60_000);
  sweeper.unref();

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
      if (startupTimer) clearTimeout(startupTimer);
      for (const s of signals) process.off(s, onSignal);
      verifier.close();
      for (const s of [...router.sessions.values()]) router.closeSession(s, "gateway shutting down");
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await Promise.all(backends.map((b) => b.close()));
      server.closeAllConnections();
      await closed;
      log({ msg: "gateway.stop" });
    })();
    return closing;
  };
  if (opts.handleSignals ?? true) for (const s of signals) process.once(s, onSignal);

  return { url, mcpUrl, ready, close, status, metrics: metrics.registry };
}
