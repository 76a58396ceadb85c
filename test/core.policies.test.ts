/**
 * Generated Cedar for every grant shape, vMCP tool naming under each aggregation setting, and raw
 * policies that pass the reference and schema checks.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { compileTeam } from "../components/compile";
import { NO_GROUP, accessMatrix } from "../components/cedar/matrix";
import { aggregateTools, advertisedToolName, DEFAULT_AGGREGATION } from "../components/spec/toolNames";
import cedar from "../components/cedar/wasm";
import type { TeamInput } from "../components/spec/types";
import { seedTeam } from "./fixtures/seed";
import { generatedTeam } from "./fixtures/generatedTeam";

function team(over: Partial<TeamInput>): TeamInput {
  return { ...seedTeam(), ...over };
}

test("allow-lists and deny-lists of several tools generate parseable policies that decide per tool", () => {
  const t = team({
    groups: {
      readers: { description: "read-only" },
      writers: { description: "everything but two" },
      nobody: { description: "declared, never granted" },
    },
    grants: {
      readers: { allow: ["kubernetes-backend/get_pods", "kubernetes-backend/list_namespaces", "github-backend/list_issues"] },
      writers: { allow: "*", deny: ["kubernetes-backend/delete_namespace", "github-backend/create_issue"] },
    },
  });
  const { policies, matrix } = compileTeam(t);
  assert.deepEqual(
    policies.map((p) => p.id),
    ["mcp-readers.allow-tools", "mcp-writers.allow-all", "mcp-writers.deny-tools"],
  );
  for (const p of policies) {
    assert.equal(cedar.checkParsePolicySet({ staticPolicies: { [p.id]: p.text } }).type, "success", p.text);
  }
  const readers = policies.find((p) => p.id === "mcp-readers.allow-tools")!;
  assert.match(readers.text, /^@id\("mcp-readers\.allow-tools"\)\s*permit \(/);
  assert.match(readers.text, /action == Action::"call_tool"/);
  for (const tool of ["kubernetes-backend_get_pods", "kubernetes-backend_list_namespaces", "github-backend_list_issues"]) {
    assert.ok(readers.text.includes(`Tool::"${tool}"`), tool);
  }
  const allowedFor = (g: string) => matrix.tools.filter((tool) => matrix.cells[g][tool].decision === "allow");
  assert.deepEqual(allowedFor("mcp-readers"), ["github-backend_list_issues", "kubernetes-backend_list_namespaces", "kubernetes-backend_get_pods"]);
  assert.deepEqual(allowedFor("mcp-writers"), ["github-backend_list_issues", "github-backend_get_file_contents", "kubernetes-backend_list_namespaces", "kubernetes-backend_get_pods"]);
  assert.deepEqual(allowedFor("mcp-nobody"), []);
  assert.deepEqual(allowedFor(NO_GROUP), []);
  assert.deepEqual(matrix.cells["mcp-writers"]["github-backend_create_issue"].policies, ["mcp-writers.deny-tools"]);
  assert.deepEqual(matrix.cells["mcp-readers"]["kubernetes-backend_get_pods"].policies, ["mcp-readers.allow-tools"]);
  // A group with no grants gets no policy at all (default deny, nothing to read).
  assert.ok(!policies.some((p) => p.group === "mcp-nobody"));
});

test("an allow-list grants call_tool only; allow: '*' also covers prompts and resources", () => {
  const t = team({
    groups: { readers: { description: "r" }, all: { description: "a" } },
    grants: { readers: { allow: ["kubernetes-backend/get_pods"] }, all: { allow: "*" } },
  });
  const { authorizer } = compileTeam(t);
  const d = (g: string, action: "call_tool" | "get_prompt" | "read_resource", id: string) =>
    authorizer.authorize({ claims: { sub: "u", groups: [g] }, action, resourceId: id }).allowed;
  assert.equal(d("mcp-readers", "call_tool", "kubernetes-backend_get_pods"), true);
  assert.equal(d("mcp-readers", "get_prompt", "kubernetes-backend_get_pods"), false);
  assert.equal(d("mcp-readers", "read_resource", "file:///etc/hosts"), false);
  assert.equal(d("mcp-all", "get_prompt", "github-backend_summarize"), true);
  assert.equal(d("mcp-all", "read_resource", "file:///etc/hosts"), true);
});

test("grants on a backend without a tool list name the tool vMCP will advertise", () => {
  const t = seedTeam();
  t.backends.notes = { image: "ghcr.io/example/notes:1" };
  t.grants!.developers.deny = ["kubernetes-backend/delete_namespace", "notes/delete_note"];
  const { policies, warnings, authorizer } = compileTeam(t);
  assert.ok(warnings.some((w) => w.code === "grant.tool-undeclared-list"));
  const forbid = policies.find((p) => p.id === "mcp-developers.deny-tools")!;
  assert.ok(forbid.text.includes(`Tool::"notes_delete_note"`));
  assert.equal(authorizer.authorize({ claims: { sub: "a", groups: ["mcp-developers"] }, action: "call_tool", resourceId: "notes_delete_note" }).allowed, false);
  assert.equal(authorizer.authorize({ claims: { sub: "a", groups: ["mcp-developers"] }, action: "call_tool", resourceId: "notes_list_notes" }).allowed, true);
});

test("tool naming: default prefix {workload}_ applies to every tool, overrides first", () => {
  assert.equal(advertisedToolName(DEFAULT_AGGREGATION, "kubernetes-backend", "delete_namespace"), "kubernetes-backend_delete_namespace");
  const custom = { ...DEFAULT_AGGREGATION, prefixFormat: "{workload}.", overrides: { github: { create_issue: "new_issue" } } };
  assert.deepEqual(
    aggregateTools(custom, [
      { backend: "github", tools: ["create_issue", "list_issues"] },
      { backend: "k8s", tools: ["list_issues"] },
    ]).tools.map((x) => x.name),
    ["github.new_issue", "github.list_issues", "k8s.list_issues"],
  );
});

test("tool naming: priority keeps the first backend in priorityOrder; manual hides unresolved names", () => {
  const lists = [
    { backend: "github", tools: ["search", "create_issue"] },
    { backend: "gitlab", tools: ["search", "create_mr"] },
  ];
  const priority = aggregateTools({ ...DEFAULT_AGGREGATION, conflictResolution: "priority", priorityOrder: ["gitlab", "github"] }, lists);
  assert.deepEqual(
    priority.tools.map((x) => [x.name, x.backend]),
    // backend then tool order; the winner keeps its own position
    [
      ["create_issue", "github"],
      ["search", "gitlab"],
      ["create_mr", "gitlab"],
    ],
  );
  assert.deepEqual(priority.conflicts, [{ name: "search", backends: ["github", "gitlab"], kept: "gitlab" }]);
  const manual = aggregateTools({ ...DEFAULT_AGGREGATION, conflictResolution: "manual", overrides: { gitlab: { search: "gl_search" } } }, lists);
  assert.deepEqual(
    manual.tools.map((x) => x.name),
    ["search", "create_issue", "gl_search", "create_mr"],
  );
  assert.deepEqual(aggregateTools({ ...DEFAULT_AGGREGATION, conflictResolution: "manual" }, lists).conflicts, [{ name: "search", backends: ["github", "gitlab"] }]);
});

test("under priority aggregation, generated policies and the matrix use the bare names", () => {
  const t = seedTeam();
  t.aggregation = { conflictResolution: "priority", priorityOrder: ["kubernetes-backend"] };
  const { policies, matrix, spec } = compileTeam(t);
  assert.ok(spec.tools.every((x) => !x.name.includes("_backend")));
  assert.ok(policies.find((p) => p.id === "mcp-developers.deny-tools")!.text.includes(`Tool::"delete_namespace"`));
  assert.equal(matrix.cells["mcp-developers"]["delete_namespace"].decision, "deny");
  assert.equal(matrix.cells["mcp-developers"]["get_pods"].decision, "allow");
});

test("raw policies for claims and arguments pass when declared and guarded, and decide at run time", () => {
  const t = seedTeam();
  t.cedar = {
    claims: { department: "String" },
    arguments: { namespace: "String" },
    policies: [
      {
        id: "no-prod-deletes",
        cedar: `forbid(principal, action == Action::"call_tool", resource == Tool::"kubernetes-backend_delete_namespace") when { context has arg_namespace && context.arg_namespace == "prod" };`,
      },
      {
        id: "sre-dept",
        cedar: `permit(principal, action == Action::"call_tool", resource in MCP::"engineering-tools") when { principal has claim_department && principal.claim_department == "sre" };`,
      },
    ],
  };
  const { authorizer, policies } = compileTeam(t);
  assert.deepEqual(
    policies.filter((p) => p.source === "raw").map((p) => p.id),
    ["no-prod-deletes", "sre-dept"],
  );
  const del = (claims: Record<string, unknown>, args?: Record<string, unknown>) =>
    authorizer.authorize({ claims, action: "call_tool", resourceId: "kubernetes-backend_delete_namespace", arguments: args });
  assert.equal(del({ sub: "p", groups: ["mcp-platform"] }, { namespace: "dev" }).allowed, true);
  const prod = del({ sub: "p", groups: ["mcp-platform"] }, { namespace: "prod" });
  assert.equal(prod.allowed, false);
  assert.deepEqual(prod.policies, ["no-prod-deletes"]);
  assert.equal(del({ sub: "s", department: "sre" }).allowed, true);
  assert.equal(del({ sub: "s", department: "sales" }).allowed, false);
});

test("the access matrix (decided per row by a policy slice) equals the one decided by the full set", () => {
  const t = generatedTeam(10, 3);
  // A group → group hierarchy through entitiesJson: team-05's members also get team-00's grants
  // and team-04's, through a role entity in between.
  t.cedar = {
    ...t.cedar,
    entitiesJson: JSON.stringify([
      { uid: { type: "THVGroup", id: "mcp-team-05" }, attrs: {}, parents: [{ type: "THVGroup", id: "mcp-team-00" }, { type: "THVRole", id: "r" }] },
      { uid: { __entity: { type: "THVRole", id: "r" } }, attrs: {}, parents: [{ __entity: { type: "THVGroup", id: "mcp-team-04" } }] },
    ]),
    policies: [
      ...(t.cedar?.policies ?? []),
      // A raw policy that passes validation but errors at run time (Long overflow): ToolHive denies
      // every request it is evaluated for, even where a permit matched.
      { id: "errs", cedar: `forbid(principal in THVGroup::"mcp-team-07", action, resource) when { 9223372036854775807 + 1 > 0 };` },
    ],
  };
  t.cedar.arguments = { namespace: "String" };
  t.cedar.claims = { department: "String" };
  const { spec, authorizer, matrix, policies } = compileTeam(t);
  const full = accessMatrix(spec, authorizer);
  assert.deepEqual(matrix, full);
  assert.deepEqual(accessMatrix(spec, authorizer, policies), full);
  // The hierarchy is really exercised: team-05 inherits an allow from team-00 (allow-all).
  assert.ok(matrix.tools.every((tool) => matrix.cells["mcp-team-05"][tool].decision === "allow" || matrix.cells["mcp-team-05"][tool].policies.length > 0));
  assert.ok(matrix.tools.some((tool) => matrix.cells["mcp-team-05"][tool].policies.includes("mcp-team-00.allow-all")));
  assert.ok(matrix.tools.every((tool) => matrix.cells["mcp-team-07"][tool].decision === "deny"), "errors deny");
  // Several determining policies are listed in declaration order (not Cedar's hash order).
  const multi = matrix.tools.map((tool) => matrix.cells["mcp-team-05"][tool].policies).filter((ps) => ps.length > 1);
  assert.ok(multi.length > 0);
  const declared = policies.map((p) => p.id);
  for (const ps of multi) assert.deepEqual(ps, [...ps].sort((a, b) => declared.indexOf(a) - declared.indexOf(b)));
  assert.ok(matrix.tools.every((tool) => matrix.cells[NO_GROUP][tool].decision === "deny"));
});

test("the fast matrix equals the full one when policies read the resource or entitiesJson names tools", () => {
  const base = generatedTeam(6, 3);
  const tool = compileTeam(base).spec.tools[5].name;
  const variants: [string, (t: TeamInput) => void][] = [
    ["a raw policy reading resource.name", (t) => t.cedar!.policies!.push({ id: "by-name", cedar: `forbid(principal, action, resource) when { resource.name like "*_delete_*" };` })],
    ["a raw policy scoped to the server", (t) => t.cedar!.policies!.push({ id: "server", cedar: `permit(principal in THVGroup::"mcp-team-04", action, resource in MCP::"bench-tools");` })],
    ["a raw policy naming one tool in a set", (t) => t.cedar!.policies!.push({ id: "one", cedar: `forbid(principal, action, resource) when { resource in [Tool::"${tool}"] };` })],
    ["entitiesJson with a Tool entity", (t) => (t.cedar!.entitiesJson = JSON.stringify([{ uid: { type: "Tool", id: tool }, attrs: {}, parents: [] }]))],
  ];
  for (const [name, change] of variants) {
    const t = generatedTeam(6, 3);
    change(t);
    const { spec, authorizer, matrix } = compileTeam(t);
    assert.deepEqual(matrix, accessMatrix(spec, authorizer), name);
  }
});

test("the access matrix does not re-evaluate every policy per cell: decisions see only their row's policies", (t) => {
  const team = generatedTeam(12, 2);
  const { spec, authorizer, policies } = compileTeam(team);
  const seen: number[] = [];
  const mod = cedar as unknown as Record<string, (...a: unknown[]) => unknown>;
  const preparse = mod.preparsePolicySet;
  t.mock.method(mod, "preparsePolicySet", (id: unknown, set: { staticPolicies: Record<string, string> }) => {
    seen.push(Object.keys(set.staticPolicies).length);
    return preparse(id, set);
  });
  const evaluate = t.mock.method(mod, "statefulIsAuthorized");
  const matrix = accessMatrix(spec, authorizer, policies);
  const cells = matrix.groups.length * matrix.tools.length;
  assert.ok(evaluate.mock.callCount() < cells / 4, `${evaluate.mock.callCount()} Cedar evaluations for ${cells} cells`);
  assert.ok(seen.length > 0);
  assert.ok(Math.max(...seen) <= 2 + 2, `a row slice holds the group's own policies and the raw ones: ${seen.join(",")}`);
  assert.ok(policies.length > 10);
});
