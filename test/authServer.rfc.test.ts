/**
 * The embedded authorization server against its RFCs and against vMCP's behaviour (ToolHive v0.44.0
 * pkg/authserver): metadata (RFC 8414, OIDC discovery, RFC 9728 on the gateway side), dynamic
 * registration (RFC 7591) and its rate limit, PKCE S256 only (RFC 7636), exact redirect URI match,
 * single-use codes with revocation on reuse (RFC 6749 §4.1.2), rotated refresh tokens with reuse
 * detection (fosite), upstream refresh and its failure, key generations, and Cedar's claims.
 *
 * The upstream is the real development IdP; sign-in is driven over plain HTTP with manual redirects.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import * as http from "node:http";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeJwt, decodeProtectedHeader } from "jose";
import { compileTeam } from "../components/compile";
import { ProblemList } from "../components/errors";
import { devUsers, parseDevConfig } from "../components/dev/config";
import { startDevIdp, type DevIdp } from "../gateway/devIdp";
import { createAuthServer, type AuthServerOptions, type EmbeddedAuthServer } from "../gateway/authServer/server";
import { Upstream } from "../gateway/authServer/upstream";
import { MemoryStore } from "../gateway/authServer/store";
import { AuthServerVerifier } from "../gateway/auth/authServerVerifier";
import { TokenError } from "../gateway/auth/tokenVerifier";
import { seedTeam } from "./fixtures/seed";
import { freePort } from "./helpers/net";
import { authorizeUrl, HostCookieBrowser, pkcePair, registerClient, tokenRequest } from "./helpers/authServerFlow";

const pem = (kind: "ec" | "rsa") =>
  (kind === "ec" ? generateKeyPairSync("ec", { namedCurve: "prime256v1" }) : generateKeyPairSync("rsa", { modulusLength: 2048 })).privateKey
    .export({ format: "pem", type: "pkcs8" })
    .toString();

const OLD_KEY = { generation: "1", pem: pem("ec") };
const NEW_KEY = { generation: "2", pem: pem("ec") };
const HMAC = [randomBytes(32)];
const UPSTREAM_TTL_SECONDS = 3;

interface Running {
  as: EmbeddedAuthServer;
  issuer: string;
  server: http.Server;
  verifier: AuthServerVerifier;
}

let idp: DevIdp;
let upstream: Upstream;
let asPort: number;
const running: Running[] = [];

async function serve(port: number, opts: Partial<AuthServerOptions>): Promise<Running> {
  const issuer = `http://localhost:${port}`;
  const as = await createAuthServer({
    issuer,
    upstream,
    signingKeys: [NEW_KEY, OLD_KEY],
    hmacSecrets: HMAC,
    registrationRate: { perSecond: 1000, burst: 1000 },
    ...opts,
  });
  const server = http.createServer((req, res) => {
    void as.handle(req, res).then((handled) => {
      if (!handled) res.writeHead(404).end();
    });
  });
  await new Promise<void>((r) => server.listen(port, "127.0.0.1", () => r()));
  const verifier = new AuthServerVerifier({ issuer, audience: as.resourceUrl, publicKeys: as.keys.publicKeys.map((k) => k.jwk), sessions: as.sessions, cacheTtlMs: 0 });
  const r = { as, issuer, server, verifier };
  running.push(r);
  return r;
}

async function stop(r: Running): Promise<void> {
  running.splice(running.indexOf(r), 1);
  r.server.closeAllConnections();
  await new Promise<void>((res) => r.server.close(() => res()));
  await r.as.close();
}

/** Registers a client, signs in as `login` at the dev IdP, and returns the code and what it needs. */
async function signIn(r: Running, login: string, o: { scope?: string; redirectUri?: string; rewrite?: (url: string) => string; clientId?: string } = {}) {
  const redirectUri = o.redirectUri ?? "http://127.0.0.1:9/callback";
  const clientId = o.clientId ?? String((await registerClient(r.issuer, redirectUri)).body.client_id);
  const { verifier, challenge } = pkcePair();
  const browser = new HostCookieBrowser();
  const page = await browser.go(
    authorizeUrl(r.issuer, { client_id: clientId, response_type: "code", redirect_uri: redirectUri, code_challenge: challenge, code_challenge_method: "S256", scope: o.scope ?? "openid offline_access", state: "st-1", resource: r.as.resourceUrl }),
    { rewrite: o.rewrite },
  );
  assert.equal(page.status, 200, `expected the dev IdP's sign-in page, got ${page.status} at ${page.url}: ${page.body.slice(0, 300)}`);
  const done = await browser.signInAs(page, login, { stopAt: [redirectUri], rewrite: o.rewrite });
  assert.ok(done.url.startsWith(redirectUri), `ended at ${done.url} (${done.status}): ${done.body.slice(0, 300)}`);
  const back = new URL(done.url);
  assert.equal(back.searchParams.get("state"), "st-1");
  const code = back.searchParams.get("code");
  assert.ok(code, `no code in ${done.url}`);
  return { code, verifier, clientId, redirectUri };
}

async function exchange(issuer: string, s: { code: string; verifier: string; clientId: string; redirectUri: string }) {
  return tokenRequest(issuer, { grant_type: "authorization_code", code: s.code, code_verifier: s.verifier, client_id: s.clientId, redirect_uri: s.redirectUri });
}

async function rejects(p: Promise<unknown>, reason: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => e instanceof TokenError && e.status === 401 && e.reason === reason);
}

let main: Running;

before(async () => {
  const spec = compileTeam({ ...seedTeam(), environment: "development", endpoint: "http://localhost:25099", dev: { extraUsers: ["eve@example.com"] } }).spec;
  const dev = parseDevConfig(spec.raw.dev, spec, new ProblemList())!;
  asPort = await freePort();
  idp = await startDevIdp({
    spec,
    users: devUsers(spec, dev),
    resourceUrl: `http://localhost:${asPort}`,
    port: 0,
    stateDir: mkdtempSync(join(tmpdir(), "vmcp-okta-as-")),
    tokenTtlSeconds: UPSTREAM_TTL_SECONDS,
  });
  upstream = await Upstream.connect({
    name: "okta",
    issuer: idp.issuer,
    redirectUri: `http://localhost:${asPort}/oauth/callback`,
    scopes: ["openid", "profile", "email", "groups", "offline_access"],
    allowHttp: true,
    promptConsent: true,
  });
  main = await serve(asPort, {});
});

after(async () => {
  for (const r of [...running]) await stop(r);
  await idp.close();
});

describe("metadata", () => {
  test("RFC 8414 and OIDC discovery name vMCP's endpoints and only what the server does", async () => {
    for (const path of ["/.well-known/oauth-authorization-server", "/.well-known/openid-configuration", "/.well-known/oauth-authorization-server/anything"]) {
      const r = await fetch(`${main.issuer}${path}`);
      assert.equal(r.status, 200, path);
      assert.match(r.headers.get("cache-control") ?? "", /max-age=3600/);
      const m = (await r.json()) as Record<string, unknown>;
      assert.equal(m.issuer, main.issuer);
      assert.equal(m.authorization_endpoint, `${main.issuer}/oauth/authorize`);
      assert.equal(m.token_endpoint, `${main.issuer}/oauth/token`);
      assert.equal(m.registration_endpoint, `${main.issuer}/oauth/register`);
      assert.equal(m.jwks_uri, `${main.issuer}/.well-known/jwks.json`);
      assert.deepEqual(m.response_types_supported, ["code"]);
      assert.deepEqual(m.code_challenge_methods_supported, ["S256"]);
      assert.deepEqual(m.token_endpoint_auth_methods_supported, ["none"]);
      assert.deepEqual([...(m.grant_types_supported as string[])].sort(), ["authorization_code", "refresh_token"]);
      assert.deepEqual(m.scopes_supported, ["openid", "profile", "email", "offline_access"]);
      assert.equal(m.userinfo_endpoint, undefined, "vMCP registers no userinfo endpoint");
      assert.equal(m.end_session_endpoint, undefined);
    }
  });

  test("every announced URL is the issuer's, whatever Host or X-Forwarded-Host the request names", async () => {
    const doc = await new Promise<Record<string, unknown>>((resolve, reject) => {
      const req = http.request(
        { host: "127.0.0.1", port: asPort, path: "/.well-known/openid-configuration", headers: { host: "evil.example:666", "x-forwarded-host": "evil.example", "x-forwarded-proto": "https" } },
        (res) => {
          let body = "";
          res.setEncoding("utf8").on("data", (d: string) => (body += d)).on("end", () => resolve(JSON.parse(body)));
        },
      );
      req.on("error", reject).end();
    });
    for (const k of ["authorization_endpoint", "token_endpoint", "jwks_uri", "registration_endpoint"]) assert.ok(String(doc[k]).startsWith(`${main.issuer}/`), `${k}: ${doc[k]}`);
  });

  test("the JWKS publishes every key generation, newest (the signing key) first, kids = RFC 7638 thumbprints", async () => {
    const jwks = (await (await fetch(`${main.issuer}/.well-known/jwks.json`)).json()) as { keys: Record<string, unknown>[] };
    assert.deepEqual(
      jwks.keys.map((k) => k.kid),
      main.as.keys.publicKeys.map((k) => k.kid),
    );
    assert.equal(jwks.keys.length, 2);
    for (const k of jwks.keys) {
      assert.equal(k.d, undefined, "no private part");
      assert.equal(k.alg, "ES256");
    }
  });
});

describe("dynamic client registration", () => {
  test("public clients register; a confidential method or an unknown scope is refused", async () => {
    const ok = await registerClient(main.issuer, "http://127.0.0.1:9/callback", { token_endpoint_auth_method: "none" });
    assert.equal(ok.status, 201);
    assert.equal(ok.body.token_endpoint_auth_method, "none");
    assert.deepEqual(ok.body.grant_types, ["authorization_code", "refresh_token"]);
    assert.equal(ok.body.client_secret, undefined);
    // A client naming no method is a public client too (oidc-provider still hands it an unused secret).
    assert.equal((await registerClient(main.issuer, "http://127.0.0.1:9/callback")).body.token_endpoint_auth_method, "none");
    const secret = await registerClient(main.issuer, "http://127.0.0.1:9/callback", { token_endpoint_auth_method: "client_secret_basic" });
    assert.equal(secret.status, 400);
    assert.equal(secret.body.error, "invalid_client_metadata");
    const scope = await registerClient(main.issuer, "http://127.0.0.1:9/callback", { scope: "openid admin" });
    assert.equal(scope.status, 400);
  });

  test("registration is rate-limited as vMCP's: burst of 5, then 429 with Retry-After", async () => {
    const limited = await serve(await freePort(), { registrationRate: undefined });
    const statuses: number[] = [];
    const retryAfter: (string | null)[] = [];
    for (let i = 0; i < 7; i++) {
      const r = await fetch(`${limited.issuer}/oauth/register`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ redirect_uris: ["http://127.0.0.1:9/cb"] }) });
      statuses.push(r.status);
      retryAfter.push(r.headers.get("retry-after"));
      await r.arrayBuffer();
    }
    assert.deepEqual(statuses.slice(0, 5), [201, 201, 201, 201, 201]);
    assert.equal(statuses[5], 429);
    assert.equal(retryAfter[5], "1");
    await new Promise((r) => setTimeout(r, 1100));
    const again = await registerClient(limited.issuer, "http://127.0.0.1:9/cb");
    assert.equal(again.status, 201, "one more token after a second");
    await stop(limited);
  });
});

describe("authorization request", () => {
  const redirectUri = "http://127.0.0.1:9/callback";
  let clientId: string;
  before(async () => {
    clientId = String((await registerClient(main.issuer, redirectUri)).body.client_id);
  });
  const base = () => ({ client_id: clientId, response_type: "code", redirect_uri: redirectUri, scope: "openid", state: "s" });

  test("PKCE is required: a request without code_challenge is refused", async () => {
    const r = await fetch(authorizeUrl(main.issuer, base()), { redirect: "manual" });
    const to = new URL(r.headers.get("location") ?? "about:blank");
    assert.ok(to.href.startsWith(redirectUri), `error goes back to the client: ${to.href}`);
    assert.equal(to.searchParams.get("error"), "invalid_request");
    assert.match(to.searchParams.get("error_description") ?? "", /PKCE/i);
  });

  test("PKCE plain is refused; S256 goes on to the upstream sign-in", async () => {
    const plain = await fetch(authorizeUrl(main.issuer, { ...base(), code_challenge: "a".repeat(43), code_challenge_method: "plain" }), { redirect: "manual" });
    const to = new URL(plain.headers.get("location") ?? "about:blank");
    assert.equal(to.searchParams.get("error"), "invalid_request");
    const s256 = await fetch(authorizeUrl(main.issuer, { ...base(), code_challenge: pkcePair().challenge, code_challenge_method: "S256" }), { redirect: "manual" });
    assert.equal(s256.status, 303);
    assert.match(s256.headers.get("location") ?? "", /^\/oauth\/interaction\//);
  });

  test("the redirect URI must match a registered one exactly (no redirect to an unregistered URI)", async () => {
    for (const wrong of ["http://127.0.0.1:9/callback/", "http://127.0.0.1:10/callback", "http://localhost:9/callback", "http://127.0.0.1:9/callback?x=1"]) {
      const r = await fetch(authorizeUrl(main.issuer, { ...base(), redirect_uri: wrong, code_challenge: pkcePair().challenge, code_challenge_method: "S256" }), { redirect: "manual" });
      assert.equal(r.status, 400, wrong);
      assert.equal(r.headers.get("location"), null, `never redirects to ${wrong}`);
      assert.match(await r.text(), /redirect_uri/);
    }
  });

  test("a resource other than the gateway is refused (RFC 8707)", async () => {
    const r = await fetch(authorizeUrl(main.issuer, { ...base(), resource: "https://elsewhere.example.com", code_challenge: pkcePair().challenge, code_challenge_method: "S256" }), { redirect: "manual" });
    const to = new URL(r.headers.get("location") ?? "about:blank");
    assert.equal(to.searchParams.get("error"), "invalid_target");
  });
});

describe("sign-in through the upstream and tokens", () => {
  test("the access token is vMCP's: issuer, audience, user id sub, tsid, client_id, email; signed by the newest key", async () => {
    const s = await signIn(main, "alice@example.com");
    const t = await exchange(main.issuer, s);
    assert.equal(t.status, 200, JSON.stringify(t.body));
    assert.equal(t.body.token_type, "Bearer");
    assert.ok(typeof t.body.refresh_token === "string", "offline_access gives a refresh token");
    const at = String(t.body.access_token);
    const claims = decodeJwt(at);
    assert.equal(claims.iss, main.issuer);
    assert.equal(claims.aud, main.as.resourceUrl);
    assert.match(String(claims.sub), /^[0-9a-f-]{36}$/, "sub is the gateway's user id, not the upstream subject");
    assert.equal(claims.client_id, s.clientId);
    assert.equal(typeof claims.tsid, "string");
    assert.equal(claims.email, "alice@example.com");
    assert.equal((claims.exp ?? 0) - (claims.iat ?? 0), 3600, "access token lifespan: vMCP's default 1h");
    assert.equal(decodeProtectedHeader(at).kid, main.as.keys.publicKeys[0].kid);

    // What Cedar sees: the upstream access token's claims (principal = upstream sub, Okta's groups).
    const cedar = await main.verifier.verify(at);
    assert.equal(cedar.sub, "alice@example.com");
    assert.deepEqual(cedar.groups, ["mcp-developers"]);
    assert.equal(cedar.iss, idp.issuer);

    // The same user signs in again: same gateway user id, a new session.
    const again = await exchange(main.issuer, await signIn(main, "alice@example.com"));
    const c2 = decodeJwt(String(again.body.access_token));
    assert.equal(c2.sub, claims.sub);
    assert.notEqual(c2.tsid, claims.tsid);
  });

  test("no offline_access, no refresh token (fosite's refresh-token scopes)", async () => {
    const t = await exchange(main.issuer, await signIn(main, "bob@example.com", { scope: "openid" }));
    assert.equal(t.status, 200);
    assert.equal(t.body.refresh_token, undefined);
  });

  test("codes are single-use: a second exchange fails and revokes what the first one issued", async () => {
    const s = await signIn(main, "bob@example.com");
    const first = await exchange(main.issuer, s);
    assert.equal(first.status, 200);
    const second = await exchange(main.issuer, s);
    assert.equal(second.status, 400);
    assert.equal(second.body.error, "invalid_grant");
    const refresh = await tokenRequest(main.issuer, { grant_type: "refresh_token", refresh_token: String(first.body.refresh_token), client_id: s.clientId });
    assert.equal(refresh.body.error, "invalid_grant", "the refresh token of the first exchange is revoked");
    await rejects(main.verifier.verify(String(first.body.access_token)), "session_not_found");
  });

  test("the code verifier must match, and the code belongs to its client and redirect URI", async () => {
    const s = await signIn(main, "carol@example.com");
    const bad = await exchange(main.issuer, { ...s, verifier: pkcePair().verifier });
    assert.equal(bad.body.error, "invalid_grant");
  });

  test("refresh tokens rotate; a rotated-out one coming back revokes the whole grant (fosite)", async () => {
    const s = await signIn(main, "carol@example.com");
    const t0 = await exchange(main.issuer, s);
    const rt0 = String(t0.body.refresh_token);
    const t1 = await tokenRequest(main.issuer, { grant_type: "refresh_token", refresh_token: rt0, client_id: s.clientId });
    assert.equal(t1.status, 200, JSON.stringify(t1.body));
    const rt1 = String(t1.body.refresh_token);
    assert.notEqual(rt1, rt0, "a new refresh token each time");
    assert.equal(decodeJwt(String(t1.body.access_token)).tsid, decodeJwt(String(t0.body.access_token)).tsid, "same session");
    const reuse = await tokenRequest(main.issuer, { grant_type: "refresh_token", refresh_token: rt0, client_id: s.clientId });
    assert.equal(reuse.body.error, "invalid_grant");
    const after = await tokenRequest(main.issuer, { grant_type: "refresh_token", refresh_token: rt1, client_id: s.clientId });
    assert.equal(after.body.error, "invalid_grant", "reuse detection revoked the newest refresh token too");
  });

  test("expired upstream tokens are refreshed; when the upstream refresh fails: 401 and the client must sign in again", async () => {
    const s = await signIn(main, "alice@example.com");
    const t = await exchange(main.issuer, s);
    const at = String(t.body.access_token);
    const tsid = String(decodeJwt(at).tsid);
    const before = await main.as.sessions.get(tsid);
    await new Promise((r) => setTimeout(r, UPSTREAM_TTL_SECONDS * 1000 + 300));
    const cedar = await main.verifier.verify(at);
    assert.equal(cedar.sub, "alice@example.com");
    const refreshed = await main.as.sessions.get(tsid);
    assert.notEqual(refreshed!.accessToken, before!.accessToken, "a new upstream access token");
    assert.ok(refreshed!.expiresAt > Date.now());

    // The upstream revokes the refresh token (here: it no longer knows it).
    await main.as.sessions.save(tsid, { ...refreshed!, refreshToken: "revoked-at-the-upstream", expiresAt: Date.now() - 1 });
    await rejects(main.verifier.verify(at), "refresh_failed");
    const refresh = await tokenRequest(main.issuer, { grant_type: "refresh_token", refresh_token: String(t.body.refresh_token), client_id: s.clientId });
    assert.equal(refresh.body.error, "invalid_grant", "the gateway's refresh token died with the upstream session");
  });
});

describe("lifespans and the upstream callback", () => {
  test("access tokens expire after the configured lifespan; the refresh token then gives a working one", async () => {
    const short = await serve(await freePort(), { lifespans: { accessTokenSeconds: 1 } });
    const strict = new AuthServerVerifier({ issuer: short.issuer, audience: short.as.resourceUrl, publicKeys: short.as.keys.publicKeys.map((k) => k.jwk), sessions: short.as.sessions, cacheTtlMs: 0, clockToleranceSec: 0 });
    const s = await signInOn(short);
    const t = await exchange(short.issuer, s);
    assert.equal(t.body.expires_in, 1);
    await new Promise((r) => setTimeout(r, 2100));
    await rejects(strict.verify(String(t.body.access_token)), "expired");
    const r = await tokenRequest(short.issuer, { grant_type: "refresh_token", refresh_token: String(t.body.refresh_token), client_id: s.clientId });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal((await strict.verify(String(r.body.access_token))).sub, "alice@example.com");
    await stop(short);
  });

  test("an unknown or replayed callback state is refused; an upstream error goes back to the client as access_denied", async () => {
    const unknown = await fetch(`${main.issuer}/oauth/callback?code=x&state=never-issued`, { redirect: "manual" });
    assert.equal(unknown.status, 400);
    const redirectUri = "http://127.0.0.1:9/callback";
    const clientId = String((await registerClient(main.issuer, redirectUri)).body.client_id);
    const b = new HostCookieBrowser();
    // Stop where the gateway sends the browser to the upstream, and answer as the upstream would on "Cancel".
    const atUpstream = await b.go(authorizeUrl(main.issuer, { client_id: clientId, response_type: "code", redirect_uri: redirectUri, code_challenge: pkcePair().challenge, code_challenge_method: "S256", scope: "openid", state: "s9" }), {
      stopAt: [idp.issuer],
    });
    const state = new URL(atUpstream.url).searchParams.get("state")!;
    const back = await b.go(`${main.issuer}/oauth/callback?error=access_denied&error_description=user+cancelled&state=${state}`, { stopAt: [redirectUri] });
    const q = new URL(back.url).searchParams;
    assert.equal(q.get("error"), "access_denied");
    assert.equal(q.get("state"), "s9");
    const replay = await fetch(`${main.issuer}/oauth/callback?code=x&state=${state}`, { redirect: "manual" });
    assert.equal(replay.status, 400, "the pending authorization was single-use");
  });
});

describe("signing key generations", () => {
  test("a token signed by an older generation still verifies after a new generation takes over signing", async () => {
    const store = new MemoryStore();
    const old = await serve(await freePort(), { signingKeys: [OLD_KEY], storage: { type: "custom", store } });
    const oldToken = String((await exchange(old.issuer, await signInOn(old))).body.access_token);
    assert.equal(decodeProtectedHeader(oldToken).kid, old.as.keys.publicKeys[0].kid);
    const rotated = await createAuthServer({ issuer: old.issuer, upstream, signingKeys: [NEW_KEY, OLD_KEY], hmacSecrets: HMAC, storage: { type: "custom", store } });
    const v = new AuthServerVerifier({ issuer: old.issuer, audience: rotated.resourceUrl, publicKeys: rotated.keys.publicKeys.map((k) => k.jwk), sessions: rotated.sessions, cacheTtlMs: 0 });
    assert.equal((await v.verify(oldToken)).sub, "alice@example.com");
    const onlyNew = await createAuthServer({ issuer: old.issuer, upstream, signingKeys: [NEW_KEY], hmacSecrets: HMAC, storage: { type: "custom", store } });
    const strict = new AuthServerVerifier({ issuer: old.issuer, audience: onlyNew.resourceUrl, publicKeys: onlyNew.keys.publicKeys.map((k) => k.jwk), sessions: onlyNew.sessions, cacheTtlMs: 0 });
    await rejects(strict.verify(oldToken), "unknown_key");
    await stop(old);
    await store.close();
  });
});

/** The dev IdP sends every callback to `asPort`; a server on another port is reached by rewriting that hop. */
async function signInOn(r: Running) {
  const toOther = (url: string) => url.replace(`http://localhost:${asPort}/oauth/callback`, `${r.issuer}/oauth/callback`);
  return signIn(r, "alice@example.com", { rewrite: toOther });
}
