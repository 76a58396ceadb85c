/**
 * The team component under the mock engine, with real key material: what is declared, that the keys
 * work as ToolHive will use them, that secrets stay secrets, that a second run changes nothing and
 * that key rotation is a config change. Declared custom resources are also admitted against the CRDs.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as crypto from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import { SignJWT, createLocalJWKSet, importPKCS8, jwtVerify, type JWK } from "jose";
import { isSecretInput, unwrapAll, valueOf, type RecordedResource } from "./helpers/pulumiMocks";
import { admit, SKIP_REASON } from "./helpers/k8sCrds";
import { CLIENT_ID, CLIENT_SECRET, ORG } from "./okta.fixture";
import { CRD_TYPE, engineeringTeam, GITHUB_PAT, K, load, plain, REDIS_PASSWORD, runTeam, salesTeam, type TeamRun } from "./k8s.fixture";

const ENDPOINT = "https://vmcp-engineering.example.com";

function secretNamed(run: TeamRun, name: string): RecordedResource {
  const found = run.harness.ofType(K.secret).filter((r) => (plain(r).metadata as { name: string }).name === name);
  assert.equal(found.length, 1, `one Secret ${name}`);
  return found[0];
}

function cr(run: TeamRun, type: string, name: string): Record<string, any> {
  const found = run.harness.ofType(type).filter((r) => (plain(r).metadata as { name: string }).name === name);
  assert.equal(found.length, 1, `one ${type} ${name}`);
  return plain(found[0]);
}

/** RFC 7638 thumbprint computed by hand (independent of jose). */
function thumbprint(jwk: JWK): string {
  const members = jwk.kty === "EC" ? { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y } : { e: jwk.e, kty: jwk.kty, n: jwk.n };
  return crypto.createHash("sha256").update(JSON.stringify(members)).digest("base64url");
}

test("declares the guide's objects, filled from Okta's outputs", async () => {
  const run = await runTeam(load(engineeringTeam()));
  const vmcp = cr(run, K.vmcp, "engineering-tools");
  const upstream = vmcp.spec.authServerConfig.upstreamProviders[0];
  const oktaServer = run.harness.one("okta:auth/server:Server");
  assert.equal(upstream.oidcConfig.issuerUrl, oktaServer.state.issuer, "issuer is the Okta server's output");
  assert.equal(upstream.oidcConfig.issuerUrl, `${ORG}/oauth2/${oktaServer.id}`);
  assert.equal(upstream.oidcConfig.clientId, CLIENT_ID);
  assert.deepEqual(upstream.oidcConfig.clientSecretRef, { name: "engineering-tools-idp-client-secret", key: "client-secret" });
  assert.equal(upstream.oidcConfig.redirectUri, `${ENDPOINT}/oauth/callback`);
  assert.deepEqual(upstream.oidcConfig.scopes, ["openid", "profile", "groups", "offline_access"]);
  assert.equal(vmcp.spec.incomingAuth.oidcConfigRef.audience, ENDPOINT);
  assert.equal(vmcp.spec.incomingAuth.oidcConfigRef.resourceUrl, ENDPOINT);
  // vMCP's protected-resource metadata advertises these (else only "openid"): clients ask for
  // offline_access and get refresh tokens from the embedded authorization server.
  assert.deepEqual(vmcp.spec.incomingAuth.oidcConfigRef.scopes, ["openid", "profile", "email", "offline_access"]);
  const okta = run.harness.one("okta:app/oAuth:OAuth");
  assert.deepEqual(plain(okta).redirectUris, [upstream.oidcConfig.redirectUri], "the redirect URI vMCP uses is the one given to Okta");
  // Cedar sees the names vMCP advertises: the forbid names the prefixed tool, aggregation is explicit.
  const policies: string[] = vmcp.spec.incomingAuth.authzConfig.inline.policies;
  assert.ok(policies.some((p) => p.includes('Tool::"kubernetes-backend_delete_namespace"')));
  assert.deepEqual(vmcp.spec.config.aggregation, { conflictResolution: "prefix", conflictResolutionConfig: { prefixFormat: "{workload}_" } });
  // The backend secret the guide forgets is created, from secret config.
  const pat = secretNamed(run, "github-pat");
  assert.ok(isSecretInput(pat.inputs.stringData), "github-pat data is a Pulumi secret");
  assert.deepEqual(plain(pat).stringData, { token: GITHUB_PAT });
  const server = cr(run, K.mcpServer, "github-backend");
  assert.deepEqual(server.spec.secrets, [{ name: "github-pat", key: "token", targetEnvName: "GITHUB_PERSONAL_ACCESS_TOKEN" }]);
  // The IdP client secret comes from the Okta app, never typed, always secret.
  const idp = secretNamed(run, "engineering-tools-idp-client-secret");
  assert.ok(isSecretInput(idp.inputs.stringData));
  assert.deepEqual(plain(idp).stringData, { "client-secret": CLIENT_SECRET });
  assert.equal((plain(run.harness.one(K.namespace)).metadata as { name: string }).name, "vmcp-engineering");
  // Every object in the team namespace.
  for (const r of [...run.harness.ofType(K.secret), ...run.harness.ofType(K.mcpGroup), ...run.harness.ofType(K.mcpServer), ...run.harness.ofType(K.oidc), ...run.harness.ofType(K.vmcp)]) {
    assert.equal((plain(r).metadata as any).namespace, "vmcp-engineering", r.name);
  }
});

test("declared custom resources (as the engine receives them) are admitted by the CRDs", { skip: SKIP_REASON }, async () => {
  const run = await runTeam(load(salesTeam()));
  for (const type of [K.mcpGroup, K.mcpServer, K.oidc, K.vmcp]) {
    for (const r of run.harness.ofType(type)) {
      const res = admit(plain(r) as any);
      assert.deepEqual([...res.schemaErrors, ...res.celErrors], [], r.name);
    }
  }
});

test("the signing key is real: a JWT signed with the stored PEM verifies against the exported JWKS and kid", async () => {
  const run = await runTeam(load(salesTeam()));
  const keys = await valueOf(run.team.signingKeys);
  assert.deepEqual(keys.map((k) => [k.generation, k.alg, k.signing]), [["2", "RS256", true], ["1", "ES256", false]]);
  const jwks = await valueOf(run.team.jwks);
  for (const k of keys) {
    const secret = secretNamed(run, `sales-tools-signing-key-${k.generation}`);
    assert.ok(isSecretInput(secret.inputs.stringData), "the PEM is stored as a Pulumi secret");
    const pem = (plain(secret).stringData as Record<string, string>)["signing-key.pem"];
    assert.match(pem, /^-----BEGIN PRIVATE KEY-----\n/, "PKCS#8 PEM, which ToolHive's LoadSigningKey accepts");
    const privateKey = await importPKCS8(pem, k.alg);
    const jwt = await new SignJWT({ sub: "alice" }).setProtectedHeader({ alg: k.alg, kid: k.kid }).setIssuer("https://vmcp-sales.example.com").setIssuedAt().setExpirationTime("5m").sign(privateKey);
    const { payload, protectedHeader } = await jwtVerify(jwt, createLocalJWKSet(jwks), { issuer: "https://vmcp-sales.example.com" });
    assert.equal(payload.sub, "alice");
    assert.equal(protectedHeader.kid, k.kid);
    assert.equal(k.kid, thumbprint(k.jwk), "kid is the RFC 7638 SHA-256 thumbprint");
    assert.ok(!("d" in k.jwk) && !("p" in k.jwk) && !("q" in k.jwk), "no private JWK members");
  }
  if (keys[0].jwk.kty === "RSA") assert.equal(Buffer.from(keys[0].jwk.n!, "base64url").length * 8, 2048);
  assert.equal(keys[1].jwk.crv, "P-256");
  // Order: the first generation signs (index 0 of signingKeySecretRefs).
  const vmcp = cr(run, K.vmcp, "sales-tools");
  assert.deepEqual(vmcp.spec.authServerConfig.signingKeySecretRefs, [
    { name: "sales-tools-signing-key-2", key: "signing-key.pem" },
    { name: "sales-tools-signing-key-1", key: "signing-key.pem" },
  ]);
});

test("a JWT signed with a different key does not verify against the JWKS (the test can fail)", async () => {
  const run = await runTeam(load(engineeringTeam()));
  const [k] = await valueOf(run.team.signingKeys);
  const other = crypto.generateKeyPairSync("ec", { namedCurve: "prime256v1" }).privateKey;
  const jwt = await new SignJWT({ sub: "mallory" }).setProtectedHeader({ alg: "ES256", kid: k.kid }).sign(other);
  await assert.rejects(jwtVerify(jwt, createLocalJWKSet(await valueOf(run.team.jwks))));
});

test("HMAC secrets are raw random bytes of the configured length, no trailing newline", async () => {
  const run = await runTeam(load(salesTeam()));
  const expected: Record<string, number> = { "2": 64, "1": 32 };
  for (const [gen, len] of Object.entries(expected)) {
    const secret = secretNamed(run, `sales-tools-hmac-${gen}`);
    assert.ok(isSecretInput(secret.inputs.data), "stored as a Pulumi secret");
    assert.equal(secret.inputs.stringData, undefined, "raw bytes go through data (base64), not stringData");
    const raw = Buffer.from((plain(secret).data as Record<string, string>).hmac, "base64");
    assert.equal(raw.length, len);
    assert.ok(raw.length >= 32);
    assert.notEqual(raw[raw.length - 1], 0x0a, "no trailing newline");
  }
  const bytes = run.harness.ofType(K.bytes).map((r) => plain(r).length).sort();
  assert.deepEqual(bytes, [32, 64]);
  assert.deepEqual(cr(run, K.vmcp, "sales-tools").spec.authServerConfig.hmacSecretRefs, [
    { name: "sales-tools-hmac-2", key: "hmac" },
    { name: "sales-tools-hmac-1", key: "hmac" },
  ]);
});

test("secrets stay secrets: no private key, token or password in outputs; secret inputs are wrapped", async () => {
  const run = await runTeam(load(salesTeam()));
  const outputs = {
    mcpUrl: run.team.mcpUrl,
    issuer: run.team.issuer,
    oktaIssuer: await valueOf(run.team.oktaIssuer),
    clientId: await valueOf(run.team.clientId),
    jwks: await valueOf(run.team.jwks),
    keys: await valueOf(run.team.signingKeys),
    report: await valueOf(run.team.consistencyReport),
    matrix: run.team.accessMatrix,
  };
  const text = JSON.stringify(outputs);
  for (const leak of ["PRIVATE KEY", CLIENT_SECRET, REDIS_PASSWORD, "crm-token-value"]) assert.ok(!text.includes(leak), `output leaks ${leak}`);
  assert.equal(await pulumi.isSecret(run.team.jwks), false, "the JWKS is public");
  assert.equal(await pulumi.isSecret(run.team.okta.clientSecret), true);
  for (const r of run.harness.ofType(K.secret)) {
    const field = r.inputs.data !== undefined ? "data" : "stringData";
    assert.ok(isSecretInput(r.inputs[field]), `${r.name}.${field} is secret`);
  }
  // Redis credentials: created from secret config, referenced, never inline.
  const redis = secretNamed(run, "sales-tools-redis-auth-server");
  assert.deepEqual(plain(redis).stringData, { password: REDIS_PASSWORD, username: "vmcp" });
  const vmcp = cr(run, K.vmcp, "sales-tools");
  assert.deepEqual(vmcp.spec.authServerConfig.storage.redis.aclUserConfig, {
    passwordSecretRef: { name: "sales-tools-redis-auth-server", key: "password" },
    usernameSecretRef: { name: "sales-tools-redis-auth-server", key: "username" },
  });
  assert.deepEqual(vmcp.spec.sessionStorage.passwordRef, { name: "sales-tools-redis-session", key: "password" });
  assert.ok(!JSON.stringify(vmcp).includes(REDIS_PASSWORD));
});

test("a second run with the first run's state changes nothing (no key or secret churn)", async () => {
  const loaded = load(salesTeam());
  const first = await runTeam(loaded);
  const firstKids = await valueOf(first.team.signingKeys);
  assert.equal(first.counter.keys, 2);
  assert.equal(first.counter.bytes, 2);
  const second = await runTeam(loaded, first.harness.state());
  assert.equal(second.counter.keys, 0, "no key generated again");
  assert.equal(second.counter.bytes, 0, "no HMAC secret generated again");
  assert.deepEqual(await valueOf(second.team.signingKeys), firstKids);
  const byKey = (rs: RecordedResource[]) => new Map(rs.map((r) => [`${r.type}::${r.name}`, r]));
  const a = byKey(first.harness.resources);
  const b = byKey(second.harness.resources);
  assert.deepEqual([...b.keys()].sort(), [...a.keys()].sort(), "same resources");
  for (const [key, r] of b) {
    assert.deepEqual(unwrapAll(r.inputs), unwrapAll(a.get(key)!.inputs), `inputs of ${key} changed`);
    assert.equal(r.id, a.get(key)!.id, `${key} replaced`);
  }
});

test("rotation is a config change: a new first generation signs, the old one stays, a dropped one goes", async () => {
  const gen1 = load(engineeringTeam({}, { namespace: "vmcp-engineering", signingKeys: [{ generation: "1" }] }));
  const first = await runTeam(gen1);
  const [k1] = await valueOf(first.team.signingKeys);

  const gen21 = load(engineeringTeam({}, { namespace: "vmcp-engineering", signingKeys: [{ generation: "2" }, { generation: "1" }] }));
  const second = await runTeam(gen21, first.harness.state());
  assert.equal(second.counter.keys, 1, "only the new generation is generated");
  const keys2 = await valueOf(second.team.signingKeys);
  assert.deepEqual(keys2.map((k) => [k.generation, k.signing]), [["2", true], ["1", false]]);
  assert.equal(keys2[1].kid, k1.kid, "generation 1 keeps its key");
  assert.notEqual(keys2[0].kid, k1.kid);

  const gen2 = load(engineeringTeam({}, { namespace: "vmcp-engineering", signingKeys: [{ generation: "2" }] }));
  const third = await runTeam(gen2, second.harness.state());
  assert.equal(third.counter.keys, 0);
  const keys3 = await valueOf(third.team.signingKeys);
  assert.deepEqual(keys3.map((k) => k.kid), [keys2[0].kid]);
  assert.equal(third.harness.ofType(K.tlsKey).length, 1, "generation 1's key is no longer declared (Pulumi deletes it)");
  assert.ok(!third.harness.ofType(K.secret).some((r) => (plain(r).metadata as any).name === "engineering-tools-signing-key-1"));
});

test("operator install: pinned OCI charts, CRDs first; an existing namespace is not declared", async () => {
  const run = await runTeam(load(engineeringTeam({}, { namespace: "shared-tools", createNamespace: false, operator: { install: true } })));
  const releases = run.harness.ofType(K.release).map(plain);
  assert.deepEqual(
    releases.map((r) => [r.name, r.chart, r.version, r.namespace]),
    [
      ["toolhive-operator-crds", "oci://ghcr.io/stacklok/toolhive/toolhive-operator-crds", "0.44.0", "toolhive-system"],
      ["toolhive-operator", "oci://ghcr.io/stacklok/toolhive/toolhive-operator", "0.44.0", "toolhive-system"],
    ],
  );
  assert.equal(run.harness.ofType(K.namespace).length, 0);
  assert.equal((cr(run, K.vmcp, "engineering-tools").metadata as any).namespace, "shared-tools");
});

test("two teams in one program: own app, audience, keys, groups and object names", async () => {
  const eng = load(engineeringTeam());
  const sales = load(salesTeam());
  const run = await runTeam(eng);
  // Declare the second team in the same program (same engine), as a platform repo might.
  const { VmcpTeam } = await import("../components/team");
  const salesTeamComponent = new VmcpTeam("sales", {
    compiled: sales.compiled,
    okta: sales.okta,
    kubernetes: sales.kubernetes,
    secretValues: Object.fromEntries(sales.kubernetes.secretConfigKeys.map((r) => [r.configKey, pulumi.secret("x")])),
  });
  await valueOf(salesTeamComponent.toolhive.virtualMcpServer.urn);
  await valueOf(salesTeamComponent.jwks);
  const { quiesce } = await import("./k8s.fixture");
  await quiesce(run.harness);

  const names = run.harness.resources.map((r) => `${r.type}::${r.name}`);
  assert.equal(new Set(names).size, names.length, "no two resources share a Pulumi name");
  // Both teams read the same CRDs (the preflight); what they declare never collides.
  const k8sIds = run.harness.resources.filter((r) => r.type.startsWith("kubernetes:") && r.type !== CRD_TYPE).map((r) => {
    const m = plain(r).metadata as { name: string; namespace?: string };
    return `${r.type}/${m.namespace ?? ""}/${m.name}`;
  });
  assert.equal(new Set(k8sIds).size, k8sIds.length, "no two Kubernetes objects collide");
  const audiences = run.harness.ofType("okta:auth/server:Server").map((r) => (plain(r).audiences as string[])[0]);
  assert.deepEqual(audiences.sort(), ["https://vmcp-engineering.example.com", "https://vmcp-sales.example.com"]);
  const apps = run.harness.ofType("okta:app/oAuth:OAuth").map((r) => plain(r).label);
  assert.equal(new Set(apps).size, 2);
  const groups = run.harness.ofType("okta:group/group:Group").map((r) => String(plain(r).name));
  assert.equal(new Set(groups).size, groups.length, "no shared Okta group");
  // Engineering's claim filter (Starts with mcp-) does not catch sales' groups.
  assert.ok(groups.filter((g) => g.startsWith("sales-")).every((g) => !g.startsWith("mcp-")));
  const engKids = (await valueOf(run.team.signingKeys)).map((k) => k.kid);
  const salesKids = (await valueOf(salesTeamComponent.signingKeys)).map((k) => k.kid);
  assert.ok(engKids.every((k) => !salesKids.includes(k)), "own keys");
});
