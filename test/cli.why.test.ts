/**
 * CLI, by spawning `node bin/vmcp-okta.js`: `why` explanations and the `authz` JSON Lines stream.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { runCli, tempStacks } from "./fixtures/cli";
import { seedTeam } from "./fixtures/seed";

interface Explanation {
  decision: { allowed: boolean; policies: string[]; groups: string[]; principal?: string };
  causes: string[];
  text: string;
}

/** `why --json`: the explanation as data; its `text` is exactly what the plain command prints. */
async function why(claims: unknown, tool: string, opts: { cwd?: string; stack?: string } = {}) {
  const r = await runCli(["why", "--stack", opts.stack ?? "dev", "--claims", JSON.stringify(claims), "--tool", tool, "--json"], { cwd: opts.cwd });
  assert.equal(r.stderr, "");
  return { code: r.code, ...(JSON.parse(r.stdout) as Explanation) };
}

test("why (plain text): allowed, with the principal, the groups and the permitting policy; exit 0", async () => {
  const r = await runCli(["why", "--stack", "dev", "--claims", JSON.stringify({ sub: "alice@example.com", groups: ["mcp-developers"] }), "--tool", "github-backend_create_issue"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /principal: Client::"alice@example\.com"/);
  assert.match(r.stdout, /groups \(from claim "groups"\): THVGroup::"mcp-developers"/);
  assert.match(r.stdout, /decision: ALLOW, by mcp-developers\.allow-all/);
  assert.doesNotMatch(r.stdout, /likely cause/);
});

test("why: forbidden, naming the forbid; exit 3", async () => {
  const e = await why({ sub: "alice", groups: ["mcp-developers"] }, "kubernetes-backend_delete_namespace");
  assert.equal(e.code, 3);
  assert.match(e.text, /decision: DENY, by forbid mcp-developers\.deny-tools/);
  assert.deepEqual(e.decision.policies, ["mcp-developers.deny-tools"]);
  assert.equal(e.causes.length, 1);
  assert.match(e.causes[0], /mcp-developers\.deny-tools/);
});

test("why: default deny with a group that differs only in case", async () => {
  const e = await why({ sub: "alice", groups: ["MCP-Developers"] }, "github-backend_create_issue");
  assert.equal(e.code, 3);
  assert.match(e.text, /Cedar's default deny/);
  assert.ok(e.causes.some((c) => c.includes('"MCP-Developers"') && c.includes('"mcp-developers"') && /case/.test(c)), e.causes.join("\n"));
  assert.ok(e.text.includes(e.causes[0]), "causes are printed as likely causes");
});

test("why: a tool name missing its backend prefix", async () => {
  const team = seedTeam();
  team.groups.readers = { description: "read-only" };
  team.grants!.readers = { allow: ["kubernetes-backend/get_pods", "kubernetes-backend/list_namespaces"] };
  const e = await why({ sub: "r", groups: ["mcp-readers"] }, "get_pods", { cwd: tempStacks({ readers: team }), stack: "readers" });
  assert.equal(e.code, 3);
  assert.deepEqual(e.decision.groups, ["mcp-readers"]);
  assert.ok(e.causes.some((c) => c.includes('"get_pods"') && c.includes('"kubernetes-backend_get_pods"')), e.causes.join("\n"));
});

test("why: a token with no groups claim at all", async () => {
  const e = await why({ sub: "eve@example.com", email: "eve@example.com" }, "github-backend_list_issues");
  assert.equal(e.code, 3);
  assert.match(e.text, /groups: none/);
  assert.deepEqual(e.decision.groups, []);
  assert.ok(e.causes.some((c) => /no groups claim/.test(c)), e.causes.join("\n"));
});

test("authz: a JSON Lines stream answered in order; bad lines are denied and the stream continues", async () => {
  const policies = [
    `permit(principal in THVGroup::"mcp-developers", action, resource);`,
    `forbid(principal in THVGroup::"mcp-developers", action == Action::"call_tool", resource == Tool::"kubernetes-backend_delete_namespace");`,
    `forbid(principal, action == Action::"read_resource", resource) when { resource.uri like "file:///etc/*" };`,
  ];
  const dev = { sub: "alice", groups: ["mcp-developers"] };
  const requests: unknown[] = [
    { policies, claims: dev, method: "tools/call", params: { name: "kubernetes-backend_get_pods", arguments: { ns: "a" } } },
    "this is not JSON",
    { policies, claims: dev, method: "tools/call", params: { name: "kubernetes-backend_delete_namespace" } },
    { policies: [], claims: dev, method: "tools/call", params: { name: "x" } },
    { policies, claims: null, method: "tools/call", params: { name: "kubernetes-backend_get_pods" } },
    {
      policies,
      claims: dev,
      method: "tools/list",
      result: { tools: [{ name: "kubernetes-backend_get_pods" }, { name: "kubernetes-backend_delete_namespace" }, { name: "github-backend_list_issues" }] },
    },
    { policies, claims: dev, method: "resources/list", result: { resources: [{ uri: "file:///etc/passwd" }, { uri: "file:///home/a%20b" }] } },
    "",
    { policies, claims: dev, method: "prompts/list", result: { prompts: [{ name: "p1" }] } },
    { policies, claims: { sub: "bob", groups: ["mcp-platform"] }, method: "prompts/list", result: { prompts: [{ name: "p1" }] } },
    { policies, claims: dev, method: "resources/read", params: { uri: "file:///etc/hosts" } },
    { policies, claims: dev, method: "sampling/createMessage", params: {} },
    { policies, claims: dev, method: "tools/call", params: { name: "github-backend_create_issue" }, serverName: "engineering-tools" },
  ];
  const input = requests.map((r) => (typeof r === "string" ? r : JSON.stringify(r))).join("\n") + "\n";
  const r = await runCli(["authz"], { input });
  assert.equal(r.code, 0, r.stderr);
  type Answer = { decision: string; policies: string[]; errors: string[]; result?: Record<string, { name?: string; uri?: string }[]> };
  const answers = r.stdout.trim().split("\n").map((l) => JSON.parse(l) as Answer);
  assert.equal(answers.length, requests.length - 1, "one answer per non-empty line");
  assert.deepEqual(
    answers.map((a) => a.decision),
    ["allow", "deny", "deny", "deny", "deny", "allow", "allow", "allow", "allow", "deny", "deny", "allow"],
  );
  assert.deepEqual(answers[0], { decision: "allow", policies: ["policy0"], errors: [] });
  assert.match(answers[1].errors[0], /invalid JSON/);
  assert.deepEqual(answers[2], { decision: "deny", policies: ["policy1"], errors: [] });
  assert.ok(answers[3].errors.length > 0);
  assert.ok(answers[4].errors.length > 0, "no identity");
  assert.deepEqual(answers[5].result!.tools.map((x) => x.name), ["kubernetes-backend_get_pods", "github-backend_list_issues"]);
  assert.deepEqual(answers[6].result!.resources.map((x) => x.uri), ["file:///home/a%20b"]);
  assert.deepEqual(answers[7].result!.prompts.map((x) => x.name), ["p1"]);
  assert.deepEqual(answers[8].result!.prompts, [], "lists are admitted, then filtered for the caller");
  assert.deepEqual(answers[9].policies, ["policy2"]);
  assert.ok(answers[10].errors.length > 0);
  for (const a of answers.filter((x) => x.decision === "allow" && !x.result)) assert.deepEqual(a.errors, []);
});
