/**
 * The gateway as an attacker sees it, over real HTTP, on the development stack (Pulumi.dev.yaml:
 * developers may call everything but kubernetes-backend_delete_namespace) with the bundled demo
 * backends, which record every message they receive. Each attack asserts the answer, that no
 * backend received the call, and that nothing was authorized on its behalf.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as net from "node:net";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compileTeam, type CompiledTeam } from "../components/compile";
import { loadStackFile } from "../components/stackConfig";
import { backendLaunchesFromSpec, startGateway, type RunningGateway } from "../gateway/server";
import { RECORD_ENV } from "../gateway/demo/recorder";
import { TestIssuer } from "../gateway/testing/testIssuer";
import { LogCapture, rawPost, rawSession, REPO_ROOT } from "../gateway/testing/harness";
import { recordedCalls, targetAttacks } from "./helpers/attacks";

const DENIED = { tool: "kubernetes-backend_delete_namespace", prompt: "kubernetes-backend_triage_namespace", resource: "demo://kubernetes/cluster-info", template: "demo://kubernetes/namespaces/{namespace}" };
const MAX_SESSIONS = 5;
const BODY_TIMEOUT_MS = 1_000;

describe("gateway attacks (development stack, demo backends)", () => {
  let compiled: CompiledTeam;
  let issuer: TestIssuer;
  let gw: RunningGateway;
  const logs = new LogCapture();
  const dir = mkdtempSync(join(tmpdir(), "vmcp-attack-"));
  const records = { "github-backend": join(dir, "github.jsonl"), "kubernetes-backend": join(dir, "kubernetes.jsonl") };
  const files = Object.values(records);
  let alice: string; // developers: allow *, deny delete_namespace
  let bob: string; // platform: allow *
  let aliceSid: string;
  let bobSid: string;
  const as = (token: string, sid?: string) => ({ authorization: `Bearer ${token}`, ...(sid ? { "mcp-session-id": sid } : {}) });
  const decisions = () => logs.find("authz.decision").length;

  /** Runs `fn` and asserts that no backend received a call and (unless allowed) nothing was authorized. */
  async function noCall<T>(fn: () => Promise<T>, opts: { decisions?: boolean } = {}): Promise<T> {
    const calls = recordedCalls(files).length;
    const d = decisions();
    const r = await fn();
    assert.equal(recordedCalls(files).length, calls, "a backend received a call");
    if (!opts.decisions) assert.equal(decisions(), d, "an authorization decision was made for a malformed message");
    return r;
  }

  before(async () => {
    compiled = compileTeam(loadStackFile("dev", REPO_ROOT).team);
    issuer = await TestIssuer.start(compiled.spec.endpoint);
    const backends = backendLaunchesFromSpec(compiled).map((l) => ({ ...l, env: { ...l.env, [RECORD_ENV]: records[l.name as keyof typeof records] } }));
    gw = await startGateway({
      compiled,
      port: 0,
      resourceUrl: compiled.spec.endpoint,
      issuer: issuer.issuer,
      cwd: REPO_ROOT,
      backends,
      logger: logs.logger,
      handleSignals: false,
      defaultMetrics: false,
      maxSessionsPerPrincipal: MAX_SESSIONS,
      bodyTimeoutMs: BODY_TIMEOUT_MS,
    });
    await gw.ready;
    alice = await issuer.userToken("alice@example.com", ["mcp-developers"]);
    bob = await issuer.userToken("bob@example.com", ["mcp-platform"]);
    aliceSid = await rawSession(gw.mcpUrl, alice);
    bobSid = await rawSession(gw.mcpUrl, bob);
  });
  after(async () => {
    await gw.close();
    await issuer.close();
  });

  test("control: an allowed call reaches the backend with exactly the authorized name and arguments", async () => {
    const before = recordedCalls(files).length;
    const r = await rawPost(gw.mcpUrl, { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "kubernetes-backend_get_pods", arguments: { namespace: "payments" } } }, as(alice, aliceSid));
    assert.equal(r.status, 200, r.text);
    const calls = recordedCalls(files).slice(before);
    assert.equal(calls.length, 1);
    assert.deepEqual(calls[0].params, { name: "get_pods", arguments: { namespace: "payments" } });
    const audit = logs.find("authz.decision").at(-1)!;
    assert.equal(audit.target, "kubernetes-backend_get_pods");
    assert.equal(audit.backend, "kubernetes-backend");
    assert.equal(audit.backendTarget, "get_pods", "the audit line names what ran");
    // and the denied one is denied with vMCP's 403
    const denied = await noCall(() => rawPost(gw.mcpUrl, { jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: DENIED.tool, arguments: { namespace: "default" } } }, as(alice, aliceSid)), { decisions: true });
    assert.equal(denied.status, 403);
  });

  test("a target that is not a string, in every position and JSON shape: -32602 before authorization, nothing runs", async () => {
    const attacks = targetAttacks(DENIED);
    assert.ok(attacks.length > 80, `${attacks.length} attacks`);
    let id = 100;
    for (const a of attacks) {
      const r = await noCall(() => rawPost(gw.mcpUrl, { jsonrpc: "2.0", id: ++id, method: a.method, params: a.params }, as(alice, aliceSid)));
      assert.equal(r.status, 200, `${a.label}: ${r.text}`);
      const body = r.body as { id: number; error?: { code: number; message: string } };
      assert.equal(body.id, id, a.label);
      assert.equal(body.error?.code, -32602, `${a.label}: ${r.text}`);
      assert.ok(body.error!.message.includes(a.path), `${a.label}: the message names ${a.path}: ${body.error!.message}`);
    }
  });

  test("a case-variant key is not forwarded; argument keys that differ only in case are refused", async () => {
    const before = recordedCalls(files).length;
    const r = await rawPost(
      gw.mcpUrl,
      { jsonrpc: "2.0", id: 3, method: "tools/call", params: { name: "kubernetes-backend_get_pods", NAME: DENIED.tool, Name: DENIED.tool, arguments: { namespace: "payments" }, extra: 1 } },
      as(alice, aliceSid),
    );
    assert.equal(r.status, 200, r.text);
    const [call] = recordedCalls(files).slice(before);
    assert.deepEqual(Object.keys(call.params as object).sort(), ["arguments", "name"], "only the keys MCP defines reach the backend");
    const dup = await noCall(() => rawPost(gw.mcpUrl, { jsonrpc: "2.0", id: 4, method: "tools/call", params: { name: "kubernetes-backend_get_pods", arguments: { namespace: "payments", NAMESPACE: "kube-system" } } }, as(alice, aliceSid)));
    assert.equal((dup.body as { error: { code: number } }).error.code, -32602);
  });

  test("batches are refused whole, whatever they carry", async () => {
    for (const batch of [
      [{ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: DENIED.tool, arguments: { namespace: "default" } } }],
      [{ jsonrpc: "2.0", id: 1, method: "ping" }, { jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: DENIED.tool } }],
      [],
    ]) {
      const r = await noCall(() => rawPost(gw.mcpUrl, batch, as(bob, bobSid)));
      assert.equal(r.status, 400, r.text);
      assert.equal((r.body as { error: { code: number } }).error.code, -32600);
    }
    const spaced = await noCall(() => rawPost(gw.mcpUrl, ` \n\t[{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"${DENIED.tool}"}}]`, as(bob, bobSid)));
    assert.equal(spaced.status, 400);
  });

  test("method-name variants are not the method: refused, never routed", async () => {
    for (const method of ["Tools/Call", "TOOLS/CALL", "tools/call ", " tools/call", "tools/call\n", "tools//call", "tools/call\u0000", "tools\\/call", "tools/call/", "tools.call", "tools/Call"]) {
      const r = await noCall(() => rawPost(gw.mcpUrl, { jsonrpc: "2.0", id: 5, method, params: { name: DENIED.tool, arguments: { namespace: "default" } } }, as(alice, aliceSid)), { decisions: true });
      assert.equal(r.status, 403, `${JSON.stringify(method)}: ${r.text}`);
      assert.deepEqual(r.body, { jsonrpc: "2.0", id: 5, error: { code: 403, message: "Unauthorized" } });
    }
    const long = await noCall(() => rawPost(gw.mcpUrl, { jsonrpc: "2.0", id: 6, method: "tools/call" + " ".repeat(500) }, as(alice, aliceSid)));
    assert.equal(long.status, 400);
  });

  test("notifications carrying calls are refused, not authorized and dropped", async () => {
    for (const method of ["tools/call", "prompts/get", "resources/read", "completion/complete"]) {
      const r = await noCall(() => rawPost(gw.mcpUrl, { jsonrpc: "2.0", method, params: { name: DENIED.tool, uri: DENIED.resource, arguments: { namespace: "default" } } }, as(bob, bobSid)));
      assert.equal(r.status, 400, `${method}: ${r.text}`);
      assert.match((r.body as { error: { message: string } }).error.message, /needs an id/);
    }
    const nullId = await noCall(() => rawPost(gw.mcpUrl, { jsonrpc: "2.0", id: null, method: "tools/call", params: { name: DENIED.tool } }, as(bob, bobSid)));
    assert.equal(nullId.status, 400);
    const badCancel = await noCall(() => rawPost(gw.mcpUrl, { jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: { x: 1 } } }, as(bob, bobSid)));
    assert.equal(badCancel.status, 400);
    assert.equal((badCancel.body as { error: { code: number } }).error.code, -32602);
    const unknown = await noCall(() => rawPost(gw.mcpUrl, { jsonrpc: "2.0", method: "notifications/tools/call", params: { name: DENIED.tool } }, as(bob, bobSid)), { decisions: true });
    assert.equal(unknown.status, 403);
  });

  test("a session used without a token, or with another user's token, does nothing", async () => {
    const call = (id: number) => ({ jsonrpc: "2.0", id, method: "tools/call", params: { name: DENIED.tool, arguments: { namespace: "default" } } });
    const noToken = await noCall(() => rawPost(gw.mcpUrl, call(7), { "mcp-session-id": bobSid }));
    assert.equal(noToken.status, 401);
    assert.match(noToken.headers.get("www-authenticate") ?? "", /^Bearer /);
    const aliceOnBob = await noCall(() => rawPost(gw.mcpUrl, call(8), as(alice, bobSid)));
    assert.equal(aliceOnBob.status, 404, "another user's session does not exist for this user");
    const bobOnAlice = await noCall(() => rawPost(gw.mcpUrl, { jsonrpc: "2.0", id: 9, method: "tools/list" }, as(bob, aliceSid)));
    assert.equal(bobOnAlice.status, 404);
    const forged = await noCall(() => rawPost(gw.mcpUrl, call(10), { authorization: `Bearer ${bob.slice(0, -4)}AAAA`, "mcp-session-id": bobSid }));
    assert.equal(forged.status, 401);
  });

  test("one principal past the session cap gets 429 with Retry-After; others are unaffected", async () => {
    const mallory = await issuer.userToken("mallory@example.com", ["mcp-developers"]);
    const sids: string[] = [];
    for (let i = 0; i < MAX_SESSIONS; i++) sids.push(await rawSession(gw.mcpUrl, mallory));
    const init = { jsonrpc: "2.0", id: 0, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "flood", version: "1" } } };
    for (let i = 0; i < 3; i++) {
      const over = await rawPost(gw.mcpUrl, init, as(mallory));
      assert.equal(over.status, 429, over.text);
      const retry = Number(over.headers.get("retry-after"));
      assert.ok(Number.isInteger(retry) && retry >= 1, `Retry-After: ${over.headers.get("retry-after")}`);
      assert.equal(over.headers.get("mcp-session-id"), null);
      assert.match((over.body as { error: { message: string } }).error.message, /Too many sessions/);
    }
    // Another user opens sessions as usual; mallory's existing sessions keep working.
    const carol = await issuer.userToken("carol@example.com", ["mcp-admin"]);
    await rawSession(gw.mcpUrl, carol);
    assert.equal((await rawPost(gw.mcpUrl, { jsonrpc: "2.0", id: 1, method: "ping" }, as(mallory, sids[0]))).status, 200);
    // Closing one frees a slot.
    assert.equal((await fetch(gw.mcpUrl, { method: "DELETE", headers: as(mallory, sids[0]) })).status, 200);
    sids[0] = await rawSession(gw.mcpUrl, mallory);
    assert.equal((await rawPost(gw.mcpUrl, init, as(mallory))).status, 429, "the cap holds again");
  });

  test("a half-sent body is dropped (408 or closed) within the body timeout; nothing runs", async () => {
    const { port } = new URL(gw.url);
    const body = JSON.stringify({ jsonrpc: "2.0", id: 11, method: "tools/call", params: { name: DENIED.tool, arguments: { namespace: "staging" } } });
    const started = Date.now();
    const answer = await noCall(
      () =>
        new Promise<string>((resolve, reject) => {
          const sock = net.connect(Number(port), "127.0.0.1");
          let got = "";
          sock.setEncoding("utf8");
          sock.on("data", (d: string) => (got += d));
          sock.on("close", () => resolve(got));
          sock.on("error", reject);
          sock.write(
            `POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${bob}\r\nMcp-Session-Id: ${bobSid}\r\nContent-Type: application/json\r\nAccept: application/json\r\nContent-Length: ${body.length}\r\n\r\n` +
              body.slice(0, body.length - 5),
          );
          setTimeout(() => reject(new Error(`still open after ${BODY_TIMEOUT_MS + 10_000} ms`)), BODY_TIMEOUT_MS + 10_000).unref();
        }),
    );
    const took = Date.now() - started;
    assert.ok(took >= BODY_TIMEOUT_MS - 50 && took < BODY_TIMEOUT_MS + 5_000, `closed after ${took} ms`);
    assert.ok(answer === "" || answer.startsWith("HTTP/1.1 408"), answer);
    // The gateway is fine afterwards.
    assert.equal((await rawPost(gw.mcpUrl, { jsonrpc: "2.0", id: 12, method: "ping" }, as(bob, bobSid))).status, 200);
  });

  test("deeply nested JSON anywhere in a message is refused without crashing or echoing an exception", async () => {
    const deep = (n: number) => "[".repeat(n) + "]".repeat(n);
    const bodies = [
      `{"jsonrpc":"2.0","id":13,"method":"tools/call","params":{"name":"kubernetes-backend_get_pods","arguments":{"namespace":"payments","x":${deep(100_000)}}}}`,
      `{"jsonrpc":"2.0","id":14,"method":"tools/call","params":{"name":"kubernetes-backend_get_pods","_meta":{"a":${deep(5_000)}}}}`,
      `{"jsonrpc":"2.0","id":15,"method":"ping","params":{"a":${deep(70)}}}`,
      `{"jsonrpc":"2.0","id":16,"result":{"a":${deep(100_000)}}}`,
      `{"jsonrpc":"2.0","method":"notifications/progress","params":{"a":${deep(100_000)}}}`,
      deep(200_000),
    ];
    for (const b of bodies) {
      const r = await noCall(() => rawPost(gw.mcpUrl, b, as(bob, bobSid)));
      assert.equal(r.status, 400, r.text.slice(0, 200));
      assert.doesNotMatch(r.text, /call stack|RangeError|TypeError|at .*\.ts/);
    }
    // 64 levels is allowed and reaches the backend intact.
    const before = recordedCalls(files).length;
    const ok = await rawPost(gw.mcpUrl, `{"jsonrpc":"2.0","id":17,"method":"tools/call","params":{"name":"kubernetes-backend_get_pods","arguments":{"namespace":"payments","x":${deep(60)}}}}`, as(bob, bobSid));
    assert.equal(ok.status, 200, ok.text);
    assert.equal(recordedCalls(files).length, before + 1);
  });

  test("no client-shaped message gets a 500 or an exception's text", async () => {
    const shapes: unknown[] = [
      "", "null", "1", '"x"', "true", "{}", "[]", "{", '{"jsonrpc":"2.0"}', '{"jsonrpc":"1.0","id":1,"method":"ping"}',
      { jsonrpc: "2.0", id: {}, method: "ping" }, { jsonrpc: "2.0", id: [1], method: "ping" }, { jsonrpc: "2.0", id: 1, method: 5 },
      { jsonrpc: "2.0", id: 1, method: null }, { jsonrpc: "2.0", id: 1, method: "tools/call", params: [1, 2] }, { jsonrpc: "2.0", id: 1, method: "tools/call", params: "x" },
      { jsonrpc: "2.0", id: 1, method: "tools/call", params: null }, { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "kubernetes-backend_get_pods", _meta: [] } },
      { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "kubernetes-backend_get_pods", _meta: { progressToken: {} } } },
      { jsonrpc: "2.0", id: 1, method: "completion/complete", params: { ref: "ref/prompt" } }, { jsonrpc: "2.0", id: 1, method: "completion/complete", params: { ref: { type: {} } } },
      { jsonrpc: "2.0", id: 1, method: "completion/complete", params: { ref: { type: "ref/prompt", name: "github-backend_summarize_issues" }, argument: { name: 1, value: [] } } },
      { jsonrpc: "2.0", id: 1, method: "logging/setLevel", params: { level: { toString: "debug" } } }, { jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: [] } },
      { jsonrpc: "2.0", id: 1, method: "initialize", params: { capabilities: "all" } }, { jsonrpc: "2.0", id: 1, result: 5 }, { jsonrpc: "2.0", id: 1, error: "x" },
      { jsonrpc: "2.0", id: 1, result: {}, error: { code: 1, message: "x" } }, { jsonrpc: "2.0", id: 1, method: "__proto__" }, { jsonrpc: "2.0", id: 1, method: "constructor" },
      { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "__proto__" } }, { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "toString" } },
      { jsonrpc: "2.0", id: 1, method: "resources/read", params: { uri: "constructor" } }, { jsonrpc: "2.0", id: 1, method: "tools/list", params: { cursor: {} } },
      '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"__proto__":{"name":"kubernetes-backend_delete_namespace"}}}',
      '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"kubernetes-backend_get_pods","arguments":{"__proto__":{"namespace":"x"}}}}',
      '{"jsonrpc":"2.0","id":1e400,"method":"ping"}', '{"jsonrpc":"2.0","id":-0,"method":"ping"}',
    ];
    for (const s of shapes) {
      const r = await rawPost(gw.mcpUrl, s, as(alice, aliceSid));
      assert.ok(r.status < 500, `${JSON.stringify(s).slice(0, 120)} → ${r.status} ${r.text}`);
      assert.doesNotMatch(r.text, /call stack|RangeError|TypeError|Cannot read|undefined is not|at .*\.ts/);
    }
    // The __proto__ name attack is denied by name, not routed.
    const audit = logs.find("authz.decision").filter((l) => l.target === "kubernetes-backend_delete_namespace" && l.decision === "allow" && l.user === "alice@example.com");
    assert.deepEqual(audit, [], "alice was never allowed the denied tool");
  });
});
