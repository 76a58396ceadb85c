/**
 * Bounded resources: the per-principal session cap at its default, idle sessions expiring (and
 * freeing the cap), slow headers and half-sent bodies dropped within the configured time, and the
 * defaults within the bounds (cap ≤ 100, body wait ≤ 30 s).
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as net from "node:net";
import { GATEWAY_DEFAULTS, type RunningGateway } from "../gateway/server";
import { startEchoHttpBackend, type EchoHttpBackend } from "../gateway/demo/echoBackend";
import { TestIssuer } from "../gateway/testing/testIssuer";
import { ENDPOINT, echoTeam, LogCapture, rawPost, rawSession, waitFor, startEchoGateway } from "../gateway/testing/harness";

const INIT = { jsonrpc: "2.0", id: 0, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "limits", version: "1" } } };

/** Writes `text` on a raw socket and resolves with whatever came back when the server closed it. */
function rawExchange(port: number, text: string, giveUpMs: number): Promise<{ answer: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, "127.0.0.1");
    let answer = "";
    sock.setEncoding("utf8");
    sock.on("data", (d: string) => (answer += d));
    sock.on("close", () => resolve({ answer, ms: Date.now() - started }));
    sock.on("error", reject);
    sock.write(text);
    setTimeout(() => {
      sock.destroy();
      reject(new Error(`the server kept the connection open for ${giveUpMs} ms`));
    }, giveUpMs).unref();
  });
}

describe("gateway limits", () => {
  let issuer: TestIssuer;
  let backend: EchoHttpBackend;
  let gw: RunningGateway;
  const logs = new LogCapture();

  before(async () => {
    issuer = await TestIssuer.start(ENDPOINT);
    backend = await startEchoHttpBackend();
    gw = await startEchoGateway(issuer, backend, {
      logger: logs.logger,
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

  test("the defaults are within bounds: at most 100 sessions per principal, at most 30 s for a body", () => {
    assert.ok(GATEWAY_DEFAULTS.maxSessionsPerPrincipal <= 100);
    assert.ok(GATEWAY_DEFAULTS.bodyTimeoutMs <= 30_000);
    assert.ok(GATEWAY_DEFAULTS.healthTimeoutMs < GATEWAY_DEFAULTS.healthIntervalMs);
  });

  test("the default cap: the 101st session of one principal is refused, another principal is not", async () => {
    const flood = await issuer.userToken("flood@example.com", ["mcp-users"]);
    const auth = { authorization: `Bearer ${flood}` };
    const answers = await Promise.all(Array.from({ length: GATEWAY_DEFAULTS.maxSessionsPerPrincipal + 20 }, () => rawPost(gw.mcpUrl, INIT, auth)));
    const ok = answers.filter((a) => a.status === 200).length;
    const limited = answers.filter((a) => a.status === 429);
    const statuses = JSON.stringify(answers.map((a) => a.status));
    assert.equal(ok, GATEWAY_DEFAULTS.maxSessionsPerPrincipal, `exactly the cap, even for concurrent initializes: ${statuses}`);
    assert.equal(limited.length, 20, statuses);
    assert.ok(limited.every((a) => Number(a.headers.get("retry-after")) >= 1));
    const other = await issuer.userToken("someone@example.com", ["mcp-users"]);
    await rawSession(gw.mcpUrl, other);
    assert.ok(logs.find("session.limit").length >= 20);
    // The refused initializes left nothing behind.
    assert.equal(gw.status().sessions, GATEWAY_DEFAULTS.maxSessionsPerPrincipal + 1);
  });

  test("idle sessions expire and free their principal's slots", async () => {
    const idle = await startEchoGateway(issuer, backend, {
      logger: () => {},
      handleSignals: false,
      defaultMetrics: false,
      sessionIdleMs: 1_000,
      maxSessionsPerPrincipal: 2,
    });
    try {
      await idle.ready;
      const token = await issuer.userToken("idle@example.com", ["mcp-users"]);
      const a = await rawSession(idle.mcpUrl, token);
      await rawSession(idle.mcpUrl, token);
      const over = await rawPost(idle.mcpUrl, INIT, { authorization: `Bearer ${token}` });
      assert.equal(over.status, 429);
      assert.ok(Number(over.headers.get("retry-after")) <= 1, "Retry-After: when the first idle session expires");
      await waitFor(() => idle.status().sessions === 0, 5_000, "idle sessions to expire");
      assert.equal((await rawPost(idle.mcpUrl, { jsonrpc: "2.0", id: 1, method: "ping" }, { authorization: `Bearer ${token}`, "mcp-session-id": a })).status, 404);
      await rawSession(idle.mcpUrl, token);
    } finally {
      await idle.close();
    }
  });

  test("slow headers and half-sent bodies are dropped within the configured time", async () => {
    // A gateway of its own: an 800 ms body deadline would also cut off the cap test's 120
    // concurrent initializes on a loaded 2-core machine.
    const slow = await startEchoGateway(issuer, backend, {
      logger: () => {},
      handleSignals: false,
      defaultMetrics: false,
      bodyTimeoutMs: 800,
    });
    try {
      await slow.ready;
      await dropsSlowClients(slow);
    } finally {
      await slow.close();
    }
  });

  async function dropsSlowClients(gw: RunningGateway): Promise<void> {
    const port = Number(new URL(gw.url).port);
    const token = await issuer.userToken("slow@example.com", ["mcp-users"]);
    const sid = await rawSession(gw.mcpUrl, token);
    // Headers never finished (slowloris): Node's headersTimeout, set from bodyTimeoutMs.
    const headers = await rawExchange(port, `POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\n`, 10_000);
    assert.ok(headers.ms < 5_000, `headers: closed after ${headers.ms} ms`);
    assert.ok(headers.answer === "" || headers.answer.startsWith("HTTP/1.1 408"), headers.answer);
    // A body that stops halfway: the gateway's own deadline answers 408 and closes.
    const body = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "echo_echo", arguments: { text: "never" } } });
    const before = backend.stats.methods["tools/call"] ?? 0;
    const half = await rawExchange(
      port,
      `POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\nMcp-Session-Id: ${sid}\r\nContent-Type: application/json\r\nAccept: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 20)}`,
      10_000,
    );
    assert.ok(half.ms >= 700 && half.ms < 5_000, `body: closed after ${half.ms} ms`);
    assert.match(half.answer, /^HTTP\/1\.1 408/);
    assert.match(half.answer, /did not arrive within 800 ms/);
    assert.equal(backend.stats.methods["tools/call"] ?? 0, before, "nothing reached the backend");
    // A trickled body (one byte at a time, never idle) meets the same deadline.
    const trickle = await new Promise<number>((resolve, reject) => {
      const started = Date.now();
      const sock = net.connect(port, "127.0.0.1");
      sock.on("error", () => {});
      sock.write(`POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\nMcp-Session-Id: ${sid}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`);
      let i = 0;
      const timer = setInterval(() => {
        if (!sock.destroyed && i < body.length - 1) sock.write(body[i++]);
      }, 50);
      sock.on("close", () => {
        clearInterval(timer);
        resolve(Date.now() - started);
      });
      setTimeout(() => reject(new Error("trickle not cut off")), 10_000).unref();
    });
    assert.ok(trickle < 5_000, `trickle: closed after ${trickle} ms`);
    assert.equal(backend.stats.methods["tools/call"] ?? 0, before);
  }
});
