/**
 * The embedded authorization server's cost on the gateway's hot path and the time of one sign-in:
 *
 * - bearer verification per request (what the gateway adds before Cedar): a gateway-issued token
 *   (local-key JWT check + upstream session lookup + claim mapping) with the 5 s result cache and
 *   without it, on memory and on Redis storage, next to the existing direct-issuer verifier;
 * - one sign-in over plain HTTP: register, authorize, upstream (dev IdP) sign-in, callback, token;
 * - a whole `tools/call` through the gateway (dev stack, demo backend over stdio) with a
 *   gateway-issued token next to the same call with the dev IdP's own token (what it was before).
 *
 *   node --import tsx bench/authServer.bench.ts            (BENCH_N=5000, BENCH_REDIS=0 to skip Redis)
 */
import { spawn } from "node:child_process";
import * as http from "node:http";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { compileTeam } from "../components/compile";
import { loadStackFile } from "../components/stackConfig";
import { startGateway } from "../gateway/server";
import { rawPost, rawSession, REPO_ROOT } from "../gateway/testing/harness";
import { ProblemList } from "../components/errors";
import { devUsers, parseDevConfig } from "../components/dev/config";
import { startDevIdp } from "../gateway/devIdp";
import { devAuthServer, type AuthServerStorage, type EmbeddedAuthServer } from "../gateway/authServer";
import { AuthServerVerifier } from "../gateway/auth/authServerVerifier";
import { TokenVerifier } from "../gateway/auth/tokenVerifier";
import { seedTeam } from "../test/fixtures/seed";
import { freePort } from "../test/helpers/net";
import { authorizeUrl, HostCookieBrowser, pkcePair, registerClient, tokenRequest } from "../test/helpers/authServerFlow";

const N = Number(process.env.BENCH_N ?? 5000);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

async function timeIt(name: string, n: number, f: () => Promise<unknown>): Promise<void> {
  for (let i = 0; i < 200; i++) await f();
  const t: number[] = [];
  for (let i = 0; i < n; i++) {
    const s = performance.now();
    await f();
    t.push(performance.now() - s);
  }
  t.sort((a, b) => a - b);
  console.log(`${name.padEnd(58)} p50 ${(percentile(t, 0.5) * 1000).toFixed(1).padStart(7)} µs   p99 ${(percentile(t, 0.99) * 1000).toFixed(1).padStart(8)} µs`);
}

async function main(): Promise<void> {
  const port = await freePort();
  const resourceUrl = `http://localhost:${port}`;
  void seedTeam;
  const compiled = compileTeam({ ...(loadStackFile("dev", REPO_ROOT).team as Record<string, unknown>), endpoint: resourceUrl });
  const dev = parseDevConfig(compiled.spec.raw.dev, compiled.spec, new ProblemList())!;
  const state = mkdtempSync(join(tmpdir(), "vmcp-okta-asbench-"));
  const idp = await startDevIdp({ spec: compiled.spec, users: devUsers(compiled.spec, dev), resourceUrl, port: 0, stateDir: join(state, "idp") });

  let redis: ReturnType<typeof spawn> | undefined;
  let storage: AuthServerStorage | undefined;
  if (process.env.BENCH_REDIS !== "0") {
    const rport = 25000 + Math.floor(Math.random() * 500);
    redis = spawn("/usr/bin/redis-server", ["--port", String(rport), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: ["ignore", "pipe", "ignore"] });
    await new Promise<void>((r) => redis!.stdout!.on("data", (d: Buffer) => d.toString().includes("Ready to accept") && r()));
    storage = { type: "redis", addr: `127.0.0.1:${rport}` };
  }

  const serveAs = async (as: EmbeddedAuthServer, p: number) => {
    const server = http.createServer((req, res) => void as.handle(req, res).then((h) => h || res.writeHead(404).end()));
    await new Promise<void>((r) => server.listen(p, "127.0.0.1", () => r()));
    return server;
  };
  const signIn = async (issuer: string) => {
    const redirectUri = "http://127.0.0.1:9/cb";
    const t0 = performance.now();
    const clientId = String((await registerClient(issuer, redirectUri, { token_endpoint_auth_method: "none" })).body.client_id);
    const { verifier, challenge } = pkcePair();
    const b = new HostCookieBrowser();
    const page = await b.go(authorizeUrl(issuer, { client_id: clientId, response_type: "code", redirect_uri: redirectUri, code_challenge: challenge, code_challenge_method: "S256", scope: "openid offline_access" }));
    const done = await b.signInAs(page, "alice@example.com", { stopAt: [redirectUri] });
    const code = new URL(done.url).searchParams.get("code")!;
    const t = await tokenRequest(issuer, { grant_type: "authorization_code", code, code_verifier: verifier, client_id: clientId, redirect_uri: redirectUri });
    return { token: String(t.body.access_token), ms: performance.now() - t0 };
  };

  console.log(`embedded authorization server (N=${N}; this machine, shared load)\n`);
  const backends: [string, AuthServerStorage | undefined][] = [["memory", undefined]];
  if (storage) backends.push(["redis", storage]);
  for (const [label, st] of backends) {
    const as = await devAuthServer({ compiled, resourceUrl, upstreamIssuer: idp.issuer, keyDir: join(state, "as"), storage: st });
    const server = await serveAs(as, port);
    const times: number[] = [];
    let token = "";
    for (let i = 0; i < 5; i++) {
      const r = await signIn(resourceUrl);
      times.push(r.ms);
      token = r.token;
    }
    times.sort((a, b) => a - b);
    console.log(`sign-in, register → token over HTTP (${label})`.padEnd(58), `median ${times[2].toFixed(1)} ms of 5`);
    const v = (cacheTtlMs: number) => new AuthServerVerifier({ issuer: as.issuer, audience: as.resourceUrl, publicKeys: as.keys.publicKeys.map((k) => k.jwk), sessions: as.sessions, cacheTtlMs });
    const cached = v(5_000);
    const uncached = v(0);
    await timeIt(`verify gateway token, cached (${label})`, N, () => cached.verify(token));
    await timeIt(`verify gateway token, no cache (${label}: JWT + session)`, N, () => uncached.verify(token));
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
    if (label === "memory") {
      const gw = await startGateway({ compiled, port, resourceUrl, issuer: idp.issuer, authServer: as, cwd: REPO_ROOT, handleSignals: false, logger: () => {} });
      await gw.ready;
      const mcp = `${resourceUrl}/mcp`;
      const call = { jsonrpc: "2.0", id: 9, method: "tools/call", params: { name: "kubernetes-backend_list_namespaces", arguments: {} } };
      const gwToken = (await signIn(resourceUrl)).token;
      const idpToken = await idp.mintToken("alice@example.com");
      // Alternating rounds: the machine's load drifts; compare the rounds side by side.
      for (let round = 1; round <= 3; round++) {
        for (const [what, tok] of [["dev IdP token (before)", idpToken], ["gateway-issued token", gwToken]] as const) {
          const sid = await rawSession(mcp, tok);
          const h = { authorization: `Bearer ${tok}`, "mcp-session-id": sid };
          await timeIt(`tools/call via gateway, ${what}, round ${round}`, Math.min(N, 1500), async () => {
            const r = await rawPost(mcp, call, h);
            if (r.status !== 200) throw new Error(`HTTP ${r.status} ${r.text}`);
          });
        }
      }
      await gw.close();
    }
    await as.close();
  }
  const direct = (ttl: number) => new TokenVerifier({ issuer: idp.issuer, audience: resourceUrl, tokenCacheTtlMs: ttl, jwksRefreshMs: 0 });
  const idpToken = await idp.mintToken("alice@example.com");
  const dc = direct(30_000);
  const dn = direct(0);
  await timeIt("verify dev IdP token directly, cached (before this change)", N, () => dc.verify(idpToken));
  await timeIt("verify dev IdP token directly, no cache", N, () => dn.verify(idpToken));
  dc.close();
  dn.close();
  await idp.close();
  redis?.kill("SIGTERM");
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
