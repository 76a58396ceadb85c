/**
 * OktaTeam under Pulumi mocks: every resource's inputs for the guide's team, the server modes,
 * the groups-scope modes with a second run on the first run's state, secrets and providers.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import * as okta from "@pulumi/okta";
import { OktaTeam } from "../components/okta/oktaTeam";
import { API_TOKEN, CLIENT_ID, CLIENT_SECRET, I, ORG, runTeam, runTeamExpectingFailure, seedTeam, specs, T, type FakeOrg, type Run } from "./okta.fixture";
import { isSecretInput, MockHarness, unwrapAll, useHarness, valueOf, type RecordedResource } from "./helpers/pulumiMocks";

const DEFAULT_SERVER = { okta: { authServer: { mode: "existing", id: "default" } } };
const GROUPS_SCOPE_ON_DEFAULT: FakeOrg = { scopes: { default: [{ id: "scp-groups", name: "groups", description: "Okta groups" }] } };

function types(run: Run): string[] {
  return [...new Set(run.harness.resources.map((r) => r.type))].sort();
}

function names(run: Run, type: string): string[] {
  return run.harness.ofType(type).map((r) => r.name);
}

function index(run: Run, type: string, name?: string): number {
  return run.harness.resources.indexOf(run.harness.one(type, name));
}

/** The resources the policy rule was declared to depend on (promises resolved). */
async function ruleDependsOn(run: Run): Promise<pulumi.Resource[]> {
  const declared = run.options.get("engineering-policy-rule")?.dependsOn ?? [];
  const resolved = await Promise.all(([] as unknown[]).concat(declared));
  return resolved.filter((d): d is pulumi.Resource => pulumi.Resource.isInstance(d));
}

test("created server: every resource's inputs for the guide's team", async () => {
  const run = await runTeam(seedTeam());
  const h = run.harness;
  const server = h.one(T.server);
  assert.deepEqual(server.inputs, {
    name: "toolhive-engineering",
    description: "ToolHive vMCP for team engineering",
    audiences: ["https://vmcp.example.com"],
    issuerMode: "ORG_URL",
    status: "ACTIVE",
  });
  assert.deepEqual(h.one(T.scope).inputs, {
    authServerId: server.id,
    name: "groups",
    description: "Group memberships (vMCP Cedar authorization)",
    metadataPublish: "ALL_CLIENTS",
    consent: "IMPLICIT",
    default: false,
  });
  assert.equal(h.one(T.scope).importId, undefined, "absent scope: created, not imported");
  assert.deepEqual(h.one(T.claim).inputs, {
    authServerId: server.id,
    name: "groups",
    claimType: "RESOURCE",
    valueType: "GROUPS",
    groupFilterType: "STARTS_WITH",
    value: "mcp-",
    alwaysIncludeInToken: true,
    status: "ACTIVE",
  });
  const app = h.one(T.app);
  assert.deepEqual(app.inputs, {
    label: "vmcp-engineering",
    type: "web",
    grantTypes: ["authorization_code", "refresh_token"],
    responseTypes: ["code"],
    redirectUris: ["https://vmcp.example.com/oauth/callback"],
    tokenEndpointAuthMethod: "client_secret_post",
    pkceRequired: true,
    implicitAssignment: false,
    omitSecret: false,
    refreshTokenRotation: "STATIC",
    status: "ACTIVE",
  });
  const groups = h.ofType(T.group);
  assert.deepEqual(
    groups.map((g) => g.inputs),
    [
      { name: "mcp-developers", description: "Engineers who use the MCP tools day to day" },
      { name: "mcp-platform", description: "Platform engineers, including destructive cluster tools" },
      { name: "mcp-admin", description: "Escape hatch with full access" },
    ],
  );
  const groupId = (n: string) => groups.find((g) => g.inputs.name === n)!.id;
  assert.deepEqual(
    h.ofType(T.memberships).map((m) => m.inputs),
    [
      { groupId: groupId("mcp-developers"), users: ["00u-alice"], trackAllUsers: true },
      { groupId: groupId("mcp-platform"), users: ["00u-bob"], trackAllUsers: true },
      { groupId: groupId("mcp-admin"), users: ["00u-carol", "00u-alice"], trackAllUsers: true },
    ],
  );
  assert.deepEqual(
    h.ofType(T.assignment).map((a) => a.inputs),
    ["mcp-developers", "mcp-platform", "mcp-admin"].map((n) => ({ appId: app.id, groupId: groupId(n) })),
  );
  const policy = h.one(T.policy);
  assert.deepEqual(policy.inputs, {
    authServerId: server.id,
    name: "vmcp-engineering",
    description: "vMCP access for team engineering: authorization code with openid, profile, groups, offline_access",
    priority: 1,
    status: "ACTIVE",
    clientWhitelists: ["ALL_CLIENTS"],
  });
  assert.deepEqual(h.one(T.rule).inputs, {
    authServerId: server.id,
    policyId: policy.id,
    name: "allow-authcode",
    priority: 1,
    status: "ACTIVE",
    grantTypeWhitelists: ["authorization_code"],
    scopeWhitelists: ["openid", "profile", "groups", "offline_access"],
    groupWhitelists: ["EVERYONE"],
    accessTokenLifetimeMinutes: 60,
    refreshTokenLifetimeMinutes: 1440,
    refreshTokenWindowMinutes: 1440,
  });
  // Users are looked up with one search for every member (alice is in two groups, asked once).
  const lookups = h.calls.filter((c) => c.token === I.getUsers);
  assert.deepEqual(
    lookups.map((c) => c.inputs),
    [{ searches: [{ expression: 'profile.login eq "alice@example.com" or profile.login eq "bob@example.com" or profile.login eq "carol@example.com"' }] }],
  );
  // A created server needs no data source besides the user lookup.
  assert.deepEqual([...new Set(h.calls.map((c) => c.token))], [I.getUsers]);
  assert.deepEqual(types(run), [T.app, T.assignment, T.group, T.memberships, T.policy, T.rule, T.claim, T.scope, T.server, T.component].sort());
});

test("outputs: issuer, server id, client id, secret client secret, group names, consistency report", async () => {
  const run = await runTeam(seedTeam());
  const serverId = run.harness.one(T.server).id;
  assert.equal(await valueOf(run.team.issuer), `${ORG}/oauth2/${serverId}`);
  assert.equal(await valueOf(run.team.authServerId), serverId);
  assert.equal(await valueOf(run.team.clientId), CLIENT_ID);
  assert.equal(await valueOf(run.team.clientSecret), CLIENT_SECRET);
  assert.equal(await pulumi.isSecret(run.team.clientSecret), true);
  assert.equal(await pulumi.isSecret(run.team.clientId), false);
  assert.deepEqual(await valueOf(run.team.groupNames), ["mcp-developers", "mcp-platform", "mcp-admin"]);
  const report = await valueOf(run.team.consistencyReport);
  assert.equal(report.ok, true);
  assert.deepEqual(report.rows.map((r) => r.oktaGroup), ["mcp-developers", "mcp-platform", "mcp-admin"]);
  // `ready` is what vMCP waits for: the rule, the policy, the claim, every assignment and membership.
  const readyUrns = await Promise.all(run.team.ready.map(async (r) => valueOf((await r).urn)));
  assert.equal(readyUrns.length, 1 + 1 + 1 + 3 + 3);
  assert.ok(readyUrns.some((u) => u.endsWith("::engineering-policy-rule")));
  assert.ok(readyUrns.every((u) => u.includes("vmcp-okta:index:OktaTeam$okta:")), "all parented to the component");
});

test("scope import inputs are the existing scope's, not the guide's: a scope with other settings imports as it is", async () => {
  const org: FakeOrg = { scopes: { default: [{ id: "scp-g2", name: "groups", description: "", consent: "REQUIRED", metadataPublish: "NO_CLIENTS", default: true, displayName: "Groups" } as never] } };
  const run = await runTeam(seedTeam({ okta: { ...DEFAULT_SERVER.okta, groupsScope: "import" } }), org);
  const scope = run.harness.one(T.scope);
  assert.equal(scope.importId, "default/scp-g2");
  assert.deepEqual(scope.inputs, { authServerId: "default", name: "groups", displayName: "Groups", metadataPublish: "NO_CLIENTS", consent: "REQUIRED", default: true, optional: false });
});

test("members: one user search for every member; unknown and deactivated logins fail naming the member", async () => {
  const many = Array.from({ length: 45 }, (_, i) => `user${i}@example.com`);
  const big = await runTeam(seedTeam({ groups: { developers: { description: "d", members: many }, platform: { description: "p", members: ["bob@example.com"] }, admin: { description: "a", members: [] } } }));
  const searches = big.harness.calls.filter((c) => c.token === I.getUsers);
  assert.equal(searches.length, 3, "46 logins: 3 searches of at most 20, not 46 lookups");
  assert.equal(JSON.parse(JSON.stringify(big.harness.one(T.memberships, "engineering-members-developers").inputs.users)).length, 45);
  const org: FakeOrg = { users: { "alice@example.com": {}, "bob@example.com": { status: "DEPROVISIONED" } } };
  const { errors, run } = await runTeamExpectingFailure(seedTeam(), org);
  const text = errors.join("\n");
  assert.match(text, /\[okta\.member\.unknown\] vmcp-okta:team\.groups\.admin\.members: no Okta user has login carol@example\.com/);
  assert.match(text, /\[okta\.member\.deactivated\] vmcp-okta:team\.groups\.platform\.members: Okta user bob@example\.com is deactivated/);
  assert.equal(run.harness.ofType(T.memberships).length, 0, "no membership is declared with an unresolved member");
});

test("every resource is parented to the component; the rule depends on the scope and the claim", async () => {
  const run = await runTeam(seedTeam());
  for (const r of run.harness.resources) {
    if (r.type === T.component) continue;
    assert.ok(run.options.get(r.name)?.parent instanceof OktaTeam, `${r.name} is not parented to the component`);
  }
  const deps = await ruleDependsOn(run);
  assert.ok(deps.some((d) => d instanceof okta.auth.ServerScope), "rule dependsOn the scope");
  assert.ok(deps.some((d) => d instanceof okta.auth.ServerClaim), "rule dependsOn the claim");
  assert.ok(index(run, T.rule) > index(run, T.scope) && index(run, T.rule) > index(run, T.claim));
});

test("default-server mode: no server is created; the existing one is looked up and gets scope, claim, policy and rule", async () => {
  const run = await runTeam(seedTeam(DEFAULT_SERVER));
  const h = run.harness;
  assert.equal(h.ofType(T.server).length, 0);
  assert.deepEqual(h.calls.find((c) => c.token === I.getServer)?.inputs, { name: "default" });
  for (const type of [T.scope, T.claim, T.policy, T.rule]) assert.equal(h.one(type).inputs.authServerId, "default", type);
  assert.deepEqual(h.one(T.policy).inputs.clientWhitelists, ["ALL_CLIENTS"]);
  assert.equal(await valueOf(run.team.issuer), `${ORG}/oauth2/default`);
  assert.equal(await valueOf(run.team.authServerId), "default");
});

test("scope present: the groups scope is adopted by import (ids from the data source), retained on destroy, and the rule waits for it", async () => {
  const run = await runTeam(seedTeam({ okta: { ...DEFAULT_SERVER.okta, groupsScope: "import" } }), GROUPS_SCOPE_ON_DEFAULT);
  const scope = run.harness.one(T.scope);
  assert.equal(scope.importId, "default/scp-groups");
  assert.deepEqual(scope.inputs, {
    authServerId: "default",
    name: "groups",
    description: "Okta groups",
    metadataPublish: "ALL_CLIENTS",
    consent: "IMPLICIT",
    default: false,
    optional: false,
  });
  assert.equal(run.options.get("engineering-groups-scope")?.retainOnDelete, true);
  assert.deepEqual(run.harness.calls.find((c) => c.token === I.getScopes)?.inputs, { authServerId: "default" });
  // The scope registers only after the lookup; the rule still depends on that very resource.
  assert.ok((await ruleDependsOn(run)).some((d) => d instanceof okta.auth.ServerScope));
  assert.ok(index(run, T.rule) > index(run, T.scope));
  assert.deepEqual(run.harness.one(T.rule).inputs.scopeWhitelists, ["openid", "profile", "groups", "offline_access"]);
});

test("scope import requested but absent: a clear error and no rule", async () => {
  const { run, errors } = await runTeamExpectingFailure(seedTeam({ okta: { ...DEFAULT_SERVER.okta, groupsScope: "import" } }));
  assert.ok(errors.some((e) => /groupsScope: import was requested but server default has no "groups" scope/.test(e)), JSON.stringify(errors));
  assert.equal(run.harness.ofType(T.rule).length, 0);
  assert.equal(run.harness.ofType(T.scope).length, 0);
});

/** The comparable shape of a run: type, name, plaintext inputs and import id of every resource. */
function resourceSet(resources: RecordedResource[]): string[] {
  return resources.map((r) => JSON.stringify([r.type, r.name, unwrapAll(r.inputs), r.importId ?? null])).sort();
}

const STABILITY: [string, Record<string, unknown>, FakeOrg, FakeOrg][] = [
  // Scope absent: created by run 1, so run 2 sees it on the server and must still declare the same resource.
  ["scope absent (created)", seedTeam(DEFAULT_SERVER), {}, GROUPS_SCOPE_ON_DEFAULT],
  ["scope present (imported)", seedTeam({ okta: { ...DEFAULT_SERVER.okta, groupsScope: "import" } }), GROUPS_SCOPE_ON_DEFAULT, GROUPS_SCOPE_ON_DEFAULT],
  ["created server", seedTeam(), {}, {}],
];

for (const [name, input, before, after] of STABILITY) {
  test(`second run on the first run's state declares an identical resource set: ${name}`, async () => {
    const first = await runTeam(input, before);
    const second = await runTeam(input, after, { priorState: first.harness.state() });
    assert.deepEqual(resourceSet(second.harness.resources), resourceSet(first.harness.resources));
    for (const r of second.harness.resources) assert.equal(r.id, first.harness.state().get(`${r.type}::${r.name}`)?.id, `${r.name} keeps its id`);
    assert.equal(second.harness.ofType(T.scope).length, 1, "the groups scope is never skipped");
  });
}

const SHARED = { okta: { authServer: { mode: "existing", id: "aus1shared", name: "mcp-shared", shared: true } } };
const SHARED_ORG = (claim: Record<string, unknown> = {}, scopes = [{ id: "scp1", name: "groups" }]): FakeOrg => ({
  servers: { "mcp-shared": { id: "aus1shared" } },
  scopes: { aus1shared: scopes },
  claims: { aus1shared: [{ name: "groups", claimType: "RESOURCE", valueType: "GROUPS", value: "mcp-", ...claim }] },
});

test("shared-server mode: only groups, members, app, assignments and the team's own policy limited to its app", async () => {
  const run = await runTeam(seedTeam(SHARED), SHARED_ORG());
  const h = run.harness;
  assert.deepEqual(types(run), [T.app, T.assignment, T.group, T.memberships, T.policy, T.rule, T.component].sort());
  assert.deepEqual(h.one(T.policy).inputs.clientWhitelists, [CLIENT_ID]);
  assert.equal(h.one(T.policy).inputs.authServerId, "aus1shared");
  assert.equal(h.one(T.rule).inputs.authServerId, "aus1shared");
  assert.deepEqual(h.one(T.rule).inputs.scopeWhitelists, ["openid", "profile", "groups", "offline_access"]);
  const checks = h.calls.filter((c) => c.token !== I.getUsers);
  assert.deepEqual(checks.map((c) => [c.token, c.inputs]).sort(), [
    [I.getServer, { name: "mcp-shared" }],
    [I.getClaims, { authServerId: "aus1shared" }],
    [I.getScopes, { authServerId: "aus1shared" }],
  ].sort());
  const report = await valueOf(run.team.consistencyReport);
  assert.deepEqual(report.claimFilter, { type: "STARTS_WITH", value: "mcp-", source: "shared-server" });
  assert.equal(report.ok, true);
  assert.equal(await valueOf(run.team.issuer), `${ORG}/oauth2/aus1shared`);
  assert.equal(run.team.ready.length, 1 + 1 + 3 + 3, "no claim of our own in ready");
});

test("shared-server mode accepts a broader prefix or a regex the owner configured", async () => {
  for (const value of ["mcp", "mcp-.*"]) {
    const run = await runTeam(seedTeam(SHARED), SHARED_ORG({ value }));
    assert.equal(run.harness.ofType(T.rule).length, 1, value);
  }
});

const SHARED_FAILURES: [string, FakeOrg, RegExp][] = [
  ["filter does not cover the team prefix", SHARED_ORG({ value: "data-" }), /filter value "data-" does not cover mcp-developers/],
  ["claim is on the ID token", SHARED_ORG({ claimType: "IDENTITY" }), /ID-token claim/],
  ["claim value type is an expression", SHARED_ORG({ valueType: "EXPRESSION" }), /value type is EXPRESSION/],
  ["no groups scope", SHARED_ORG({}, []), /no "groups" scope/],
  ["no groups claim", { ...SHARED_ORG(), claims: { aus1shared: [] } }, /no claim named groups/],
];

for (const [name, org, reason] of SHARED_FAILURES) {
  test(`shared-server check fails clearly and creates no policy: ${name}`, async () => {
    const { run, errors } = await runTeamExpectingFailure(seedTeam(SHARED), org);
    assert.ok(errors.some((e) => reason.test(e) && /shared authorization server aus1shared is not ready/.test(e)), JSON.stringify(errors));
    assert.equal(run.harness.ofType(T.policy).length, 0);
    assert.equal(run.harness.ofType(T.rule).length, 0);
  });
}

test("existing server: a name that resolves to another id, or to the Org server, fails clearly", async () => {
  const wrongId = await runTeamExpectingFailure(seedTeam({ okta: { authServer: { mode: "existing", id: "aus1", name: "mcp-shared" } } }), { servers: { "mcp-shared": { id: "aus2" } } });
  assert.ok(wrongId.errors.some((e) => /named "mcp-shared" has id "aus2", not "aus1"/.test(e)), JSON.stringify(wrongId.errors));
  assert.equal(wrongId.run.harness.ofType(T.policy).length, 0);
  const org = await runTeamExpectingFailure(seedTeam(DEFAULT_SERVER), { servers: { default: { id: "default", issuer: ORG } } });
  assert.ok(org.errors.some((e) => /not a custom authorization server/.test(e)), JSON.stringify(org.errors));
  assert.equal(org.run.harness.ofType(T.claim).length, 0);
});

test("regex dev mode: Matches regex .* side by side with its filter type", async () => {
  const run = await runTeam(seedTeam({ environment: "development", endpoint: "http://localhost:8080", okta: { claimFilter: "regexAll" } }));
  const claim = run.harness.one(T.claim).inputs;
  assert.equal(claim.groupFilterType, "REGEX");
  assert.equal(claim.value, ".*");
  assert.deepEqual(run.harness.one(T.app).inputs.redirectUris, ["http://localhost:8080/oauth/callback"]);
  assert.deepEqual((await valueOf(run.team.consistencyReport)).claimFilter, { type: "REGEX", value: ".*", source: "declared" });
});

test("production refusal also holds in the component: a hand-made regex OktaSpec for a production team is a ResourceError", async () => {
  const { spec, okta: o } = specs(seedTeam());
  await useHarness(new MockHarness());
  assert.throws(
    () => new OktaTeam("engineering", { spec, okta: { ...o, claim: { ...o.claim, filter: { type: "REGEX", value: ".*" } } } }),
    (e: unknown) => pulumi.ResourceError.isInstance(e) && /regex claim filter on a production stack/.test(e.message),
  );
  const other = specs(seedTeam({ endpoint: "https://other.example.com" })).okta;
  assert.throws(() => new OktaTeam("engineering2", { spec, okta: other }), /not derived from the endpoint/);
});

test("membership additive: the stack only adds its members; a group without members gets no membership resource but is still assigned", async () => {
  const input = seedTeam({ okta: { membership: "additive" } });
  (input.groups as Record<string, unknown>).auditors = { description: "Read-only" };
  const run = await runTeam(input);
  assert.ok(run.harness.ofType(T.memberships).every((m) => m.inputs.trackAllUsers === false));
  assert.deepEqual(names(run, T.memberships), ["engineering-members-developers", "engineering-members-platform", "engineering-members-admin"]);
  assert.ok(names(run, T.assignment).includes("engineering-assign-auditors"));
});

test("app options: basic auth, no PKCE, rotating refresh tokens with leeway; policy for this app only", async () => {
  const run = await runTeam(
    seedTeam({ okta: { app: { tokenEndpointAuthMethod: "client_secret_basic", pkceRequired: false, refreshTokenRotation: "ROTATE" }, policy: { clients: "app" } } }),
  );
  const app = run.harness.one(T.app).inputs;
  assert.equal(app.tokenEndpointAuthMethod, "client_secret_basic");
  assert.equal(app.pkceRequired, false);
  assert.equal(app.refreshTokenRotation, "ROTATE");
  assert.equal(app.refreshTokenLeeway, 30);
  assert.deepEqual(run.harness.one(T.policy).inputs.clientWhitelists, [CLIENT_ID]);
});

/** Every string anywhere in a value that is not inside a secret wrapper. */
function plaintextStrings(v: unknown, out: string[] = []): string[] {
  if (isSecretInput(v)) return out;
  if (typeof v === "string") out.push(v);
  else if (Array.isArray(v)) v.forEach((x) => plaintextStrings(x, out));
  else if (v && typeof v === "object") Object.values(v).forEach((x) => plaintextStrings(x, out));
  return out;
}

test("secrets: the client secret is a secret output and never a plaintext input; the provider's token is only a secret input", async () => {
  const run = await runTeam(seedTeam(), {}, { provider: () => new okta.Provider("okta", { orgName: "dev-123456", baseUrl: "okta.com", apiToken: API_TOKEN }) });
  assert.equal(await pulumi.isSecret(run.team.clientSecret), true);
  for (const r of run.harness.resources) {
    const leaked = plaintextStrings(r.inputs).filter((s) => s.includes(CLIENT_SECRET) || s.includes(API_TOKEN));
    assert.deepEqual(leaked, [], `${r.type} ${r.name} has a plaintext secret input`);
  }
  const provider = run.harness.one(T.provider);
  assert.ok(isSecretInput(provider.inputs.apiToken), "the API token is passed as a secret");
  assert.equal(unwrapAll(provider.inputs.apiToken), API_TOKEN);
  // No resource receives the client secret at all: it only leaves the component as a secret output.
  assert.ok(run.harness.resources.every((r) => !JSON.stringify(unwrapAll(r.inputs)).includes(CLIENT_SECRET)));
});

test("an explicit provider is used by every resource and every data source", async () => {
  const run = await runTeam(seedTeam(DEFAULT_SERVER), {}, { provider: () => new okta.Provider("okta-eng", { orgName: "dev-123456", baseUrl: "okta.com", apiToken: API_TOKEN }) });
  for (const r of run.harness.resources.filter((x) => x.type.startsWith("okta:"))) {
    assert.match(r.provider ?? "", /::pulumi:providers:okta::okta-eng::/, `${r.name} uses the explicit provider`);
  }
  for (const c of run.harness.calls) assert.match(c.provider ?? "", /::pulumi:providers:okta::okta-eng::/, `${c.token} uses the explicit provider`);
});

test("preview: the program declares the same resources", async () => {
  const up = await runTeam(seedTeam(DEFAULT_SERVER));
  const preview = await runTeam(seedTeam(DEFAULT_SERVER), {}, { preview: true });
  assert.deepEqual(
    preview.harness.resources.map((r) => `${r.type}::${r.name}`).sort(),
    up.harness.resources.map((r) => `${r.type}::${r.name}`).sort(),
  );
});
