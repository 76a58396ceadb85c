/**
 * vMCP's aggregation rules (ToolHive v0.44.0 pkg/vmcp/aggregator, pkg/vmcp/config/validator.go), one
 * case per rule: the stack snippet, the names vMCP advertises, and the decisions the matrix and the
 * authorizer give on them. Plus the refusals `check` makes for what vmcp would refuse at startup, Long
 * claim types, generation names the operator already uses, and one-pass reporting.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { compileTeam, compileTeamInto } from "../components/compile";
import { ConfigError, ProblemList, type Problem } from "../components/errors";
import { TEAM_CONFIG_KEY } from "../components/spec/parse";
import { aggregate } from "../components/spec/aggregation";
import { DEFAULT_AGGREGATION } from "../components/spec/toolNames";
import { validateKubernetes } from "../components/kubernetes/config";
import { toolhiveNames } from "../components/kubernetes/names";
import { aggregationConfig } from "../components/kubernetes/objects";
import { Catalog } from "../gateway/backends/catalog";
import type { Backend } from "../gateway/backends/backend";
import type { AggregationInput, BackendInput, TeamInput } from "../components/spec/types";
import { Authorizer } from "../components/cedar/authorizer";
import { lookupAdvertised } from "../components/spec/advertised";
import { explainDecision } from "../components/cedar/explain";
import { runPolicyTests } from "../components/cedar/policyTests";

const R = TEAM_CONFIG_KEY;

/** A team with the given backends and aggregation; readers may call only what `allow` lists, devs all but `deny`. */
function team(backends: Record<string, BackendInput>, aggregation: AggregationInput, grants: { allow?: string[]; deny?: string[] } = {}): TeamInput {
  return {
    team: "eng",
    endpoint: "https://vmcp.example.com",
    groups: {
      devs: { description: "everything but the denied tools", members: ["dev@example.com"] },
      readers: { description: "only the allowed tools", members: ["reader@example.com"] },
    },
    grants: {
      devs: { allow: "*", ...(grants.deny ? { deny: grants.deny } : {}) },
      ...(grants.allow ? { readers: { allow: grants.allow } } : {}),
    },
    backends,
    aggregation,
  };
}

const b = (tools: string[], more: Partial<BackendInput> = {}): BackendInput => ({ image: "ghcr.io/example/mcp:1", tools, ...more });

function problemsOf(input: unknown): Problem[] {
  const problems = new ProblemList();
  compileTeamInto(input, R, problems);
  return problems.items;
}
const codes = (ps: Problem[], severity: "error" | "warning" = "error") => ps.filter((p) => p.severity === severity).map((p) => [p.code, p.path]);

/** Names advertised, as `name <- backend/original`. */
const named = (items: { name: string; backend: string; tool?: string; original?: string }[]) => items.map((x) => `${x.name} <- ${x.backend}/${x.tool ?? x.original}`);

/** The matrix row of a group as {tool: decision}. */
function row(compiled: ReturnType<typeof compileTeam>, group: string): Record<string, string> {
  return Object.fromEntries(Object.entries(compiled.matrix.cells[group]).map(([tool, cell]) => [tool, cell.decision]));
}

// --- tools ------------------------------------------------------------------------------------------

test("prefix (default {workload}_, prefix_resolver.go): every tool is prefixed; a deny names the prefixed tool", () => {
  const c = compileTeam(team({ github: b(["search", "create_issue"]), gitlab: b(["search"]) }, {}, { deny: ["gitlab/search"], allow: ["github/search"] }));
  assert.deepEqual(named(c.spec.tools), ["github_search <- github/search", "github_create_issue <- github/create_issue", "gitlab_search <- gitlab/search"]);
  assert.deepEqual(row(c, "mcp-devs"), { github_search: "allow", github_create_issue: "allow", gitlab_search: "deny" });
  assert.deepEqual(row(c, "mcp-readers"), { github_search: "allow", github_create_issue: "deny", gitlab_search: "deny" });
});

test("prefix with a custom format and a per-tool override (tool_adapter.go: overrides rename before the prefix)", () => {
  const c = compileTeam(team({ github: b(["create_issue", "list"]), gitlab: b(["list"]) }, { prefixFormat: "{workload}.", overrides: { github: { create_issue: "new_issue" } } }, { deny: ["github/create_issue"] }));
  assert.deepEqual(named(c.spec.tools), ["github.new_issue <- github/create_issue", "github.list <- github/list", "gitlab.list <- gitlab/list"]);
  assert.deepEqual(row(c, "mcp-devs"), { "github.new_issue": "deny", "github.list": "allow", "gitlab.list": "allow" });
  // The VirtualMCPServer carries the same settings the names were computed from.
  assert.deepEqual(aggregationConfig(c.spec.aggregation), {
    conflictResolution: "prefix",
    conflictResolutionConfig: { prefixFormat: "{workload}." },
    tools: [{ workload: "github", overrides: { create_issue: { name: "new_issue" } } }],
  });
});

test("prefix: two tools that still share a name are refused (vMCP keeps one by Go map order)", () => {
  const input = team({ github: b(["backend-x"]), "github-backend": b(["x"]) }, { prefixFormat: "{workload}-" });
  assert.deepEqual(codes(problemsOf(input)), [["aggregation.conflict", `${R}.aggregation`]]);
  const r = aggregate({ ...DEFAULT_AGGREGATION, prefixFormat: "{workload}-" }, [{ backend: "github", tools: ["backend-x"] }, { backend: "github-backend", tools: ["x"] }]);
  assert.deepEqual(r.tools, [], "advertised by nobody here");
  assert.deepEqual(r.conflicts, [{ kind: "tool", name: "github-backend-x", backends: ["github", "github-backend"], outcome: "nondeterministic" }]);
});

test("priority (priority_resolver.go): bare names; on a conflict the listed backend wins and the loser is dropped", () => {
  const c = compileTeam(team({ github: b(["search", "create_issue"]), gitlab: b(["search", "create_mr"]) }, { conflictResolution: "priority", priorityOrder: ["gitlab"] }, { deny: ["gitlab/search"] }));
  assert.deepEqual(named(c.spec.tools), ["create_issue <- github/create_issue", "search <- gitlab/search", "create_mr <- gitlab/create_mr"]);
  assert.deepEqual(row(c, "mcp-devs"), { create_issue: "allow", search: "deny", create_mr: "allow" });
  assert.deepEqual(codes(c.warnings, "warning"), [["aggregation.conflict-priority", `${R}.aggregation`]]);
  // A grant on the dropped tool would put gitlab's name in a policy meant for github's: refused.
  const p = problemsOf(team({ github: b(["search"]), gitlab: b(["search"]) }, { conflictResolution: "priority", priorityOrder: ["gitlab"] }, { deny: ["github/search"] }));
  assert.deepEqual(codes(p), [["grant.tool-not-advertised", `${R}.grants.devs.deny[0]`]]);
  assert.match(p.find((x) => x.code === "grant.tool-not-advertised")!.fix!, /gitlab\/search/);
});

test("priority: claimants none of which is in priorityOrder are all advertised as {workload}_<tool>, the hard-coded default format", () => {
  // prefixFormat is "{workload}." but the priority resolver's fallback ignores it (priority_resolver.go:49).
  const input = team(
    { github: b(["search", "only_here"]), gitlab: b(["search"]), jira: b(["ticket"]) },
    { conflictResolution: "priority", priorityOrder: ["jira"], prefixFormat: "{workload}." },
    { deny: ["gitlab/search"], allow: ["github/search"] },
  );
  const c = compileTeam(input);
  assert.deepEqual(named(c.spec.tools), ["github_search <- github/search", "only_here <- github/only_here", "gitlab_search <- gitlab/search", "ticket <- jira/ticket"]);
  assert.deepEqual(row(c, "mcp-devs"), { github_search: "allow", only_here: "allow", gitlab_search: "deny", ticket: "allow" });
  assert.deepEqual(row(c, "mcp-readers"), { github_search: "allow", only_here: "deny", gitlab_search: "deny", ticket: "deny" });
  assert.ok(c.policies.find((p) => p.id === "mcp-devs.deny-tools")!.text.includes('Tool::"gitlab_search"'));
  const w = c.warnings.find((x) => x.code === "aggregation.priority-fallback")!;
  assert.match(w.message, /github_search and gitlab_search/);
  // The bare name is not advertised: a raw policy on it is refused with the advertised names.
  const raw = { ...input, cedar: { policies: [{ id: "no-search", cedar: 'forbid(principal, action == Action::"call_tool", resource == Tool::"search");' }] } };
  const p = problemsOf(raw);
  assert.deepEqual(codes(p), [["policy.unprefixed-tool", `${R}.cedar.policies[0]`]]);
  assert.match(p.find((x) => x.code === "policy.unprefixed-tool")!.fix!, /Tool::"github_search" or Tool::"gitlab_search"/);
});

test("priority: a fallback name equal to another tool's bare name is refused (both land on one map key)", () => {
  const input = team({ github: b(["search"]), gitlab: b(["search"]), jira: b(["github_search"]) }, { conflictResolution: "priority", priorityOrder: ["jira"] });
  assert.deepEqual(codes(problemsOf(input)), [["aggregation.conflict", `${R}.aggregation`]]);
});

test("priority without priorityOrder, or with a backend twice: refused (validator.go: vmcp does not start)", () => {
  const backends = { github: b(["search"]), gitlab: b(["list"]) };
  const missing = problemsOf(team(backends, { conflictResolution: "priority" }));
  assert.deepEqual(codes(missing), [["aggregation.priority-order-missing", `${R}.aggregation.priorityOrder`]]);
  assert.match(missing[0].fix!, /priorityOrder: \[github, gitlab\]/);
  assert.deepEqual(codes(problemsOf(team(backends, { conflictResolution: "priority", priorityOrder: ["github", "gitlab", "github"] }))), [
    ["aggregation.priority-order-duplicate", `${R}.aggregation.priorityOrder[2]`],
  ]);
  assert.deepEqual(codes(problemsOf(team(backends, { priorityOrder: ["github"] })), "warning"), [["aggregation.priority-order-unused", `${R}.aggregation.priorityOrder`]]);
});

test("manual (manual_resolver.go): bare names, conflicts resolved by overrides; decisions on the renamed tool", () => {
  const c = compileTeam(
    team({ github: b(["search", "create_issue"]), gitlab: b(["search"]) }, { conflictResolution: "manual", overrides: { gitlab: { search: "gl_search" } } }, { deny: ["gitlab/search"], allow: ["github/search"] }),
  );
  assert.deepEqual(named(c.spec.tools), ["search <- github/search", "create_issue <- github/create_issue", "gl_search <- gitlab/search"]);
  assert.deepEqual(row(c, "mcp-devs"), { search: "allow", create_issue: "allow", gl_search: "deny" });
  assert.deepEqual(row(c, "mcp-readers"), { search: "allow", create_issue: "deny", gl_search: "deny" });
});

test("manual without any override is refused (validator.go: 'tool overrides are required for manual strategy')", () => {
  assert.deepEqual(codes(problemsOf(team({ github: b(["a"]), gitlab: b(["b"]) }, { conflictResolution: "manual" }))), [
    ["aggregation.manual-without-overrides", `${R}.aggregation.overrides`],
  ]);
  assert.deepEqual(codes(problemsOf(team({ github: b(["a"]) }, { conflictResolution: "manual", overrides: { github: {} } }))), [
    ["aggregation.manual-without-overrides", `${R}.aggregation.overrides`],
  ]);
});

test("manual: an unresolved conflict and a collision after the override both stop vmcp, so check refuses them", () => {
  // search from two backends, an override elsewhere: unresolved conflict.
  const unresolved = team({ github: b(["search", "x"]), gitlab: b(["search"]) }, { conflictResolution: "manual", overrides: { github: { x: "gh_x" } } });
  assert.deepEqual(codes(problemsOf(unresolved)), [["aggregation.conflict", `${R}.aggregation`]]);
  // The resolver applies overrides a second time, keyed by the post-override name (manual_resolver.go):
  // x -> y -> z, and y -> z: two tools named z.
  const twice = team({ github: b(["x", "y"]) }, { conflictResolution: "manual", overrides: { github: { x: "y", y: "z" } } });
  const r = aggregate({ ...DEFAULT_AGGREGATION, conflictResolution: "manual", overrides: { github: { x: "y", y: "z" } } }, [{ backend: "github", tools: ["x", "y"] }]);
  assert.deepEqual(r.conflicts, [{ kind: "tool", name: "z", backends: ["github", "github"], outcome: "startup-failure" }]);
  assert.deepEqual(codes(problemsOf(twice)), [["aggregation.conflict", `${R}.aggregation`]]);
});

test("overrides: an empty name or a name another tool of the backend has is refused", () => {
  assert.deepEqual(codes(problemsOf(team({ github: b(["a", "b"]) }, { overrides: { github: { a: "" } } }))), [["aggregation.override-empty", `${R}.aggregation.overrides.github.a`]]);
  assert.deepEqual(codes(problemsOf(team({ github: b(["a", "b"]) }, { overrides: { github: { a: "b" } } }))), [["aggregation.override-collision", `${R}.aggregation.overrides.github.a`]]);
  // A tool named like an Object.prototype member is a name like any other.
  const c = compileTeam(team({ github: b(["constructor", "toString"]) }, {}, { deny: ["github/constructor"] }));
  assert.deepEqual(row(c, "mcp-devs"), { github_constructor: "deny", github_toString: "allow" });
});

// --- prompts ----------------------------------------------------------------------------------------

const promptTeam = (aggregation: AggregationInput) =>
  team({ github: b(["search"], { prompts: ["summarize", "triage"] }), gitlab: b(["list"], { prompts: ["summarize"] }), jira: b(["ticket"], { prompts: ["report"] }) }, aggregation);

test("prompts (capability_conflicts.go): always prefixed with prefixFormat under prefix and manual; tool overrides never apply", () => {
  const prefix = compileTeam(promptTeam({ prefixFormat: "{workload}.", overrides: { github: { search: "find" } } }));
  assert.deepEqual(named(prefix.spec.prompts), ["github.summarize <- github/summarize", "github.triage <- github/triage", "gitlab.summarize <- gitlab/summarize", "jira.report <- jira/report"]);
  const manual = compileTeam(promptTeam({ conflictResolution: "manual", overrides: { github: { search: "find" } } }));
  assert.deepEqual(named(manual.spec.prompts), ["github_summarize <- github/summarize", "github_triage <- github/triage", "gitlab_summarize <- gitlab/summarize", "jira_report <- jira/report"]);
  assert.deepEqual(named(manual.spec.tools), ["find <- github/search", "list <- gitlab/list", "ticket <- jira/ticket"], "tools are bare under manual; prompts are not");
});

test("prompts under priority: listed backends bare (highest priority wins a clash), unlisted always prefixed with prefixFormat", () => {
  const c = compileTeam(promptTeam({ conflictResolution: "priority", priorityOrder: ["gitlab", "github"], prefixFormat: "{workload}." }));
  // gitlab outranks github on summarize; jira is unlisted, so prefixed although nothing clashes.
  assert.deepEqual(named(c.spec.prompts), ["triage <- github/triage", "summarize <- gitlab/summarize", "jira.report <- jira/report"]);
  assert.ok(c.warnings.some((w) => w.code === "aggregation.prompt-conflict-priority"));
  const d = (group: string, prompt: string) => c.authorizer.authorize({ claims: { sub: "u", groups: [group] }, action: "get_prompt", resourceId: prompt }).allowed;
  assert.equal(d("mcp-devs", "summarize"), true);
  assert.equal(d("mcp-readers", "summarize"), false, "readers have only call_tool grants");
});

test("prompts: a prefixed name equal to a listed backend's bare name is advertised by nobody (refused)", () => {
  // jira is unlisted: "jira_" + "x" == the bare "jira_x" github (listed) advertises.
  const input = team({ github: b(["t1"], { prompts: ["jira_x"] }), jira: b(["t2"], { prompts: ["x"] }) }, { conflictResolution: "priority", priorityOrder: ["github"] });
  assert.deepEqual(codes(problemsOf(input)), [["aggregation.prompt-conflict", `${R}.aggregation`]]);
});

test("prompts in raw policies are checked against the advertised names", () => {
  const input = promptTeam({});
  input.cedar = { policies: [{ id: "no-summaries", cedar: 'forbid(principal, action == Action::"get_prompt", resource == Prompt::"summarize");' }] };
  const p = problemsOf(input);
  assert.deepEqual(codes(p), [["policy.unprefixed-prompt", `${R}.cedar.policies[0]`]]);
  assert.match(p[0].fix!, /Prompt::"github_summarize" or Prompt::"gitlab_summarize"/);
  input.cedar = { policies: [{ id: "no-summaries", cedar: 'forbid(principal, action == Action::"get_prompt", resource == Prompt::"gitlab_summarize");' }] };
  const c = compileTeam(input);
  const d = (prompt: string) => c.authorizer.authorize({ claims: { sub: "u", groups: ["mcp-devs"] }, action: "get_prompt", resourceId: prompt }).allowed;
  assert.deepEqual([d("gitlab_summarize"), d("github_summarize")], [false, true]);
});

// --- resources --------------------------------------------------------------------------------------

test("resources (capability_conflicts.go dedupeByKey): URIs are never renamed; the first backend in sorted order keeps a shared URI", () => {
  // zeta is declared first, but alpha sorts first and keeps the URI.
  const input = team({ zeta: b(["z"], { resourceUris: ["file:///shared", "file:///zeta"] }), alpha: b(["a"], { resourceUris: ["file:///shared"] }) }, {});
  const c = compileTeam(input);
  assert.deepEqual(named(c.spec.resources), ["file:///zeta <- zeta/file:///zeta", "file:///shared <- alpha/file:///shared"]);
  assert.deepEqual(codes(c.warnings, "warning"), [["aggregation.resource-conflict", `${R}.aggregation`]]);
});

// --- the gateway names what the spec names ------------------------------------------------------------

test("the gateway's catalogue uses the same rules: names and routes back to each backend's own name", () => {
  const aggregation = { ...DEFAULT_AGGREGATION, conflictResolution: "priority" as const, priorityOrder: ["jira"] };
  const backend = (name: string, tools: string[], prompts: string[], resources: string[] = []) =>
    ({ name, catalog: { tools: tools.map((n) => ({ name: n })), prompts: prompts.map((n) => ({ name: n })), resources: resources.map((uri) => ({ uri })), resourceTemplates: [] } }) as unknown as Backend;
  const backends = [backend("github", ["search"], ["summarize"], ["file:///x"]), backend("gitlab", ["search"], ["summarize"], ["file:///x"]), backend("jira", ["search"], ["summarize"])];
  const catalog = Catalog.build(aggregation, backends);
  assert.deepEqual([...catalog.tools.keys()], ["search"]);
  assert.equal(catalog.tools.get("search")!.backend.name, "jira");
  assert.deepEqual([...catalog.prompts.keys()], ["github_summarize", "gitlab_summarize", "summarize"]);
  assert.equal(catalog.prompts.get("gitlab_summarize")!.name, "summarize", "forwarded under the backend's own name");
  assert.deepEqual(catalog.promptList.map((p) => p.name), ["github_summarize", "gitlab_summarize", "summarize"]);
  assert.equal(catalog.resources.get("file:///x")!.backend.name, "github");
  // Without jira in the group, the two unlisted claimants fall back to {workload}_search.
  const two = Catalog.build(aggregation, backends.slice(0, 2));
  assert.deepEqual([...two.tools.keys()], ["github_search", "gitlab_search"]);
  assert.deepEqual(two.conflicts.find((x) => x.kind === "tool"), { kind: "tool", name: "search", backends: ["github", "gitlab"], outcome: "prefixed-fallback", advertised: ["github_search", "gitlab_search"] });
  // Same names as the spec computes from the declared lists.
  const live = Catalog.build(aggregation, [...backends.slice(0, 2), backend("jira", ["ticket"], ["report"])]);
  const spec = compileTeam(
    team({ github: b(["search"], { prompts: ["summarize"] }), gitlab: b(["search"], { prompts: ["summarize"] }), jira: b(["ticket"], { prompts: ["report"] }) }, { conflictResolution: "priority", priorityOrder: ["jira"] }),
  ).spec;
  assert.deepEqual(spec.tools.map((t) => t.name), [...live.tools.keys()]);
  assert.deepEqual(spec.prompts.map((t) => t.name), [...live.prompts.keys()]);
  assert.deepEqual([...live.tools.keys(), ...live.prompts.keys()], ["github_search", "gitlab_search", "ticket", "github_summarize", "gitlab_summarize", "report"]);
});

// --- Long, generations, one pass, members ------------------------------------------------------------

test("a Long claim or argument type is refused: ToolHive makes every JSON number a decimal, so a Long comparison errors and denies", () => {
  const input = team({ github: b(["search"]) }, {});
  input.cedar = { claims: { level: "Long" }, arguments: { count: "Long", size: "decimal" } };
  const p = problemsOf(input);
  assert.deepEqual(codes(p), [
    ["cedar.long-type", `${R}.cedar.claims.level`],
    ["cedar.long-type", `${R}.cedar.arguments.count`],
  ]);
  assert.match(p[0].fix!, /decimal/);
  // Why: with the numbers ToolHive builds, a Long comparison is an evaluation error (deny) and a decimal one works.
  const decide = (cedar: string) =>
    new Authorizer({ policies: { p: cedar } }).authorize({ claims: { sub: "u", level: 7 }, action: "call_tool", resourceId: "github_search" });
  const long = decide('permit(principal, action, resource) when { context has claim_level && context.claim_level > 5 };');
  assert.equal(long.allowed, false);
  assert.ok(long.errors.length > 0, "a type error, not a plain deny");
  assert.equal(decide('permit(principal, action, resource) when { context has claim_level && context.claim_level.greaterThan(decimal("5.0")) };').allowed, true);
});

test("a key generation whose Secret the operator creates itself is refused (hmac `secret` -> <server>-hmac-secret)", () => {
  const input = team({ github: b(["search"]) }, {});
  input.kubernetes = { hmacSecrets: [{ generation: "1" }, { generation: "secret" }], signingKeys: [{ generation: "secret" }] };
  const { spec } = compileTeam(input);
  const problems = new ProblemList();
  validateKubernetes(spec, problems, R, { has: () => true, isSecret: () => true });
  assert.deepEqual(codes(problems.items), [["kubernetes.generation-collides", `${R}.kubernetes.hmacSecrets[1].generation`]]);
  assert.match(problems.items[0].message, /eng-tools-hmac-secret/);
  // An unknown key in the section no longer hides the rest of it.
  const typo = new ProblemList();
  validateKubernetes({ ...spec, raw: { ...spec.raw, kubernetes: { replicaz: 2, hmacSecrets: [{ generation: "secret" }] } } }, typo, R, { has: () => true, isSecret: () => true });
  assert.deepEqual(codes(typo.items), [
    ["kubernetes.unknown-key", `${R}.kubernetes.replicaz`],
    ["kubernetes.generation-collides", `${R}.kubernetes.hmacSecrets[0].generation`],
  ]);
  // A backend Secret may not take the operator's name either.
  assert.ok(toolhiveNames(spec).reserved(["1"], ["1"]).includes("eng-tools-hmac-secret"));
  // A backend named like the VirtualMCPServer: both Deployments would share one name.
  assert.deepEqual(codes(problemsOf(team({ "eng-tools": b(["x"]) }, {}))), [["backend.name-is-server", `${R}.backends.eng-tools`]]);
});

test("check reports every problem in one pass, even with unknown keys and bad optional values", () => {
  const input = team({ github: b(["search"]) }, {}, { deny: ["github/serch"] }) as unknown as Record<string, unknown>;
  input.groupz = {};
  (input.backends as Record<string, Record<string, unknown>>).github.toolz = [];
  (input.aggregation as Record<string, unknown>).prefixFormat = 5;
  input.endpoint = "http://vmcp.example.com/";
  const p = problemsOf(input);
  assert.deepEqual(codes(p), [
    ["config.unknown-key", `${R}.backends.github.toolz`],
    ["config.invalid", `${R}.aggregation.prefixFormat`],
    ["config.unknown-key", `${R}.groupz`],
    ["endpoint.not-https", `${R}.endpoint`],
    ["endpoint.trailing-slash", `${R}.endpoint`],
    ["grant.unknown-tool", `${R}.grants.devs.deny[0]`],
  ]);
  assert.deepEqual(p.filter((x) => x.code === "config.unknown-key").map((x) => x.fix), ["did you mean `tools`?", "did you mean `groups`?"]);
  // A required value that is wrong stops the semantic checks, after reporting what was found.
  const broken = { ...team({ github: b(["search"]) }, {}), team: 5, extra: 1 };
  assert.deepEqual(codes(problemsOf(broken)), [
    ["config.invalid", `${R}.team`],
    ["config.unknown-key", `${R}.extra`],
  ]);
  assert.throws(() => compileTeam(broken), ConfigError);
});

test("members that cannot be Okta logins are errors; logins that are not e-mail addresses are flagged", () => {
  const input = team({ github: b(["search"]) }, {});
  input.groups.devs.members = ["dev@example.com", "bob smith", "alice", "carol@localhost", "x".repeat(96) + "@a.io"];
  const p = problemsOf(input);
  assert.deepEqual(codes(p), [
    ["group.member-invalid", `${R}.groups.devs.members[1]`],
    ["group.member-invalid", `${R}.groups.devs.members[4]`],
  ]);
  assert.deepEqual(codes(p, "warning"), [
    ["group.member-not-email", `${R}.groups.devs.members[2]`],
    ["group.member-not-email", `${R}.groups.devs.members[3]`],
  ]);
});

// --- why / test on names that are not advertised --------------------------------------------------

test("lookups: declared URI templates match concrete URIs; undeclared lists leave a name unchecked, never wrongly refused", () => {
  const c = compileTeam(
    team({ k8s: b(["get"], { prompts: ["triage"], resourceUris: ["demo://k8s/info", "demo://k8s/ns/{name}"] }), notes: b(["list"]) }, {}),
  );
  assert.equal(lookupAdvertised(c.spec, "resource", "demo://k8s/ns/prod").status, "advertised");
  assert.equal(lookupAdvertised(c.spec, "resource", "demo://k8s/info").status, "advertised");
  // notes declares no resource list, so any URI might be its.
  assert.deepEqual(lookupAdvertised(c.spec, "resource", "demo://other"), { status: "unchecked", backends: ["notes"] });
  // notes declares no prompts either, but under prefix its prompts all start with notes_.
  assert.deepEqual(lookupAdvertised(c.spec, "prompt", "notes_summary"), { status: "unchecked", backends: ["notes"] });
  assert.deepEqual(lookupAdvertised(c.spec, "prompt", "triage"), { status: "not-advertised", suggestions: ["k8s_triage"] });
  assert.deepEqual(lookupAdvertised(c.spec, "tool", "k8s_gett"), { status: "not-advertised", suggestions: ["k8s_get"] });
});

test("explain and policy tests flag a target vMCP does not advertise, whatever the decision", () => {
  const c = compileTeam(team({ k8s: b(["get", "delete"], { prompts: ["triage"] }) }, {}, { deny: ["k8s/delete"] }));
  const allowed = explainDecision(c, { claims: { sub: "d", groups: ["mcp-devs"] }, action: "call_tool", resourceId: "delete" });
  assert.equal(allowed.decision.allowed, true, "allow-all permits any string");
  assert.equal(allowed.notAdvertised, 'no tool "delete" is advertised by this team; vMCP advertises it as "k8s_delete"');
  assert.match(allowed.text, /but: no tool "delete"/);
  const fine = explainDecision(c, { claims: { sub: "d", groups: ["mcp-devs"] }, action: "call_tool", resourceId: "k8s_delete" });
  assert.equal(fine.notAdvertised, undefined);
  const results = runPolicyTests(c, {
    tests: [
      { name: "bare prompt", groups: ["mcp-devs"], prompt: "triage", expect: "allow" },
      { name: "advertised prompt", groups: ["mcp-devs"], prompt: "k8s_triage", expect: "allow" },
      { name: "advertised deny", groups: ["mcp-devs"], tool: "k8s_delete", expect: "deny" },
    ],
  });
  assert.deepEqual(results.map((r) => [r.name, r.passed]), [["bare prompt", false], ["advertised prompt", true], ["advertised deny", true]]);
  assert.equal(results[0].detail, 'no prompt "triage" is advertised by this team; vMCP advertises it as "k8s_triage"');
});
