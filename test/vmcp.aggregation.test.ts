/**
 * The aggregation rules checked against ToolHive's real vMCP (the pinned `vmcp` binary): for stacks
 * that hit each rule (priority's {workload}_ fallback, prompts under priority and manual, resources
 * shared by two backends), the names vMCP advertises, the names our gateway advertises and the names
 * the compiled spec (policies, matrix, why, test) uses are the same, for every development user, and
 * a contested prompt or resource is served by the same backend. Fails (never skips) without vmcp.
 */
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { findVmcpBinary, runVmcp } from "../components/vmcp/runVmcp";
import { loadTeam } from "../components/loadStack";
import { ConfigError } from "../components/errors";
import { freePort } from "./helpers/net";
import { rawPost } from "../gateway/testing/harness";
import { serveSynthetic, type SyntheticBackendSpec } from "./helpers/syntheticBackend";
import { laptopTeam, startPair } from "./helpers/vmcpPair";
import { catalogOf, openSession } from "./helpers/vmcpDiff";

before(() => {
  findVmcpBinary();
});

const groups = {
  users: { description: "every tool", members: ["ann@example.com"] },
  readers: { description: "some tools", members: ["rob@example.com"] },
};

const backend = (name: string, tools: string[], prompts: string[] = [], resources: string[] = []): SyntheticBackendSpec => ({
  name,
  tools: tools.map((t) => ({ name: t })),
  prompts: prompts.map((p) => ({ name: p, arg: "topic", values: ["default"] })),
  resources: resources.map((uri, i) => ({ uri, name: `${name}-r${i}` })),
});

const declare = (specs: SyntheticBackendSpec[]) =>
  Object.fromEntries(
    specs.map((s) => [
      s.name,
      { image: `example/${s.name}:1`, tools: s.tools.map((t) => t.name), prompts: (s.prompts ?? []).map((p) => p.name), resourceUris: (s.resources ?? []).map((r) => r.uri) },
    ]),
  );

interface Case {
  name: string;
  specs: SyntheticBackendSpec[];
  aggregation: Record<string, unknown>;
  grants: Record<string, unknown>;
  /** What every engine must advertise to the users group (sorted). */
  tools: string[];
  prompts: string[];
  resources: string[];
  /** prompts/get or resources/read answered by this backend (the synthetic text starts with its name). */
  servedBy?: { prompt?: [string, string]; resource?: [string, string] };
}

const CASES: Case[] = [
  {
    name: "priority: unlisted claimants fall back to {workload}_ (not prefixFormat); unlisted prompts take prefixFormat",
    specs: [backend("alpha", ["search", "a_only"], ["brief"]), backend("beta", ["search"], ["brief"]), backend("gamma", ["g_only"], ["brief"])],
    aggregation: { conflictResolution: "priority", priorityOrder: ["gamma"], prefixFormat: "{workload}." },
    grants: { users: { allow: "*" }, readers: { allow: ["alpha/search", "gamma/g_only"], deny: ["beta/search"] } },
    tools: ["a_only", "alpha_search", "beta_search", "g_only"],
    prompts: ["alpha.brief", "beta.brief", "brief"],
    resources: [],
    servedBy: { prompt: ["brief", "gamma"] },
  },
  {
    name: "priority: a prompt clash among listed backends goes to the highest priority",
    specs: [backend("alpha", ["search"], ["brief", "a_prompt"]), backend("beta", ["search", "export"], ["brief"])],
    aggregation: { conflictResolution: "priority", priorityOrder: ["beta", "alpha"] },
    grants: { users: { allow: "*" }, readers: { allow: ["beta/search"] } },
    tools: ["export", "search"],
    prompts: ["a_prompt", "brief"],
    resources: [],
    servedBy: { prompt: ["brief", "beta"] },
  },
  {
    name: "manual: tools bare, renamed by overrides; prompts prefixed",
    specs: [backend("alpha", ["search", "purge"], ["brief"]), backend("beta", ["search"], ["brief"])],
    aggregation: { conflictResolution: "manual", overrides: { alpha: { search: "alpha_search" } } },
    grants: { users: { allow: "*" }, readers: { allow: ["alpha/search"], deny: ["alpha/purge"] } },
    tools: ["alpha_search", "purge", "search"],
    prompts: ["alpha_brief", "beta_brief"],
    resources: [],
  },
  {
    name: "prefix: a URI two backends list is served by the first in sorted order",
    specs: [backend("zeta", ["z"], [], ["synthetic://shared/info", "synthetic://zeta/info"]), backend("alpha", ["a"], [], ["synthetic://shared/info"])],
    aggregation: { conflictResolution: "prefix", prefixFormat: "{workload}_" },
    grants: { users: { allow: "*" }, readers: { allow: ["zeta/z"] } },
    tools: ["alpha_a", "zeta_z"],
    prompts: [],
    resources: ["synthetic://shared/info", "synthetic://zeta/info"],
    servedBy: { resource: ["synthetic://shared/info", "alpha"] },
  },
];

const sorted = (xs: string[]) => [...xs].sort();

for (const c of CASES) {
  test(`vMCP, our gateway and the spec advertise the same names: ${c.name}`, { timeout: 120_000 }, async () => {
    const servers = await Promise.all(c.specs.map((s) => serveSynthetic(s)));
    const team = laptopTeam({ team: "gagg", groupPrefix: "mcp-", groups, grants: c.grants, backends: declare(c.specs), aggregation: c.aggregation });
    const pair = await startPair(team, c.specs.map((s, i) => ({ name: s.name, url: servers[i].url, transport: "streamable-http" as const }))).catch(async (e) => {
      for (const s of servers) await s.close();
      throw e;
    });
    try {
      const spec = pair.loaded.compiled.spec;
      assert.deepEqual(sorted(spec.tools.map((t) => t.name)), c.tools, "spec tools");
      assert.deepEqual(sorted(spec.prompts.map((p) => p.name)), c.prompts, "spec prompts");
      assert.deepEqual(sorted(spec.resources.map((r) => r.name)), c.resources, "spec resources");
      for (const u of pair.users) {
        const token = pair.tokens.get(u.login)!;
        const ours = await catalogOf(await openSession(pair.gateway.mcpUrl, token));
        const theirs = await catalogOf(await openSession(pair.vmcp.mcpUrl, token));
        const names = (k: typeof ours) => ({ tools: sorted(k.tools.map((t) => t.name)), prompts: sorted(k.prompts.map((p) => p.name)), resources: sorted(k.resources) });
        assert.deepEqual(names(ours), names(theirs), `${u.login}: gateway and vMCP agree`);
        // Lists are filtered per user: what anyone sees is a subset of the spec's names, and the matrix agrees on tools.
        const row = spec.groups.find((g) => u.tokenGroups.includes(g.name));
        const expected = row ? spec.tools.map((t) => t.name).filter((t) => pair.loaded.compiled.matrix.cells[row.name][t].decision === "allow") : [];
        assert.deepEqual(names(theirs).tools, sorted(expected), `${u.login}: vMCP lists exactly the matrix's allowed tools`);
        if (u.login === "ann@example.com") assert.deepEqual(names(theirs), { tools: c.tools, prompts: c.prompts, resources: c.resources }, "the users group sees everything");
      }
      if (c.servedBy) {
        const token = pair.tokens.get("ann@example.com")!;
        for (const url of [pair.gateway.mcpUrl, pair.vmcp.mcpUrl]) {
          const s = await openSession(url, token);
          if (c.servedBy.prompt) {
            const [name, owner] = c.servedBy.prompt;
            const r = await rawPost(s.url, { jsonrpc: "2.0", id: 1, method: "prompts/get", params: { name, arguments: { topic: "default" } } }, s.headers);
            const text = JSON.stringify(r.body);
            assert.match(text, new RegExp(`${owner}/brief`), `${url}: ${name} served by ${owner}`);
          }
          if (c.servedBy.resource) {
            const [uri, owner] = c.servedBy.resource;
            const r = await rawPost(s.url, { jsonrpc: "2.0", id: 2, method: "resources/read", params: { uri } }, s.headers);
            assert.match(JSON.stringify(r.body), new RegExp(`"text":"${owner} `), `${url}: ${uri} served by ${owner}`);
          }
        }
      }
    } finally {
      await pair.close();
      for (const s of servers) await s.close();
    }
  });
}

test("what check refuses, vmcp refuses at startup: priority without priorityOrder, manual without overrides", { timeout: 120_000 }, async () => {
  const specs = [backend("alpha", ["search"]), backend("beta", ["list"])];
  const servers = await Promise.all(specs.map((s) => serveSynthetic(s)));
  const staticBackends = specs.map((s, i) => ({ name: s.name, url: servers[i].url, transport: "streamable-http" as const }));
  const valid = laptopTeam({ team: "gstart", groupPrefix: "mcp-", groups, grants: { users: { allow: "*" } }, backends: declare(specs), aggregation: {} });
  const pair = await startPair(valid, staticBackends).catch(async (e) => {
    for (const s of servers) await s.close();
    throw e;
  });
  const base = pair.vmcpConfig as Record<string, unknown>;
  await pair.close();
  try {
    const refusals: [Record<string, unknown>, RegExp, string][] = [
      [{ conflictResolution: "priority", conflictResolutionConfig: { prefixFormat: "{workload}_" } }, /priorityOrder is required for priority strategy/, "aggregation.priority-order-missing"],
      [{ conflictResolution: "manual", conflictResolutionConfig: { prefixFormat: "{workload}_" } }, /tool overrides are required for manual strategy/, "aggregation.manual-without-overrides"],
    ];
    for (const [aggregation, message, code] of refusals) {
      await assert.rejects(runVmcp({ config: { ...base, aggregation }, port: await freePort(), startupTimeoutMs: 20_000 }), message);
      // The same settings in the team are a check error, before anything is deployed.
      const snippet = { conflictResolution: aggregation.conflictResolution as "priority" | "manual" };
      assert.throws(() => loadTeam({ ...valid, aggregation: snippet }), (e: unknown) => e instanceof ConfigError && e.problems.some((p) => p.code === code));
    }
  } finally {
    for (const s of servers) await s.close();
  }
});
