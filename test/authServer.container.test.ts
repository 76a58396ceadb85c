/**
 * The production container entry (gateway/container/main.ts, a real process) with its embedded
 * authorization server switched on, the development IdP standing in for Okta: keys and HMAC
 * secrets mounted as the operator mounts vMCP's (key-<i>.pem, hmac-<i>), the Okta app's client id
 * and secret from the environment. Behind a stand-in TLS proxy (the public URL is https; requests
 * arrive over loopback with X-Forwarded-Proto), a client registers, signs in, and lists exactly its
 * group's tools with the gateway's token; the dev IdP's own tokens are not accepted here.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { decodeJwt } from "jose";
import { compileTeam } from "../components/compile";
import { DEFAULT_TOKEN_TTL_SECONDS, devUsers } from "../components/dev/config";
import { startDevIdp } from "../gateway/devIdp";
import { startEverythingServer } from "../gateway/conformance/everythingServer";
import { rawPost } from "../gateway/testing/harness";
import { seedTeam } from "./fixtures/seed";
import { tempStacks } from "./fixtures/cli";
import { freePort } from "./helpers/net";
import { authorizeUrl, HostCookieBrowser, pkcePair, registerClient, tokenRequest } from "./helpers/authServerFlow";

const REPO = resolve(__dirname, "..");
const PUBLIC = "https://vmcp.example.com";

test("the container entry signs clients in through its embedded authorization server, the dev IdP standing in for Okta", async () => {
  const backend = await startEverythingServer();
  const team = {
    ...seedTeam(),
    environment: "production" as const,
    endpoint: PUBLIC,
    backends: { "github-backend": { image: "ghcr.io/example/everything:1", transport: "streamable-http" as const, tools: ["test_simple_text"], local: { url: backend.url } } },
    grants: { developers: { allow: "*" as const } },
  };
  const dir = tempStacks({ production: team });
  const spec = compileTeam(team).spec;
  const okta = await startDevIdp({ spec, users: devUsers(spec, { extraUsers: [], tokenTtlSeconds: DEFAULT_TOKEN_TTL_SECONDS }), resourceUrl: PUBLIC, port: 0, stateDir: mkdtempSync(join(tmpdir(), "vmcp-okta-asct-idp-")) });
  // The "Okta app": a confidential client with the gateway's callback, as the Okta component declares it.
  const reg = await fetch(`${okta.issuer}/v1/clients`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ redirect_uris: [`${PUBLIC}/oauth/callback`], grant_types: ["authorization_code", "refresh_token"], response_types: ["code"], token_endpoint_auth_method: "client_secret_basic" }),
  });
  const app = (await reg.json()) as { client_id: string; client_secret: string };
  // The Secrets, mounted as files.
  const mounts = mkdtempSync(join(tmpdir(), "vmcp-okta-asct-"));
  mkdirSync(join(mounts, "keys"));
  mkdirSync(join(mounts, "hmac"));
  for (const i of [0, 1]) writeFileSync(join(mounts, "keys", `key-${i}.pem`), generateKeyPairSync("ec", { namedCurve: "prime256v1" }).privateKey.export({ format: "pem", type: "pkcs8" }));
  writeFileSync(join(mounts, "hmac", "hmac-0"), randomBytes(32));
  writeFileSync(join(mounts, "client-secret"), app.client_secret);

  const port = await freePort();
  const child = spawn(process.execPath, ["--import", "tsx", join(REPO, "gateway", "container", "main.ts")], {
    cwd: REPO,
    env: {
      PATH: process.env.PATH ?? "",
      VMCP_STACK_FILE: join(dir, "Pulumi.production.yaml"),
      VMCP_ISSUER: okta.issuer,
      VMCP_UPSTREAM_CLIENT_ID: app.client_id,
      VMCP_UPSTREAM_CLIENT_SECRET_FILE: join(mounts, "client-secret"),
      VMCP_AUTH_KEYS_DIR: join(mounts, "keys"),
      VMCP_AUTH_HMAC_DIR: join(mounts, "hmac"),
      HOST: "127.0.0.1",
      PORT: String(port),
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout!.setEncoding("utf8").on("data", (d: string) => (out += d));
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (out += d));
  const exit = new Promise<number | null>((r) => child.on("close", (code) => r(code)));
  const local = `http://localhost:${port}`;
  // The stand-in TLS proxy: the public https URL is this process on loopback.
  const toLocal = (url: string) => (url.startsWith(PUBLIC) ? local + url.slice(PUBLIC.length) : url);
  const proxied = (url: string): Record<string, string> => (url.startsWith(local) ? { "x-forwarded-proto": "https", host: "vmcp.example.com" } : {});
  try {
    let health = 0;
    // Up to 90 s: a cold tsx start of the whole entry is slow on a loaded 2-core machine.
    for (let i = 0; i < 450 && health !== 200 && child.exitCode === null; i++) {
      health = await fetch(`${local}/healthz`).then((x) => x.status, () => 0);
      if (health !== 200) await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(health, 200, out);
    const prm = (await (await fetch(`${local}/.well-known/oauth-protected-resource`)).json()) as { authorization_servers: string[] };
    assert.deepEqual(prm.authorization_servers, [PUBLIC], "the gateway itself is the authorization server");
    const md = (await (await fetch(`${local}/.well-known/oauth-authorization-server`, { headers: proxied(local) })).json()) as Record<string, string>;
    assert.equal(md.token_endpoint, `${PUBLIC}/oauth/token`);

    const redirectUri = "http://127.0.0.1:9/cb";
    const clientId = String((await registerClient(local, redirectUri, { token_endpoint_auth_method: "none" })).body.client_id);
    const { verifier, challenge } = pkcePair();
    const browser = new HostCookieBrowser(proxied);
    const page = await browser.go(authorizeUrl(local, { client_id: clientId, response_type: "code", redirect_uri: redirectUri, code_challenge: challenge, code_challenge_method: "S256", scope: "openid offline_access" }), { rewrite: toLocal });
    assert.equal(page.status, 200, `${page.url}\n${page.body.slice(0, 300)}\n${out}`);
    const done = await browser.signInAs(page, "alice@example.com", { stopAt: [redirectUri], rewrite: toLocal });
    const code = new URL(done.url).searchParams.get("code");
    assert.ok(code, `${done.url} ${done.body.slice(0, 300)}\n${out}`);
    const t = await tokenRequest(local, { grant_type: "authorization_code", code, code_verifier: verifier, client_id: clientId, redirect_uri: redirectUri });
    assert.equal(t.status, 200, JSON.stringify(t.body));
    assert.equal(decodeJwt(String(t.body.access_token)).iss, PUBLIC);
    assert.ok(t.body.refresh_token);

    const auth = { authorization: `Bearer ${t.body.access_token}` };
    const init = await rawPost(`${local}/mcp`, { jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "c", version: "1" } } }, auth);
    assert.equal(init.status, 200, init.text);
    const sid = init.headers.get("mcp-session-id")!;
    await rawPost(`${local}/mcp`, { jsonrpc: "2.0", method: "notifications/initialized" }, { ...auth, "mcp-session-id": sid });
    const list = await rawPost(`${local}/mcp`, { jsonrpc: "2.0", id: 2, method: "tools/list" }, { ...auth, "mcp-session-id": sid });
    const tools = ((list.body as { result: { tools: { name: string }[] } }).result.tools ?? []).map((x) => x.name);
    assert.ok(tools.includes("github-backend_test_simple_text"), `alice (mcp-developers: allow *) sees the backend's tools: ${tools.join(", ")}`);

    // Production accepts only its own tokens, as vMCP with an embedded AS does.
    const direct = await rawPost(`${local}/mcp`, { jsonrpc: "2.0", id: 3, method: "tools/list" }, { authorization: `Bearer ${await okta.mintToken("alice@example.com")}` });
    assert.equal(direct.status, 401);
    assert.ok(!out.includes(String(t.body.access_token)) && !out.includes(app.client_secret), "no token or secret in the logs");
    child.kill("SIGTERM");
    assert.equal(await exit, 0, out);
  } finally {
    if (child.exitCode === null) child.kill("SIGKILL");
    await okta.close();
    await backend.close();
  }
});
