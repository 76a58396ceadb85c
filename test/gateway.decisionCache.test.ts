/**
 * The gateway's per-token decision cache must be exact: used only when no policy can read
 * arguments, keyed by token claims, target and annotation hints; and argument-dependent policies
 * must still be evaluated on every call, end to end.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { Authorizer, AuthzRequest } from "../components/cedar/authorizer";
import { compileTeam } from "../components/compile";
import { withDecisionCache, policiesReadArguments } from "../gateway/mcp/decisionCache";
import { startGateway } from "../gateway/server";
import { startEchoHttpBackend } from "../gateway/demo/echoBackend";
import { TestIssuer } from "../gateway/testing/testIssuer";
import { connect, ECHO_TOOLS, ENDPOINT, echoTeam } from "../gateway/testing/harness";

function counting(real: Authorizer): { authorizer: Authorizer; calls: () => number } {
  let n = 0;
  const spy = Object.create(real) as Authorizer;
  spy.authorize = (r: AuthzRequest) => {
    n++;
    return real.authorize(r);
  };
  return { authorizer: spy, calls: () => n };
}

function argumentTeam() {
  return compileTeam({
    team: "argtest",
    environment: "development",
    endpoint: ENDPOINT,
    groupPrefix: "mcp-",
    groups: { users: { description: "all tools" } },
    grants: { users: { allow: "*" } },
    backends: { echo: { image: "example/echo:1", tools: ECHO_TOOLS } },
    cedar: {
      arguments: { text: "String" },
      policies: [{ id: "no-forbidden-text", cedar: 'forbid(principal, action == Action::"call_tool", resource == Tool::"echo_echo") when { context has arg_text && context.arg_text == "forbidden" };' }],
    },
  });
}

describe("gateway decision cache", () => {
  test("one Cedar evaluation per token and target; annotations and other tokens are separate entries", () => {
    const team = echoTeam();
    assert.equal(policiesReadArguments(team.authorizer), false);
    const spy = counting(team.authorizer);
    const cached = withDecisionCache(spy.authorizer);
    const reader = { sub: "rita", groups: ["mcp-readers"] };
    const ro = { claims: reader, action: "call_tool" as const, resourceId: "echo_echo", annotations: { readOnlyHint: true } };
    assert.equal(cached.authorize(ro).allowed, true);
    assert.equal(cached.authorize({ ...ro, arguments: { text: "other" } }).allowed, true);
    assert.equal(spy.calls(), 1, "the second call came from the cache");
    assert.equal(cached.authorize({ ...ro, annotations: { readOnlyHint: false } }).allowed, false, "other hints, other decision");
    assert.equal(cached.authorize({ ...ro, resourceId: "echo_slow", annotations: undefined }).allowed, false);
    assert.equal(cached.authorize({ ...ro, claims: { sub: "rita", groups: [] } }).allowed, false, "other claims, other decision");
    assert.equal(spy.calls(), 4);
  });

  test("not used when a policy reads arguments or the context", () => {
    const team = argumentTeam();
    assert.equal(policiesReadArguments(team.authorizer), true);
    assert.equal(withDecisionCache(team.authorizer), team.authorizer);
  });

  test("argument-dependent policies are decided on every call through the gateway", async () => {
    const issuer = await TestIssuer.start(ENDPOINT);
    const backend = await startEchoHttpBackend();
    const gw = await startGateway({ compiled: argumentTeam(), port: 0, resourceUrl: ENDPOINT, issuer: issuer.issuer, backends: [{ name: "echo", url: backend.url }], logger: () => {}, handleSignals: false, defaultMetrics: false });
    try {
      await gw.ready;
      const c = await connect(gw.mcpUrl, await issuer.userToken("alice@example.com", ["mcp-users"]));
      assert.deepEqual((await c.callTool({ name: "echo_echo", arguments: { text: "fine" } })).content, [{ type: "text", text: "fine" }]);
      await assert.rejects(c.callTool({ name: "echo_echo", arguments: { text: "forbidden" } }), /403/);
      assert.deepEqual((await c.callTool({ name: "echo_echo", arguments: { text: "fine again" } })).content, [{ type: "text", text: "fine again" }]);
      await c.close();
    } finally {
      await gw.close();
      await backend.close();
      await issuer.close();
    }
  });
});
