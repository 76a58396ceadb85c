/**
 * A table of bad group lists and policies, each with the exact problems expected (code + config
 * path; severity error unless marked as a warning). Every case starts from the seed team and
 * changes one thing, so an unexpected extra problem also fails the case.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { compileTeam } from "../components/compile";
import { ConfigError, type Problem } from "../components/errors";
import { TEAM_CONFIG_KEY } from "../components/spec/parse";
import type { TeamInput } from "../components/spec/types";
import { seedTeam } from "./fixtures/seed";

const R = TEAM_CONFIG_KEY;

interface Case {
  name: string;
  mutate: (t: TeamInput) => void;
  /** The exact list of [code, path] of severity error, in order; empty when the team must compile. */
  errors: [string, string][];
  /** Warnings that must be present (others may be too). */
  warnings?: [string, string][];
  /** Extra checks on the error problems (fix hints and values are part of the contract for these). */
  check?: (problems: Problem[]) => void;
}

const raw = (t: TeamInput, ...cedar: string[]) => {
  t.cedar = { ...(t.cedar ?? {}), policies: cedar.map((c, i) => ({ id: `raw-${i}`, cedar: c })) };
};
const fixOf = (problems: Problem[], code: string) => problems.find((p) => p.code === code)?.fix ?? "";
const messageOf = (problems: Problem[], code: string) => problems.find((p) => p.code === code)?.message ?? "";

const cases: Case[] = [
  // --- prefix -------------------------------------------------------------------------------------
  { name: "empty prefix", mutate: (t) => (t.groupPrefix = ""), errors: [["groups.prefix-empty", `${R}.groupPrefix`]] },
  { name: "prefix with a space", mutate: (t) => (t.groupPrefix = "mcp -"), errors: [["groups.prefix-invalid", `${R}.groupPrefix`]] },
  { name: "prefix with a quote", mutate: (t) => (t.groupPrefix = 'mcp"'), errors: [["groups.prefix-invalid", `${R}.groupPrefix`]] },
  { name: "very short prefix (warning)", mutate: (t) => (t.groupPrefix = "m-"), errors: [], warnings: [["groups.prefix-short", `${R}.groupPrefix`]] },
  {
    name: "prefix without a trailing separator (warning)",
    mutate: (t) => (t.groupPrefix = "mcp"),
    errors: [],
    warnings: [["groups.prefix-no-separator", `${R}.groupPrefix`]],
  },
  // --- groups -------------------------------------------------------------------------------------
  {
    name: "duplicate group differing only in case",
    mutate: (t) => (t.groups.Developers = { description: "again" }),
    errors: [["group.duplicate", `${R}.groups.Developers`]],
  },
  {
    name: "short name that already has the prefix",
    mutate: (t) => {
      t.groups["mcp-ops"] = { description: "ops" };
    },
    errors: [["group.prefixed-short-name", `${R}.groups.mcp-ops`]],
    check: (ps) => assert.match(fixOf(ps, "group.prefixed-short-name"), /\bops\b/),
  },
  {
    name: "prefixed short name that collides with the derived name of another group",
    mutate: (t) => {
      t.groups["mcp-developers"] = { description: "dup" };
    },
    errors: [
      ["group.prefixed-short-name", `${R}.groups.mcp-developers`],
      ["group.duplicate", `${R}.groups.mcp-developers`],
    ],
  },
  { name: "group name with a space", mutate: (t) => (t.groups["dev ops"] = { description: "x" }), errors: [["group.name-invalid", `${R}.groups.dev ops`]] },
  { name: "group name ending in a dash", mutate: (t) => (t.groups["ops-"] = { description: "x" }), errors: [["group.name-invalid", `${R}.groups.ops-`]] },
  {
    name: "member that is not an Okta login",
    mutate: (t) => (t.groups.developers.members = ["alice@example.com", "bob smith"]),
    errors: [["group.member-invalid", `${R}.groups.developers.members[1]`]],
  },
  {
    name: "member listed twice, differing in case",
    mutate: (t) => (t.groups.developers.members = ["alice@example.com", "Alice@Example.com"]),
    errors: [["group.member-duplicate", `${R}.groups.developers.members[1]`]],
  },
  { name: "empty description", mutate: (t) => (t.groups.admin.description = ""), errors: [["config.invalid", `${R}.groups.admin.description`]] },
  {
    name: "no groups at all",
    mutate: (t) => {
      t.groups = {};
      t.grants = {};
    },
    errors: [
      ["groups.empty", `${R}.groups`],
      ["policy.none", `${R}.grants`],
    ],
  },
  // --- grants -------------------------------------------------------------------------------------
  {
    name: "grant for an undeclared group (did you mean)",
    mutate: (t) => (t.grants!.developer = { allow: "*" }),
    errors: [["grant.unknown-group", `${R}.grants.developer`]],
    check: (ps) => assert.equal(fixOf(ps, "grant.unknown-group"), "did you mean `developers`?"),
  },
  {
    name: "grant keyed by the full Okta name",
    mutate: (t) => {
      t.grants!["mcp-admin"] = t.grants!.admin;
      delete t.grants!.admin;
    },
    errors: [["grant.unknown-group", `${R}.grants.mcp-admin`]],
    check: (ps) => assert.match(fixOf(ps, "grant.unknown-group"), /short name admin/),
  },
  {
    name: "grant naming an unknown backend",
    mutate: (t) => (t.grants!.developers.deny = ["kubernetes-backnd/delete_namespace"]),
    errors: [["grant.unknown-backend", `${R}.grants.developers.deny[0]`]],
    check: (ps) => assert.equal(fixOf(ps, "grant.unknown-backend"), "did you mean `kubernetes-backend`?"),
  },
  {
    name: "grant naming an unknown tool of a backend with a declared list",
    mutate: (t) => (t.grants!.developers.deny = ["kubernetes-backend/delete_namespaces"]),
    errors: [["grant.unknown-tool", `${R}.grants.developers.deny[0]`]],
    check: (ps) => assert.equal(fixOf(ps, "grant.unknown-tool"), "did you mean `delete_namespace`?"),
  },
  {
    name: "grant naming a tool of a backend without a declared list (warning)",
    mutate: (t) => {
      t.backends.notes = { image: "ghcr.io/example/notes:1" };
      t.grants!.developers.deny = ["kubernetes-backend/delete_namespace", "notes/delete_note"];
    },
    errors: [],
    warnings: [["grant.tool-undeclared-list", `${R}.grants.developers.deny[1]`]],
  },
  { name: "tool ref without a slash", mutate: (t) => (t.grants!.developers.deny = ["kubernetes-backend_delete_namespace"]), errors: [["grant.tool-ref", `${R}.grants.developers.deny[0]`]] },
  { name: "tool ref with an empty backend", mutate: (t) => (t.grants!.developers.deny = ["/delete_namespace"]), errors: [["grant.tool-ref", `${R}.grants.developers.deny[0]`]] },
  { name: "tool ref with an empty tool", mutate: (t) => (t.grants!.platform = { allow: ["github-backend/"] }), errors: [["grant.tool-ref", `${R}.grants.platform.allow[0]`]] },
  {
    name: "allow and deny the same tool",
    mutate: (t) => (t.grants!.platform = { allow: ["kubernetes-backend/get_pods"], deny: ["kubernetes-backend/get_pods"] }),
    errors: [["grant.allow-and-deny", `${R}.grants.platform`]],
  },
  {
    name: "the same tool twice in one list",
    mutate: (t) => (t.grants!.platform = { allow: ["kubernetes-backend/get_pods", "kubernetes-backend/get_pods"] }),
    errors: [["grant.duplicate", `${R}.grants.platform.allow[1]`]],
  },
  {
    name: "deny without any allow (warning)",
    mutate: (t) => (t.grants!.platform = { deny: ["kubernetes-backend/get_pods"] }),
    errors: [],
    warnings: [["grant.deny-only", `${R}.grants.platform`]],
  },
  { name: "allow given as a string other than *", mutate: (t) => ((t.grants!.platform as { allow: unknown }).allow = "all"), errors: [["config.invalid", `${R}.grants.platform.allow`]] },
  { name: "no grants at all", mutate: (t) => delete t.grants, errors: [["policy.none", `${R}.grants`]] },
  // --- raw policies ---------------------------------------------------------------------------------
  {
    name: "raw policy naming an undeclared group",
    mutate: (t) => raw(t, `permit(principal in THVGroup::"mcp-sre", action, resource);`),
    errors: [["policy.unknown-group", `${R}.cedar.policies[0]`]],
  },
  {
    name: "raw policy naming a case twin of a declared group",
    mutate: (t) => raw(t, `permit(principal in THVGroup::"MCP-Developers", action, resource);`),
    errors: [["policy.unknown-group", `${R}.cedar.policies[0]`]],
    check: (ps) => assert.match(fixOf(ps, "policy.unknown-group"), /THVGroup::"mcp-developers"/),
  },
  {
    name: "raw policy naming an unprefixed tool",
    mutate: (t) => raw(t, `permit(principal in THVGroup::"mcp-admin", action, resource == Tool::"get_pods");`),
    errors: [["policy.unprefixed-tool", `${R}.cedar.policies[0]`]],
    check: (ps) => assert.match(fixOf(ps, "policy.unprefixed-tool"), /Tool::"kubernetes-backend_get_pods"/),
  },
  {
    name: "raw policy naming a tool nobody advertises (in a set)",
    mutate: (t) => raw(t, `forbid(principal, action, resource) when { resource in [Tool::"github-backend_create_issue", Tool::"github-backend_delete_repo"] };`),
    errors: [["policy.unknown-tool", `${R}.cedar.policies[0]`]],
  },
  {
    name: "raw policy naming a tool of a backend without a declared list (warning)",
    mutate: (t) => {
      t.backends.notes = { image: "ghcr.io/example/notes:1" };
      raw(t, `forbid(principal, action, resource == Tool::"notes_delete_note");`);
    },
    errors: [],
    warnings: [["policy.tool-unchecked", `${R}.cedar.policies[0]`]],
  },
  {
    name: "raw policy naming an unknown action",
    mutate: (t) => raw(t, `permit(principal in THVGroup::"mcp-admin", action == Action::"call_tools", resource);`),
    // Reported by our reference check and again by Cedar's schema validation.
    errors: [
      ["policy.unknown-action", `${R}.cedar.policies[0]`],
      ["policy.invalid", `${R}.cedar.policies[0]`],
    ],
    check: (ps) => assert.equal(fixOf(ps, "policy.unknown-action"), "did you mean `call_tool`?"),
  },
  {
    name: "raw policy using list_tools, which ToolHive never issues",
    mutate: (t) => raw(t, `permit(principal in THVGroup::"mcp-admin", action in [Action::"call_tool", Action::"list_tools"], resource);`),
    errors: [
      ["policy.unknown-action", `${R}.cedar.policies[0]`],
      ["policy.invalid", `${R}.cedar.policies[0]`],
    ],
    check: (ps) => assert.match(messageOf(ps, "policy.unknown-action"), /never issues/),
  },
  {
    name: "raw policy naming an entity type ToolHive never builds",
    mutate: (t) => raw(t, `permit(principal in Group::"mcp-admin", action, resource);`),
    errors: [
      ["policy.unknown-entity-type", `${R}.cedar.policies[0]`],
      ["policy.invalid", `${R}.cedar.policies[0]`],
    ],
  },
  {
    name: "raw policy using THVGroup when the group entity type is configured differently",
    mutate: (t) => {
      t.cedar = { groupEntityType: "OktaGroup" };
      raw(t, `permit(principal in THVGroup::"mcp-admin", action, resource);`);
    },
    errors: [
      ["policy.unknown-entity-type", `${R}.cedar.policies[0]`],
      ["policy.invalid", `${R}.cedar.policies[0]`],
    ],
    check: (ps) => assert.match(fixOf(ps, "policy.unknown-entity-type"), /OktaGroup/),
  },
  {
    name: "raw policy naming another vMCP server",
    mutate: (t) => raw(t, `permit(principal in THVGroup::"mcp-admin", action, resource in MCP::"platform-tools");`),
    errors: [["policy.unknown-server", `${R}.cedar.policies[0]`]],
    check: (ps) => assert.match(fixOf(ps, "policy.unknown-server"), /MCP::"engineering-tools"/),
  },
  {
    name: "raw policy that does not parse (with position)",
    mutate: (t) => raw(t, `permit(principal in THVGroup::"mcp-admin", action, resource) when {\n  context.claim_email ==\n};`),
    errors: [["policy.parse", `${R}.cedar.policies[0]`]],
    check: (ps) => assert.match(messageOf(ps, "policy.parse"), /line \d+, column \d+/),
  },
  {
    name: "two policies in one string",
    mutate: (t) => raw(t, `permit(principal in THVGroup::"mcp-admin", action, resource);\nforbid(principal, action, resource == Tool::"kubernetes-backend_get_pods");`),
    errors: [["policy.multiple", `${R}.cedar.policies[0]`]],
  },
  {
    name: "raw policy reading an undeclared argument (schema)",
    mutate: (t) => raw(t, `forbid(principal, action == Action::"call_tool", resource) when { context.arg_namespace == "prod" };`),
    errors: [["policy.invalid", `${R}.cedar.policies[0]`]],
  },
  {
    name: "raw policy comparing a decimal claim with a Long (schema)",
    mutate: (t) => raw(t, `forbid(principal, action, resource) when { context has claim_exp && context.claim_exp < 5 };`),
    errors: [["policy.invalid", `${R}.cedar.policies[0]`]],
  },
  {
    name: "raw policy reading a declared optional claim without has (schema)",
    mutate: (t) => {
      t.cedar = { claims: { department: "String" } };
      raw(t, `permit(principal, action, resource) when { principal.claim_department == "sre" };`);
    },
    errors: [["policy.invalid", `${R}.cedar.policies[0]`]],
  },
  {
    name: "duplicate raw policy ids",
    mutate: (t) => {
      t.cedar = {
        policies: [
          { id: "x", cedar: `permit(principal in THVGroup::"mcp-admin", action, resource);` },
          { id: "x", cedar: `permit(principal in THVGroup::"mcp-platform", action, resource);` },
        ],
      };
    },
    // The policies cannot be told apart once the ids clash; the duplicate is what must be reported.
    errors: [["cedar.policy-id-duplicate", `${R}.cedar.policies[1].id`]],
  },
  // --- endpoint, names ---------------------------------------------------------------------------
  { name: "endpoint over http (not localhost)", mutate: (t) => (t.endpoint = "http://vmcp.example.com"), errors: [["endpoint.not-https", `${R}.endpoint`]] },
  { name: "endpoint over http on localhost in production", mutate: (t) => (t.endpoint = "http://localhost:8080"), errors: [["endpoint.not-https", `${R}.endpoint`]] },
  { name: "endpoint with a trailing slash", mutate: (t) => (t.endpoint = "https://vmcp.example.com/"), errors: [["endpoint.trailing-slash", `${R}.endpoint`]] },
  { name: "endpoint with a path", mutate: (t) => (t.endpoint = "https://vmcp.example.com/mcp"), errors: [["endpoint.path", `${R}.endpoint`]] },
  { name: "endpoint with a query", mutate: (t) => (t.endpoint = "https://vmcp.example.com?x=1"), errors: [["endpoint.query", `${R}.endpoint`]] },
  { name: "endpoint that is not a URL", mutate: (t) => (t.endpoint = "vmcp.example.com"), errors: [["endpoint.invalid", `${R}.endpoint`]] },
  { name: "endpoint with another scheme", mutate: (t) => (t.endpoint = "ftp://vmcp.example.com"), errors: [["endpoint.scheme", `${R}.endpoint`]] },
  { name: "team name with upper case", mutate: (t) => (t.team = "Engineering"), errors: [["team.name", `${R}.team`]] },
  { name: "team name too long", mutate: (t) => (t.team = "e".repeat(41)), errors: [["team.name", `${R}.team`]] },
  {
    name: "backend name that is not a DNS label",
    mutate: (t) => {
      t.backends.GitHub_Backend = { image: "x" };
    },
    errors: [["backend.name", `${R}.backends.GitHub_Backend`]],
  },
  {
    name: "duplicate backend secret name",
    mutate: (t) =>
      (t.backends["github-backend"].secrets = [
        { name: "github-pat", key: "token", valueFrom: "githubToken" },
        { name: "github-pat", key: "other", valueFrom: "githubOther" },
      ]),
    errors: [["backend.secret-duplicate", `${R}.backends.github-backend.secrets[1].name`]],
  },
  {
    name: "backend tool listed twice",
    mutate: (t) => (t.backends["kubernetes-backend"].tools = ["get_pods", "list_namespaces", "delete_namespace", "get_pods"]),
    errors: [["backend.tool-duplicate", `${R}.backends.kubernetes-backend.tools[3]`]],
  },
  {
    name: "backend tool name with a slash",
    mutate: (t) => (t.backends["github-backend"].tools = ["create_issue", "list_issues", "get_file_contents", "repos/list"]),
    errors: [["backend.tool-name", `${R}.backends.github-backend.tools[3]`]],
  },
  {
    name: "local backend with both a command and a url",
    mutate: (t) => (t.backends["github-backend"].local = { command: "node", url: "http://localhost:9000/mcp" }),
    errors: [["backend.local-both", `${R}.backends.github-backend.local`]],
  },
  {
    name: "no backends",
    mutate: (t) => {
      t.backends = {};
      t.grants = { admin: { allow: "*" } };
    },
    errors: [["backends.empty", `${R}.backends`]],
  },
  // --- aggregation ---------------------------------------------------------------------------------
  {
    name: "manual aggregation with two backends advertising the same tool",
    mutate: (t) => {
      // An override elsewhere: vmcp refuses manual without any (aggregation.manual-without-overrides).
      t.aggregation = { conflictResolution: "manual", overrides: { "github-backend": { create_issue: "gh_create_issue" } } };
      t.backends["kubernetes-backend"].tools = ["list_namespaces", "get_pods", "delete_namespace", "list_issues"];
      t.grants!.developers.deny = ["kubernetes-backend/delete_namespace"];
    },
    errors: [["aggregation.conflict", `${R}.aggregation`]],
  },
  {
    name: "prefix format that still collides",
    mutate: (t) => {
      // github + "-" + "backend-create_issue" == github-backend + "-" + "create_issue"
      t.aggregation = { prefixFormat: "{workload}-" };
      t.backends.github = { image: "x", tools: ["backend-create_issue"] };
    },
    errors: [["aggregation.conflict", `${R}.aggregation`]],
  },
  {
    name: "priority aggregation with a shared tool (warning)",
    mutate: (t) => {
      t.aggregation = { conflictResolution: "priority", priorityOrder: ["github-backend", "kubernetes-backend"] };
      t.backends["kubernetes-backend"].tools = ["list_namespaces", "get_pods", "delete_namespace", "list_issues"];
    },
    errors: [],
    warnings: [["aggregation.conflict-priority", `${R}.aggregation`]],
  },
  { name: "prefix format without {workload}", mutate: (t) => (t.aggregation = { prefixFormat: "mcp_" }), errors: [["aggregation.prefix-format", `${R}.aggregation.prefixFormat`]] },
  {
    name: "priority order naming an unknown backend",
    mutate: (t) => (t.aggregation = { conflictResolution: "priority", priorityOrder: ["github-backend", "kubernetes"] }),
    errors: [["aggregation.unknown-backend", `${R}.aggregation.priorityOrder[1]`]],
  },
  {
    name: "override for a tool the backend does not declare",
    mutate: (t) => (t.aggregation = { overrides: { "github-backend": { create_issues: "new_issue" } } }),
    errors: [["aggregation.unknown-tool", `${R}.aggregation.overrides.github-backend.create_issues`]],
  },
  // --- config shape --------------------------------------------------------------------------------
  {
    name: "unknown top-level key (did you mean)",
    mutate: (t) => {
      (t as unknown as Record<string, unknown>).grant = t.grants;
    },
    errors: [["config.unknown-key", `${R}.grant`]],
    check: (ps) => assert.equal(fixOf(ps, "config.unknown-key"), "did you mean `grants`?"),
  },
  {
    name: "unknown key inside a group",
    mutate: (t) => {
      (t.groups.developers as unknown as Record<string, unknown>).membres = ["x@example.com"];
    },
    errors: [["config.unknown-key", `${R}.groups.developers.membres`]],
    check: (ps) => assert.equal(fixOf(ps, "config.unknown-key"), "did you mean `members`?"),
  },
  { name: "missing endpoint", mutate: (t) => delete (t as Partial<TeamInput>).endpoint, errors: [["config.invalid", `${R}.endpoint`]] },
  { name: "entitiesJson that is not JSON", mutate: (t) => (t.cedar = { entitiesJson: "[{" }), errors: [["cedar.entities-json", `${R}.cedar.entitiesJson`]] },
  { name: "entitiesJson that is not an array", mutate: (t) => (t.cedar = { entitiesJson: "{}" }), errors: [["cedar.entities-json", `${R}.cedar.entitiesJson`]] },
  { name: "groupEntityType with ::", mutate: (t) => (t.cedar = { groupEntityType: "THV::Group" }), errors: [["cedar.group-entity-type", `${R}.cedar.groupEntityType`]] },
  { name: "groupEntityType starting with a digit", mutate: (t) => (t.cedar = { groupEntityType: "1Group" }), errors: [["cedar.group-entity-type", `${R}.cedar.groupEntityType`]] },
  { name: "unknown claim attribute type", mutate: (t) => (t.cedar = { claims: { department: "string" as never } }), errors: [["config.invalid", `${R}.cedar.claims.department`]] },
];

const pairs = (ps: Problem[]) => ps.map((p) => [p.code, p.path] as [string, string]);

test(`the bad-input table has at least 30 error cases`, () => {
  assert.ok(cases.filter((c) => c.errors.length > 0).length >= 30);
  assert.equal(new Set(cases.map((c) => c.name)).size, cases.length);
});

for (const c of cases) {
  test(`bad input: ${c.name}`, () => {
    const input = seedTeam();
    c.mutate(input);
    let problems: Problem[];
    try {
      problems = compileTeam(input).warnings;
      assert.deepEqual(c.errors, [], "compiled, but errors were expected");
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      problems = e.problems;
      assert.ok(c.errors.length > 0, `unexpected errors:\n${e.message}`);
    }
    const errors = problems.filter((p) => p.severity === "error");
    assert.deepEqual(pairs(errors), c.errors);
    const warnings = pairs(problems.filter((p) => p.severity === "warning"));
    for (const w of c.warnings ?? []) assert.ok(warnings.some(([code, path]) => code === w[0] && path === w[1]), `missing warning ${w.join(" ")} in ${JSON.stringify(warnings)}`);
    // Every problem is actionable: a message, and a fix for errors raised by our own rules.
    for (const p of errors) {
      assert.ok(p.message.length > 0);
      if (!p.code.startsWith("config.invalid")) assert.ok(p.fix, `${p.code} has no fix`);
    }
    c.check?.(errors.length ? errors : problems);
  });
}

test("the unmodified seed team has no problems at all", () => {
  assert.deepEqual(compileTeam(seedTeam()).warnings, []);
});

test("ConfigError lists every problem, not only the first", () => {
  const t = seedTeam();
  t.team = "Bad Team";
  t.endpoint = "http://vmcp.example.com/";
  t.grants!.developer = { allow: "*" };
  try {
    compileTeam(t);
    assert.fail("expected ConfigError");
  } catch (e) {
    assert.ok(e instanceof ConfigError);
    assert.deepEqual(
      pairs(e.problems).map(([c]) => c).sort(),
      ["endpoint.not-https", "endpoint.trailing-slash", "grant.unknown-group", "team.name"],
    );
    for (const path of [`${R}.team`, `${R}.endpoint`, `${R}.grants.developer`]) assert.ok(e.message.includes(path), path);
  }
});
