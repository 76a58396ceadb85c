/**
 * ToolHive's own vMCP as the reference. For each stack (the example stack files, and generated ones
 * covering every aggregation strategy, conflicts, overrides and raw Cedar that reads claims,
 * arguments and annotations) the same Streamable HTTP backends run behind our gateway and behind
 * the real `vmcp serve` (the pinned version, with the configuration `render` writes, local variant),
 * and every development user sends the same requests to both. The answers must agree: lists as sets,
 * the same decisions, the same denial status and message. A disagreement passes only when
 * test/vmcp-known-differences.yaml explains it with ToolHive's code path; an entry that explains
 * nothing fails, so the file cannot go stale. Without the vmcp binary the suite fails (install:
 * scripts/install-vmcp.sh).
 */
import { test, before, after } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { loadStackFile } from "../components/stackConfig";
import { findVmcpBinary } from "../components/vmcp/runVmcp";
import type { StaticBackend } from "../components/vmcp/runtimeConfig";
import { serveDemoHttp } from "../gateway/demo/httpServe";
import { REPO_ROOT, rawPost } from "../gateway/testing/harness";
import type { McpHttpServer as HttpMcpServer } from "../gateway/demo/httpServe";
import { serveSynthetic, type SyntheticBackendSpec, type SyntheticTool } from "./helpers/syntheticBackend";
import { laptopTeam, startEmbeddedPair, startPair, type Engine } from "./helpers/vmcpPair";
import { ask, catalogOf, explain, loadKnownDifferences, openSession, probesFor, type KnownDifference, type Normalized, type Probe } from "./helpers/vmcpDiff";

type Team = Record<string, unknown>;

interface StackCase {
  name: string;
  team: Team;
  /** Starts the stack's backends (one per declared backend, same names). */
  backends(): Promise<{ backends: StaticBackend[]; servers: HttpMcpServer[] }>;
}

const RO = { readOnlyHint: true, destructiveHint: false };
const DESTRUCTIVE = { readOnlyHint: false, destructiveHint: true };

async function synthetic(specs: SyntheticBackendSpec[]): Promise<{ backends: StaticBackend[]; servers: HttpMcpServer[] }> {
  const servers = await Promise.all(specs.map((s) => serveSynthetic(s)));
  return { servers, backends: specs.map((s, i) => ({ name: s.name, url: servers[i].url, transport: "streamable-http" })) };
}

/** Synthetic backends for a stack file's declared tools (the images are not run here). */
function declaredBackends(team: Team): SyntheticBackendSpec[] {
  return Object.entries(team.backends as Record<string, { tools?: string[] }>).map(([name, b], i) => ({
    name,
    tools: (b.tools ?? []).map((t, j): SyntheticTool => ({ name: t, args: ["namespace"], annotations: j % 2 === 0 ? RO : DESTRUCTIVE })),
    prompts: [{ name: `${name.split("-")[0]}_prompt`, arg: "topic", values: ["default", "other"] }],
    resources: [{ uri: `synthetic://${name}/info`, name: `${name} info` }],
    templates: [{ uriTemplate: `synthetic://${name}/items/{id}`, name: `${name} items`, variable: "id", values: [`${i}1`, `${i}2`] }],
  }));
}

function stackFileCase(stack: string): StackCase {
  const team = laptopTeam(loadStackFile(stack, REPO_ROOT).team as Team);
  if (stack === "dev") {
    return {
      name: "Pulumi.dev.yaml (demo backends)",
      team,
      backends: async () => {
        const gh = await serveDemoHttp("github");
        const k8s = await serveDemoHttp("kubernetes");
        return {
          servers: [gh, k8s],
          backends: [
            { name: "github-backend", url: gh.url, transport: "streamable-http" },
            { name: "kubernetes-backend", url: k8s.url, transport: "streamable-http" },
          ],
        };
      },
    };
  }
  return { name: `Pulumi.${stack}.yaml`, team, backends: () => synthetic(declaredBackends(team)) };
}

const groups = {
  users: { description: "every tool", members: ["ann@example.com"] },
  readers: { description: "read-only tools", members: ["rob@example.com"] },
  operators: { description: "namespace operations", members: ["ola@example.com"] },
};
const extraUsers = { extraUsers: ["dave@example.com", "nobody@example.com"] };

/** Two backends that both have `search`, and tools of their own. */
const conflicting: SyntheticBackendSpec[] = [
  {
    name: "alpha",
    tools: [
      { name: "search", annotations: RO, args: ["namespace"] },
      { name: "purge", annotations: DESTRUCTIVE, args: ["namespace"] },
      { name: "only_alpha" },
    ],
    prompts: [{ name: "brief", arg: "topic", values: ["default", "alpha-topic"] }],
    resources: [{ uri: "synthetic://alpha/info", name: "alpha info" }],
    templates: [{ uriTemplate: "synthetic://alpha/items/{id}", name: "alpha items", variable: "id", values: ["a1", "a2"] }],
  },
  {
    name: "beta",
    tools: [{ name: "search", annotations: RO, args: ["namespace"] }, { name: "export", annotations: { readOnlyHint: false } }, { name: "only_beta", annotations: RO }],
    prompts: [{ name: "brief", arg: "topic", values: ["default", "beta-topic"] }],
    resources: [{ uri: "synthetic://beta/info", name: "beta info" }],
  },
];
/** A third backend left out of priorityOrder: vMCP always prefixes an unlisted backend's prompts. */
const gamma: SyntheticBackendSpec = {
  name: "gamma",
  tools: [{ name: "search", annotations: RO, args: ["namespace"] }, { name: "only_gamma" }],
  prompts: [{ name: "brief", arg: "topic", values: ["default", "gamma-topic"] }, { name: "gamma_only", arg: "topic", values: ["default"] }],
};
const declared = (names: string[]) => Object.fromEntries([...conflicting, gamma].filter((b) => names.includes(b.name)).map((b) => [b.name, { image: `example/${b.name}:1`, tools: b.tools.map((t) => t.name) }]));

const generated: StackCase[] = [
  {
    name: "generated: prefix, custom format, deny list",
    team: laptopTeam({
      team: "gprefix",
      groupPrefix: "mcp-",
      groups,
      grants: { users: { allow: "*", deny: ["beta/export"] }, readers: { allow: ["alpha/search", "beta/search"] }, operators: { allow: ["alpha/purge"] } },
      backends: declared(["alpha", "beta"]),
      aggregation: { conflictResolution: "prefix", prefixFormat: "{workload}__" },
      dev: extraUsers,
    }),
    backends: () => synthetic(conflicting),
  },
  {
    name: "generated: priority, conflict, override, unlisted backend",
    team: laptopTeam({
      team: "gpriority",
      groupPrefix: "mcp-",
      groups,
      grants: { users: { allow: "*" }, readers: { allow: ["beta/search", "alpha/only_alpha", "gamma/only_gamma"] }, operators: { allow: ["alpha/purge"], deny: ["beta/export"] } },
      backends: declared(["alpha", "beta", "gamma"]),
      aggregation: { conflictResolution: "priority", priorityOrder: ["beta", "alpha"], overrides: { alpha: { only_alpha: "alpha_special" } } },
      dev: extraUsers,
    }),
    backends: () => synthetic([...conflicting, gamma]),
  },
  {
    name: "generated: manual, conflict resolved by overrides",
    team: laptopTeam({
      team: "gmanual",
      groupPrefix: "mcp-",
      groups,
      grants: { users: { allow: "*" }, readers: { allow: ["alpha/search"] }, operators: { allow: "*", deny: ["beta/search"] } },
      backends: declared(["alpha", "beta"]),
      aggregation: { conflictResolution: "manual", overrides: { alpha: { search: "alpha_search" }, beta: { search: "beta_search" } } },
      dev: extraUsers,
    }),
    backends: () => synthetic(conflicting),
  },
  {
    name: "generated: undeclared tools, runtime conflict under priority",
    team: laptopTeam({
      team: "gruntime",
      groupPrefix: "mcp-",
      groups,
      grants: { users: { allow: "*" } },
      backends: { alpha: { image: "example/alpha:1" }, beta: { image: "example/beta:1" } },
      aggregation: { conflictResolution: "priority", priorityOrder: ["alpha", "beta"] },
      dev: extraUsers,
    }),
    backends: () => synthetic(conflicting),
  },
  {
    name: "generated: custom group claim name",
    team: laptopTeam({
      team: "gclaim",
      groupPrefix: "mcp-",
      groups,
      grants: { users: { allow: "*", deny: ["alpha/purge"] }, readers: { allow: ["alpha/search"] } },
      backends: declared(["alpha"]),
      cedar: { groupClaimName: "team_groups" },
      dev: extraUsers,
    }),
    backends: () => synthetic(conflicting.slice(0, 1)),
  },
  {
    name: "generated: raw Cedar on claims, arguments and annotations",
    team: laptopTeam({
      team: "gcedar",
      groupPrefix: "mcp-",
      groups,
      grants: { users: { allow: "*" } },
      backends: declared(["alpha"]),
      cedar: {
        claims: { email: "String" },
        arguments: { namespace: "String" },
        policies: [
          {
            id: "readers-read-only",
            cedar: 'permit (principal in THVGroup::"mcp-readers", action == Action::"call_tool", resource) when { resource has readOnlyHint && resource.readOnlyHint };',
          },
          {
            id: "operators-staging",
            cedar: 'permit (principal in THVGroup::"mcp-operators", action == Action::"call_tool", resource == Tool::"alpha_purge") when { context has arg_namespace && context.arg_namespace == "staging" };',
          },
          {
            id: "dave-by-email",
            cedar: 'permit (principal, action == Action::"call_tool", resource == Tool::"alpha_only_alpha") when { principal has claim_email && principal.claim_email == "dave@example.com" };',
          },
          {
            id: "never-kube-system",
            cedar: 'forbid (principal, action == Action::"call_tool", resource) when { context has arg_namespace && context.arg_namespace == "kube-system" };',
          },
        ],
      },
      dev: extraUsers,
    }),
    backends: () => synthetic(conflicting.slice(0, 1)),
  },
];

const CASES: StackCase[] = [...["dev", "engineering", "sales"].map(stackFileCase), ...generated];

interface Disagreement {
  stack: string;
  user: string;
  probe: string;
  ours: Normalized;
  vmcp: Normalized;
}

const known = loadKnownDifferences();
/** Known difference id → how many answers it explained. */
const used = new Map<string, number>();
const summary: { stack: string; users: number; requests: number; agreed: number; known: number; unexplained: number; callsRun: number; callsDenied: number }[] = [];
const unexplained: Disagreement[] = [];

before(() => {
  // Fails (never skips) when the reference is missing: the message says how to install it.
  findVmcpBinary();
});

/** Every probe, for every user, to both engines; counts into `summary`, fails on unexplained disagreements. */
async function compareEngines(stack: string, users: readonly { login: string }[], ours: Engine, theirs: Engine, policyArguments: string[]): Promise<void> {
  // Probes come from what either engine advertises to anyone (a name only one of them lists is probed on both).
  const catalogs = [];
  for (const u of users) {
    catalogs.push(await catalogOf(await openSession(ours.mcpUrl, await ours.token(u.login))));
    catalogs.push(await catalogOf(await openSession(theirs.mcpUrl, await theirs.token(u.login))));
  }
  const probes: Probe[] = probesFor(catalogs, policyArguments);
  const row = { stack, users: users.length, requests: 0, agreed: 0, known: 0, unexplained: 0, callsRun: 0, callsDenied: 0 };
  for (const u of users) {
    const a0 = await openSession(ours.mcpUrl, await ours.token(u.login));
    const b0 = await openSession(theirs.mcpUrl, await theirs.token(u.login));
    for (const p of probes) {
      const a = await ask(a0, p);
      const b = await ask(b0, p);
      row.requests++;
      if (p.method === "tools/call" && b.result) row.callsRun++;
      if (p.method === "tools/call" && b.status === 403) row.callsDenied++;
      if (JSON.stringify(a) === JSON.stringify(b)) {
        row.agreed++;
        continue;
      }
      const k: KnownDifference | undefined = explain(known, stack, p, a, b);
      if (k) {
        used.set(k.id, (used.get(k.id) ?? 0) + 1);
        row.known++;
        continue;
      }
      row.unexplained++;
      unexplained.push({ stack, user: u.login, probe: p.label, ours: a, vmcp: b });
    }
  }
  summary.push(row);
  const mine = unexplained.filter((d) => d.stack === stack);
  assert.equal(
    mine.length,
    0,
    `${mine.length} of ${row.requests} answers disagree with vMCP and no entry of test/vmcp-known-differences.yaml explains them:\n` +
      mine
        .slice(0, 25)
        .map((d) => `  ${d.user}  ${d.probe}\n    ours: ${JSON.stringify(d.ours)}\n    vmcp: ${JSON.stringify(d.vmcp)}`)
        .join("\n"),
  );
  assert.ok(row.requests > users.length * 8, "the suite compared real traffic");
  // Not vacuous: vMCP ran some calls and denied others (every stack has users with and without access).
  assert.ok(row.callsRun > 0 && row.callsDenied > 0, `vMCP ran ${row.callsRun} and denied ${row.callsDenied} tool calls`);
}

for (const c of CASES) {
  test(`same answers from our gateway and ToolHive's vMCP: ${c.name}`, { timeout: 180_000 }, async () => {
    const { backends, servers } = await c.backends();
    const pair = await startPair(c.team, backends).catch(async (e) => {
      for (const s of servers) await s.close();
      throw e;
    });
    try {
      const token = async (login: string) => pair.tokens.get(login)!;
      await compareEngines(c.name, pair.users, { mcpUrl: pair.gateway.mcpUrl, token }, { mcpUrl: pair.vmcp.mcpUrl, token }, Object.keys(pair.loaded.compiled.spec.cedar.arguments));
      // Without a valid token both refuse alike: 401 and a Bearer challenge naming the protected resource's metadata.
      for (const headers of [{} as Record<string, string>, { authorization: "Bearer not-a-jwt" }, { authorization: `Bearer ${pair.tokens.get(pair.users[0].login)!.slice(0, -4)}AAAA` }]) {
        const shape = async (url: string) => {
          const a = await rawPost(url, { jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "t", version: "1" } } }, headers);
          const challenge = a.headers.get("www-authenticate") ?? "";
          return { status: a.status, bearer: /^Bearer /.test(challenge), resourceMetadata: /resource_metadata="[^"]+\/\.well-known\/oauth-protected-resource/.test(challenge) };
        };
        assert.deepEqual(await shape(pair.gateway.mcpUrl), await shape(pair.vmcp.mcpUrl), `unauthenticated ${JSON.stringify(headers).slice(0, 40)}`);
        assert.equal((await shape(pair.vmcp.mcpUrl)).status, 401);
      }
    } finally {
      await pair.close();
      for (const s of servers) await s.close();
    }
  });
}

/** Through each engine's embedded authorization server (vMCP's authServerConfig), signed in through the browser. */
const EMBEDDED = [CASES[0], CASES[CASES.length - 1]];
for (const c of EMBEDDED) {
  test(`same answers through the embedded authorization servers (dev IdP upstream, browser sign-in): ${c.name}`, { timeout: 300_000 }, async () => {
    const { backends, servers } = await c.backends();
    const pair = await startEmbeddedPair(c.team, backends).catch(async (e) => {
      for (const s of servers) await s.close();
      throw e;
    });
    try {
      await compareEngines(`${c.name} [embedded auth server]`, pair.users, pair.ours, pair.vmcp, Object.keys(pair.loaded.compiled.spec.cedar.arguments));
      // Both advertise the same scopes, offline_access among them: clients that request what the
      // protected-resource metadata lists get refresh tokens from either authorization server.
      const scopes = async (mcpUrl: string) => {
        const r = await fetch(`${new URL(mcpUrl).origin}/.well-known/oauth-protected-resource`);
        assert.equal(r.status, 200, mcpUrl);
        return ((await r.json()) as { scopes_supported?: string[] }).scopes_supported;
      };
      const theirs = await scopes(pair.vmcp.mcpUrl);
      assert.deepEqual(await scopes(pair.ours.mcpUrl), theirs);
      assert.ok(theirs?.includes("offline_access"), `vMCP advertises ${JSON.stringify(theirs)}`);
    } finally {
      await pair.close();
      for (const s of servers) await s.close();
    }
  });
}

test("every known difference still explains a real disagreement", () => {
  const stale = known.filter((k) => !used.has(k.id)).map((k) => k.id);
  assert.deepEqual(stale, [], "entries of test/vmcp-known-differences.yaml that matched no disagreement: remove them (fixed on one side?)");
});

after(() => {
  const out = process.env.VMCP_DIFF_REPORT ?? path.join(os.tmpdir(), "vmcp-differential-report.json");
  const openInOurs = known.filter((k) => k.wrong === "ours" && used.has(k.id)).map((k) => `${k.id} (${k.owner})`);
  fs.writeFileSync(out, JSON.stringify({ summary, unexplained, knownUsed: Object.fromEntries(used), openInOurs }, null, 2));
  if (openInOurs.length) process.stdout.write(`# vmcp differential: disagreements owed a fix in our code: ${openInOurs.join(", ")}\n`);
  process.stdout.write(`# vmcp differential: ${summary.map((r) => `${r.stack}: ${r.agreed}+${r.known} known/${r.requests}`).join("; ")} (report: ${out})\n`);
});
