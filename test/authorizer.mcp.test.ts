/**
 * MCP methods → Cedar checks on vMCP's path (model §2): method classes, what each checked method
 * sends to Cedar, denial messages, list filtering item by item, and the `authz` batch protocol.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Authorizer } from "../components/cedar/authorizer";
import { authorizeMcpRequest, cedarCheckFor, classifyMethod, DENIAL_CODE, DENIAL_MESSAGE, filterListResult } from "../components/cedar/mcp";
import { BatchAuthorizer } from "../components/cedar/batch";
import cedar from "../components/cedar/wasm";

const DEV = { sub: "alice", groups: ["mcp-developers"] };
const policies = {
  "dev-all": `permit(principal in THVGroup::"mcp-developers", action, resource);`,
  "dev-no-delete": `forbid(principal in THVGroup::"mcp-developers", action == Action::"call_tool", resource == Tool::"k8s_delete_namespace");`,
  "no-secret-prompts": `forbid(principal, action == Action::"get_prompt", resource == Prompt::"secret_prompt");`,
  "no-etc": `forbid(principal, action == Action::"read_resource", resource) when { resource.uri like "file:///etc/*" };`,
  "ro-only-needs-hint": `forbid(principal, action == Action::"call_tool", resource == Tool::"k8s_scale") when { !resource.readOnlyHint };`,
};
const authorizer = new Authorizer({ policies, serverName: "engineering-tools" });

describe("method classification", () => {
  test("always / check / list / deny", () => {
    const table: Record<string, string[]> = {
      always: ["initialize", "ping", "roots/list", "server/discover", "subscriptions/listen", "logging/setLevel", "notifications/initialized", "notifications/cancelled", "notifications/progress", "notifications/message", "notifications/tools/list_changed", "notifications/resources/updated", "notifications/tasks/status"],
      check: ["tools/call", "prompts/get", "resources/read", "resources/subscribe", "resources/unsubscribe", "completion/complete"],
      list: ["tools/list", "prompts/list", "resources/list", "resources/templates/list"],
      deny: ["sampling/createMessage", "elicitation/create", "tasks/get", "tasks/list", "notifications/elicitation/complete", "features/list", "", "TOOLS/CALL", "tools/call/"],
    };
    for (const [cls, methods] of Object.entries(table)) for (const m of methods) assert.equal(classifyMethod(m), cls, m);
  });

  test("what each checked method sends to Cedar", () => {
    assert.deepEqual(cedarCheckFor("tools/call", { name: "gh_x", arguments: { a: 1 } }), { action: "call_tool", resourceId: "gh_x", arguments: { a: 1 } });
    assert.deepEqual(cedarCheckFor("tools/call", { name: "gh_x", arguments: [1] }), { action: "call_tool", resourceId: "gh_x", arguments: undefined });
    assert.deepEqual(cedarCheckFor("prompts/get", { name: "p", arguments: { topic: "x" } }), { action: "get_prompt", resourceId: "p" });
    for (const m of ["resources/read", "resources/subscribe", "resources/unsubscribe"]) {
      assert.deepEqual(cedarCheckFor(m, { uri: "file:///a%20b" }), { action: "read_resource", resourceId: "file:///a%20b" }, m);
    }
    assert.deepEqual(cedarCheckFor("completion/complete", { ref: { type: "ref/prompt", name: "p" }, argument: { name: "a", value: "b" } }), { action: "get_prompt", resourceId: "p" });
    assert.deepEqual(cedarCheckFor("completion/complete", { ref: { type: "ref/resource", uri: "file:///{x}" } }), { action: "read_resource", resourceId: "file:///{x}" });
    assert.deepEqual(cedarCheckFor("tools/call", {}), { action: "call_tool", resourceId: "", arguments: undefined }, "a missing name is \"\"");
    assert.deepEqual(cedarCheckFor("tools/call", { name: 42 }), { action: "call_tool", resourceId: "", arguments: undefined });
    assert.equal(cedarCheckFor("tools/list", {}), undefined);
  });
});

describe("authorizeMcpRequest", () => {
  test("tools/call: allowed, forbidden (vMCP's message), arguments and annotations reach Cedar", () => {
    const ok = authorizeMcpRequest(authorizer, "tools/call", { name: "k8s_get_pods", arguments: { ns: "a" } }, DEV);
    assert.equal(ok.allowed, true);
    assert.equal(ok.methodClass, "check");
    assert.equal(ok.action, "call_tool");
    assert.equal(ok.target, "k8s_get_pods");
    assert.equal(ok.denialMessage, undefined);
    const no = authorizeMcpRequest(authorizer, "tools/call", { name: "k8s_delete_namespace" }, DEV);
    assert.equal(no.allowed, false);
    assert.deepEqual(no.policies, ["dev-no-delete"]);
    assert.equal(no.denialMessage, "call denied by authorization policy");
    assert.equal(DENIAL_CODE, 403);
    // The annotations come from the advertised tool (never from the client's params).
    const annotationsFor = (name: string) => (name === "k8s_scale" ? { readOnlyHint: true } : undefined);
    assert.equal(authorizeMcpRequest(authorizer, "tools/call", { name: "k8s_scale", annotations: { readOnlyHint: true } }, DEV).allowed, false);
    assert.equal(authorizeMcpRequest(authorizer, "tools/call", { name: "k8s_scale" }, DEV, annotationsFor).allowed, true);
    const args = new Authorizer({ policies: [`permit(principal, action, resource) when { context.arg_ns == "a" };`] });
    assert.equal(authorizeMcpRequest(args, "tools/call", { name: "t", arguments: { ns: "a" } }, DEV).allowed, true);
  });

  test("a denied name and a nonexistent name get the identical denial", () => {
    const outsider = { sub: "eve", groups: ["mcp-sales"] };
    const a = authorizeMcpRequest(authorizer, "tools/call", { name: "k8s_get_pods" }, outsider);
    const b = authorizeMcpRequest(authorizer, "tools/call", { name: "no_such_tool" }, outsider);
    assert.deepEqual([a.allowed, a.denialMessage, a.policies], [b.allowed, b.denialMessage, b.policies]);
  });

  test("prompts/get carries no arguments (vMCP's AllowPromptGet passes nil)", () => {
    const a = new Authorizer({ policies: [`permit(principal, action, resource) when { context has arg_topic };`] });
    assert.equal(authorizeMcpRequest(a, "tools/call", { name: "x", arguments: { topic: "t" } }, DEV).allowed, true);
    const d = authorizeMcpRequest(a, "prompts/get", { name: "x", arguments: { topic: "t" } }, DEV);
    assert.equal(d.allowed, false);
    assert.equal(d.denialMessage, "prompt denied by authorization policy");
    assert.equal(authorizeMcpRequest(authorizer, "prompts/get", { name: "secret_prompt" }, DEV).allowed, false);
    assert.equal(authorizeMcpRequest(authorizer, "prompts/get", { name: "summary" }, DEV).allowed, true);
  });

  test("resources/read, subscribe and unsubscribe check read_resource on the URI", () => {
    for (const m of ["resources/read", "resources/subscribe", "resources/unsubscribe"]) {
      assert.equal(authorizeMcpRequest(authorizer, m, { uri: "file:///home/a" }, DEV).allowed, true, m);
      const d = authorizeMcpRequest(authorizer, m, { uri: "file:///etc/passwd" }, DEV);
      assert.equal(d.allowed, false, m);
      assert.equal(d.denialMessage, "read denied by authorization policy");
    }
  });

  test("completion/complete checks the ref: a prompt name or a resource URI", () => {
    assert.equal(authorizeMcpRequest(authorizer, "completion/complete", { ref: { type: "ref/prompt", name: "secret_prompt" } }, DEV).allowed, false);
    assert.equal(authorizeMcpRequest(authorizer, "completion/complete", { ref: { type: "ref/prompt", name: "summary" } }, DEV).allowed, true);
    assert.equal(authorizeMcpRequest(authorizer, "completion/complete", { ref: { type: "ref/resource", uri: "file:///etc/{f}" } }, DEV).allowed, false);
    assert.equal(authorizeMcpRequest(authorizer, "completion/complete", { ref: { type: "ref/resource", uri: "file:///home/{f}" } }, DEV).allowed, true);
  });

  test("always-admitted methods and lists need no identity and run no Cedar check", (t) => {
    const spy = t.mock.method(cedar as unknown as Record<string, (...a: unknown[]) => unknown>, "statefulIsAuthorized");
    for (const m of ["initialize", "ping", "notifications/initialized", "tools/list", "resources/templates/list"]) {
      const d = authorizeMcpRequest(authorizer, m, {}, null);
      assert.equal(d.allowed, true, m);
      assert.equal(d.denialMessage, undefined);
    }
    assert.equal(spy.mock.callCount(), 0);
  });

  test("methods outside the table are refused, whoever asks", () => {
    for (const m of ["sampling/createMessage", "elicitation/create", "tasks/list"]) {
      const d = authorizeMcpRequest(authorizer, m, {}, { sub: "root", groups: ["mcp-developers"] });
      assert.equal(d.allowed, false, m);
      assert.equal(d.methodClass, "deny");
      assert.ok(d.errors.length > 0);
    }
  });

  test("checked methods without an identity are denied", () => {
    for (const m of ["tools/call", "prompts/get", "resources/read"]) {
      assert.equal(authorizeMcpRequest(authorizer, m, { name: "k8s_get_pods", uri: "file:///home/a" }, null).allowed, false, m);
    }
  });
});

describe("list filtering", () => {
  test("tools/list keeps allowed tools, with each tool's own annotations and no arguments", () => {
    const result = {
      tools: [
        { name: "k8s_get_pods", inputSchema: { type: "object" } },
        { name: "k8s_delete_namespace", inputSchema: { type: "object" } },
        { name: "k8s_scale", annotations: { readOnlyHint: false } },
        { name: "k8s_scale_ro", annotations: { readOnlyHint: true } },
      ],
      nextCursor: "c2",
    };
    const ro = new Authorizer({
      policies: {
        dev: policies["dev-all"],
        ro: `forbid(principal, action == Action::"call_tool", resource) when { resource has readOnlyHint && !resource.readOnlyHint };`,
        noargs: `forbid(principal, action, resource) when { context has arg_ns };`,
      },
    });
    const { result: filtered, removed } = filterListResult(ro, "tools/list", result, DEV);
    assert.deepEqual((filtered.tools as { name: string }[]).map((x) => x.name), ["k8s_get_pods", "k8s_delete_namespace", "k8s_scale_ro"]);
    assert.deepEqual(removed, ["k8s_scale"]);
    assert.equal(filtered.nextCursor, "c2", "other fields are kept");
    assert.deepEqual((filtered.tools as unknown[])[0], result.tools[0], "items are passed through unchanged");
    assert.equal(result.tools.length, 4, "the input is not mutated");
    const main = filterListResult(authorizer, "tools/list", result, DEV);
    assert.deepEqual(main.removed, ["k8s_delete_namespace", "k8s_scale"], "k8s_scale's check errors (no readOnlyHint), so it is dropped");
  });

  test("an item whose check errors is dropped", () => {
    const a = new Authorizer({ policies: [`permit(principal, action, resource) when { resource.readOnlyHint };`] });
    const { result } = filterListResult(a, "tools/list", { tools: [{ name: "a" }, { name: "b", annotations: { readOnlyHint: true } }, { name: "c", annotations: { readOnlyHint: "yes" } }] }, DEV);
    assert.deepEqual((result.tools as { name: string }[]).map((x) => x.name), ["b"]);
  });

  test("prompts/list, resources/list and resources/templates/list (by uriTemplate)", () => {
    const p = filterListResult(authorizer, "prompts/list", { prompts: [{ name: "summary" }, { name: "secret_prompt" }] }, DEV);
    assert.deepEqual((p.result.prompts as { name: string }[]).map((x) => x.name), ["summary"]);
    const r = filterListResult(authorizer, "resources/list", { resources: [{ uri: "file:///home/a", name: "a" }, { uri: "file:///etc/hosts", name: "hosts" }] }, DEV);
    assert.deepEqual((r.result.resources as { uri: string }[]).map((x) => x.uri), ["file:///home/a"]);
    const tmpl = filterListResult(authorizer, "resources/templates/list", { resourceTemplates: [{ uriTemplate: "file:///etc/{f}", name: "etc" }, { uriTemplate: "file:///home/{f}", name: "home" }] }, DEV);
    assert.deepEqual((tmpl.result.resourceTemplates as { name: string }[]).map((x) => x.name), ["home"]);
    assert.deepEqual(tmpl.removed, ["file:///etc/{f}"]);
  });

  test("without an identity every list comes back empty", () => {
    for (const [m, key, item] of [
      ["tools/list", "tools", { name: "k8s_get_pods" }],
      ["prompts/list", "prompts", { name: "summary" }],
      ["resources/list", "resources", { uri: "file:///home/a" }],
    ] as const) {
      assert.deepEqual(filterListResult(authorizer, m, { [key]: [item] }, null).result[key], [], m);
    }
  });

  test("malformed lists do not throw; a non-object item is judged as name \"\"", () => {
    const onlyPods = new Authorizer({ policies: [`permit(principal, action, resource == Tool::"k8s_get_pods");`] });
    assert.deepEqual(filterListResult(onlyPods, "tools/list", { tools: "nope" }, DEV).result.tools, []);
    assert.deepEqual(filterListResult(onlyPods, "tools/list", {}, DEV).result.tools, []);
    assert.deepEqual(filterListResult(onlyPods, "tools/list", { tools: [null, 3, { name: "k8s_get_pods" }] }, DEV).result.tools, [{ name: "k8s_get_pods" }]);
    // Like ToolHive, which decodes a null item as a tool named "": kept only if "" is permitted.
    const empty = new Authorizer({ policies: [`permit(principal, action, resource == Tool::"");`] });
    assert.deepEqual(filterListResult(empty, "tools/list", { tools: [null] }, DEV).result.tools, [null]);
  });
});

describe("authz batch protocol (in process)", () => {
  const base = { policies: Object.values(policies), serverName: "engineering-tools" };

  test("answers decisions with policy ids policy<i>, errors, and filtered results for lists", () => {
    const b = new BatchAuthorizer();
    const allow = b.answer({ ...base, claims: DEV, method: "tools/call", params: { name: "k8s_get_pods" } });
    assert.deepEqual(allow, { decision: "allow", policies: ["policy0"], errors: [] });
    const deny = b.answer({ ...base, claims: DEV, method: "tools/call", params: { name: "k8s_delete_namespace" } });
    assert.deepEqual(deny, { decision: "deny", policies: ["policy1"], errors: [] });
    const annotated = b.answer({ ...base, claims: DEV, method: "tools/call", params: { name: "k8s_scale" }, annotations: { readOnlyHint: true } });
    assert.equal(annotated.decision, "allow");
    const list = b.answer({ ...base, claims: DEV, method: "prompts/list", result: { prompts: [{ name: "summary" }, { name: "secret_prompt" }] } });
    assert.equal(list.decision, "allow");
    assert.deepEqual(list.result, { prompts: [{ name: "summary" }] });
    const anon = b.answer({ ...base, claims: null, method: "tools/call", params: { name: "k8s_get_pods" } });
    assert.equal(anon.decision, "deny");
    assert.ok(anon.errors.length > 0);
  });

  test("configuration fields are honoured: groupClaimName, roleClaimName, groupEntityType, entitiesJson", () => {
    const b = new BatchAuthorizer();
    const p = [`permit(principal in Team::"eng", action, resource);`];
    assert.equal(b.answer({ policies: p, groupEntityType: "Team", groupClaimName: "realm.teams", claims: { sub: "a", realm: { teams: ["eng"] } }, method: "tools/call", params: { name: "x" } }).decision, "allow");
    assert.equal(b.answer({ policies: p, groupEntityType: "Team", roleClaimName: "r", claims: { sub: "a", r: ["eng"] }, method: "tools/call", params: { name: "x" } }).decision, "allow");
    assert.equal(b.answer({ policies: p, claims: { sub: "a", groups: ["eng"] }, method: "tools/call", params: { name: "x" } }).decision, "deny");
    const entitiesJson = JSON.stringify([{ uid: { type: "THVGroup", id: "dev" }, attrs: {}, parents: [{ type: "Team", id: "eng" }] }]);
    assert.equal(b.answer({ policies: p, entitiesJson, claims: { sub: "a", groups: ["dev"] }, method: "tools/call", params: { name: "x" } }).decision, "allow");
  });

  test("bad input is a deny with an error, never an exception", () => {
    const b = new BatchAuthorizer();
    const bad: unknown[] = [
      null,
      [],
      "x",
      { ...base, method: "tools/call" }, // no claims
      { ...base, claims: DEV }, // no method
      { policies: [], claims: DEV, method: "tools/call" },
      { policies: [1], claims: DEV, method: "tools/call" },
      { policies: ["permit(principal, action"], claims: DEV, method: "tools/call", params: { name: "x" } },
      { policies: ["permit(principal, action, resource); permit(principal, action, resource);"], claims: DEV, method: "tools/call", params: { name: "x" } },
      { ...base, claims: [], method: "tools/call" },
      { ...base, claims: DEV, method: "tools/call", params: [] },
      { ...base, claims: DEV, method: "tools/call", entitiesJson: "{" },
      { ...base, claims: DEV, method: "tools/call", groupEntityType: "A::B" },
    ];
    for (const input of bad) {
      const a = b.answer(input);
      assert.equal(a.decision, "deny", JSON.stringify(input));
      assert.ok(a.errors.length > 0, JSON.stringify(input));
    }
    const line = b.answerLine("{not json");
    assert.equal(line.decision, "deny");
    assert.match(line.errors[0], /invalid JSON/);
  });

  test("a stream against the same configuration parses its policies once", (t) => {
    const spy = t.mock.method(cedar as unknown as Record<string, (...a: unknown[]) => unknown>, "preparsePolicySet");
    const b = new BatchAuthorizer();
    for (let i = 0; i < 10; i++) b.answer({ ...base, claims: { sub: `u${i}`, groups: ["mcp-developers"] }, method: "tools/call", params: { name: `t${i}` } });
    assert.equal(spy.mock.callCount(), 1);
    b.answer({ ...base, serverName: "other", claims: DEV, method: "tools/call", params: { name: "t" } });
    assert.equal(spy.mock.callCount(), 2, "a different configuration gets its own policy set");
  });
});

test("DENIAL_MESSAGE covers every Cedar action", () => {
  assert.deepEqual(Object.keys(DENIAL_MESSAGE).sort(), ["call_tool", "get_prompt", "read_resource"]);
});
