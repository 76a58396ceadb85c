/**
 * The interactive path an MCP client takes with the development IdP: the MCP SDK's own OAuth helpers
 * discover the authorization server, register a client (RFC 7591), start an authorization code + PKCE
 * request with the gateway as resource; a scripted "browser" (cookies, redirects) picks a user on the
 * sign-in page; the SDK exchanges the code. The access token is the same Okta-shaped JWT.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as jose from "jose";
import { discoverAuthorizationServerMetadata, exchangeAuthorization, registerClient, startAuthorization } from "@modelcontextprotocol/sdk/client/auth.js";
import { compileTeam } from "../components/compile";
import { ProblemList } from "../components/errors";
import { devUsers, parseDevConfig } from "../components/dev/config";
import { startDevIdp, type DevIdp } from "../gateway/devIdp";
import { seedTeam } from "./fixtures/seed";
import { OAuthBrowser } from "./helpers/oauthBrowser";

const RESOURCE = "http://localhost:18090";
const REDIRECT = "http://127.0.0.1:33418/callback";

let idp: DevIdp;

before(async () => {
  const spec = compileTeam({ ...seedTeam(), environment: "development", endpoint: RESOURCE, dev: { extraUsers: ["eve@example.com"] } }).spec;
  const dev = parseDevConfig(spec.raw.dev, spec, new ProblemList())!;
  idp = await startDevIdp({ spec, users: devUsers(spec, dev), resourceUrl: RESOURCE, port: 0, stateDir: mkdtempSync(join(tmpdir(), "vmcp-okta-codeflow-")) });
});
after(() => idp.close());

test("an MCP client gets an Okta-shaped token through discovery, registration and authorization code + PKCE", async () => {
  const origin = new URL(idp.issuer).origin;
  // The SDK tries RFC 8414 / OIDC path-insertion URLs for an issuer with a path: they must all work.
  const metadata = await discoverAuthorizationServerMetadata(idp.issuer);
  assert.ok(metadata, "metadata discovered");
  assert.equal(metadata.issuer, idp.issuer);
  assert.ok(String(metadata.token_endpoint).startsWith(origin));

  const client = await registerClient(idp.issuer, {
    metadata,
    clientMetadata: { client_name: "test MCP client", redirect_uris: [REDIRECT], grant_types: ["authorization_code", "refresh_token"], response_types: ["code"], token_endpoint_auth_method: "none" },
  });
  assert.ok(client.client_id);

  const { authorizationUrl, codeVerifier } = await startAuthorization(idp.issuer, {
    metadata,
    clientInformation: client,
    redirectUrl: REDIRECT,
    scope: "openid groups",
    state: "xyz",
    resource: new URL(`${RESOURCE}/mcp`),
  });

  const browser = new OAuthBrowser(REDIRECT);
  const signIn = await browser.go(authorizationUrl.href);
  assert.equal(signIn.status, 200, signIn.body);
  // The sign-in page lists the stack's users with their token groups, and the requesting client.
  assert.match(signIn.body, /carol@example\.com/);
  assert.match(signIn.body, /mcp-admin/);
  assert.match(signIn.body, /test MCP client/);
  assert.match(signIn.body, /development/);
  const action = /action="([^"]+\/login)"/.exec(signIn.body)?.[1];
  assert.ok(action, "login form");

  // An unknown user cannot sign in, even by posting the form by hand.
  const bogus = await browser.go(new URL(action, signIn.url).href, { login: "mallory@example.com" });
  assert.equal(bogus.status, 400);

  const done = await browser.go(new URL(action, signIn.url).href, { login: "carol@example.com" });
  const cb = new URL(done.url);
  assert.equal(cb.origin + cb.pathname, REDIRECT, `redirected back to the client: ${done.url} ${done.body}`);
  assert.equal(cb.searchParams.get("state"), "xyz");
  const code = cb.searchParams.get("code");
  assert.ok(code, done.url);

  const tokens = await exchangeAuthorization(idp.issuer, {
    metadata,
    clientInformation: client,
    authorizationCode: code,
    codeVerifier,
    redirectUri: REDIRECT,
    resource: new URL(`${RESOURCE}/mcp`),
  });
  const jwks = jose.createRemoteJWKSet(new URL(idp.jwksUri));
  const { payload, protectedHeader } = await jose.jwtVerify(tokens.access_token, jwks, { issuer: idp.issuer, audience: RESOURCE, algorithms: ["RS256"] });
  assert.equal(protectedHeader.typ, undefined);
  assert.equal(payload.sub, "carol@example.com");
  assert.deepEqual(payload.groups, ["mcp-admin"]);
  assert.equal(payload.cid, client.client_id);
  assert.ok(Array.isArray(payload.scp) && (payload.scp as string[]).includes("groups"), JSON.stringify(payload.scp));
});

test("a second client for an already signed-in user must be allowed explicitly", async () => {
  const metadata = (await discoverAuthorizationServerMetadata(idp.issuer))!;
  const browser = new OAuthBrowser(REDIRECT);
  const register = () =>
    registerClient(idp.issuer, { metadata, clientMetadata: { client_name: "first", redirect_uris: [REDIRECT], token_endpoint_auth_method: "none", grant_types: ["authorization_code"], response_types: ["code"] } });
  const first = await register();
  const a = await startAuthorization(idp.issuer, { metadata, clientInformation: first, redirectUrl: REDIRECT, scope: "openid", resource: RESOURCE });
  const page = await browser.go(a.authorizationUrl.href);
  const action = /action="([^"]+\/login)"/.exec(page.body)![1];
  const back = await browser.go(new URL(action, page.url).href, { login: "alice@example.com" });
  assert.ok(new URL(back.url).searchParams.get("code"));

  // Same browser session, a different client: no silent token, a consent page instead.
  const second = await registerClient(idp.issuer, { metadata, clientMetadata: { client_name: "second", redirect_uris: [REDIRECT], token_endpoint_auth_method: "none", grant_types: ["authorization_code"], response_types: ["code"] } });
  const b = await startAuthorization(idp.issuer, { metadata, clientInformation: second, redirectUrl: REDIRECT, scope: "openid", resource: RESOURCE });
  const consent = await browser.go(b.authorizationUrl.href);
  assert.equal(consent.status, 200);
  assert.match(consent.body, /Allow access\?/);
  assert.match(consent.body, /alice@example\.com/);
  const deny = /action="([^"]+\/abort)"/.exec(consent.body)![1];
  const denied = await browser.go(new URL(deny, consent.url).href, {});
  assert.equal(new URL(denied.url).searchParams.get("error"), "access_denied");
  assert.equal(new URL(denied.url).searchParams.get("code"), null);
});
