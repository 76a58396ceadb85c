/**
 * Property: whatever a backend receives was authorized, for the same user, with the identical
 * target, and carries exactly the authorized arguments. Messages are generated with fast-check over
 * every MCP method (and variants), with every JSON type in every param position, and posted over
 * real HTTP to the gateway; the audit log (authz.decision lines) is compared with what the echo
 * backend recorded. No message may get a 500 or an exception's text.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import type { RunningGateway } from "../gateway/server";
import { startEchoHttpBackend, type EchoHttpBackend } from "../gateway/demo/echoBackend";
import { TestIssuer } from "../gateway/testing/testIssuer";
import { ENDPOINT, echoTeam, LogCapture, rawPost, rawSession, startEchoGateway } from "../gateway/testing/harness";
import { CALL_METHODS } from "./helpers/attacks";

const METHODS = [
  "tools/call",
  "prompts/get",
  "resources/read",
  "resources/subscribe",
  "resources/unsubscribe",
  "completion/complete",
  "tools/list",
  "prompts/list",
  "resources/list",
  "resources/templates/list",
  "ping",
  "initialize",
  "logging/setLevel",
  "notifications/cancelled",
  "notifications/initialized",
  "notifications/roots/list_changed",
  "roots/list",
  "tasks/list",
  "Tools/Call",
  "tools/call ",
  "sampling/createMessage",
];
/** Tools that answer at once (slow, sample and elicit would wait on timers or the client). */
const NAMES = ["echo_echo", "echo_log", "echo_touch", "echo_roots", "echo_greeting", "echo_nope", "echo", "", "ECHO_ECHO", "echo_slow"];
const URIS = ["echo://static", "echo://items/1", "echo://items/{id}", "echo://nope", ""];

const json = fc.jsonValue({ maxDepth: 3 });
const maybe = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined, freq: 3 });
// Each position: mostly a plausible value (so calls do get through), else any JSON value.
const name = fc.oneof({ weight: 12, arbitrary: fc.constantFrom(...NAMES) }, { weight: 1, arbitrary: fc.string() }, { weight: 3, arbitrary: json });
const uri = fc.oneof({ weight: 12, arbitrary: fc.constantFrom(...URIS) }, { weight: 1, arbitrary: fc.string() }, { weight: 3, arbitrary: json });
const argsObject = fc.dictionary(fc.constantFrom("text", "message", "level", "uri", "ms", "TEXT", "name", "x"), fc.oneof(fc.constantFrom("hi", "info", "echo://static", 1), json), { maxKeys: 3 });
const args = fc.oneof({ weight: 8, arbitrary: argsObject }, { weight: 2, arbitrary: json });
const meta = fc.oneof({ weight: 3, arbitrary: fc.record({ progressToken: fc.oneof(fc.string(), fc.integer(), json) }, { requiredKeys: [] }) }, { weight: 1, arbitrary: json });
const ref = fc.oneof(
  { weight: 8, arbitrary: fc.record({ type: fc.constantFrom("ref/prompt", "ref/resource", "ref/tool"), name, uri }, { requiredKeys: ["type"] }) },
  { weight: 1, arbitrary: json },
);
const paramsObject = fc
  .record(
    {
      name,
      uri,
      arguments: args,
      _meta: meta,
      ref,
      argument: fc.oneof(fc.record({ name: fc.oneof(fc.constant("name"), json), value: fc.oneof(fc.constant("a"), json) }), json),
      level: fc.oneof(fc.constantFrom("debug", "info", "warning"), json),
      requestId: fc.oneof(fc.integer(), fc.string(), json),
      cursor: fc.oneof(fc.string(), json),
      NAME: name,
    },
    { requiredKeys: ["name", "uri", "arguments", "ref", "argument", "level", "requestId"] },
  )
  .chain((p) => fc.dictionary(fc.string({ maxLength: 6 }), json, { maxKeys: 2 }).map((extra) => ({ ...extra, ...p })));
const message = fc.record(
  {
    method: fc.oneof({ weight: 10, arbitrary: fc.constantFrom(...CALL_METHODS) }, { weight: 10, arbitrary: fc.constantFrom(...METHODS) }, { weight: 1, arbitrary: json }),
    id: fc.oneof({ weight: 12, arbitrary: fc.integer() }, { weight: 3, arbitrary: fc.string({ maxLength: 4 }) }, { weight: 1, arbitrary: json }),
    params: fc.oneof({ weight: 12, arbitrary: paramsObject }, { weight: 1, arbitrary: json }),
    jsonrpc: fc.oneof({ weight: 30, arbitrary: fc.constant("2.0") }, { weight: 1, arbitrary: json }),
  },
  { requiredKeys: ["method", "jsonrpc"] },
);
const who = fc.constantFrom("alice", "alice", "rita", "eve");

/** The advertised name of a backend's own tool or prompt name (prefix aggregation, backend "echo"). */
const advertised = (own: unknown) => `echo_${String(own)}`;

/** The Cedar action and target a received backend call must have been authorized with. */
function expectedCheck(m: Record<string, unknown>): { action: string; target: string } {
  const p = (m.params ?? {}) as Record<string, unknown>;
  switch (m.method) {
    case "tools/call":
      return { action: "call_tool", target: advertised(p.name) };
    case "prompts/get":
      return { action: "get_prompt", target: advertised(p.name) };
    case "completion/complete": {
      const r = p.ref as Record<string, unknown>;
      return r.type === "ref/prompt" ? { action: "get_prompt", target: advertised(r.name) } : { action: "read_resource", target: String(r.uri) };
    }
    default:
      return { action: "read_resource", target: String(p.uri) };
  }
}

describe("gateway request property", () => {
  let issuer: TestIssuer;
  let backend: EchoHttpBackend;
  let gw: RunningGateway;
  const logs = new LogCapture();
  const users: Record<string, { sub: string; token: string; sid: string }> = {};

  before(async () => {
    issuer = await TestIssuer.start(ENDPOINT);
    backend = await startEchoHttpBackend();
    gw = await startEchoGateway(issuer, backend, {
      logger: logs.logger,
      handleSignals: false,
      defaultMetrics: false,
      requestTimeoutMs: 3_000,
      maxSessionsPerPrincipal: 10_000,
    });
    await gw.ready;
    for (const [u, groups] of [["alice", ["mcp-users"]], ["rita", ["mcp-readers"]], ["eve", []]] as [string, string[]][]) {
      const sub = `${u}@example.com`;
      const token = await issuer.userToken(sub, groups);
      users[u] = { sub, token, sid: await rawSession(gw.mcpUrl, token) };
    }
  });
  after(async () => {
    await gw.close();
    await backend.close();
    await issuer.close();
  });

  test("a backend only ever receives what was authorized, with the identical target and arguments", async (t) => {
    let forwarded = 0;
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(message, who, async (msg, user) => {
        const u = users[user];
        const receivedBefore = backend.stats.received.length;
        const decisionsBefore = logs.find("authz.decision").length;
        const r = await rawPost(gw.mcpUrl, msg, { authorization: `Bearer ${u.token}`, "mcp-session-id": u.sid });
        assert.ok(r.status < 500, `HTTP ${r.status}: ${r.text}`);
        assert.doesNotMatch(r.text, /call stack|RangeError|TypeError|Cannot read|is not a function|at .*\.ts:/);
        const calls = backend.stats.received.slice(receivedBefore).filter((m) => CALL_METHODS.has(m.method as string));
        const decisions = logs.find("authz.decision").slice(decisionsBefore);
        assert.ok(calls.length <= 1, `one message, ${calls.length} backend calls`);
        if (calls.length === 0) {
          refused++;
          return;
        }
        forwarded++;
        const call = calls[0];
        const want = expectedCheck(call);
        const allow = decisions.filter((d) => d.decision === "allow");
        assert.equal(allow.length, 1, `one allow decision for the forwarded call: ${JSON.stringify(decisions)}`);
        assert.equal(allow[0].user, u.sub);
        assert.equal(allow[0].target, want.target, `authorized ${String(allow[0].target)}, backend got ${JSON.stringify(call.params)}`);
        assert.equal(allow[0].method, call.method);
        // What ran is what the client asked for and what was authorized: same method, same arguments.
        const sent = JSON.parse(JSON.stringify(msg.params)) as Record<string, unknown>; // as on the wire
        assert.equal(call.method, msg.method);
        const p = call.params as Record<string, unknown>;
        if (call.method === "tools/call") {
          assert.deepEqual(p.arguments, sent.arguments);
          assert.ok(Object.keys(p).every((k) => ["name", "arguments", "_meta"].includes(k)), Object.keys(p).join(","));
          assert.equal(typeof sent.name, "string");
          assert.equal(advertised(p.name), sent.name);
        }
      }),
      { numRuns: 800 },
    );
    t.diagnostic(`${forwarded} messages reached the backend, ${refused} did not`);
    // The generators reach both sides of the property.
    assert.ok(forwarded >= 10, `${forwarded} forwarded calls`);
    assert.ok(refused >= 100, `${refused} refused or answered by the gateway`);
  });
});
