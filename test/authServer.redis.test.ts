/**
 * `authServerStorage: redis`: two authorization server instances (two gateway replicas) on one real
 * redis-server share registrations, sign-ins in progress, codes, refresh tokens and upstream
 * sessions, as ToolHive's RedisStorage lets vMCP replicas do (pkg/authserver/storage/redis.go).
 * One sign-in is spread over both; a code redeemed on one is spent on the other; a restarted
 * instance still serves the sessions.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import * as http from "node:http";
import * as net from "node:net";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Redis from "ioredis";
import { decodeJwt } from "jose";
import { compileTeam } from "../components/compile";
import { ProblemList } from "../components/errors";
import { devUsers, parseDevConfig } from "../components/dev/config";
import { startDevIdp, type DevIdp } from "../gateway/devIdp";
import { createAuthServer, type EmbeddedAuthServer } from "../gateway/authServer/server";
import { Upstream } from "../gateway/authServer/upstream";
import { AuthServerVerifier } from "../gateway/auth/authServerVerifier";
import { seedTeam } from "./fixtures/seed";
import { authorizeUrl, HostCookieBrowser, pkcePair, registerClient, tokenRequest } from "./helpers/authServerFlow";

const KEY = { generation: "1", pem: generateKeyPairSync("ec", { namedCurve: "prime256v1" }).privateKey.export({ format: "pem", type: "pkcs8" }).toString() };
const HMAC = [randomBytes(32)];
const PREFIX = "vmcp-okta:astest:";

/** A port of this helper's range (25000-25499) that is free now. */
async function rangePort(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = 25000 + Math.floor(Math.random() * 500);
    const free = await new Promise<boolean>((resolve) => {
      const s = net.createServer();
      s.once("error", () => resolve(false));
      s.listen(port, "127.0.0.1", () => s.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error("no free port in 25000-25499");
}

let redis: ChildProcess;
let redisPort: number;
let idp: DevIdp;
let upstream: Upstream;
interface Instance {
  as: EmbeddedAuthServer;
  issuer: string;
  server: http.Server;
  verifier: AuthServerVerifier;
}
const instances: Instance[] = [];
let issuer: string;
let portA: number;
let portB: number;

async function instance(port: number): Promise<Instance> {
  // Both replicas have the same public issuer; each listens on its own port.
  const as = await createAuthServer({ issuer, upstream, signingKeys: [KEY], hmacSecrets: HMAC, storage: { type: "redis", addr: `127.0.0.1:${redisPort}`, keyPrefix: PREFIX } });
  const server = http.createServer((req, res) => void as.handle(req, res).then((h) => h || res.writeHead(404).end()));
  await new Promise<void>((r) => server.listen(port, "127.0.0.1", () => r()));
  const verifier = new AuthServerVerifier({ issuer, audience: as.resourceUrl, publicKeys: as.keys.publicKeys.map((k) => k.jwk), sessions: as.sessions, cacheTtlMs: 0 });
  const i = { as, issuer: `http://localhost:${port}`, server, verifier };
  instances.push(i);
  return i;
}

async function stopInstance(i: Instance): Promise<void> {
  instances.splice(instances.indexOf(i), 1);
  i.server.closeAllConnections();
  await new Promise<void>((r) => i.server.close(() => r()));
  await i.as.close();
}

before(async () => {
  redisPort = await rangePort();
  redis = spawn("/usr/bin/redis-server", ["--port", String(redisPort), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: ["ignore", "pipe", "inherit"] });
  await new Promise<void>((resolve, reject) => {
    let out = "";
    redis.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.includes("Ready to accept connections")) resolve();
    });
    redis.once("exit", (code) => reject(new Error(`redis-server exited (${code}): ${out}`)));
  });
  portA = await rangePort();
  do portB = await rangePort();
  while (portB === portA);
  issuer = `http://localhost:${portA}`;
  const spec = compileTeam({ ...seedTeam(), environment: "development", endpoint: issuer }).spec;
  const dev = parseDevConfig(spec.raw.dev, spec, new ProblemList())!;
  idp = await startDevIdp({ spec, users: devUsers(spec, dev), resourceUrl: issuer, port: 0, stateDir: mkdtempSync(join(tmpdir(), "vmcp-okta-asredis-")) });
  upstream = await Upstream.connect({ name: "okta", issuer: idp.issuer, redirectUri: `${issuer}/oauth/callback`, scopes: ["openid", "email", "groups", "offline_access"], allowHttp: true, promptConsent: true });
});

after(async () => {
  for (const i of [...instances]) await stopInstance(i);
  await idp?.close();
  if (redis && redis.exitCode === null) {
    const exited = new Promise((r) => redis.once("exit", r));
    redis.kill("SIGTERM");
    await exited;
  }
});

test("two instances on one Redis share registrations, sign-ins, codes, refresh tokens and upstream sessions", async () => {
  const a = await instance(portA);
  const b = await instance(portB);
  const redirectUri = "http://127.0.0.1:9/cb";
  // Registered on A…
  const clientId = String((await registerClient(a.issuer, redirectUri, { token_endpoint_auth_method: "none" })).body.client_id);
  const { verifier, challenge } = pkcePair();
  const browser = new HostCookieBrowser();
  // …authorized on A, the upstream sign-in started by B (same host, so the browser's cookies go
  // along), the upstream callback and resume served by A again.
  const toB = (url: string) => (url.startsWith(`${a.issuer}/oauth/interaction/`) ? url.replace(a.issuer, b.issuer) : url);
  const page = await browser.go(authorizeUrl(a.issuer, { client_id: clientId, response_type: "code", redirect_uri: redirectUri, code_challenge: challenge, code_challenge_method: "S256", scope: "openid offline_access" }), {
    rewrite: toB,
  });
  assert.equal(page.status, 200, page.body.slice(0, 300));
  const done = await browser.signInAs(page, "bob@example.com", { stopAt: [redirectUri] });
  const code = new URL(done.url).searchParams.get("code");
  assert.ok(code, `${done.url}: ${done.body.slice(0, 300)}`);

  // The code is redeemed on B and is then spent on A too.
  const t = await tokenRequest(b.issuer, { grant_type: "authorization_code", code, code_verifier: verifier, client_id: clientId, redirect_uri: redirectUri });
  assert.equal(t.status, 200, JSON.stringify(t.body));
  assert.equal((await a.verifier.verify(String(t.body.access_token))).sub, "bob@example.com", "A sees the upstream session B's token names");

  // The refresh token rotates on A; the old one is then rejected by B.
  const r1 = await tokenRequest(a.issuer, { grant_type: "refresh_token", refresh_token: String(t.body.refresh_token), client_id: clientId });
  assert.equal(r1.status, 200, JSON.stringify(r1.body));
  assert.equal((await b.verifier.verify(String(r1.body.access_token))).sub, "bob@example.com");

  // A restarted instance still serves the session.
  await stopInstance(a);
  const a2 = await instance(portA);
  const r2 = await tokenRequest(a2.issuer, { grant_type: "refresh_token", refresh_token: String(r1.body.refresh_token), client_id: clientId });
  assert.equal(r2.status, 200, JSON.stringify(r2.body));
  assert.equal(decodeJwt(String(r2.body.access_token)).tsid, decodeJwt(String(t.body.access_token)).tsid);

  // Everything lives under the configured prefix, with an expiry.
  const probe = new Redis({ port: redisPort, host: "127.0.0.1" });
  try {
    const keys = await probe.keys("*");
    assert.ok(keys.length > 0);
    assert.ok(keys.every((k) => k.startsWith(PREFIX)), keys.filter((k) => !k.startsWith(PREFIX)).join(", "));
    const ttls = await Promise.all(keys.map((k) => probe.ttl(k)));
    assert.ok(ttls.every((s) => s > 0), "every key expires");
  } finally {
    probe.disconnect();
  }

  // Reusing the spent code on the other instance revokes the grant for both.
  const reuse = await tokenRequest(a2.issuer, { grant_type: "authorization_code", code, code_verifier: verifier, client_id: clientId, redirect_uri: redirectUri });
  assert.equal(reuse.body.error, "invalid_grant");
  await assert.rejects(b.verifier.verify(String(r2.body.access_token)), /sign-in session has ended/);
});
