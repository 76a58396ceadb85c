/**
 * The embedded development identity provider: an OAuth 2.0 / OIDC authorization server built on
 * `oidc-provider`, shaped like an Okta custom authorization server so the gateway sees exactly what
 * it would see behind Okta.
 *
 * - Issuer `http://<host>:<port>/oauth2/default`; discovery at `{issuer}/.well-known/openid-configuration`
 *   (also at the RFC 8414 path-insertion forms MCP clients try); JWKS at `{issuer}/v1/keys`, token
 *   endpoint `{issuer}/v1/token`, authorization `{issuer}/v1/authorize`, as Okta names them.
 * - Access tokens: RS256 JWTs, Okta's claim set (see claims.ts), `aud` = the gateway's resource URL,
 *   `groups` = the user's groups after the team's "Starts with <prefix>" filter.
 * - Scripted minting, no browser: a registered extension grant
 *   (`urn:vmcp-okta:params:oauth:grant-type:dev-login`, parameter `login`) for the confidential client
 *   `vmcp-okta-dev`, whose secret lives with the signing key. `mintToken()` uses it over HTTP.
 * - Interactive: authorization code + PKCE with dynamic client registration (for MCP clients), with a
 *   sign-in page listing the development users (interactions.ts).
 * - Signing key and client secret persist in `.vmcp-okta/dev-idp/` (state.ts).
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import Provider, { errors, type Configuration, type KoaContextWithOIDC, type ResourceServer } from "oidc-provider";
import type { TeamSpec } from "../../components/spec/types";
import { DEV_ISSUER_PATH, findDevUser, type DevUser } from "../../components/dev/config";
import { memoryAdapterFactory } from "./adapter";
import { DEFAULT_TOKEN_SCOPES, DEV_SCOPES, oktaAccessTokenClaims } from "./claims";
import { interactionHandler } from "./interactions";
import { loadOrCreateState } from "./state";

export const DEV_LOGIN_GRANT = "urn:vmcp-okta:params:oauth:grant-type:dev-login";
export const DEV_CLIENT_ID = "vmcp-okta-dev";

export interface DevIdpOptions {
  spec: Pick<TeamSpec, "cedar" | "claimFilter">;
  users: readonly DevUser[];
  /** The gateway's resource URL: every access token's audience. */
  resourceUrl: string;
  /** Listen address (default 127.0.0.1) and port (0 = any free port). */
  host?: string;
  port?: number;
  /** Issuer to announce; default `http://<host>:<bound port>/oauth2/default`. */
  issuer?: string;
  /** Folder holding the persistent signing key (see state.ts). */
  stateDir: string;
  tokenTtlSeconds?: number;
  logger?: (line: object) => void;
}

export interface DevIdp {
  issuer: string;
  /** `{issuer}/.well-known/openid-configuration` */
  discoveryUrl: string;
  jwksUri: string;
  tokenEndpoint: string;
  /** The scripted-minting client (HTTP Basic auth at the token endpoint). */
  clientId: string;
  clientSecret: string;
  port: number;
  users: readonly DevUser[];
  /** Mints an access token for a development user through the token endpoint. */
  mintToken(login: string, opts?: { scopes?: string[] }): Promise<string>;
  /**
   * Signs a user out everywhere: sessions, grants and refresh tokens end (Okta's "clear user
   * sessions" with OAuth tokens), so a client holding a refresh token must sign in again.
   * Access tokens already issued stay valid until they expire, as Okta's JWTs do.
   */
  endUserSessions(login: string): number;
  close(): Promise<void>;
}

function loopbackFor(host: string): string {
  if (host === "0.0.0.0") return "127.0.0.1";
  if (host === "::" || host === "[::]") return "[::1]";
  return host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
}

/** True when `indicator` names the gateway (its origin, or a path under it such as `/mcp`). */
function isGatewayResource(indicator: string, resourceUrl: string): boolean {
  try {
    const a = new URL(indicator);
    const b = new URL(resourceUrl);
    return a.origin === b.origin && !a.search && !a.hash;
  } catch {
    return false;
  }
}

export async function startDevIdp(opts: DevIdpOptions): Promise<DevIdp> {
  const { state } = loadOrCreateState(opts.stateDir);
  const host = opts.host ?? "127.0.0.1";
  const ttl = opts.tokenTtlSeconds ?? 8 * 3600;
  const log = opts.logger ?? (() => {});
  const groupClaimName = opts.spec.cedar.groupClaimName ?? "groups";
  const users = opts.users;

  // Listen first, so the issuer can name the bound port when port 0 was asked for.
  let handler: http.RequestListener = (_req, res) => {
    res.writeHead(503).end();
  };
  const server = http.createServer((req, res) => handler(req, res));
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const issuer = opts.issuer ?? `http://${loopbackFor(host)}:${port}${DEV_ISSUER_PATH}`;
  const base = new URL(issuer).pathname.replace(/\/$/, "");
  const localBase = `http://${loopbackFor(host)}:${port}${base}`;

  const resourceServerInfo = (): ResourceServer => ({
    scope: DEV_SCOPES.join(" "),
    audience: opts.resourceUrl,
    accessTokenFormat: "jwt",
    accessTokenTTL: ttl,
    jwt: { sign: { alg: "RS256" } },
  });

  const storage = memoryAdapterFactory();
  const configuration: Configuration = {
    adapter: storage,
    clients: [
      {
        client_id: DEV_CLIENT_ID,
        client_secret: state.clientSecret,
        client_name: "vmcp-okta dev token",
        grant_types: [DEV_LOGIN_GRANT],
        response_types: [],
        redirect_uris: [],
        token_endpoint_auth_method: "client_secret_basic",
      },
    ],
    jwks: { keys: state.keys as unknown as NonNullable<Configuration["jwks"]>["keys"] },
    cookies: { keys: state.cookieKeys },
    scopes: [...DEV_SCOPES],
    claims: {
      openid: ["sub"],
      email: ["email", "email_verified"],
      profile: ["preferred_username"],
      groups: [groupClaimName],
    },
    async findAccount(_ctx, id) {
      const user = findDevUser(users, id);
      if (!user) return undefined;
      return {
        accountId: user.login,
        async claims() {
          const c: Record<string, unknown> = { sub: user.login, preferred_username: user.login };
          if (user.login.includes("@")) Object.assign(c, { email: user.login, email_verified: true });
          if (user.tokenGroups.length) c[groupClaimName] = [...user.tokenGroups];
          return c as { sub: string };
        },
      };
    },
    features: {
      devInteractions: { enabled: false },
      // MCP clients register themselves (RFC 7591); open registration is acceptable on a dev laptop.
      registration: { enabled: true },
      resourceIndicators: {
        enabled: true,
        // Okta's custom authorization server issues for its configured audience whatever the client
        // asks; here the only resource is the gateway, and a client that names none still gets it.
        defaultResource: () => opts.resourceUrl,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, indicator) => {
          if (!isGatewayResource(indicator, opts.resourceUrl)) throw new errors.InvalidTarget(`this development IdP only issues tokens for ${opts.resourceUrl}`);
          return resourceServerInfo();
        },
      },
    },
    routes: {
      authorization: "/v1/authorize",
      token: "/v1/token",
      jwks: "/v1/keys",
      userinfo: "/v1/userinfo",
      registration: "/v1/clients",
      end_session: "/v1/logout",
      revocation: "/v1/revoke",
      introspection: "/v1/introspect",
    },
    interactions: { url: (_ctx, interaction) => `${base}/interaction/${interaction.uid}` },
    responseTypes: ["code"],
    ttl: { AccessToken: ttl, AuthorizationCode: 60, IdToken: 3600, RefreshToken: 7 * 24 * 3600, Session: 8 * 3600, Interaction: 600, Grant: 7 * 24 * 3600 },
    formats: {
      customizers: {
        // Reshape oidc-provider's RFC 9068 payload into Okta's (ver/cid/uid/scp, no `typ` header).
        jwt(ctx, token, parts) {
          if (token.kind !== "AccessToken") return parts;
          const user = findDevUser(users, token.accountId);
          if (!user) throw new Error("access token for an unknown development user");
          const p = parts.payload as Record<string, unknown>;
          const code = (ctx as KoaContextWithOIDC | undefined)?.oidc?.entities?.AuthorizationCode as { authTime?: number } | undefined;
          parts.payload = oktaAccessTokenClaims({
            issuer: String(p.iss),
            audience: String(p.aud),
            clientId: String(p.client_id),
            jti: String(p.jti),
            iat: Number(p.iat),
            exp: Number(p.exp),
            authTime: code?.authTime,
            scopes: String(p.scope ?? "").split(" ").filter(Boolean),
            user,
            groupClaimName,
          });
          parts.header = { typ: undefined };
          return parts;
        },
      },
    },
    renderError(ctx, out) {
      ctx.type = "html";
      const safe = (s: unknown) => String(s ?? "").replace(/[&<>"']/g, "");
      ctx.body = `<!doctype html><title>Error</title><h1>${safe(out.error)}</h1><p>${safe(out.error_description)}</p>`;
    },
  };

  const provider = new Provider(issuer, configuration);
  provider.on("server_error", (_ctx, err) => log({ level: "error", msg: "dev-idp server error", error: err.message }));
  provider.on("grant.error", (_ctx, err) => log({ level: "warn", msg: "dev-idp token request refused", error: err.message }));

  provider.registerGrantType(
    DEV_LOGIN_GRANT,
    async (ctx, next) => {
      const params = ctx.oidc.params as Record<string, string | undefined>;
      const client = ctx.oidc.client;
      if (!client) throw new errors.InvalidClient("client authentication failed");
      const login = params.login;
      if (!login) throw new errors.InvalidRequest("missing required parameter 'login'");
      const user = findDevUser(users, login);
      if (!user) throw new errors.InvalidGrant(`${login} is not a development user of this stack`);
      if (params.resource !== undefined && !isGatewayResource(params.resource, opts.resourceUrl)) {
        throw new errors.InvalidTarget(`this development IdP only issues tokens for ${opts.resourceUrl}`);
      }
      const requested = params.scope ? params.scope.split(" ").filter(Boolean) : [...DEFAULT_TOKEN_SCOPES];
      const unknown = requested.filter((s) => !(DEV_SCOPES as readonly string[]).includes(s));
      if (unknown.length) throw new errors.InvalidScope("requested scope is not allowed", unknown.join(" "));
      const scope = [...new Set(requested)].join(" ");

      const grant = new provider.Grant({ accountId: user.login, clientId: client.clientId });
      grant.addResourceScope(opts.resourceUrl, scope);
      const grantId = await grant.save();
      const ResourceServerClass = (provider as unknown as { ResourceServer: new (id: string, info: ResourceServer) => ResourceServer }).ResourceServer;
      const token = new provider.AccessToken({
        accountId: user.login,
        client,
        grantId,
        gty: "dev_login",
        scope,
        resourceServer: new ResourceServerClass(opts.resourceUrl, resourceServerInfo()),
      });
      ctx.oidc.entity("AccessToken", token);
      const value = await token.save();
      log({ level: "info", msg: "dev-idp token issued", sub: user.login, groups: user.tokenGroups, grant: "dev_login", expiresIn: token.expiration });
      ctx.body = { access_token: value, token_type: "Bearer", expires_in: token.expiration, scope };
      await next();
    },
    ["login", "scope", "resource"],
  );

  const callback = provider.callback();
  const interactions = interactionHandler({ provider, users, basePath: `${base}/interaction`, logger: log });
  // RFC 8414 / OIDC discovery "path insertion" forms (MCP clients try these first), and Okta's
  // `{issuer}/.well-known/oauth-authorization-server`, all answered with the same metadata.
  const discoveryAliases = new Set([
    `/.well-known/oauth-authorization-server${base}`,
    `/.well-known/openid-configuration${base}`,
    `${base}/.well-known/oauth-authorization-server`,
  ]);

  handler = (req, res) => {
    const url = new URL(req.url ?? "/", "http://idp.invalid");
    if (req.method === "GET" && discoveryAliases.has(url.pathname)) {
      req.url = `${base}/.well-known/openid-configuration${url.search}`;
    }
    const path = new URL(req.url ?? "/", "http://idp.invalid").pathname;
    // MCP clients ask for the scopes the protected-resource metadata lists, and for none when it
    // lists none. oidc-provider (like Okta without default scopes) would then deny the request; the
    // dev IdP grants its default scopes instead, and logs that Okta would not.
    if (req.method === "GET" && path === `${base}/v1/authorize` && !url.searchParams.get("scope")) {
      url.searchParams.set("scope", DEFAULT_TOKEN_SCOPES.join(" "));
      req.url = `${url.pathname}${url.search}`;
      log({
        level: "warn",
        msg: "dev-idp default scope",
        client: url.searchParams.get("client_id"),
        scope: DEFAULT_TOKEN_SCOPES.join(" "),
        note: "the client asked for no scope: Okta refuses that unless its authorization server has default scopes; the protected-resource metadata should list scopes_supported",
      });
    }
    if (path.startsWith(`${base}/interaction/`)) {
      interactions(req, res).catch((e: Error) => {
        log({ level: "error", msg: "dev-idp interaction error", error: e.message });
        if (!res.headersSent) res.writeHead(500).end();
      });
      return;
    }
    if (path === base || path.startsWith(`${base}/`)) {
      const original = req.url ?? "/";
      (req as http.IncomingMessage & { originalUrl?: string }).originalUrl = original;
      req.url = original.slice(base.length) || "/";
      if (!req.url.startsWith("/")) req.url = `/${req.url}`;
      void callback(req, res);
      return;
    }
    if (path === "/" && req.method === "GET") {
      res.writeHead(200, { "content-type": "text/plain; charset=utf-8" });
      res.end(`vmcp-okta development identity provider (not for production)\nissuer: ${issuer}\ndiscovery: ${issuer}/.well-known/openid-configuration\n`);
      return;
    }
    res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
  };

  const tokenEndpoint = `${issuer}/v1/token`;
  const localTokenEndpoint = `${localBase}/v1/token`;

  async function mintToken(login: string, o: { scopes?: string[] } = {}): Promise<string> {
    const body = new URLSearchParams({ grant_type: DEV_LOGIN_GRANT, login });
    if (o.scopes) body.set("scope", o.scopes.join(" "));
    const basic = Buffer.from(`${encodeURIComponent(DEV_CLIENT_ID)}:${encodeURIComponent(state.clientSecret)}`).toString("base64");
    const r = await fetch(localTokenEndpoint, {
      method: "POST",
      headers: { authorization: `Basic ${basic}`, "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
      body,
    });
    const json = (await r.json().catch(() => ({}))) as { access_token?: string; error?: string; error_description?: string };
    if (!r.ok || !json.access_token) throw new Error(`the development IdP refused a token for ${login}: ${json.error ?? r.status} ${json.error_description ?? ""}`.trim());
    return json.access_token;
  }

  let closed = false;
  return {
    issuer,
    discoveryUrl: `${issuer}/.well-known/openid-configuration`,
    jwksUri: `${issuer}/v1/keys`,
    tokenEndpoint,
    clientId: DEV_CLIENT_ID,
    clientSecret: state.clientSecret,
    port,
    users,
    mintToken,
    endUserSessions(login) {
      const n = storage.endAccount(login);
      log({ level: "info", msg: "dev-idp sessions ended", sub: login, grants: n });
      return n;
    },
    async close() {
      if (closed) return;
      closed = true;
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

