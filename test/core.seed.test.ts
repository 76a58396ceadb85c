/**
 * The seed guide's example expressed as a group list: the generated Cedar, the access matrix for
 * every group × tool, and the guide's literal policies flagged when added as raw policies.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { compileTeam } from "../components/compile";
import { ConfigError } from "../components/errors";
import { Authorizer } from "../components/cedar/authorizer";
import { NO_GROUP, matrixSummary, matrixToMarkdown } from "../components/cedar/matrix";
import { TEAM_CONFIG_KEY } from "../components/spec/parse";
import { defineTeam } from "../components/spec/define";
import { SEED_BACKEND_TOOLS, SEED_LITERAL_POLICIES, clone, seedTeam } from "./fixtures/seed";

const ALL_TOOLS = Object.entries(SEED_BACKEND_TOOLS).flatMap(([b, tools]) => tools.map((t) => `${b}_${t}`));
const FORBIDDEN_FOR_DEVS = "kubernetes-backend_delete_namespace";

function expectConfigError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected ConfigError, got ${String(e)}`);
    return e;
  }
  assert.fail("expected a ConfigError");
}

test("seed team: full Okta names and the claim filter are derived from the prefix", () => {
  const { spec } = compileTeam(seedTeam());
  assert.deepEqual(
    spec.groups.map((g) => [g.shortName, g.name]),
    [
      ["developers", "mcp-developers"],
      ["platform", "mcp-platform"],
      ["admin", "mcp-admin"],
    ],
  );
  assert.deepEqual(spec.claimFilter, { type: "STARTS_WITH", value: "mcp-" });
  assert.equal(spec.serverName, "engineering-tools");
  assert.deepEqual(
    spec.tools.map((t) => t.name),
    ALL_TOOLS,
  );
});

test("seed team: generated policies permit per group and forbid the prefixed delete_namespace", () => {
  const { policies, warnings } = compileTeam(seedTeam());
  assert.deepEqual(warnings, []);
  assert.deepEqual(
    policies.map((p) => [p.id, p.source, p.group]),
    [
      ["mcp-developers.allow-all", "generated", "mcp-developers"],
      ["mcp-developers.deny-tools", "generated", "mcp-developers"],
      ["mcp-platform.allow-all", "generated", "mcp-platform"],
      ["mcp-admin.allow-all", "generated", "mcp-admin"],
    ],
  );
  const forbid = policies.find((p) => p.id === "mcp-developers.deny-tools")!;
  assert.match(forbid.text, /^@id\("mcp-developers\.deny-tools"\)\s*forbid \(/);
  assert.match(forbid.text, /principal in THVGroup::"mcp-developers"/);
  assert.match(forbid.text, /action == Action::"call_tool"/);
  assert.match(forbid.text, /resource == Tool::"kubernetes-backend_delete_namespace"/);
  assert.doesNotMatch(forbid.text, /Tool::"delete_namespace"/);
  for (const p of policies.filter((x) => x.id.endsWith(".allow-all"))) {
    assert.match(p.text, /permit \(\s*principal in THVGroup::"mcp-[a-z]+",\s*action,\s*resource\s*\);/);
  }
  // One policy per string: every text holds exactly one effect keyword.
  for (const p of policies) assert.equal((p.text.match(/\b(permit|forbid)\s*\(/g) ?? []).length, 1, p.id);
});

test("seed team: the access matrix covers every group (and no group) × every tool", () => {
  const { matrix, spec } = compileTeam(seedTeam());
  assert.deepEqual(matrix.groups, ["mcp-developers", "mcp-platform", "mcp-admin", NO_GROUP]);
  assert.deepEqual(matrix.tools, ALL_TOOLS);
  for (const group of matrix.groups) {
    for (const tool of ALL_TOOLS) {
      const cell = matrix.cells[group][tool];
      let expected: { decision: "allow" | "deny"; policies: string[] };
      if (group === NO_GROUP) expected = { decision: "deny", policies: [] };
      else if (group === "mcp-developers" && tool === FORBIDDEN_FOR_DEVS) expected = { decision: "deny", policies: ["mcp-developers.deny-tools"] };
      else expected = { decision: "allow", policies: [`${group}.allow-all`] };
      assert.deepEqual(cell, expected, `${group} × ${tool}`);
    }
  }
  const summary = matrixSummary(matrix);
  assert.deepEqual(summary["mcp-developers"].deny, [FORBIDDEN_FOR_DEVS]);
  assert.deepEqual(summary[NO_GROUP].allow, []);
  const md = matrixToMarkdown(matrix);
  assert.equal(md.trim().split("\n").length, 2 + spec.tools.length);
  assert.match(md, /\| `kubernetes-backend_delete_namespace` \| \*\*deny\*\* \(mcp-developers\.deny-tools\) \| allow \(mcp-platform\.allow-all\)/);
});

test("seed team: the matrix agrees with the authorizer for real-looking tokens", () => {
  const { authorizer } = compileTeam(seedTeam());
  const decide = (groups: string[] | undefined, tool: string) =>
    authorizer.authorize({ claims: { sub: "u1", email: "u1@example.com", ...(groups ? { groups } : {}) }, action: "call_tool", resourceId: tool }).allowed;
  assert.equal(decide(["mcp-developers"], FORBIDDEN_FOR_DEVS), false);
  assert.equal(decide(["mcp-developers", "mcp-platform"], FORBIDDEN_FOR_DEVS), false, "forbid beats the platform permit");
  assert.equal(decide(["mcp-platform"], FORBIDDEN_FOR_DEVS), true);
  assert.equal(decide(["mcp-admin"], FORBIDDEN_FOR_DEVS), true);
  assert.equal(decide(["mcp-developers"], "kubernetes-backend_get_pods"), true);
  assert.equal(decide(["mcp-Developers"], "kubernetes-backend_get_pods"), false, "group ids are case-sensitive");
  assert.equal(decide(["eng"], "kubernetes-backend_get_pods"), false);
  assert.equal(decide(undefined, "kubernetes-backend_get_pods"), false);
});

test("the seed's literal policies do not protect delete_namespace under vMCP's default prefixing", () => {
  // This is why the forbid must name the advertised tool: vMCP sends Tool::"kubernetes-backend_delete_namespace".
  const literal = new Authorizer({ policies: SEED_LITERAL_POLICIES, serverName: "engineering-tools" });
  const d = literal.authorize({ claims: { sub: "alice", groups: ["mcp-developers"] }, action: "call_tool", resourceId: FORBIDDEN_FOR_DEVS });
  assert.equal(d.allowed, true);
  assert.deepEqual(d.policies, ["policy0"]);
  const generated = compileTeam(seedTeam()).authorizer;
  assert.equal(generated.authorize({ claims: { sub: "alice", groups: ["mcp-developers"] }, action: "call_tool", resourceId: FORBIDDEN_FOR_DEVS }).allowed, false);
});

test("the seed's literal policies added as raw policies: only the unprefixed Tool is flagged", () => {
  const input = seedTeam();
  input.cedar = { policies: SEED_LITERAL_POLICIES.map((cedar, i) => ({ id: `seed-${i}`, cedar })) };
  const err = expectConfigError(() => compileTeam(input));
  const errors = err.problems.filter((p) => p.severity === "error");
  assert.deepEqual(
    errors.map((p) => [p.code, p.path]),
    [["policy.unprefixed-tool", `${TEAM_CONFIG_KEY}.cedar.policies[1]`]],
  );
  assert.equal(errors[0].value, "delete_namespace");
  assert.match(errors[0].fix ?? "", /Tool::"kubernetes-backend_delete_namespace"/);
  assert.match(err.message, /vmcp-okta:team\.cedar\.policies\[1\]/);

  // With the forbid corrected, the same raw set compiles.
  const fixed = clone(input);
  fixed.cedar!.policies![1].cedar = SEED_LITERAL_POLICIES[1].replace('Tool::"delete_namespace"', 'Tool::"kubernetes-backend_delete_namespace"');
  const compiled = compileTeam(fixed);
  assert.equal(compiled.policies.filter((p) => p.source === "raw").length, 4);
  assert.equal(compiled.matrix.cells["mcp-developers"][FORBIDDEN_FOR_DEVS].decision, "deny");
  assert.deepEqual([...compiled.matrix.cells["mcp-developers"][FORBIDDEN_FOR_DEVS].policies].sort(), ["mcp-developers.deny-tools", "seed-1"]);
});

test("the dev stack file expresses the same team as the seed fixture", () => {
  const doc = parse(readFileSync(join(__dirname, "..", "Pulumi.dev.yaml"), "utf8")) as { config: Record<string, unknown> };
  const dev = compileTeam(doc.config[TEAM_CONFIG_KEY]);
  const seed = compileTeam(seedTeam());
  assert.deepEqual(dev.policies, seed.policies);
  assert.deepEqual(dev.matrix, seed.matrix);
});

test("defineTeam: the typed definition is plain data that compileTeam accepts and compiles identically", () => {
  const team = defineTeam({
    team: "engineering",
    endpoint: "https://vmcp.example.com",
    groups: {
      developers: { description: "Engineers", members: ["alice@example.com"] },
      platform: { description: "Platform" },
      admin: { description: "Admins" },
    },
    backends: {
      "github-backend": { image: "ghcr.io/github/github-mcp-server:latest", tools: ["create_issue", "list_issues", "get_file_contents"] },
      "kubernetes-backend": { image: "ghcr.io/stackloklabs/yardstick/yardstick-server:1.1.1", tools: ["list_namespaces", "get_pods", "delete_namespace"] },
    },
    grants: {
      developers: { allow: "*", deny: ["kubernetes-backend/delete_namespace"] },
      platform: { allow: "*" },
      admin: { allow: "*" },
    },
  });
  // Plain data: it survives a JSON round trip unchanged (nothing hidden in prototypes or functions).
  assert.deepEqual(JSON.parse(JSON.stringify(team)), team);
  const compiled = compileTeam(team);
  assert.deepEqual(compiled.policies, compileTeam(seedTeam()).policies);
  assert.deepEqual(compiled.matrix, compileTeam(seedTeam()).matrix);
});

test("defineTeam: what the type system cannot see (case twins, bad names) is still caught at run time", () => {
  const team = defineTeam({
    team: "engineering",
    endpoint: "https://vmcp.example.com",
    groups: { developers: { description: "d" }, Developers: { description: "d" } },
    backends: { k8s: { image: "i", tools: ["get_pods"] } },
    grants: { developers: { allow: ["k8s/get_pods"] } },
  });
  const err = expectConfigError(() => compileTeam(team));
  assert.deepEqual(
    err.problems.filter((p) => p.severity === "error").map((p) => [p.code, p.path]),
    [["group.duplicate", `${TEAM_CONFIG_KEY}.groups.Developers`]],
  );
});
