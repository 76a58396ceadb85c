/**
 * The gateway with its embedded authorization server on the development stack, as `vmcp-okta dev`
 * wires it (devAuthServer: upstream = the development IdP): the protected-resource metadata names
 * the gateway as the authorization server; a client signs in (plain HTTP, manual redirects) and
 * the MCP SDK client sees exactly its group's tools, decided on the upstream token's claims; the
 * 401 after a failed upstream refresh carries the challenge that sends the client to sign in again.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeJwt } from "jose";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { compileTeam, type CompiledTeam } from "../components/compile";
import { ProblemList } from "../components/errors";
import { devUsers, parseDevConfig } from "../components/dev/config";
import { loadStackFile } from "../components/stackConfig";
import { startDevIdp, type DevIdp } from "../gateway/devIdp";
import { devAuthServer, type EmbeddedAuthServer } from "../gateway/authServer";
import { startGateway, type RunningGateway } from "../gateway/server";
import { connect, rawPost, REPO_ROOT } from "../gateway/testing/harness";
import { freePort } from "./helpers/net";
import { authorizeUrl, HostCookieBrowser, pkcePair, registerClient, tokenRequest } from "./helpers/authServerFlow";

let compiled: CompiledTeam;
let idp: DevIdp;
let as: EmbeddedAuthServer;
let gw: RunningGateway;
let resourceUrl: string;
const clients: Client[] = [];

before(async () => {
  const base = loadStackFile("dev", REPO_ROOT).team as Record<string, unknown>;
  const port = await freePort();
  resourceUrl = `http://localhost:${port}`;
  compiled = compileTeam({ ...base, endpoint: resourceUrl });
  const dev = parseDevConfig(compiled.spec.raw.dev, compiled.spec, new ProblemList())!;
  const state = mkdtempSync(join(tmpdir(), "vmcp-okta-asgw-"));
  idp = await startDevIdp({ spec: compiled.spec, users: devUsers(compiled.spec, dev), resourceUrl, port: 0, stateDir: join(state, "dev-idp") });
  as = await devAuthServer({ compiled, resourceUrl, upstreamIssuer: idp.issuer, keyDir: join(state, "auth-server"), storage: undefined });
  gw = await startGateway({ compiled, port, resourceUrl, issuer: idp.issuer, authServer: as, cwd: REPO_ROOT, handleSignals: false, logger: () => {} });
  await gw.ready;
});

after(async () => {
  for (const c of clients) await c.close().catch(() => {});
  await gw?.close();
  await as?.close();
  await idp?.close();
});

async function signIn(login: string): Promise<{ access: string; refresh: string; clientId: string }> {
  const redirectUri = "http://127.0.0.1:9/cb";
  const clientId = String((await registerClient(resourceUrl, redirectUri, { token_endpoint_auth_method: "none" })).body.client_id);
  const { verifier, challenge } = pkcePair();
  const b = new HostCookieBrowser();
  const page = await b.go(
    authorizeUrl(resourceUrl, { client_id: clientId, response_type: "code", redirect_uri: redirectUri, code_challenge: challenge, code_challenge_method: "S256", scope: "openid offline_access", resource: `${resourceUrl}/` }),
  );
  const done = await b.signInAs(page, login, { stopAt: [redirectUri] });
  const code = new URL(done.url).searchParams.get("code");
  assert.ok(code, `${done.url} ${done.status} ${done.body.slice(0, 2000)}`);
  const t = await tokenRequest(resourceUrl, { grant_type: "authorization_code", code, code_verifier: verifier, client_id: clientId, redirect_uri: redirectUri });
  assert.equal(t.status, 200, JSON.stringify(t.body));
  return { access: String(t.body.access_token), refresh: String(t.body.refresh_token), clientId };
}

const allowedFor = (group: string) => compiled.matrix.tools.filter((t) => compiled.matrix.cells[group][t].decision === "allow").sort();

test("the protected-resource metadata names the gateway's own authorization server, whose metadata is served here", async () => {
  const prm = (await (await fetch(`${resourceUrl}/.well-known/oauth-protected-resource`)).json()) as Record<string, unknown>;
  assert.equal(prm.resource, resourceUrl);
  assert.deepEqual(prm.authorization_servers, [resourceUrl]);
  assert.deepEqual(prm.scopes_supported, ["openid", "profile", "email", "offline_access"]);
  const md = (await (await fetch(`${resourceUrl}/.well-known/oauth-authorization-server`)).json()) as Record<string, unknown>;
  assert.equal(md.issuer, resourceUrl);
  const none = await rawPost(`${resourceUrl}/mcp`, { jsonrpc: "2.0", id: 1, method: "tools/list" });
  assert.equal(none.status, 401);
  assert.match(none.headers.get("www-authenticate") ?? "", new RegExp(`resource_metadata="${resourceUrl}/\\.well-known/oauth-protected-resource"`));
});

test("signed-in users see exactly their group's tools, decided on the upstream token's claims", async () => {
  for (const [login, group] of [
    ["alice@example.com", "mcp-developers"],
    ["bob@example.com", "mcp-platform"],
    ["eve@example.com", "(no group)"],
  ] as const) {
    const { access } = await signIn(login);
    assert.notEqual(decodeJwt(access).sub, login, "the gateway token's own sub is its user id");
    const c = await connect(gw.mcpUrl, access);
    clients.push(c);
    const names = (await c.listTools()).tools.map((t) => t.name).sort();
    assert.deepEqual(names, allowedFor(group), login);
  }
});

test("the development IdP's own tokens (vmcp-okta dev token) still work for scripts", async () => {
  const c = await connect(gw.mcpUrl, await idp.mintToken("carol@example.com"));
  clients.push(c);
  assert.deepEqual((await c.listTools()).tools.map((t) => t.name).sort(), allowedFor("mcp-admin"));
});

test("a session whose upstream refresh fails answers 401 with the challenge; its refresh token is dead", async () => {
  const { access, refresh, clientId } = await signIn("alice@example.com");
  const tsid = String(decodeJwt(access).tsid);
  const s = await as.sessions.get(tsid);
  await as.sessions.save(tsid, { ...s!, refreshToken: "revoked-upstream", expiresAt: Date.now() - 1 });
  const r = await rawPost(`${resourceUrl}/mcp`, { jsonrpc: "2.0", id: 1, method: "tools/list" }, { authorization: `Bearer ${access}` });
  assert.equal(r.status, 401);
  const challenge = r.headers.get("www-authenticate") ?? "";
  assert.match(challenge, /error="invalid_token"/);
  assert.match(challenge, /re-authentication required/);
  const t = await tokenRequest(resourceUrl, { grant_type: "refresh_token", refresh_token: refresh, client_id: clientId });
  assert.equal(t.body.error, "invalid_grant");
});

/** The MCP SDK's own OAuth client (OAuthClientProvider), with the plain-HTTP browser as its "browser". */
class SdkAuthProvider {
  info?: Record<string, unknown>;
  saved?: Record<string, unknown>;
  verifier = "";
  redirectedTo?: URL;
  readonly redirectUrl = "http://127.0.0.1:9/sdk-callback";
  get clientMetadata() {
    return { client_name: "sdk test", redirect_uris: [this.redirectUrl], grant_types: ["authorization_code", "refresh_token"], response_types: ["code"], token_endpoint_auth_method: "none" };
  }
  clientInformation() {
    return this.info as never;
  }
  saveClientInformation(i: Record<string, unknown>) {
    this.info = i;
  }
  tokens() {
    return this.saved as never;
  }
  saveTokens(t: Record<string, unknown>) {
    this.saved = t;
  }
  redirectToAuthorization(url: URL) {
    this.redirectedTo = url;
  }
  saveCodeVerifier(v: string) {
    this.verifier = v;
  }
  codeVerifier() {
    return this.verifier;
  }
}

test("the MCP SDK's OAuth client signs in at the gateway, and refreshes when its access token is refused", async () => {
  const { Client } = await import("@modelcontextprotocol/sdk/client/index.js");
  const { StreamableHTTPClientTransport } = await import("@modelcontextprotocol/sdk/client/streamableHttp.js");
  const { UnauthorizedError } = await import("@modelcontextprotocol/sdk/client/auth.js");
  const provider = new SdkAuthProvider();
  const first = new StreamableHTTPClientTransport(new URL(`${resourceUrl}/mcp`), { authProvider: provider as never });
  await assert.rejects(new Client({ name: "sdk", version: "1" }).connect(first), UnauthorizedError);
  assert.ok(provider.redirectedTo, "the SDK asked to open the browser");
  assert.equal(provider.redirectedTo.origin, resourceUrl, "…at the gateway's own authorization endpoint");
  assert.match(provider.redirectedTo.searchParams.get("scope") ?? "", /offline_access/);
  const b = new HostCookieBrowser();
  const page = await b.go(provider.redirectedTo.href);
  const done = await b.signInAs(page, "bob@example.com", { stopAt: [provider.redirectUrl] });
  await first.finishAuth(new URL(done.url).searchParams.get("code")!);
  assert.ok(provider.saved?.refresh_token, "a refresh token");

  const c = new Client({ name: "sdk", version: "1" });
  await c.connect(new StreamableHTTPClientTransport(new URL(`${resourceUrl}/mcp`), { authProvider: provider as never }));
  clients.push(c);
  assert.deepEqual((await c.listTools()).tools.map((t) => t.name).sort(), allowedFor("mcp-platform"));

  // The access token is revoked at the gateway (its session's upstream row says so): the SDK uses
  // its refresh token on the 401 and goes on without a new sign-in.
  const before = String(provider.saved!.access_token);
  const c2 = new Client({ name: "sdk", version: "1" });
  provider.saved = { ...provider.saved!, access_token: "expired.or.garbage" };
  await c2.connect(new StreamableHTTPClientTransport(new URL(`${resourceUrl}/mcp`), { authProvider: provider as never }));
  clients.push(c2);
  assert.notEqual(provider.saved!.access_token, before, "a refreshed access token");
  assert.deepEqual((await c2.listTools()).tools.map((t) => t.name).sort(), allowedFor("mcp-platform"));
});
