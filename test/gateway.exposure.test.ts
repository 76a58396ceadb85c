/**
 * What a production gateway shows to whom, and when it says it is ready: the status page and
 * /metrics only on the admin listener (127.0.0.1) unless configured; /readyz not ready while the
 * issuer's signing keys cannot be had or a backend stops answering its health probe. Then the
 * production container entry (gateway/container/main.ts) run as a process: the array-name attack
 * and the same exposure rules.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError } from "../components/errors";
import { compileTeam } from "../components/compile";
import { loadStackFile } from "../components/stackConfig";
import { startGateway, type RunningGateway } from "../gateway/server";
import { containerConfig } from "../gateway/container/main";
import { RECORD_ENV } from "../gateway/demo/recorder";
import { TestIssuer } from "../gateway/testing/testIssuer";
import { ECHO_STDIO, ENDPOINT, echoTeam, rawPost, rawSession, REPO_ROOT, waitFor } from "../gateway/testing/harness";
import { tempStacks } from "./fixtures/cli";
import { seedTeam } from "./fixtures/seed";
import { freePort } from "./helpers/net";
import { recordedCalls, targetAttacks } from "./helpers/attacks";

const PROD_URL = "https://gw.example.com";
const status = (url: string) => fetch(url).then((r) => r.status);

describe("production exposure (in process)", () => {
  let issuer: TestIssuer;
  const gateways: RunningGateway[] = [];
  const start = async (o: Partial<Parameters<typeof startGateway>[0]> = {}) => {
    const gw = await startGateway({
      compiled: echoTeam({ environment: "production" }),
      port: 0,
      resourceUrl: PROD_URL,
      issuer: issuer.issuer,
      backends: [{ name: "echo", ...ECHO_STDIO }],
      logger: () => {},
      handleSignals: false,
      defaultMetrics: false,
      ...o,
    });
    gateways.push(gw);
    await gw.ready;
    return gw;
  };
  before(async () => {
    issuer = await TestIssuer.start(PROD_URL);
  });
  after(async () => {
    for (const g of gateways) await g.close();
    await issuer.close();
  });

  test("production: / and /metrics only on the admin listener, which is on 127.0.0.1 by default", async () => {
    const gw = await start();
    assert.ok(gw.adminUrl?.startsWith("http://127.0.0.1:"), String(gw.adminUrl));
    assert.equal(await status(`${gw.url}/`), 404);
    assert.equal(await status(`${gw.url}/metrics`), 404);
    assert.equal(await status(`${gw.url}/healthz`), 200);
    const ready = await fetch(`${gw.url}/readyz`);
    assert.equal(ready.status, 200);
    const body = (await ready.json()) as { backends: Record<string, unknown>[] };
    assert.ok(!("lastError" in body.backends[0]), "no backend errors on the public listener");
    const page = await fetch(`${gw.adminUrl}/`);
    assert.equal(page.status, 200);
    assert.ok((await page.text()).includes("mcp-users"), "the access matrix is on the admin listener");
    assert.match(await (await fetch(`${gw.adminUrl}/metrics`)).text(), /vmcp_gateway_sessions/);
    assert.equal(await status(`${gw.adminUrl}/readyz`), 200);
    assert.equal((await fetch(`${gw.adminUrl}/mcp`, { method: "POST" })).status, 405, "no MCP on the admin listener");
    assert.equal(await status(`${gw.adminUrl}/.well-known/oauth-protected-resource`), 404);
  });

  test("production with publicOps, or without an admin listener", async () => {
    const open = await start({ publicOps: true, adminPort: null });
    assert.equal(open.adminUrl, undefined);
    assert.equal(await status(`${open.url}/`), 200);
    assert.equal(await status(`${open.url}/metrics`), 200);
    const port = await freePort();
    const fixed = await start({ adminPort: port });
    assert.equal(fixed.adminUrl, `http://127.0.0.1:${port}`);
  });

  test("development: everything on the one listener, no admin listener", async () => {
    const gw = await start({ compiled: echoTeam(), resourceUrl: ENDPOINT });
    assert.equal(gw.adminUrl, undefined);
    assert.equal(await status(`${gw.url}/`), 200);
    assert.equal(await status(`${gw.url}/metrics`), 200);
  });

  test("/readyz is not ready while the issuer's signing keys cannot be fetched, and ready once they can", async () => {
    const down = await TestIssuer.start(PROD_URL);
    down.jwksAvailable = false;
    try {
      const gw = await start({ issuer: down.issuer });
      const r = await fetch(`${gw.url}/readyz`);
      assert.equal(r.status, 503);
      assert.equal(((await r.json()) as { signingKeys: boolean }).signingKeys, false);
      down.jwksAvailable = true;
      await waitFor(async () => (await status(`${gw.url}/readyz`)) === 200, 20_000, "ready once the JWKS answers");
      // Once known, keys survive a JWKS outage (cacheMaxAge Infinity): still ready.
      down.jwksAvailable = false;
      assert.equal(await status(`${gw.url}/readyz`), 200);
    } finally {
      await down.close();
    }
  });

  test("/readyz is not ready while a backend does not answer its health probe (stalled), and ready again after", async () => {
    const gw = await start({ healthIntervalMs: 300, healthTimeoutMs: 250 });
    const pid = gw.status().backends[0].pid!;
    assert.equal(await status(`${gw.url}/readyz`), 200);
    process.kill(pid, "SIGSTOP");
    try {
      await waitFor(async () => (await status(`${gw.url}/readyz`)) === 503, 10_000, "not ready while stalled");
      const body = (await (await fetch(`${gw.adminUrl}/readyz`)).json()) as { backends: { healthy: boolean; state: string }[] };
      assert.deepEqual([body.backends[0].state, body.backends[0].healthy], ["ready", false]);
    } finally {
      process.kill(pid, "SIGCONT");
    }
    await waitFor(async () => (await status(`${gw.url}/readyz`)) === 200, 10_000, "ready once it answers again");
    assert.equal(gw.status().backends[0].pid, pid, "a stall is not a crash: the same process");
  });

  test("every new option is validated with a clear error", async () => {
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ maxSessionsPerPrincipal: 0 }, /maxSessionsPerPrincipal must be an integer from 1 to 100000, got 0/],
      [{ maxSessionsPerPrincipal: "100" }, /maxSessionsPerPrincipal must be an integer/],
      [{ bodyTimeoutMs: 1.5 }, /bodyTimeoutMs must be an integer from 100/],
      [{ sessionIdleMs: -1 }, /sessionIdleMs must be an integer/],
      [{ adminPort: 70000 }, /adminPort must be an integer from 0 to 65535/],
      [{ adminHost: "" }, /adminHost must be a non-empty address/],
      [{ publicOps: "yes" }, /publicOps must be true or false/],
      [{ healthIntervalMs: 100, healthTimeoutMs: 500 }, /healthIntervalMs \(100\) must be at least healthTimeoutMs \(500\)/],
    ];
    for (const [o, re] of bad) {
      await assert.rejects(startGateway({ compiled: echoTeam(), port: 0, resourceUrl: ENDPOINT, issuer: issuer.issuer, backends: [], handleSignals: false, logger: () => {}, ...o }), re, JSON.stringify(o));
    }
  });

  test("the container's settings are validated, every problem at once", () => {
    const base = { VMCP_STACK_FILE: "/config/Pulumi.x.yaml", VMCP_ISSUER: "https://issuer.example.com" };
    const cfg = containerConfig(base);
    assert.deepEqual([cfg.adminHost, cfg.adminPort, cfg.publicOps, cfg.maxSessionsPerPrincipal, cfg.bodyTimeoutMs], ["127.0.0.1", 9090, false, 100, 30_000]);
    assert.equal(containerConfig({ ...base, VMCP_ADMIN_PORT: "off" }).adminPort, null);
    assert.throws(
      () => containerConfig({ ...base, VMCP_ADMIN_PORT: "x", VMCP_PUBLIC_OPS: "maybe", VMCP_MAX_SESSIONS_PER_USER: "0", VMCP_BODY_TIMEOUT_MS: "30s" }),
      (e: unknown) => {
        const m = (e as Error).message;
        assert.ok(e instanceof ConfigError);
        for (const code of ["container.admin-port", "container.public-ops", "container.max-sessions", "container.body-timeout"]) assert.ok(m.includes(code), `${code} in ${m}`);
        return true;
      },
    );
  });
});

describe("production container entry (gateway/container/main.ts as a process)", () => {
  const endpoint = "https://vmcp.example.com";
  let issuer: TestIssuer;
  let child: ReturnType<typeof spawn>;
  let out = "";
  let base: string;
  let admin: string;
  const dir = mkdtempSync(join(tmpdir(), "vmcp-container-"));
  const files = [join(dir, "github.jsonl"), join(dir, "kubernetes.jsonl")];
  const demo = (profile: string, file: string) => ({ command: process.execPath, args: ["--import", "tsx", join(REPO_ROOT, "gateway/demo/demoBackend.ts"), profile], env: { [RECORD_ENV]: file } });

  before(async () => {
    const team = seedTeam();
    team.environment = "production";
    team.backends["github-backend"].local = demo("github", files[0]);
    team.backends["kubernetes-backend"].local = demo("kubernetes", files[1]);
    const stacks = tempStacks({ attack: team });
    compileTeam(loadStackFile("attack", stacks).team); // a valid production stack
    issuer = await TestIssuer.start(endpoint);
    const port = await freePort();
    const adminPort = await freePort();
    base = `http://127.0.0.1:${port}`;
    admin = `http://127.0.0.1:${adminPort}`;
    child = spawn(process.execPath, ["--import", "tsx", join(REPO_ROOT, "gateway", "container", "main.ts")], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? "", VMCP_STACK_FILE: join(stacks, "Pulumi.attack.yaml"), VMCP_ISSUER: issuer.issuer, HOST: "127.0.0.1", PORT: String(port), VMCP_ADMIN_PORT: String(adminPort) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout!.setEncoding("utf8").on("data", (d: string) => (out += d));
    child.stderr!.setEncoding("utf8").on("data", (d: string) => (out += d));
    await waitFor(async () => (await fetch(`${base}/readyz`).then((r) => r.status, () => 0)) === 200, 60_000, "the container gateway ready").catch((e) => {
      throw new Error(`${(e as Error).message}\n${out}`);
    });
  });
  after(async () => {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once("close", resolve));
      child.kill("SIGTERM");
      await exited;
    }
    await issuer.close();
  });

  test("the array-name attack (and every other non-string target) runs nothing", async () => {
    const alice = await issuer.userToken("alice@example.com", ["mcp-developers"]);
    const sid = await rawSession(`${base}/mcp`, alice);
    const h = { authorization: `Bearer ${alice}`, "mcp-session-id": sid };
    const array = await rawPost(`${base}/mcp`, { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: ["kubernetes-backend_delete_namespace"], arguments: { namespace: "default" } } }, h);
    assert.equal(array.status, 200, array.text);
    assert.deepEqual(array.body, { jsonrpc: "2.0", id: 1, error: { code: -32602, message: "Invalid params for tools/call: params.name must be a string, got an array" } });
    for (const a of targetAttacks({ tool: "kubernetes-backend_delete_namespace", prompt: "kubernetes-backend_triage_namespace", resource: "demo://kubernetes/cluster-info", template: "demo://kubernetes/namespaces/{namespace}" })) {
      const r = await rawPost(`${base}/mcp`, { jsonrpc: "2.0", id: 2, method: a.method, params: a.params }, h);
      assert.equal((r.body as { error?: { code: number } }).error?.code, -32602, `${a.label}: ${r.text}`);
    }
    assert.deepEqual(recordedCalls(files), [], "no backend received a call");
    // Control: what alice may call does run, under the backend's own name.
    const ok = await rawPost(`${base}/mcp`, { jsonrpc: "2.0", id: 3, method: "tools/call", params: { name: "kubernetes-backend_get_pods", arguments: { namespace: "payments" } } }, h);
    assert.equal(ok.status, 200, ok.text);
    assert.deepEqual(recordedCalls(files).map((m) => m.params), [{ name: "get_pods", arguments: { namespace: "payments" } }]);
    const denied = await rawPost(`${base}/mcp`, { jsonrpc: "2.0", id: 4, method: "tools/call", params: { name: "kubernetes-backend_delete_namespace", arguments: { namespace: "payments" } } }, h);
    assert.equal(denied.status, 403);
    assert.equal(recordedCalls(files).length, 1);
    const audit = out.split("\n").filter((l) => l.includes('"authz.decision"')).map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(audit.map((l) => [l.target, l.decision, l.backendTarget]), [["kubernetes-backend_get_pods", "allow", "get_pods"], ["kubernetes-backend_delete_namespace", "deny", "delete_namespace"]]);
  });

  test("the status page and /metrics are not on the public listener; they are on the admin one (127.0.0.1)", async () => {
    assert.equal(await status(`${base}/`), 404);
    assert.equal(await status(`${base}/metrics`), 404);
    assert.equal(await status(`${base}/healthz`), 200);
    const page = await (await fetch(`${admin}/`)).text();
    assert.ok(page.includes("mcp-developers") && page.includes("kubernetes-backend_delete_namespace"), "the matrix is on the admin listener");
    assert.match(await (await fetch(`${admin}/metrics`)).text(), /vmcp_gateway_requests_total/);
    const listening = out.split("\n").find((l) => l.includes('"gateway listening"'));
    assert.ok(listening && JSON.parse(listening).admin === admin, listening);
  });
});
