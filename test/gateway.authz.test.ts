/**
 * End to end on the development stack (Pulumi.dev.yaml, the guide's team): the official SDK client
 * over Streamable HTTP with real bearer tokens, the gateway, and the bundled demo backends as stdio
 * child processes. What each user sees and may call must be exactly the core's access matrix.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { compileTeam, type CompiledTeam } from "../components/compile";
import { loadStackFile } from "../components/stackConfig";
import { NO_GROUP } from "../components/cedar/matrix";
import { DENIAL_MESSAGE } from "../components/cedar/mcp";
import { startGateway, type RunningGateway } from "../gateway/server";
import { TestIssuer } from "../gateway/testing/testIssuer";
import { connect, LogCapture, rawPost, rawSession, REPO_ROOT } from "../gateway/testing/harness";

/** Arguments that make each demo tool succeed (or fail harmlessly) when it is allowed. */
const SAMPLE_ARGS: Record<string, Record<string, unknown>> = {
  create_issue: { owner: "acme", repo: "platform", title: "from the matrix test" },
  list_issues: { owner: "acme", repo: "platform" },
  get_file_contents: { owner: "acme", repo: "platform", path: "README.md" },
  list_namespaces: {},
  get_pods: { namespace: "payments" },
  delete_namespace: { namespace: "does-not-exist" },
};

function ownName(advertised: string): string {
  return advertised.slice(advertised.indexOf("_") + 1);
}

async function callOutcome(client: Client, name: string): Promise<"allow" | "deny"> {
  try {
    const r = await client.callTool({ name, arguments: SAMPLE_ARGS[ownName(name)] ?? {} });
    assert.ok(Array.isArray(r.content), `${name}: a tool result`);
    return "allow";
  } catch (e) {
    const m = (e as Error).message;
    assert.match(m, /HTTP 403|403/, `${name}: an unexpected error: ${m}`);
    assert.ok(m.includes(DENIAL_MESSAGE.call_tool), `${name}: vMCP's denial message expected, got ${m}`);
    return "deny";
  }
}

describe("gateway on the development stack", () => {
  let compiled: CompiledTeam;
  let issuer: TestIssuer;
  let gw: RunningGateway;
  const logs = new LogCapture();
  const clients: Client[] = [];
  const tokenFor = (sub: string, groups: string[]) => issuer.userToken(sub, groups);
  const clientFor = async (sub: string, groups: string[]) => {
    const c = await connect(gw.mcpUrl, await tokenFor(sub, groups));
    clients.push(c);
    return c;
  };

  before(async () => {
    compiled = compileTeam(loadStackFile("dev", REPO_ROOT).team);
    issuer = await TestIssuer.start(compiled.spec.endpoint);
    gw = await startGateway({ compiled, port: 0, resourceUrl: compiled.spec.endpoint, issuer: issuer.issuer, cwd: REPO_ROOT, logger: logs.logger, handleSignals: false });
    await gw.ready;
  });
  after(async () => {
    for (const c of clients) await c.close().catch(() => {});
    await gw.close();
    await issuer.close();
  });

  test("the backends advertise exactly the declared tools, under vMCP's names", async () => {
    assert.deepEqual([...gw.status().tools].sort(), [...compiled.matrix.tools].sort());
    assert.ok(gw.status().tools.includes("kubernetes-backend_delete_namespace"));
  });

  test("a developer does not see delete_namespace and gets vMCP's 403 calling it", async () => {
    const alice = await clientFor("alice@example.com", ["mcp-developers"]);
    const names = (await alice.listTools()).tools.map((t) => t.name);
    assert.ok(!names.includes("kubernetes-backend_delete_namespace"), names.join(", "));
    assert.ok(names.includes("kubernetes-backend_get_pods"));
    assert.equal(await callOutcome(alice, "kubernetes-backend_delete_namespace"), "deny");

    // The raw answer: HTTP 403, JSON-RPC error code 403, vMCP's message.
    const token = await tokenFor("alice@example.com", ["mcp-developers"]);
    const sid = await rawSession(gw.mcpUrl, token);
    const a = await rawPost(gw.mcpUrl, { jsonrpc: "2.0", id: 42, method: "tools/call", params: { name: "kubernetes-backend_delete_namespace", arguments: { namespace: "staging" } } }, { authorization: `Bearer ${token}`, "mcp-session-id": sid });
    assert.equal(a.status, 403);
    assert.deepEqual(a.body, { jsonrpc: "2.0", id: 42, error: { code: 403, message: "call denied by authorization policy" } });

    // One audit line per decision, with who, what and why; never the token.
    const audit = logs.find("authz.decision").filter((l) => l.target === "kubernetes-backend_delete_namespace" && l.user === "alice@example.com");
    assert.ok(audit.length >= 2);
    assert.deepEqual(audit[0].groups, ["mcp-developers"]);
    assert.equal(audit[0].decision, "deny");
    assert.equal(audit[0].method, "tools/call");
    assert.ok((audit[0].policies as string[]).length > 0, "the forbid policy is named");
    assert.ok(!logs.text().includes(token.split(".")[2]), "no token in the logs");
  });

  test("platform and admin can call delete_namespace", async () => {
    for (const [sub, group, ns] of [
      ["bob@example.com", "mcp-platform", "staging"],
      ["carol@example.com", "mcp-admin", "default"],
    ]) {
      const c = await clientFor(sub, [group]);
      assert.ok((await c.listTools()).tools.some((t) => t.name === "kubernetes-backend_delete_namespace"), `${group} sees it`);
      const r = await c.callTool({ name: "kubernetes-backend_delete_namespace", arguments: { namespace: ns } });
      assert.equal(r.isError, undefined);
      assert.deepEqual(JSON.parse((r.content as { text: string }[])[0].text), { namespace: ns, deleted: true });
    }
  });

  test("a user in no group sees nothing and every call is denied", async () => {
    const eve = await clientFor("eve@example.com", []);
    assert.deepEqual((await eve.listTools()).tools, []);
    assert.deepEqual((await eve.listPrompts()).prompts, []);
    assert.deepEqual((await eve.listResources()).resources, []);
    assert.deepEqual((await eve.listResourceTemplates()).resourceTemplates, []);
    for (const tool of compiled.matrix.tools) assert.equal(await callOutcome(eve, tool), "deny", tool);
    await assert.rejects(eve.getPrompt({ name: "kubernetes-backend_triage_namespace", arguments: { namespace: "payments" } }), (e: Error) => e.message.includes(DENIAL_MESSAGE.get_prompt));
    await assert.rejects(eve.readResource({ uri: "demo://kubernetes/cluster-info" }), (e: Error) => e.message.includes(DENIAL_MESSAGE.read_resource));
    // A name that does not exist is indistinguishable from a denied one (default deny).
    assert.equal(await callOutcome(eve, "kubernetes-backend_no_such_tool"), "deny");
  });

  test("lists and calls match the core's access matrix for every group × tool", async () => {
    for (const group of compiled.matrix.groups) {
      const c = await clientFor(`matrix-${group}@example.com`, group === NO_GROUP ? [] : [group]);
      const listed = new Set((await c.listTools()).tools.map((t) => t.name));
      for (const tool of compiled.matrix.tools) {
        const expected = compiled.matrix.cells[group][tool].decision;
        assert.equal(listed.has(tool), expected === "allow", `${group} × ${tool}: listed`);
        assert.equal(await callOutcome(c, tool), expected, `${group} × ${tool}: call`);
      }
    }
  });

  test("prompts, resources and completion go through with backend names restored", async () => {
    const bob = await clientFor("bob@example.com", ["mcp-platform"]);
    const prompts = (await bob.listPrompts()).prompts.map((p) => p.name).sort();
    assert.deepEqual(prompts, ["github-backend_summarize_issues", "kubernetes-backend_triage_namespace"]);
    const p = await bob.getPrompt({ name: "kubernetes-backend_triage_namespace", arguments: { namespace: "payments" } });
    assert.match((p.messages[0].content as { text: string }).text, /api-5c6d7-fghij/);
    const templates = (await bob.listResourceTemplates()).resourceTemplates.map((t) => t.uriTemplate).sort();
    assert.deepEqual(templates, ["demo://github/repos/{owner}/{repo}/issues", "demo://kubernetes/namespaces/{namespace}"]);
    const r = await bob.readResource({ uri: "demo://github/repos/acme/platform/issues" });
    assert.ok(JSON.parse((r.contents[0] as { text: string }).text).length >= 2);
    const done = await bob.complete({ ref: { type: "ref/prompt", name: "github-backend_summarize_issues" }, argument: { name: "repo", value: "acme/p" } });
    assert.deepEqual(done.completion.values, ["acme/platform"]);
    const progress: number[] = [];
    await bob.callTool({ name: "kubernetes-backend_get_pods", arguments: { namespace: "payments" } }, undefined, { onprogress: (n) => progress.push(n.progress) });
    assert.deepEqual(progress, [1, 2, 3]);
  });
});
