/**
 * Two gateway replicas sharing one real Redis (Debian's redis-server, started here with a password):
 * the container entry run twice as a process exactly as a 2-replica Deployment runs it (command and
 * env from the Deployment builder, the ConfigMap's files as /config, the Redis password as the
 * Secret would give it in THV_SESSION_REDIS_PASSWORD; the Redis address, db and key prefix come from
 * the stack's kubernetes.sessionStorage in the ConfigMap). Checked: a session opened on A continues
 * on B; A killed with SIGKILL mid-session, the client continues on B; another user's token on that
 * session gets 404; DELETE on B ends it on both; the per-user cap counts both replicas' sessions.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawn, type ChildProcess } from "node:child_process";
import { parse } from "yaml";
import Redis from "ioredis";
import { loadTeam, stackFileConfigView } from "../components/loadStack";
import { gatewayObjects } from "../components/gatewayDeploy/objects";
import { serveDemoHttp } from "../gateway/demo/httpServe";
import { TestIssuer } from "../gateway/testing/testIssuer";
import { freePort } from "./helpers/net";
import { ConfigError } from "../components/errors";
import { sessionStorageConfig } from "../gateway/container/main";
import { startGateway } from "../gateway/server";
import { ECHO_STDIO, ENDPOINT, echoTeam, rawPost, rawSession } from "../gateway/testing/harness";

const ROOT = path.resolve(__dirname, "..");
type Obj = Record<string, any>;

async function waitFor(check: () => Promise<boolean>, what: string, out: () => string, ms = 45_000): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`${what} did not happen within ${ms} ms; output:\n${out()}`);
}

interface RpcReply {
  status: number;
  sessionId: string | null;
  body: Obj | undefined;
}

/** One JSON-RPC POST to `base`/mcp; the answer parsed from JSON or from the SSE stream. */
async function rpc(base: string, token: string, msg: Obj, sessionId?: string): Promise<RpcReply> {
  const headers: Record<string, string> = { authorization: `Bearer ${token}`, "content-type": "application/json", accept: "application/json, text/event-stream" };
  if (sessionId) {
    headers["mcp-session-id"] = sessionId;
    headers["mcp-protocol-version"] = "2025-06-18";
  }
  const res = await fetch(`${base}/mcp`, { method: "POST", headers, body: JSON.stringify(msg) });
  const text = await res.text();
  let body: Obj | undefined;
  if ((res.headers.get("content-type") ?? "").includes("text/event-stream")) {
    const data = text.split("\n").filter((l) => l.startsWith("data:")).map((l) => JSON.parse(l.slice(5)) as Obj);
    body = data.find((d) => "id" in d && ("result" in d || "error" in d));
  } else if (text) body = JSON.parse(text) as Obj;
  return { status: res.status, sessionId: res.headers.get("mcp-session-id"), body };
}

const initialize = (id: number) => ({ jsonrpc: "2.0", id, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: { roots: {} }, clientInfo: { name: "h9-shared-sessions", version: "1" } } });

interface Replica {
  child: ChildProcess;
  base: string;
  out: () => string;
  exited: Promise<number | null>;
}

test("two gateway replicas share MCP sessions through Redis: continue on the other, survive a SIGKILL, owner-only, DELETE everywhere", async () => {
  const redisPort = await freePort();
  const password = "h9-redis-session-password";
  const redisProc = spawn("/usr/bin/redis-server", ["--port", String(redisPort), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--requirepass", password], { stdio: "ignore" });
  const github = await serveDemoHttp("github");
  const kubernetes = await serveDemoHttp("kubernetes");
  const endpoint = "https://vmcp-engineering.example.com";
  const issuer = await TestIssuer.start(endpoint);
  const configDir = fs.mkdtempSync(path.join(os.tmpdir(), "vmcp-h9-config-"));
  const replicas: Replica[] = [];
  const keyPrefix = "vmcp-h9-test:session:";
  const redis = new Redis({ host: "127.0.0.1", port: redisPort, password, lazyConnect: true, maxRetriesPerRequest: 1 }).on("error", () => {});
  try {
    await waitFor(async () => (await redis.connect().then(() => true)) && (await redis.ping()) === "PONG", "redis-server up", () => "");

    // The shipped production stack with two gateway replicas and Redis session storage.
    const stackDoc = parse(fs.readFileSync(path.join(ROOT, "Pulumi.engineering.yaml"), "utf8")) as Obj;
    const team = stackDoc.config["vmcp-okta:team"];
    team.kubernetes = { ...(team.kubernetes ?? {}), sessionStorage: { provider: "redis", address: `127.0.0.1:${redisPort}`, db: 0, keyPrefix, passwordFrom: "redisSessionPassword" } };
    team.gateway = { image: "ghcr.io/acme/vmcp-okta-gateway:0.1.0", authServer: "none", replicas: 2, drainSeconds: 1, backendUrls: { "github-backend": github.url, "kubernetes-backend": kubernetes.url } };
    stackDoc.config["vmcp-okta:redisSessionPassword"] = { secure: "v1:h9testciphertext" };
    stackDoc.config["kubernetes:enableSecretMutable"] = "true";
    const loaded = loadTeam(team, stackFileConfigView(stackDoc.config));
    assert.ok(loaded.gateway);
    const objects = gatewayObjects(loaded.compiled.spec, loaded.kubernetes, loaded.gateway, loaded.policies, { issuer: issuer.issuer, clientId: "not-used-without-the-embedded-server" });
    assert.equal((objects.deployment.spec as Obj).replicas, 2);
    const container = (objects.deployment.spec as Obj).template.spec.containers[0] as Obj;
    for (const [name, text] of Object.entries(objects.configMap.data as Record<string, string>)) fs.writeFileSync(path.join(configDir, name), text);
    const env: Record<string, string> = {};
    for (const e of container.env as Obj[]) {
      if (e.valueFrom) {
        // The one secret reference: the Redis session password, which the Secret holds.
        assert.equal(e.name, "THV_SESSION_REDIS_PASSWORD");
        env[e.name] = password;
      } else env[e.name] = String(e.value);
    }
    assert.equal(env.THV_SESSION_REDIS_PASSWORD, password, "the Deployment passes the Redis password");

    const start = async (): Promise<Replica> => {
      const port = await freePort();
      const processEnv = { ...env, VMCP_STACK_FILE: path.join(configDir, path.basename(env.VMCP_STACK_FILE)), HOST: "127.0.0.1", PORT: String(port), VMCP_ADMIN_PORT: "off" };
      const [, ...args] = container.command as string[];
      const child = spawn(process.execPath, args, { cwd: ROOT, env: { PATH: process.env.PATH ?? "", ...processEnv }, stdio: ["ignore", "pipe", "pipe"] });
      let out = "";
      child.stdout!.setEncoding("utf8").on("data", (d: string) => (out += d));
      child.stderr!.setEncoding("utf8").on("data", (d: string) => (out += d));
      const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
      const r = { child, base: `http://127.0.0.1:${port}`, out: () => out, exited };
      replicas.push(r);
      return r;
    };
    const [a, b] = await Promise.all([start(), start()]);
    await Promise.all([a, b].map((r) => waitFor(async () => (await fetch(`${r.base}/readyz`)).status === 200, "readiness", r.out)));
    for (const r of [a, b]) {
      const listening = r.out().split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as Obj).find((l) => l.msg === "gateway listening")!;
      assert.deepEqual(listening.sessionStorage, { provider: "redis", address: `127.0.0.1:${redisPort}`, db: 0, keyPrefix }, "the stack's session storage is what the container uses");
    }

    const alice = await issuer.userToken("alice@example.com", ["mcp-developers"]);
    const mallory = await issuer.userToken("mallory@example.com", ["mcp-developers"]);

    // initialize on A.
    const init = await rpc(a.base, alice, initialize(1));
    assert.equal(init.status, 200, JSON.stringify(init.body));
    const sid = init.sessionId!;
    assert.ok(sid);
    const stored = JSON.parse((await redis.get(`${keyPrefix}${sid}`))!) as Obj;
    assert.equal(stored.sub, "alice@example.com", "the record names its owner");
    assert.deepEqual(stored.clientCapabilities, { roots: {} });
    assert.equal(stored.protocolVersion, "2025-06-18");
    const ttl = await redis.pttl(`${keyPrefix}${sid}`);
    assert.ok(ttl > 25 * 60_000 && ttl <= 30 * 60_000, `the record expires after the idle timeout (30 min), got ${ttl} ms`);
    assert.equal((await rpc(a.base, alice, { jsonrpc: "2.0", method: "notifications/initialized" }, sid)).status, 202);

    // tools/list and tools/call on B with the same session id.
    const listB = await rpc(b.base, alice, { jsonrpc: "2.0", id: 2, method: "tools/list" }, sid);
    assert.equal(listB.status, 200, JSON.stringify(listB.body));
    const tools = (listB.body!.result.tools as Obj[]).map((t) => t.name).sort();
    assert.deepEqual(tools, ["github-backend_create_issue", "github-backend_get_file_contents", "github-backend_list_issues", "kubernetes-backend_get_pods", "kubernetes-backend_list_namespaces"]);
    const callB = await rpc(b.base, alice, { jsonrpc: "2.0", id: 3, method: "tools/call", params: { name: "kubernetes-backend_list_namespaces", arguments: {} } }, sid);
    assert.equal(callB.status, 200);
    assert.match(JSON.stringify(callB.body!.result.content), /payments/);
    // The log level set on B is part of the record.
    assert.equal((await rpc(b.base, alice, { jsonrpc: "2.0", id: 4, method: "logging/setLevel", params: { level: "warning" } }, sid)).body!.result !== undefined, true);
    assert.equal((JSON.parse((await redis.get(`${keyPrefix}${sid}`))!) as Obj).logLevel, "warning");

    // Another user's token on that session id: 404 on both replicas (not rehydrated for them).
    for (const r of [a, b]) {
      const stolen = await rpc(r.base, mallory, { jsonrpc: "2.0", id: 5, method: "tools/list" }, sid);
      assert.equal(stolen.status, 404, "someone else's session does not exist for them");
    }

    // A killed mid-session (SIGKILL: no drain, no cleanup); the client continues on B.
    const callA = await rpc(a.base, alice, { jsonrpc: "2.0", id: 6, method: "tools/call", params: { name: "github-backend_list_issues", arguments: { owner: "acme", repo: "platform" } } }, sid);
    assert.equal(callA.status, 200);
    a.child.kill("SIGKILL");
    await a.exited;
    await assert.rejects(fetch(`${a.base}/healthz`), "A is gone");
    const after = await rpc(b.base, alice, { jsonrpc: "2.0", id: 7, method: "tools/call", params: { name: "github-backend_list_issues", arguments: { owner: "acme", repo: "platform" } } }, sid);
    assert.equal(after.status, 200, JSON.stringify(after.body));
    assert.match(JSON.stringify(after.body!.result.content), /Gateway returns 403/);
    const denied = await rpc(b.base, alice, { jsonrpc: "2.0", id: 8, method: "tools/call", params: { name: "kubernetes-backend_delete_namespace", arguments: { namespace: "staging" } } }, sid);
    assert.equal(denied.body?.error?.code, 403, "authorization still applies on the other replica");

    // A new replica (the Deployment's replacement pod) picks the session up too.
    const c = await start();
    await waitFor(async () => (await fetch(`${c.base}/readyz`)).status === 200, "readiness of the replacement", c.out);
    assert.equal((await rpc(c.base, alice, { jsonrpc: "2.0", id: 9, method: "ping" }, sid)).status, 200);

    // DELETE on B: gone on B, on C (which holds a local copy) and in Redis.
    const del = await fetch(`${b.base}/mcp`, { method: "DELETE", headers: { authorization: `Bearer ${alice}`, "mcp-session-id": sid } });
    assert.equal(del.status, 200);
    assert.equal(await redis.exists(`${keyPrefix}${sid}`), 0);
    for (const r of [b, c]) assert.equal((await rpc(r.base, alice, { jsonrpc: "2.0", id: 10, method: "ping" }, sid)).status, 404, "deleted everywhere");

    // The per-user cap (100 by default) counts both replicas' sessions.
    const bob = await issuer.userToken("bob@example.com", ["mcp-platform"]);
    const opened: number[] = [];
    for (let i = 0; i < 100; i++) opened.push((await rpc(i % 2 ? b.base : c.base, bob, initialize(100 + i))).status);
    assert.ok(opened.every((s) => s === 200));
    const over = await rpc(b.base, bob, initialize(300));
    assert.equal(over.status, 429, "the 101st session is refused, wherever the first 100 were opened");
    assert.ok(Number(await redis.zcard(`${keyPrefix}sub:bob@example.com`)) === 100);
  } finally {
    for (const r of replicas) if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill("SIGKILL");
    await Promise.all(replicas.map((r) => r.exited));
    redis.disconnect();
    redisProc.kill("SIGKILL");
    await issuer.close();
    await github.close();
    await kubernetes.close();
    fs.rmSync(configDir, { recursive: true, force: true });
  }
});

test("session storage settings: the container's variables and the stack's sessionStorage, bad values named", () => {
  assert.equal(sessionStorageConfig({}, undefined), undefined, "in memory by default");
  assert.equal(sessionStorageConfig({}, { provider: "memory" }), undefined);
  assert.deepEqual(sessionStorageConfig({ THV_SESSION_REDIS_PASSWORD: "pw" }, { provider: "redis", address: "redis.platform.svc:6379", db: 2, keyPrefix: "team:s:" }), {
    address: "redis.platform.svc:6379",
    db: 2,
    keyPrefix: "team:s:",
    password: "pw",
  });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vmcp-h9-pw-"));
  try {
    fs.writeFileSync(path.join(dir, "password"), "from-file\n");
    const o = sessionStorageConfig({ VMCP_SESSION_REDIS_ADDRESS: "10.0.0.5:6380", VMCP_SESSION_REDIS_DB: "3", THV_SESSION_REDIS_PASSWORD_FILE: path.join(dir, "password") }, { provider: "redis", address: "ignored:1", db: 1 });
    assert.deepEqual(o, { address: "10.0.0.5:6380", db: 3, keyPrefix: undefined, password: "from-file" }, "the variables override the stack; the file's trailing newline is dropped");
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const codes = (env: NodeJS.ProcessEnv) => {
    try {
      sessionStorageConfig(env, undefined);
    } catch (e) {
      assert.ok(e instanceof ConfigError);
      return e.problems.map((p) => `${p.code} ${p.path}`);
    }
    return [];
  };
  assert.deepEqual(codes({ VMCP_SESSION_REDIS_ADDRESS: "redis" }), ["container.session-redis VMCP_SESSION_REDIS_ADDRESS"]);
  assert.deepEqual(codes({ VMCP_SESSION_REDIS_ADDRESS: "r:6379", VMCP_SESSION_REDIS_KEY_PREFIX: "no-colon" }), ["container.session-redis VMCP_SESSION_REDIS_KEY_PREFIX"]);
  assert.deepEqual(codes({ VMCP_SESSION_REDIS_ADDRESS: "r:6379", VMCP_SESSION_REDIS_DB: "16" }), ["container.session-redis-db VMCP_SESSION_REDIS_DB"]);
  assert.deepEqual(codes({ VMCP_SESSION_REDIS_ADDRESS: "r:6379", THV_SESSION_REDIS_PASSWORD_FILE: "/nonexistent/pw" }), ["container.session-redis-password-file THV_SESSION_REDIS_PASSWORD_FILE"]);
});

test("Redis unreachable: startGateway refuses with a clear error; Redis lost while running: 503, never 500", async () => {
  const issuer = await TestIssuer.start(ENDPOINT);
  const deadPort = await freePort();
  await assert.rejects(
    startGateway({ compiled: echoTeam(), port: 0, resourceUrl: ENDPOINT, issuer: issuer.issuer, backends: [{ name: "echo", ...ECHO_STDIO }], logger: () => {}, sessionStorage: { redis: { address: `127.0.0.1:${deadPort}`, redis: { connectTimeout: 500, retryStrategy: () => null } } } }),
    /GatewayOptions\.sessionStorage: Redis at 127\.0\.0\.1:\d+ is unreachable/,
  );
  const redisPort = await freePort();
  const redisProc = spawn("/usr/bin/redis-server", ["--port", String(redisPort), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: "ignore" });
  const lines: Obj[] = [];
  let gw: Awaited<ReturnType<typeof startGateway>> | undefined;
  try {
    await waitFor(async () => {
      const r = new Redis({ host: "127.0.0.1", port: redisPort, lazyConnect: true, retryStrategy: () => null }).on("error", () => {});
      try {
        await r.connect();
        return (await r.ping()) === "PONG";
      } finally {
        r.disconnect();
      }
    }, "redis-server up", () => "");
    gw = await startGateway({
      compiled: echoTeam(),
      port: 0,
      resourceUrl: ENDPOINT,
      issuer: issuer.issuer,
      backends: [{ name: "echo", ...ECHO_STDIO }],
      logger: (l) => lines.push(l as Obj),
      sessionStorage: { redis: { address: `127.0.0.1:${redisPort}`, redis: { commandTimeout: 500, maxRetriesPerRequest: 0, retryStrategy: () => null } } },
    });
    await gw.ready;
    const token = await issuer.userToken("carol@example.com", ["mcp-users"]);
    const sid = await rawSession(gw.mcpUrl, token);
    assert.equal((await rawPost(gw.mcpUrl, { jsonrpc: "2.0", id: 1, method: "ping" }, { authorization: `Bearer ${token}`, "mcp-session-id": sid })).status, 200);
    redisProc.kill("SIGKILL");
    await new Promise((r) => redisProc.once("exit", r));
    const down = await rawPost(gw.mcpUrl, { jsonrpc: "2.0", id: 2, method: "ping" }, { authorization: `Bearer ${token}`, "mcp-session-id": sid });
    assert.equal(down.status, 503, down.text);
    assert.equal(down.headers.get("retry-after"), "1");
    assert.doesNotMatch(down.text, /ECONNREFUSED|Connection is closed|127\.0\.0\.1/, "Redis's error text is logged, not sent");
    assert.ok(lines.some((l) => l.msg === "session.storage_unavailable"));
    const init = await rawPost(gw.mcpUrl, { jsonrpc: "2.0", id: 3, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "x", version: "1" } } }, { authorization: `Bearer ${token}` });
    assert.equal(init.status, 503, "no session can be opened without its storage");
  } finally {
    if (redisProc.exitCode === null && redisProc.signalCode === null) redisProc.kill("SIGKILL");
    await gw?.close();
    await issuer.close();
  }
});
