/**
 * The gateway's embedded OAuth 2.0 authorization server, mirroring vMCP's `authServerConfig`
 * (ToolHive v0.44.0 pkg/authserver) on oidc-provider:
 *
 *   MCP client ─register─▶ /oauth/register (RFC 7591, public clients, 1/s burst 5)
 *              ─authorize▶ /oauth/authorize (code, PKCE S256 only, exact redirect URI)
 *                 ─▶ /oauth/interaction/<uid> ─▶ upstream IdP (Okta / dev IdP; PKCE, state, nonce)
 *                 ◀─ /oauth/callback: code exchanged, ID token checked, upstream tokens kept per session
 *              ◀─code─ /oauth/authorize/<uid> (resume)
 *              ─token─▶ /oauth/token (authorization_code, refresh_token; codes single-use, refresh rotated)
 *
 * Endpoint paths and metadata follow pkg/authserver/server/handlers/handler.go and discovery.go:
 * `/.well-known/openid-configuration` and `/.well-known/oauth-authorization-server` (with the
 * RFC 8414 path-insertion forms), `/.well-known/jwks.json`, `/oauth/{authorize,callback,token,register}`.
 * Access tokens are JWTs for exactly the gateway's resource URL (handlers/token.go: the sole allowed
 * audience), with `sub` the gateway's user id, `client_id`, `tsid` (the session holding the upstream
 * tokens), and `name`/`email` from the upstream ID token (server/session/session.go).
 */
import type * as http from "node:http";
import Provider, { errors, interactionPolicy, type Configuration } from "oidc-provider";
import * as oidc from "openid-client";
import { kvAdapterFactory } from "./adapter";
import { cookieKeysFrom, loadSigningKeys, type SigningKeyInput, type SigningKeySet } from "./keys";
import { DEFAULT_LIFESPANS, type Lifespans } from "./lifespans";
import { TokenBucket } from "./rateLimit";
import { resolveUserId, UpstreamSessions } from "./sessions";
import { MemoryStore, RedisStore, type KeyValueStore, type RedisStoreOptions } from "./store";
import { Upstream, type UpstreamOptions } from "./upstream";
import { CLIENT_SCOPES } from "../../components/kubernetes/objects";

/** ToolHive's registration.DefaultScopes: what the server advertises and clients may ask for (the stack sets the same list on vMCP). */
export const DEFAULT_SCOPES: readonly string[] = CLIENT_SCOPES;
/** handlers/authorize.go keeps a pending upstream authorization this long (storage DefaultPendingAuthorizationTTL). */
const PENDING_TTL_SECONDS = 600;
/** handlers/discovery.go: Cache-Control max-age of discovery and JWKS. */
const METADATA_MAX_AGE = 3600;

export type AuthServerStorage = { type: "memory" } | ({ type: "redis" } & RedisStoreOptions) | { type: "custom"; store: KeyValueStore };

export interface AuthServerOptions {
  /** The issuer: the gateway's public URL (origin, no path), as `authServerConfig.issuer` = the stack endpoint. */
  issuer: string;
  /** The protected resource: the only audience tokens are issued for (default: the issuer). */
  resourceUrl?: string;
  /** The upstream provider, or how to reach it. */
  upstream: Upstream | UpstreamOptions;
  /** Signing keys, newest first (index 0 signs). */
  signingKeys: readonly SigningKeyInput[];
  /** HMAC secrets, newest first (≥ 32 bytes each). */
  hmacSecrets: readonly Buffer[];
  /**
   * Token lifespans (default 1h / 168h / 10m). Read from the stack with lifespansFrom(); tests may
   * pass values under ToolHive's floors to watch tokens expire.
   */
  lifespans?: Partial<Lifespans>;
  /** Default memory, as `authServerConfig.storage`. */
  storage?: AuthServerStorage;
  scopesSupported?: readonly string[];
  /** Registration rate limit (default 1/s, burst 5). */
  registrationRate?: { perSecond: number; burst: number };
  log?: (line: Record<string, unknown>) => void;
  /**
   * Development only: the gateway also accepts the upstream's own access tokens (the dev IdP's,
   * for scripts: `vmcp-okta dev token`). vMCP accepts only its own tokens; so does production.
   */
  acceptUpstreamTokens?: boolean;
  /** How long the gateway remembers a resolved token (default 5 000 ms; 0 disables). */
  verifierCacheTtlMs?: number;
}

export interface EmbeddedAuthServer {
  issuer: string;
  resourceUrl: string;
  scopesSupported: readonly string[];
  lifespans: Lifespans;
  keys: SigningKeySet;
  sessions: UpstreamSessions;
  upstream: Upstream;
  /** The oidc-provider instance (for tests and diagnostics). */
  provider: Provider;
  acceptUpstreamTokens: boolean;
  verifierCacheTtlMs?: number;
  /** Serves the request when it is one of the authorization server's; resolves false otherwise. */
  handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<boolean>;
  close(): Promise<void>;
}

function esc(s: unknown): string {
  return String(s ?? "").replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function sendPage(res: http.ServerResponse, status: number, title: string, text: string): void {
  res.writeHead(status, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store", "content-security-policy": "default-src 'none'" });
  res.end(`<!doctype html><meta charset="utf-8"><title>${esc(title)}</title><h1>${esc(title)}</h1><p>${esc(text)}</p>`);
}

/** Same resource, ignoring the trailing slash URL serialisers add to an origin. */
function sameResource(indicator: string, resourceUrl: string): boolean {
  try {
    const a = new URL(indicator);
    return !a.hash && a.href.replace(/\/$/, "") === new URL(resourceUrl).href.replace(/\/$/, "");
  } catch {
    return false;
  }
}

function originOnly(name: string, value: string): string {
  const u = new URL(value);
  if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error(`${name} must be an http(s) URL, got ${value}`);
  if (u.pathname !== "/" || u.search || u.hash || value.endsWith("/")) throw new Error(`${name} must be an origin without path or trailing slash, got ${value}`);
  return value;
}

async function storeFor(s: AuthServerStorage | undefined): Promise<KeyValueStore> {
  if (!s || s.type === "memory") return new MemoryStore();
  if (s.type === "custom") return s.store;
  const r = new RedisStore(s);
  await r.ready();
  return r;
}

export async function createAuthServer(o: AuthServerOptions): Promise<EmbeddedAuthServer> {
  const issuer = originOnly("issuer", o.issuer);
  const resourceUrl = o.resourceUrl ?? issuer;
  const log = o.log ?? (() => {});
  const lifespans: Lifespans = { ...DEFAULT_LIFESPANS, ...o.lifespans };
  const scopesSupported = [...(o.scopesSupported ?? DEFAULT_SCOPES)];
  const keys = await loadSigningKeys(o.signingKeys);
  const cookieKeys = cookieKeysFrom(o.hmacSecrets);
  const upstream = o.upstream instanceof Upstream ? o.upstream : await Upstream.connect(o.upstream);
  const store = await storeFor(o.storage);
  const ownsStore = o.storage?.type !== "custom";
  const limiter = new TokenBucket(o.registrationRate?.perSecond ?? 1, o.registrationRate?.burst ?? 5);

  // Each authorization signs in upstream, as ToolHive's authorize handler always redirects to the
  // upstream IdP: the login prompt stays pending until this interaction carries a login result.
  const policy = interactionPolicy.base();
  policy.get("login")!.checks.add(new interactionPolicy.Check("upstream_sign_in", "every authorization signs in at the upstream identity provider", (ctx) => !ctx.oidc.result?.login));

  let provider!: Provider;
  const sessions = new UpstreamSessions(
    store,
    upstream,
    // The upstream session cannot be refreshed: end the grant too, so the client's refresh token
    // fails and it signs in again instead of receiving access tokens for a dead session.
    async (tsid) => {
      await provider.Grant.adapter.destroy(tsid);
      for (const model of [provider.RefreshToken, provider.AuthorizationCode, provider.AccessToken]) await model.adapter.revokeByGrantId(tsid);
    },
    log,
  );

  const resourceServer = () => ({
    scope: scopesSupported.join(" "),
    audience: resourceUrl,
    accessTokenFormat: "jwt" as const,
    accessTokenTTL: lifespans.accessTokenSeconds,
    jwt: { sign: { alg: keys.alg } },
  });

  const configuration: Configuration = {
    // Grant revocation (code reuse, refresh-token reuse) also ends the upstream session, so access
    // tokens already issued from that grant stop working at the gateway too.
    adapter: kvAdapterFactory(store, (grantId) => sessions.delete(grantId)),
    jwks: { keys: keys.privateJwks as unknown as NonNullable<Configuration["jwks"]>["keys"] },
    cookies: { keys: cookieKeys as unknown as string[] },
    scopes: scopesSupported,
    claims: { openid: ["sub"] },
    async findAccount(_ctx, id) {
      return { accountId: id, claims: async () => ({ sub: id }) };
    },
    // Public clients only (ToolHive's default: allowConfidentialClientRegistration false).
    clientAuthMethods: ["none"],
    clientDefaults: {
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: "none",
      id_token_signed_response_alg: keys.alg,
    },
    enabledJWA: { idTokenSigningAlgValues: [keys.alg] },
    responseTypes: ["code"],
    pkce: { methods: ["S256"], required: () => true },
    // fosite rotates refresh tokens on every use and revokes the family when an old one comes back
    // (handler/oauth2/flow_refresh.go); oidc-provider does the same with rotation always on.
    rotateRefreshToken: true,
    interactions: { policy, url: (_ctx, interaction) => `/oauth/interaction/${interaction.uid}` },
    // The grant is the one the callback created for this authorization, never one remembered from
    // an earlier sign-in: each authorization has its own upstream session.
    async loadExistingGrant(ctx) {
      const grantId = ctx.oidc.result?.consent?.grantId;
      return grantId ? ctx.oidc.provider.Grant.find(grantId) : undefined;
    },
    async extraTokenClaims(_ctx, token) {
      const grantId = (token as { grantId?: string }).grantId;
      if (!grantId) return undefined;
      const s = await sessions.get(grantId);
      return { tsid: grantId, ...(s?.name ? { name: s.name } : {}), ...(s?.email ? { email: s.email } : {}) };
    },
    features: {
      devInteractions: { enabled: false },
      registration: { enabled: true },
      userinfo: { enabled: false },
      rpInitiatedLogout: { enabled: false },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => resourceUrl,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, indicator) => {
          if (!sameResource(indicator, resourceUrl)) throw new errors.InvalidTarget(`this authorization server issues tokens only for ${resourceUrl}`);
          return resourceServer();
        },
      },
    },
    routes: {
      authorization: "/oauth/authorize",
      token: "/oauth/token",
      registration: "/oauth/register",
      jwks: "/.well-known/jwks.json",
    },
    ttl: {
      AccessToken: lifespans.accessTokenSeconds,
      AuthorizationCode: lifespans.authCodeSeconds,
      RefreshToken: lifespans.refreshTokenSeconds,
      Grant: lifespans.refreshTokenSeconds,
      IdToken: lifespans.accessTokenSeconds,
      Interaction: PENDING_TTL_SECONDS,
      Session: PENDING_TTL_SECONDS,
    },
    renderError(ctx, out) {
      ctx.type = "html";
      ctx.body = `<!doctype html><meta charset="utf-8"><title>Sign-in error</title><h1>${esc(out.error)}</h1><p>${esc(out.error_description)}</p>`;
    },
  };

  provider = new Provider(issuer, configuration);
  // oidc-provider builds endpoint URLs from the request's Host and scheme. Every URL it announces
  // must be the issuer's (one public URL; no Host-header games with cached metadata), and TLS ends
  // at the ingress: so requests reach it as if addressed to the issuer (see `pass`).
  provider.proxy = true;
  const issuerUrl = new URL(issuer);
  provider.on("server_error", (_ctx, err) => log({ level: "error", msg: "authserver.server_error", error: err.message }));
  provider.on("grant.error", (_ctx, err) => log({ level: "info", msg: "authserver.token_refused", error: err.message }));
  provider.on("registration_create.success", (_ctx, client) => log({ level: "info", msg: "authserver.client_registered", client: client.clientId, name: client.clientName }));
  const callback = provider.callback();

  const asIfToIssuer = (req: http.IncomingMessage) => {
    req.headers.host = issuerUrl.host;
    req.headers["x-forwarded-proto"] = issuerUrl.protocol.slice(0, -1);
    delete req.headers["x-forwarded-host"];
  };
  const pass = (req: http.IncomingMessage, res: http.ServerResponse) => {
    asIfToIssuer(req);
    callback(req, res);
  };

  async function startUpstream(req: http.IncomingMessage, res: http.ServerResponse, uid: string): Promise<void> {
    const details = await provider.interactionDetails(req, res);
    if (details.uid !== uid) throw new Error("this sign-in belongs to another browser session");
    if (details.prompt.name === "consent") {
      // Signed in a moment ago on this very request: the upstream sign-in was the consent (vMCP
      // shows no consent page). Grant what is still missing to this authorization's grant.
      const d = details.prompt.details as { missingOIDCScope?: string[]; missingResourceScopes?: Record<string, string[]> };
      const grant = details.grantId ? await provider.Grant.find(details.grantId) : undefined;
      if (!grant) throw new Error("this sign-in has no grant; start again");
      if (d.missingOIDCScope) grant.addOIDCScope(d.missingOIDCScope.join(" "));
      for (const [indicator, scopes] of Object.entries(d.missingResourceScopes ?? {})) grant.addResourceScope(indicator, scopes.join(" "));
      await grant.save();
      await provider.interactionFinished(req, res, { consent: {} }, { mergeWithLastSubmission: true });
      return;
    }
    const state = oidc.randomState();
    const codeVerifier = oidc.randomPKCECodeVerifier();
    const nonce = oidc.randomNonce();
    await store.set(`pending:${state}`, { uid, codeVerifier, nonce }, PENDING_TTL_SECONDS);
    const target = upstream.authorizationUrl({ state, codeChallenge: await oidc.calculatePKCECodeChallenge(codeVerifier), nonce });
    res.writeHead(303, { location: target, "cache-control": "no-store" }).end();
  }

  async function finishUpstream(req: http.IncomingMessage, res: http.ServerResponse, query: URLSearchParams): Promise<void> {
    const state = query.get("state") ?? "";
    // Single use: the pending authorization is gone once read (handlers/callback.go).
    const pending = state ? await store.take<{ uid: string; codeVerifier: string; nonce: string }>(`pending:${state}`) : undefined;
    if (!pending) return sendPage(res, 400, "Sign-in expired", "This sign-in is unknown or has expired. Start again from your MCP client.");
    const interaction = await provider.Interaction.find(pending.uid);
    if (!interaction) return sendPage(res, 400, "Sign-in expired", "This sign-in has expired. Start again from your MCP client.");
    const finish = async (result: Record<string, unknown>) => {
      interaction.result = result;
      await interaction.save(Math.max(1, interaction.exp - Math.floor(Date.now() / 1000)));
      res.writeHead(303, { location: interaction.returnTo, "cache-control": "no-store" }).end();
    };
    if (query.get("error")) {
      // Details stay in the log; the client learns only that the upstream said no.
      log({ level: "warn", msg: "authserver.upstream_error", error: query.get("error"), description: query.get("error_description") });
      return finish({ error: "access_denied", error_description: "upstream authentication failed" });
    }
    let identity;
    try {
      identity = await upstream.exchange(query, { state, codeVerifier: pending.codeVerifier, nonce: pending.nonce });
    } catch (e) {
      log({ level: "warn", msg: "authserver.upstream_exchange_failed", error: (e as Error).message });
      return finish({ error: "server_error", error_description: "failed to exchange the upstream authorization code" });
    }
    const clientId = String(interaction.params.client_id);
    const userId = await resolveUserId(store, upstream.name, identity.subject, lifespans.refreshTokenSeconds * 4);
    const requested = String(interaction.params.scope ?? "").split(" ").filter((s) => scopesSupported.includes(s));
    const grant = new provider.Grant({ accountId: userId, clientId });
    if (requested.length) {
      grant.addOIDCScope(requested.join(" "));
      // Under the indicator the client sent (the resource URL, maybe with a trailing slash).
      const indicator = typeof interaction.params.resource === "string" ? interaction.params.resource : resourceUrl;
      grant.addResourceScope(indicator, requested.join(" "));
    }
    const grantId = await grant.save();
    const now = Date.now();
    await sessions.save(grantId, {
      providerId: upstream.name,
      accessToken: identity.tokens.accessToken,
      refreshToken: identity.tokens.refreshToken,
      idToken: identity.tokens.idToken,
      expiresAt: identity.tokens.expiresAt,
      sessionExpiresAt: now + lifespans.refreshTokenSeconds * 1000,
      userId,
      upstreamSubject: identity.subject,
      clientId,
      name: identity.name,
      email: identity.email,
    });
    log({ level: "info", msg: "authserver.signed_in", provider: upstream.name, client: clientId });
    return finish({ login: { accountId: userId, remember: false }, consent: { grantId } });
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<boolean> {
    const url = new URL(req.url ?? "/", "http://authserver.invalid");
    const p = url.pathname;
    const method = req.method ?? "GET";
    // Discovery: both documents (and their RFC 8414 §3.1 path-insertion forms) are oidc-provider's
    // OpenID configuration, which holds every RFC 8414 field.
    if (/^\/\.well-known\/(openid-configuration|oauth-authorization-server)(\/.*)?$/.test(p)) {
      if (method !== "GET" && method !== "HEAD") return false;
      req.url = `/.well-known/openid-configuration${url.search}`;
      res.setHeader("cache-control", `public, max-age=${METADATA_MAX_AGE}`);
      pass(req, res);
      return true;
    }
    if (p === "/.well-known/jwks.json") {
      res.setHeader("cache-control", `public, max-age=${METADATA_MAX_AGE}`);
      pass(req, res);
      return true;
    }
    if (!p.startsWith("/oauth/")) return false;
    asIfToIssuer(req);
    try {
      if (p === "/oauth/register" && method === "POST" && !limiter.take()) {
        res.writeHead(429, { "retry-after": "1", "content-type": "application/json" });
        res.end(JSON.stringify({ error: "rate_limited", error_description: "rate limit exceeded, retry later" }));
        return true;
      }
      if (p === "/oauth/callback" && method === "GET") {
        await finishUpstream(req, res, url.searchParams);
        return true;
      }
      const interaction = /^\/oauth\/interaction\/([A-Za-z0-9_-]{1,64})$/.exec(p);
      if (interaction && method === "GET") {
        await startUpstream(req, res, interaction[1]);
        return true;
      }
      if (p === "/oauth/authorize" && method === "GET") {
        // OIDC Core §11 has oidc-provider drop offline_access unless prompt=consent; fosite grants it
        // (and so a refresh token) on the scope alone. Consent is given at the upstream sign-in.
        const scope = url.searchParams.get("scope") ?? "";
        if (scope.split(" ").includes("offline_access") && !url.searchParams.has("prompt")) {
          url.searchParams.set("prompt", "consent");
          req.url = `${p}?${url.searchParams.toString()}`;
        }
      }
      pass(req, res);
      return true;
    } catch (e) {
      log({ level: "warn", msg: "authserver.interaction_failed", error: (e as Error).message });
      if (!res.headersSent) sendPage(res, 400, "Sign-in failed", `${(e as Error).message}. Start again from your MCP client.`);
      return true;
    }
  }

  return {
    issuer,
    resourceUrl,
    scopesSupported,
    lifespans,
    keys,
    sessions,
    upstream,
    provider,
    acceptUpstreamTokens: o.acceptUpstreamTokens ?? false,
    verifierCacheTtlMs: o.verifierCacheTtlMs,
    handle,
    async close() {
      if (ownsStore) await store.close();
    },
  };
}
