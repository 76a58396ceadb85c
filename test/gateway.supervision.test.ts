/**
 * Backend supervision and shutdown: a stdio backend that dies in the middle of a call gives the
 * client a JSON-RPC error, the gateway stays up and restarts it; timeouts and cancellation reach
 * the backend; SIGTERM closes the gateway and its children.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as path from "node:path";
import { McpError } from "@modelcontextprotocol/sdk/types.js";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { startGateway, type RunningGateway } from "../gateway/server";
import { startEchoHttpBackend, type EchoHttpBackend } from "../gateway/demo/echoBackend";
import { TestIssuer } from "../gateway/testing/testIssuer";
import { connect, ECHO_STDIO, ECHO_TOOLS, ENDPOINT, echoTeam, LogCapture, REPO_ROOT, waitFor, startEchoGateway } from "../gateway/testing/harness";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("gateway backend supervision (stdio)", () => {
  let issuer: TestIssuer;
  let gw: RunningGateway;
  let client: Client;
  const logs = new LogCapture();

  before(async () => {
    issuer = await TestIssuer.start(ENDPOINT);
    gw = await startGateway({
      compiled: echoTeam({ tools: [...ECHO_TOOLS, "crash"] }),
      port: 0,
      resourceUrl: ENDPOINT,
      issuer: issuer.issuer,
      backends: [{ name: "echo", ...ECHO_STDIO }],
      logger: logs.logger,
      handleSignals: false,
    });
    await gw.ready;
    client = await connect(gw.mcpUrl, await issuer.userToken("alice@example.com", ["mcp-users"]));
  });
  after(async () => {
    await client.close().catch(() => {});
    await gw.close();
    await issuer.close();
  });

  test("a crash mid-call: JSON-RPC error, the gateway stays up, the backend is restarted", async () => {
    const firstPid = gw.status().backends[0].pid!;
    assert.ok(alive(firstPid));
    const progress: number[] = [];
    await assert.rejects(
      client.callTool({ name: "echo_crash", arguments: {} }, undefined, { onprogress: (p) => progress.push(p.progress) }),
      (e: unknown) => e instanceof McpError && e.code === -32603 && /echo failed during the request/.test(e.message),
    );
    assert.deepEqual(progress, [1], "the call was under way when the backend died");
    const health = await fetch(`${gw.url}/healthz`);
    assert.equal(health.status, 200);
    await waitFor(() => gw.status().backends[0].state === "ready" && gw.status().backends[0].pid !== firstPid, 20_000, "the restart");
    assert.ok(!alive(firstPid));
    const r = await client.callTool({ name: "echo_echo", arguments: { text: "back" } });
    assert.deepEqual(r.content, [{ type: "text", text: "back" }]);
    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    assert.match(metrics, /vmcp_gateway_backend_errors_total\{backend="echo",kind="exit"\} 1/);
    assert.ok(logs.find("backend.lost").length >= 1);
  });

  test("the client cancelling a call cancels it at the backend", async () => {
    const controller = new AbortController();
    const pending = client.callTool({ name: "echo_slow", arguments: { ms: 10_000 } }, undefined, { signal: controller.signal });
    await waitFor(() => gw.status().backends[0].inFlight === 1, 5_000, "the call to be in flight");
    controller.abort();
    await assert.rejects(pending);
    await waitFor(() => gw.status().backends[0].inFlight === 0, 2_000, "the call to be cancelled upstream");
  });
});

describe("gateway backend supervision (Streamable HTTP)", () => {
  test("a backend that goes away fails the call in flight; when it is back the gateway opens a new session", async () => {
    let backend = await startEchoHttpBackend();
    const port = Number(new URL(backend.url).port);
    const issuer = await TestIssuer.start(ENDPOINT);
    const gw = await startEchoGateway(issuer, backend, { logger: () => {}, handleSignals: false, defaultMetrics: false });
    const client = await connect(gw.mcpUrl, await issuer.userToken("alice@example.com", ["mcp-users"]));
    try {
      await gw.ready;
      const inFlight = client.callTool({ name: "echo_slow", arguments: { ms: 5_000 } });
      await waitFor(() => gw.status().backends[0].inFlight === 1, 5_000, "the call in flight");
      await backend.close();
      await assert.rejects(inFlight, (e: unknown) => e instanceof McpError && e.code === -32603);
      await waitFor(() => gw.status().backends[0].state !== "ready", 5_000, "the backend marked down");
      assert.equal((await fetch(`${gw.url}/readyz`)).status, 503);
      backend = await startEchoHttpBackend({ port });
      await waitFor(() => gw.status().backends[0].state === "ready", 20_000, "the backend back");
      assert.equal(backend.stats.methods["initialize"], 1, "a new backend session");
      assert.deepEqual((await client.callTool({ name: "echo_echo", arguments: { text: "again" } })).content, [{ type: "text", text: "again" }]);
    } finally {
      await client.close().catch(() => {});
      await gw.close();
      await backend.close();
      await issuer.close();
    }
  });
});

describe("gateway request timeout", () => {
  let backend: EchoHttpBackend;
  let issuer: TestIssuer;
  let gw: RunningGateway;

  before(async () => {
    backend = await startEchoHttpBackend();
    issuer = await TestIssuer.start(ENDPOINT);
    gw = await startEchoGateway(issuer, backend, {
      logger: () => {},
      requestTimeoutMs: 300,
      handleSignals: false,
      defaultMetrics: false,
    });
    await gw.ready;
  });
  after(async () => {
    await gw.close();
    await backend.close();
    await issuer.close();
  });

  test("a backend that does not answer in time: -32001 to the client, cancellation to the backend", async () => {
    const client = await connect(gw.mcpUrl, await issuer.userToken("alice@example.com", ["mcp-users"]));
    try {
      const started = Date.now();
      await assert.rejects(client.callTool({ name: "echo_slow", arguments: { ms: 5_000 } }), (e: unknown) => e instanceof McpError && e.code === -32001);
      assert.ok(Date.now() - started < 3_000);
      await waitFor(() => (backend.stats.methods["notifications/cancelled"] ?? 0) >= 1, 2_000, "notifications/cancelled at the backend");
      // Progress resets the timer: 4 steps of 150 ms each (600 ms in all) pass with a 300 ms timeout.
      const r = await client.callTool({ name: "echo_slow", arguments: { ms: 600, steps: 4 } }, undefined, { onprogress: () => {} });
      assert.deepEqual(r.content, [{ type: "text", text: "slept 600 ms" }]);
    } finally {
      await client.close();
    }
  });
});

describe("gateway shutdown", () => {
  test("SIGTERM closes the gateway and its stdio backends", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", path.join(REPO_ROOT, "gateway/testing/runGateway.ts"), JSON.stringify({ backends: [{ name: "echo", ...ECHO_STDIO }], quiet: true })], {
      cwd: REPO_ROOT,
      stdio: ["ignore", "pipe", "inherit"],
    });
    const line = await new Promise<string>((resolve, reject) => {
      let out = "";
      child.stdout!.on("data", (c: Buffer) => {
        out += c.toString();
        if (out.includes("\n")) resolve(out.split("\n")[0]);
      });
      child.on("exit", (code) => reject(new Error(`gateway exited early (${code})`)));
    });
    const { url, pids } = JSON.parse(line) as { url: string; pids: number[] };
    assert.equal((await fetch(`${url}/healthz`)).status, 200);
    assert.ok(pids.length === 1 && alive(pids[0]));
    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
    child.kill("SIGTERM");
    const { code, signal } = await exited;
    assert.ok(signal === "SIGTERM" || code === 0, `exit ${code} ${signal}`);
    await waitFor(() => !alive(pids[0]), 5_000, "the backend to exit");
  });
});
