/**
 * What the gateway forwards between an SDK client and a backend, over both backend transports:
 * progress, log messages and levels, server→client requests (sampling, elicitation, roots),
 * completion, prompts, resources and templates, subscriptions; plus the HTTP surface (DNS
 * rebinding, limits, refused methods, sessions) and the operations endpoints.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as http from "node:http";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { LoggingMessageNotificationSchema, McpError, ResourceUpdatedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { startGateway, type BackendLaunch, type RunningGateway } from "../gateway/server";
import { startEchoHttpBackend, type EchoHttpBackend } from "../gateway/demo/echoBackend";
import { TestIssuer } from "../gateway/testing/testIssuer";
import { connect, ECHO_STDIO, ENDPOINT, echoTeam, rawPost, rawSession, waitFor, startEchoGateway } from "../gateway/testing/harness";

const sampling = (params: Record<string, unknown>) => {
  const msgs = params.messages as { content: { text: string } }[];
  return { role: "assistant", model: "test-model", content: { type: "text", text: `sampled: ${msgs[0].content.text}` } };
};

/** The forwarding checks, run once per backend transport. */
function forwardingSuite(transport: "http" | "stdio"): void {
  describe(`gateway forwarding (${transport} backend)`, () => {
    let issuer: TestIssuer;
    let backend: EchoHttpBackend | undefined;
    let gw: RunningGateway;
    let token: string;
    const clients: Client[] = [];
    const client = async (handlers: Parameters<typeof connect>[2] = {}, tok?: string) => {
      const c = await connect(gw.mcpUrl, tok ?? token, handlers);
      clients.push(c);
      return c;
    };

    before(async () => {
      issuer = await TestIssuer.start(ENDPOINT);
      let launch: BackendLaunch;
      if (transport === "http") {
        backend = await startEchoHttpBackend();
        launch = { name: "echo", url: backend.url };
      } else {
        launch = { name: "echo", ...ECHO_STDIO };
      }
      gw = await startGateway({ compiled: echoTeam(), port: 0, resourceUrl: ENDPOINT, issuer: issuer.issuer, backends: [launch], logger: () => {}, handleSignals: false, defaultMetrics: false });
      await gw.ready;
      token = await issuer.userToken("alice@example.com", ["mcp-users"]);
    });
    after(async () => {
      for (const c of clients) await c.close().catch(() => {});
      await gw.close();
      await backend?.close();
      await issuer.close();
    });

    test("progress notifications come back with the client's own token", async () => {
      const c = await client();
      const seen: { progress: number; total?: number }[] = [];
      const r = await c.callTool({ name: "echo_slow", arguments: { ms: 60, steps: 3 } }, undefined, { onprogress: (p) => seen.push(p) });
      assert.deepEqual(r.content, [{ type: "text", text: "slept 60 ms" }]);
      assert.deepEqual(seen.map((p) => [p.progress, p.total]), [[1, 3], [2, 3], [3, 3]]);
    });

    test("log messages are forwarded and filtered by the session's level", async () => {
      const c = await client();
      const got: unknown[] = [];
      c.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void got.push(n.params.data));
      await c.setLoggingLevel("warning");
      await c.callTool({ name: "echo_log", arguments: { level: "info", message: "quiet" } });
      await c.callTool({ name: "echo_log", arguments: { level: "error", message: "loud" } });
      await waitFor(() => got.includes("loud"), 2_000, "the error log");
      assert.ok(!got.includes("quiet"), "below the session's level");
    });

    test("sampling, elicitation and roots requests are relayed to the calling client", async () => {
      const c = await client({
        sampling,
        elicitation: (p) => ({ action: "accept", content: { answer: `re: ${String(p.message)}` } }),
        roots: [{ uri: "file:///work/repo", name: "repo" }],
      });
      const s = await c.callTool({ name: "echo_sample", arguments: { prompt: "hello" } });
      assert.deepEqual(s.content, [{ type: "text", text: "sampled: hello" }]);
      const e = await c.callTool({ name: "echo_elicit", arguments: { message: "name?" } });
      assert.deepEqual(JSON.parse((e.content as { text: string }[])[0].text), { action: "accept", content: { answer: "re: name?" } });
      const r = await c.callTool({ name: "echo_roots", arguments: {} });
      assert.deepEqual(JSON.parse((r.content as { text: string }[])[0].text), [{ uri: "file:///work/repo", name: "repo" }]);
    });

    test("a client without the sampling capability gets the backend's failure, not someone else's model", async () => {
      const c = await client();
      const s = await c.callTool({ name: "echo_sample", arguments: { prompt: "hello" } });
      assert.equal(s.isError, true);
    });

    test("prompts, completion, resources and templates", async () => {
      const c = await client();
      assert.deepEqual((await c.listPrompts()).prompts.map((p) => p.name), ["echo_greeting"]);
      const p = await c.getPrompt({ name: "echo_greeting", arguments: { name: "bob" } });
      assert.deepEqual(p.messages[0].content, { type: "text", text: "Say hello to bob" });
      const byPrompt = await c.complete({ ref: { type: "ref/prompt", name: "echo_greeting" }, argument: { name: "name", value: "ca" } });
      assert.deepEqual(byPrompt.completion.values, ["carol"]);
      const byTemplate = await c.complete({ ref: { type: "ref/resource", uri: "echo://items/{id}" }, argument: { name: "id", value: "2" } });
      assert.deepEqual(byTemplate.completion.values, ["2"]);
      assert.deepEqual((await c.listResources()).resources.map((r) => r.uri), ["echo://static"]);
      assert.deepEqual((await c.listResourceTemplates()).resourceTemplates.map((t) => t.uriTemplate), ["echo://items/{id}"]);
      assert.deepEqual((await c.readResource({ uri: "echo://static" })).contents, [{ uri: "echo://static", mimeType: "text/plain", text: "static content" }]);
      assert.deepEqual((await c.readResource({ uri: "echo://items/7" })).contents, [{ uri: "echo://items/7", mimeType: "text/plain", text: "item 7" }]);
    });

    test("resource subscriptions deliver notifications/resources/updated until unsubscribed", async () => {
      const c = await client();
      const updated: string[] = [];
      c.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => void updated.push(n.params.uri));
      await c.subscribeResource({ uri: "echo://static" });
      const t = await c.callTool({ name: "echo_touch", arguments: { uri: "echo://static" } });
      assert.deepEqual(t.content, [{ type: "text", text: "notified" }]);
      await waitFor(() => updated.includes("echo://static"), 3_000, "notifications/resources/updated");
      await c.unsubscribeResource({ uri: "echo://static" });
      const u = await c.callTool({ name: "echo_touch", arguments: { uri: "echo://static" } });
      assert.deepEqual(u.content, [{ type: "text", text: "not subscribed" }]);
    });

    test("Cedar sees the backend's own annotations: readers may call only read-only tools", async () => {
      const reader = await client({}, await issuer.userToken("rita@example.com", ["mcp-readers"]));
      assert.deepEqual((await reader.listTools()).tools.map((t) => t.name), ["echo_echo"]);
      assert.deepEqual((await reader.callTool({ name: "echo_echo", arguments: { text: "ok" } })).content, [{ type: "text", text: "ok" }]);
      await assert.rejects(reader.callTool({ name: "echo_slow", arguments: { ms: 1 } }), /403/);
    });

    test("a permitted but unknown tool is -32602 (HTTP 200), as in vMCP", async () => {
      const c = await client();
      await assert.rejects(c.callTool({ name: "echo_nope", arguments: {} }), (e: unknown) => e instanceof McpError && e.code === -32602);
    });
  });
}

forwardingSuite("http");
forwardingSuite("stdio");

describe("gateway with a shared stdio backend and two users", () => {
  test("a server→client request is never relayed to another session", async () => {
    const issuer = await TestIssuer.start(ENDPOINT);
    const gw = await startGateway({ compiled: echoTeam(), port: 0, resourceUrl: ENDPOINT, issuer: issuer.issuer, backends: [{ name: "echo", ...ECHO_STDIO }], logger: () => {}, handleSignals: false, defaultMetrics: false });
    const clients: Client[] = [];
    try {
      await gw.ready;
      let bobSampled = 0;
      let aliceSampled = 0;
      const bob = await connect(gw.mcpUrl, await issuer.userToken("bob@example.com", ["mcp-users"]), { sampling: (p) => (bobSampled++, sampling(p)) });
      const alice = await connect(gw.mcpUrl, await issuer.userToken("alice@example.com", ["mcp-users"]), { sampling: (p) => (aliceSampled++, sampling(p)) });
      clients.push(bob, alice);
      const bobSlow = bob.callTool({ name: "echo_slow", arguments: { ms: 1_500 } });
      await waitFor(() => gw.status().backends[0].inFlight === 1, 5_000, "bob's call in flight");
      // Over stdio the backend's sampling request carries no link to alice's call, and two sessions are in flight.
      const r = await alice.callTool({ name: "echo_sample", arguments: { prompt: "secret" } });
      assert.equal(r.isError, true, "the gateway refuses to guess");
      assert.equal(bobSampled, 0, "bob never saw alice's request");
      assert.equal(aliceSampled, 0);
      await bobSlow;
      const again = await alice.callTool({ name: "echo_sample", arguments: { prompt: "alone" } });
      assert.deepEqual(again.content, [{ type: "text", text: "sampled: alone" }], "with one session in flight it is unambiguous");
    } finally {
      for (const c of clients) await c.close().catch(() => {});
      await gw.close();
      await issuer.close();
    }
  });
});

describe("gateway HTTP surface and operations", () => {
  let issuer: TestIssuer;
  let backend: EchoHttpBackend;
  let gw: RunningGateway;
  let token: string;
  let sid: string;
  const auth = () => ({ authorization: `Bearer ${token}`, "mcp-session-id": sid });

  before(async () => {
    issuer = await TestIssuer.start(ENDPOINT);
    backend = await startEchoHttpBackend();
    gw = await startEchoGateway(issuer, backend, {
      logger: () => {},
      maxBodyBytes: 64 * 1024,
      handleSignals: false,
    });
    await gw.ready;
    token = await issuer.userToken("alice@example.com", ["mcp-users"]);
    sid = await rawSession(gw.mcpUrl, token);
  });
  after(async () => {
    await gw.close();
    await backend.close();
    await issuer.close();
  });

  test("DNS rebinding: a foreign Host or Origin is refused before authentication", async () => {
    const port = new URL(gw.url).port;
    const ping = { jsonrpc: "2.0", id: 1, method: "ping" };
    const evilHost = await new Promise<number>((resolve, reject) => {
      const req = http.request(gw.mcpUrl, { method: "POST", headers: { host: `evil.example.com:${port}`, "content-type": "application/json", accept: "application/json" } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on("error", reject);
      req.end(JSON.stringify(ping));
    });
    assert.equal(evilHost, 403);
    const evilOrigin = await rawPost(gw.mcpUrl, ping, { ...auth(), origin: "http://evil.example.com" });
    assert.equal(evilOrigin.status, 403);
    const localhost = await fetch(gw.mcpUrl.replace("127.0.0.1", "localhost"), { method: "POST", headers: { ...auth(), "content-type": "application/json", accept: "application/json", origin: `http://localhost:${port}` }, body: JSON.stringify(ping) });
    assert.equal(localhost.status, 200);
  });

  test("malformed requests, batches, oversized bodies and refused methods", async () => {
    assert.equal((await rawPost(gw.mcpUrl, "{not json", auth())).status, 400);
    const batch = await rawPost(gw.mcpUrl, [{ jsonrpc: "2.0", id: 1, method: "ping" }], auth());
    assert.equal(batch.status, 400);
    const big = await rawPost(gw.mcpUrl, { jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "echo_echo", arguments: { text: "x".repeat(100_000) } } }, auth());
    assert.equal(big.status, 413);
    const refused = await rawPost(gw.mcpUrl, { jsonrpc: "2.0", id: 3, method: "tasks/list", params: {} }, auth());
    assert.equal(refused.status, 403);
    assert.deepEqual(refused.body, { jsonrpc: "2.0", id: 3, error: { code: 403, message: "Unauthorized" } });
    const noSession = await rawPost(gw.mcpUrl, { jsonrpc: "2.0", id: 4, method: "tools/list" }, { authorization: `Bearer ${token}` });
    assert.equal(noSession.status, 400);
    const badVersion = await rawPost(gw.mcpUrl, { jsonrpc: "2.0", id: 5, method: "ping" }, { ...auth(), "mcp-protocol-version": "1999-01-01" });
    assert.equal(badVersion.status, 400);
  });

  test("a deleted session is gone", async () => {
    const own = await rawSession(gw.mcpUrl, token);
    const del = await fetch(gw.mcpUrl, { method: "DELETE", headers: { authorization: `Bearer ${token}`, "mcp-session-id": own } });
    assert.equal(del.status, 200);
    const after = await rawPost(gw.mcpUrl, { jsonrpc: "2.0", id: 1, method: "ping" }, { authorization: `Bearer ${token}`, "mcp-session-id": own });
    assert.equal(after.status, 404);
  });

  test("health, readiness, metrics and the status page", async () => {
    assert.deepEqual(await (await fetch(`${gw.url}/healthz`)).json(), { status: "ok" });
    const ready = await fetch(`${gw.url}/readyz`);
    assert.equal(ready.status, 200);
    assert.deepEqual(((await ready.json()) as { backends: { name: string; state: string }[] }).backends.map((b) => [b.name, b.state]), [["echo", "ready"]]);

    await rawPost(gw.mcpUrl, { jsonrpc: "2.0", id: 9, method: "tools/call", params: { name: "echo_echo", arguments: { text: "m" } } }, auth());
    const reader = await issuer.userToken("rita@example.com", ["mcp-readers"]);
    const rsid = await rawSession(gw.mcpUrl, reader);
    await rawPost(gw.mcpUrl, { jsonrpc: "2.0", id: 10, method: "tools/call", params: { name: "echo_slow", arguments: { ms: 1 } } }, { authorization: `Bearer ${reader}`, "mcp-session-id": rsid });
    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    assert.match(metrics, /vmcp_gateway_requests_total\{method="tools\/call",status="200"\} [1-9]/);
    assert.match(metrics, /vmcp_gateway_authz_decisions_total\{action="call_tool",decision="allow"\} [1-9]/);
    assert.match(metrics, /vmcp_gateway_authz_decisions_total\{action="call_tool",decision="deny"\} [1-9]/);
    assert.match(metrics, /vmcp_gateway_request_duration_seconds_bucket\{le="0.005",method="tools\/call"\}/);
    assert.match(metrics, /vmcp_gateway_backend_up\{backend="echo"\} 1/);
    assert.match(metrics, /vmcp_gateway_process_cpu_seconds_total/);

    const page = await fetch(`${gw.url}/`);
    assert.equal(page.status, 200);
    const html = await page.text();
    for (const s of ["mcp-users", "mcp-readers", "echo_echo", "echo_slow", "state-ready", "mcp-users.allow-all"]) assert.ok(html.includes(s), s);
  });
});

describe("gateway development anonymous mode", () => {
  test("is refused for a production stack", async () => {
    await assert.rejects(
      startGateway({ compiled: echoTeam({ environment: "production" }), port: 0, resourceUrl: "https://gw.example.com", issuer: "https://issuer.example.com", backends: [], anonymousDev: { claims: { sub: "anon" } }, handleSignals: false }),
      /only allowed for a development stack/,
    );
  });

  test("in development, a request without a token runs as the configured identity", async () => {
    const backend = await startEchoHttpBackend();
    const gw = await startGateway({
      compiled: echoTeam(),
      port: 0,
      resourceUrl: ENDPOINT,
      issuer: "http://127.0.0.1:9/unused",
      backends: [{ name: "echo", url: backend.url }],
      anonymousDev: { claims: { sub: "anonymous@dev", groups: ["mcp-readers"] } },
      logger: () => {},
      handleSignals: false,
      defaultMetrics: false,
    });
    try {
      await gw.ready;
      const c = await connect(gw.mcpUrl, undefined);
      assert.deepEqual((await c.listTools()).tools.map((t) => t.name), ["echo_echo"], "the anonymous identity's groups apply");
      await c.close();
    } finally {
      await gw.close();
      await backend.close();
    }
  });
});
