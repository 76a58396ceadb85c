/**
 * Bearer token handling at the gateway: every attack gets 401 with a proper challenge and never
 * reaches the backend; keys rotate without a restart; a JWKS outage does not break known keys.
 * Real HTTP on 127.0.0.1, real tokens signed with jose against a local discovery + JWKS server.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createPublicKey } from "node:crypto";
import { SignJWT, base64url } from "jose";
import { startGateway, type RunningGateway } from "../gateway/server";
import { startEchoHttpBackend, type EchoHttpBackend } from "../gateway/demo/echoBackend";
import { TestIssuer } from "../gateway/testing/testIssuer";
import { ENDPOINT, echoTeam, rawPost, rawSession, LogCapture, startEchoGateway } from "../gateway/testing/harness";

const call = (id: number) => ({ jsonrpc: "2.0", id, method: "tools/call", params: { name: "echo_echo", arguments: { text: "hi" } } });

describe("gateway token validation", () => {
  let issuer: TestIssuer;
  let backend: EchoHttpBackend;
  let gw: RunningGateway;
  const logs = new LogCapture();
  let good: string;
  let session: string;

  before(async () => {
    issuer = await TestIssuer.start(ENDPOINT);
    backend = await startEchoHttpBackend();
    gw = await startEchoGateway(issuer, backend, {
      logger: logs.logger,
      jwksCooldownMs: 300,
      handleSignals: false,
      defaultMetrics: false,
    });
    await gw.ready;
    good = await issuer.userToken("alice@example.com", ["mcp-users"]);
    session = await rawSession(gw.mcpUrl, good);
  });
  after(async () => {
    await gw.close();
    await backend.close();
    await issuer.close();
  });

  test("a valid token reaches the backend (control)", async () => {
    const before = backend.stats.methods["tools/call"] ?? 0;
    const a = await rawPost(gw.mcpUrl, call(1), { authorization: `Bearer ${good}`, "mcp-session-id": session });
    assert.equal(a.status, 200, a.text);
    assert.deepEqual((a.body as { result: { content: unknown[] } }).result.content, [{ type: "text", text: "hi" }]);
    assert.equal(backend.stats.methods["tools/call"], before + 1);
  });

  test("protected resource metadata (RFC 9728)", async () => {
    const res = await fetch(`${gw.url}/.well-known/oauth-protected-resource`);
    assert.equal(res.status, 200);
    const doc = (await res.json()) as Record<string, unknown>;
    assert.equal(doc.resource, ENDPOINT);
    assert.deepEqual(doc.authorization_servers, [issuer.issuer]);
  });

  test("every bad token gets 401 with a Bearer challenge and never reaches the backend", async () => {
    const claims = { sub: "mallory@example.com", groups: ["mcp-users"] };
    const other = await issuer.newKey(); // never published
    const pub = createPublicKey({ key: issuer.signingKey.publicJwk as never, format: "jwk" }).export({ type: "spki", format: "pem" });
    const now = Math.floor(Date.now() / 1000);
    const validParts = (await issuer.token(claims)).split(".");
    const tampered = [validParts[0], base64url.encode(JSON.stringify({ ...JSON.parse(new TextDecoder().decode(base64url.decode(validParts[1]))), groups: ["mcp-admin"] })), validParts[2]].join(".");
    const unsigned = [
      base64url.encode(JSON.stringify({ alg: "none", typ: "JWT" })),
      base64url.encode(JSON.stringify({ ...claims, iss: issuer.issuer, aud: ENDPOINT, exp: now + 300, iat: now })),
      "",
    ].join(".");
    const hs256 = await new SignJWT(claims)
      .setProtectedHeader({ alg: "HS256", kid: issuer.signingKey.kid })
      .setIssuer(issuer.issuer)
      .setAudience(ENDPOINT)
      .setIssuedAt()
      .setExpirationTime("5m")
      .sign(new TextEncoder().encode(String(pub)));

    const attacks: [string, Record<string, string>][] = [
      ["no token", {}],
      ["not a bearer scheme", { authorization: `Basic ${Buffer.from("alice:secret").toString("base64")}` }],
      ["malformed token", { authorization: "Bearer not-a-jwt" }],
      ["alg none", { authorization: `Bearer ${unsigned}` }],
      ["HS256 signed with the public key", { authorization: `Bearer ${hs256}` }],
      ["wrong issuer", { authorization: `Bearer ${await issuer.token(claims, { issuer: "http://127.0.0.1:1/oauth2/evil" })}` }],
      ["wrong audience", { authorization: `Bearer ${await issuer.token(claims, { audience: "https://other.example.com" })}` }],
      ["expired", { authorization: `Bearer ${await issuer.token(claims, { expiresIn: -600 })}` }],
      ["not yet valid", { authorization: `Bearer ${await issuer.token(claims, { notBefore: 600 })}` }],
      ["no expiry", { authorization: `Bearer ${await issuer.token(claims, { noExp: true })}` }],
      ["unknown kid", { authorization: `Bearer ${await issuer.token(claims, { key: other })}` }],
      ["tampered payload", { authorization: `Bearer ${tampered}` }],
      ["signature from another key", { authorization: `Bearer ${await issuer.token(claims, { key: other, kid: issuer.signingKey.kid })}` }],
      ["missing sub", { authorization: `Bearer ${await issuer.token({ groups: ["mcp-users"] })}` }],
      ["empty sub", { authorization: `Bearer ${await issuer.token({ sub: "", groups: ["mcp-users"] })}` }],
    ];
    // Everything but the gateway's own health pings, which may fall inside this test on a slow machine.
    const clientPosts = () => backend.stats.posts - (backend.stats.methods["ping"] ?? 0);
    const backendCalls = clientPosts();
    for (const [name, headers] of attacks) {
      const a = await rawPost(gw.mcpUrl, call(2), { ...headers, "mcp-session-id": session });
      assert.equal(a.status, 401, `${name}: expected 401, got ${a.status} ${a.text}`);
      const challenge = a.headers.get("www-authenticate") ?? "";
      assert.match(challenge, /^Bearer /, name);
      assert.match(challenge, /resource_metadata="http:\/\/localhost:8080\/\.well-known\/oauth-protected-resource"/, name);
      assert.match(challenge, /error="invalid_token"/, name);
      assert.match(challenge, /error_description="[^"]+"/, name);
      // A fresh session cannot be opened with it either.
      const init = await rawPost(gw.mcpUrl, { jsonrpc: "2.0", id: 3, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "x", version: "1" } } }, headers);
      assert.equal(init.status, 401, `${name} (initialize)`);
    }
    assert.equal(clientPosts(), backendCalls, "no rejected request may reach the backend");
    // No log line carries a token.
    const text = logs.text();
    for (const [, headers] of attacks) if (headers.authorization) assert.ok(!text.includes(headers.authorization.slice(7, 60)), "a token leaked into the logs");
    assert.ok(!text.includes(good.slice(0, 60)), "the valid token leaked into the logs");
    const reasons = logs.find("auth.rejected").map((l) => l.reason);
    for (const r of ["missing_token", "malformed_header", "expired", "not_yet_valid", "wrong_issuer", "wrong_audience", "unknown_key", "bad_signature", "missing_sub", "alg_not_allowed"]) {
      assert.ok(reasons.includes(r), `expected a rejection logged as ${r}; got ${[...new Set(reasons)].join(", ")}`);
    }
  });

  test("a session belongs to the subject that opened it", async () => {
    const bob = await issuer.userToken("bob@example.com", ["mcp-users"]);
    const a = await rawPost(gw.mcpUrl, call(4), { authorization: `Bearer ${bob}`, "mcp-session-id": session });
    assert.equal(a.status, 404);
  });

  test("key rotation at the issuer is picked up without a restart", async () => {
    const oldKey = issuer.signingKey;
    await issuer.rotate(true); // the old key is withdrawn, a new kid signs from now on
    assert.notEqual(issuer.signingKey.kid, oldKey.kid);
    await new Promise((r) => setTimeout(r, 350)); // past the unknown-kid cooldown
    const fetches = issuer.jwksFetches;
    const rotated = await issuer.userToken("alice@example.com", ["mcp-users"]);
    const a = await rawPost(gw.mcpUrl, call(5), { authorization: `Bearer ${rotated}`, "mcp-session-id": session });
    assert.equal(a.status, 200, a.text);
    assert.equal(issuer.jwksFetches, fetches + 1, "the unknown kid triggered exactly one JWKS refetch");
    // A token signed with the withdrawn key is no longer accepted.
    await new Promise((r) => setTimeout(r, 350));
    const stale = await issuer.userToken("alice@example.com", ["mcp-users"], { key: oldKey });
    const b = await rawPost(gw.mcpUrl, call(6), { authorization: `Bearer ${stale}`, "mcp-session-id": session });
    assert.equal(b.status, 401, b.text);
  });

});

describe("gateway during a JWKS outage", () => {
  test("tokens signed with known keys still work; unknown kids are refetched at most once per cooldown", async () => {
    const issuer = await TestIssuer.start(ENDPOINT);
    const backend = await startEchoHttpBackend();
    const gw = await startEchoGateway(issuer, backend, {
      logger: () => {},
      jwksCooldownMs: 1_000,
      handleSignals: false,
      defaultMetrics: false,
    });
    try {
      await gw.ready;
      const first = await issuer.userToken("alice@example.com", ["mcp-users"]);
      const session = await rawSession(gw.mcpUrl, first); // keys fetched while the issuer is up
      issuer.jwksAvailable = false;
      const fresh = await issuer.userToken("alice@example.com", ["mcp-users"]); // a new token string, not cached
      const a = await rawPost(gw.mcpUrl, call(7), { authorization: `Bearer ${fresh}`, "mcp-session-id": session });
      assert.equal(a.status, 200, a.text);

      const stranger = await issuer.newKey();
      await new Promise((r) => setTimeout(r, 1_100)); // past the cooldown since the last successful fetch
      const fetches = issuer.jwksFetches;
      const started = Date.now();
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) {
        const t = await issuer.userToken("alice@example.com", ["mcp-users"], { key: stranger });
        statuses.push((await rawPost(gw.mcpUrl, call(8 + i), { authorization: `Bearer ${t}`, "mcp-session-id": session })).status);
      }
      assert.ok(statuses.every((s) => s === 401 || s === 503), `unknown kid during an outage: ${statuses.join(",")}`);
      // Without a limit each of the 5 would refetch (jose retries failed fetches); allow one per cooldown elapsed.
      const allowed = 1 + Math.floor((Date.now() - started) / 1_000);
      assert.ok(issuer.jwksFetches - fetches >= 1, "the first unknown kid tried a refetch");
      assert.ok(issuer.jwksFetches - fetches <= allowed, `refetches ${issuer.jwksFetches - fetches} > ${allowed}`);

      const still = await issuer.userToken("carol@example.com", ["mcp-users"]);
      const sid = await rawSession(gw.mcpUrl, still);
      const c = await rawPost(gw.mcpUrl, call(20), { authorization: `Bearer ${still}`, "mcp-session-id": sid });
      assert.equal(c.status, 200, "known keys keep working after failed refetches");
    } finally {
      await gw.close();
      await backend.close();
      await issuer.close();
    }
  });
});

describe("gateway start-up with an unreachable issuer", () => {
  test("answers 503 (not 401) while the issuer's discovery document cannot be fetched", async () => {
    const issuer = await TestIssuer.start(ENDPOINT);
    const backend = await startEchoHttpBackend();
    // The gateway's issuer is a closed port: discovery cannot succeed.
    const gw = await startGateway({
      compiled: echoTeam(),
      port: 0,
      resourceUrl: ENDPOINT,
      issuer: "http://127.0.0.1:9/oauth2/default",
      backends: [{ name: "echo", url: backend.url }],
      logger: () => {},
      handleSignals: false,
      defaultMetrics: false,
    });
    try {
      const t = await issuer.userToken("alice@example.com", ["mcp-users"]);
      const a = await rawPost(gw.mcpUrl, { jsonrpc: "2.0", id: 1, method: "initialize", params: {} }, { authorization: `Bearer ${t}` });
      assert.equal(a.status, 503, a.text);
      assert.equal(a.headers.get("retry-after"), "5");
    } finally {
      await gw.close();
      await backend.close();
      await issuer.close();
    }
  });
});
