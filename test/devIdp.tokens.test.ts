/**
 * The development IdP over real HTTP: discovery, JWKS, the scripted-minting grant, Okta's token shape
 * (checked with jose against the JWKS the discovery document names), the claim filter, refusals, and
 * signing keys that persist across restarts.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as jose from "jose";
import { compileTeam } from "../components/compile";
import { ProblemList } from "../components/errors";
import { devUsers, parseDevConfig } from "../components/dev/config";
import type { TeamInput } from "../components/spec/types";
import { DEV_CLIENT_ID, DEV_LOGIN_GRANT, startDevIdp, type DevIdp } from "../gateway/devIdp";
import { STATE_FILE } from "../gateway/devIdp/state";
import { seedTeam } from "./fixtures/seed";

const RESOURCE = "http://localhost:18080";

function team(extra: Partial<TeamInput> = {}): TeamInput {
  return {
    ...seedTeam(),
    environment: "development",
    endpoint: RESOURCE,
    dev: {
      extraUsers: ["eve@example.com", { login: "dave@example.com", groups: ["engineering", "Everyone-Contractors"] }, { login: "alice@example.com", groups: ["okta-admins"] }],
      tokenTtl: 3600,
    },
    ...extra,
  };
}

function usersOf(t: TeamInput) {
  const spec = compileTeam(t).spec;
  const problems = new ProblemList();
  const dev = parseDevConfig(spec.raw.dev, spec, problems);
  assert.ok(dev, JSON.stringify(problems.items));
  return { spec, users: devUsers(spec, dev) };
}

const tmp = () => mkdtempSync(join(tmpdir(), "vmcp-okta-devidp-"));

async function tokenRequest(idp: DevIdp, body: Record<string, string>, auth: string | null = `${DEV_CLIENT_ID}:${idp.clientSecret}`) {
  const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded" };
  if (auth) headers.authorization = `Basic ${Buffer.from(auth).toString("base64")}`;
  const r = await fetch(idp.tokenEndpoint, { method: "POST", headers, body: new URLSearchParams(body) });
  return { status: r.status, json: (await r.json()) as Record<string, unknown> };
}

let idp: DevIdp;
let discovery: Record<string, unknown>;
let jwks: ReturnType<typeof jose.createRemoteJWKSet>;

before(async () => {
  const { spec, users } = usersOf(team());
  idp = await startDevIdp({ spec, users, resourceUrl: RESOURCE, port: 0, stateDir: tmp(), tokenTtlSeconds: 3600 });
  const r = await fetch(`${idp.issuer}/.well-known/openid-configuration`);
  assert.equal(r.status, 200);
  discovery = (await r.json()) as Record<string, unknown>;
  jwks = jose.createRemoteJWKSet(new URL(String(discovery.jwks_uri)));
});
after(() => idp.close());

async function verify(token: string) {
  return jose.jwtVerify(token, jwks, { issuer: idp.issuer, audience: RESOURCE, algorithms: ["RS256"] });
}

test("discovery is Okta-shaped and reachable where MCP clients look for it", async () => {
  assert.match(idp.issuer, /^http:\/\/127\.0\.0\.1:\d+\/oauth2\/default$/);
  assert.equal(discovery.issuer, idp.issuer);
  assert.equal(discovery.jwks_uri, `${idp.issuer}/v1/keys`);
  assert.equal(discovery.token_endpoint, `${idp.issuer}/v1/token`);
  assert.equal(discovery.authorization_endpoint, `${idp.issuer}/v1/authorize`);
  assert.ok((discovery.grant_types_supported as string[]).includes(DEV_LOGIN_GRANT));
  assert.ok((discovery.grant_types_supported as string[]).includes("authorization_code"));
  assert.deepEqual(discovery.code_challenge_methods_supported, ["S256"]);
  assert.ok(discovery.registration_endpoint, "dynamic client registration for MCP clients");
  const origin = new URL(idp.issuer).origin;
  for (const alias of ["/.well-known/oauth-authorization-server/oauth2/default", "/.well-known/openid-configuration/oauth2/default", "/oauth2/default/.well-known/oauth-authorization-server"]) {
    const r = await fetch(origin + alias);
    assert.equal(r.status, 200, alias);
    assert.equal(((await r.json()) as { issuer: string }).issuer, idp.issuer, alias);
  }
  const keys = (await (await fetch(String(discovery.jwks_uri))).json()) as { keys: Array<Record<string, unknown>> };
  assert.equal(keys.keys.length, 1);
  assert.equal(keys.keys[0].kty, "RSA");
  assert.equal(keys.keys[0].d, undefined, "the JWKS publishes no private part");
});

test("a minted token verifies against the discovered JWKS and carries Okta's claims", async () => {
  const { status, json } = await tokenRequest(idp, { grant_type: DEV_LOGIN_GRANT, login: "alice@example.com" });
  assert.equal(status, 200, JSON.stringify(json));
  assert.equal(json.token_type, "Bearer");
  assert.equal(json.expires_in, 3600);
  const token = String(json.access_token);
  const { payload, protectedHeader } = await verify(token);
  assert.deepEqual(Object.keys(protectedHeader).sort(), ["alg", "kid"], "Okta's header: no typ");
  assert.equal(protectedHeader.alg, "RS256");
  assert.equal(payload.iss, idp.issuer);
  assert.equal(payload.aud, RESOURCE);
  assert.equal(payload.sub, "alice@example.com");
  assert.equal(payload.email, "alice@example.com");
  assert.deepEqual(payload.groups, ["mcp-developers"], "okta-admins and Everyone are filtered out by the prefix");
  assert.deepEqual(payload.scp, ["openid", "profile", "email", "groups"]);
  assert.equal(payload.cid, DEV_CLIENT_ID);
  assert.equal(payload.ver, 1);
  assert.match(String(payload.uid), /^00u[0-9A-Za-z]{17}$/);
  assert.match(String(payload.jti), /^AT\./);
  assert.equal(Number(payload.exp) - Number(payload.iat), 3600);
  assert.equal(payload.scope, undefined, "Okta uses scp, not scope");
  assert.equal(payload.client_id, undefined, "Okta uses cid, not client_id");
});

test("groups are filtered as Okta's Starts-with filter would: a member of non-prefixed groups only gets none", async () => {
  const dave = (await verify(await idp.mintToken("dave@example.com"))).payload;
  assert.equal(dave.sub, "dave@example.com");
  assert.equal(dave.groups, undefined, "engineering and Everyone-Contractors never reach the token; an empty claim is left out");
  const eve = (await verify(await idp.mintToken("eve@example.com"))).payload;
  assert.equal(eve.groups, undefined);
  for (const [login, groups] of [
    ["bob@example.com", ["mcp-platform"]],
    ["carol@example.com", ["mcp-admin"]],
  ] as const) {
    assert.deepEqual((await verify(await idp.mintToken(login))).payload.groups, groups, login);
  }
  const limited = (await verify(await idp.mintToken("bob@example.com", { scopes: ["openid", "groups"] }))).payload;
  assert.deepEqual(limited.scp, ["openid", "groups"]);
});

test("refusals: unknown user, bad client secret, no client auth, other resource, unknown scope, missing login", async () => {
  const cases: Array<[Record<string, string>, string | null | undefined, number, string]> = [
    [{ grant_type: DEV_LOGIN_GRANT, login: "mallory@example.com" }, undefined, 400, "invalid_grant"],
    [{ grant_type: DEV_LOGIN_GRANT, login: "alice@example.com" }, `${DEV_CLIENT_ID}:wrong-secret`, 401, "invalid_client"],
    [{ grant_type: DEV_LOGIN_GRANT, login: "alice@example.com" }, null, 400, "invalid_request"],
    [{ grant_type: DEV_LOGIN_GRANT, login: "alice@example.com", resource: "http://localhost:9999" }, undefined, 400, "invalid_target"],
    [{ grant_type: DEV_LOGIN_GRANT, login: "alice@example.com", scope: "openid admin" }, undefined, 400, "invalid_scope"],
    [{ grant_type: DEV_LOGIN_GRANT }, undefined, 400, "invalid_request"],
  ];
  for (const [body, auth, status, error] of cases) {
    const r = await tokenRequest(idp, body, auth); // undefined: the right client credentials
    assert.equal(r.status, status, `${JSON.stringify(body)} ${auth}: ${JSON.stringify(r.json)}`);
    assert.equal(r.json.error, error, JSON.stringify(body));
    assert.equal(r.json.access_token, undefined);
  }
  await assert.rejects(idp.mintToken("mallory@example.com"), /refused a token for mallory@example.com/);
});

test("the group claim follows cedar.groupClaimName", async () => {
  const t = team({ cedar: { groupClaimName: "mcp_groups" } });
  const { spec, users } = usersOf(t);
  const other = await startDevIdp({ spec, users, resourceUrl: RESOURCE, port: 0, stateDir: tmp() });
  try {
    const payload = jose.decodeJwt(await other.mintToken("alice@example.com"));
    assert.deepEqual(payload.mcp_groups, ["mcp-developers"]);
    assert.equal(payload.groups, undefined);
  } finally {
    await other.close();
  }
});

test("signing keys persist: a token minted before a restart verifies against the restarted IdP's JWKS", async () => {
  const { spec, users } = usersOf(team());
  const stateDir = tmp();
  const first = await startDevIdp({ spec, users, resourceUrl: RESOURCE, port: 0, stateDir });
  const issuer = first.issuer;
  const token = await first.mintToken("bob@example.com");
  await first.close();
  assert.equal(statSync(join(stateDir, STATE_FILE)).mode & 0o777, 0o600, "the key file is private");

  // Same folder, same issuer, new process state: the old token still verifies over HTTP.
  const second = await startDevIdp({ spec, users, resourceUrl: RESOURCE, port: 0, issuer, stateDir });
  try {
    const keys = jose.createRemoteJWKSet(new URL(`${new URL(second.jwksUri).pathname}`, `http://127.0.0.1:${second.port}`));
    const { payload } = await jose.jwtVerify(token, keys, { issuer, audience: RESOURCE, algorithms: ["RS256"] });
    assert.equal(payload.sub, "bob@example.com");
  } finally {
    await second.close();
  }

  // A fresh folder means a fresh key: the old token no longer verifies (so persistence is what did it).
  const fresh = await startDevIdp({ spec, users, resourceUrl: RESOURCE, port: 0, issuer, stateDir: tmp() });
  try {
    const keys = jose.createRemoteJWKSet(new URL(`http://127.0.0.1:${fresh.port}/oauth2/default/v1/keys`));
    await assert.rejects(jose.jwtVerify(token, keys, { issuer, audience: RESOURCE }), (e: Error & { code?: string }) => e.code === "ERR_JWKS_NO_MATCHING_KEY");
  } finally {
    await fresh.close();
  }
});
