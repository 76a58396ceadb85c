/**
 * validateOkta: defaults, modes, and bad configuration. Every bad case asserts the error code and
 * the config path, never the wording.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { errorsOf, seedTeam, specs, validate } from "./okta.fixture";
import { OKTA_SCOPES } from "../components/okta/types";

const R = "vmcp-okta:team.okta";

test("defaults: a created server, the guide's names, lifetimes 1 h / 24 h with the window set explicitly", () => {
  const { okta } = specs(seedTeam());
  assert.deepEqual(okta.authServer, {
    mode: "create",
    name: "toolhive-engineering",
    description: "ToolHive vMCP for team engineering",
    audience: "https://vmcp.example.com",
    issuerMode: "ORG_URL",
  });
  assert.equal(okta.groupsScope, "create");
  assert.deepEqual(okta.claim, { name: "groups", filter: { type: "STARTS_WITH", value: "mcp-" } });
  assert.equal(okta.membership, "exclusive");
  assert.deepEqual(okta.tokens, { accessTokenLifetimeMinutes: 60, refreshTokenLifetimeMinutes: 1440, refreshTokenWindowMinutes: 1440 });
  assert.deepEqual(okta.policy, {
    name: "vmcp-engineering",
    description: "vMCP access for team engineering: authorization code with openid, profile, groups, offline_access",
    priority: 1,
    priorityDrifts: false,
    clients: "all",
    ruleName: "allow-authcode",
    rulePriority: 1,
  });
  assert.deepEqual(okta.app, {
    label: "vmcp-engineering",
    redirectUri: "https://vmcp.example.com/oauth/callback",
    tokenEndpointAuthMethod: "client_secret_post",
    pkceRequired: true,
    refreshTokenRotation: "STATIC",
    refreshTokenLeewaySeconds: undefined,
  });
  assert.deepEqual(okta.scopes, OKTA_SCOPES);
});

test("existing server: the pre-built default (name defaults to the id), team-owned unless shared", () => {
  const { okta } = specs(seedTeam({ okta: { authServer: { mode: "existing", id: "default" } } }));
  assert.deepEqual(okta.authServer, { mode: "existing", id: "default", name: "default", shared: false });
  assert.equal(okta.groupsScope, "create");
  assert.equal(okta.policy.clients, "all");
  const imported = specs(seedTeam({ okta: { authServer: { mode: "existing", id: "default" }, groupsScope: "import" } })).okta;
  assert.equal(imported.groupsScope, "import");
});

test("shared server: the scope is only verified and the policy is limited to the team's app", () => {
  const { okta } = specs(seedTeam({ okta: { authServer: { mode: "existing", id: "aus1shared", name: "mcp-shared", shared: true } } }));
  assert.deepEqual(okta.authServer, { mode: "existing", id: "aus1shared", name: "mcp-shared", shared: true });
  assert.equal(okta.groupsScope, "verify");
  assert.equal(okta.policy.clients, "app");
});

test("overrides: lifetimes, window, membership, app settings, policy", () => {
  const { okta } = specs(
    seedTeam({
      okta: {
        accessTokenLifetimeMinutes: 30,
        refreshTokenLifetimeMinutes: 10080,
        refreshTokenWindowMinutes: 4320,
        membership: "additive",
        policy: { name: "eng-policy", priority: 3, clients: "app" },
        app: { label: "Engineering MCP", tokenEndpointAuthMethod: "client_secret_basic", pkceRequired: false, refreshTokenRotation: "ROTATE" },
      },
    }),
  );
  assert.deepEqual(okta.tokens, { accessTokenLifetimeMinutes: 30, refreshTokenLifetimeMinutes: 10080, refreshTokenWindowMinutes: 4320 });
  assert.equal(okta.membership, "additive");
  assert.equal(okta.policy.name, "eng-policy");
  assert.equal(okta.policy.priority, 3);
  assert.equal(okta.policy.clients, "app");
  assert.equal(okta.app.label, "Engineering MCP");
  assert.equal(okta.app.tokenEndpointAuthMethod, "client_secret_basic");
  assert.equal(okta.app.pkceRequired, false);
  assert.equal(okta.app.refreshTokenRotation, "ROTATE");
  assert.equal(okta.app.refreshTokenLeewaySeconds, 30, "ROTATE gets Okta's default leeway explicitly");
});

test("the claim takes the Cedar group claim name", () => {
  const { okta } = specs(seedTeam({ cedar: { groupClaimName: "mcp_groups" } }));
  assert.equal(okta.claim.name, "mcp_groups");
});

test("regex .* claim filter: allowed in development with a warning", () => {
  const { okta, warnings } = specs(seedTeam({ environment: "development", endpoint: "http://localhost:8080", okta: { claimFilter: "regexAll" } }));
  assert.deepEqual(okta.claim.filter, { type: "REGEX", value: ".*" });
  assert.ok(warnings.some((w) => w.code === "okta.claim-filter.regex-dev" && w.path === `${R}.claimFilter`));
});

test("a group without members is a warning naming its members key", () => {
  const input = seedTeam();
  (input.groups as Record<string, unknown>).auditors = { description: "Read-only" };
  const { warnings } = specs(input);
  assert.ok(warnings.some((w) => w.code === "okta.group.no-members" && w.path === "vmcp-okta:team.groups.auditors.members"));
});

/** [description, okta section (or team overrides), expected `code @ path`]. */
const BAD: [string, Record<string, unknown>, string][] = [
  ["regex filter on a production stack", { okta: { claimFilter: "regexAll" } }, `okta.claim-filter.production @ ${R}.claimFilter`],
  ["unknown filter value", { okta: { claimFilter: "contains" } }, `okta.invalid-value @ ${R}.claimFilter`],
  ["Org authorization server by mode", { okta: { authServer: { mode: "org" } } }, `okta.authserver.org @ ${R}.authServer.mode`],
  ["Org authorization server by id", { okta: { authServer: { mode: "existing", id: "org" } } }, `okta.authserver.org @ ${R}.authServer.id`],
  ["Org authorization server by issuer URL", { okta: { authServer: { mode: "existing", id: "https://dev-123456.okta.com" } } }, `okta.authserver.org @ ${R}.authServer.id`],
  ["Org authorization server's v1 endpoints", { okta: { authServer: { mode: "existing", id: "v1" } } }, `okta.authserver.org @ ${R}.authServer.id`],
  ["issuer URL instead of an id", { okta: { authServer: { mode: "existing", id: "https://dev-123456.okta.com/oauth2/default" } } }, `okta.authserver.url @ ${R}.authServer.id`],
  ["existing server without id", { okta: { authServer: { mode: "existing" } } }, `okta.authserver.id-required @ ${R}.authServer.id`],
  ["shared flag on a created server", { okta: { authServer: { shared: true } } }, `okta.authserver.existing-only @ ${R}.authServer.shared`],
  ["description on an existing server", { okta: { authServer: { mode: "existing", id: "default", description: "x" } } }, `okta.authserver.create-only @ ${R}.authServer.description`],
  ["import the groups scope of a server the stack creates", { okta: { groupsScope: "import" } }, `okta.groups-scope.new-server @ ${R}.groupsScope`],
  ["groups scope mode on a shared server", { okta: { authServer: { mode: "existing", id: "aus1", shared: true }, groupsScope: "create" } }, `okta.groups-scope.shared @ ${R}.groupsScope`],
  ["claim filter on a shared server", { okta: { authServer: { mode: "existing", id: "aus1", shared: true }, claimFilter: "startsWith" } }, `okta.claim-filter.shared @ ${R}.claimFilter`],
  ["policy for all clients on a shared server", { okta: { authServer: { mode: "existing", id: "aus1", shared: true }, policy: { clients: "all" } } }, `okta.policy.clients-shared @ ${R}.policy.clients`],
  ["access token lifetime above Okta's maximum", { okta: { accessTokenLifetimeMinutes: 2000 } }, `okta.lifetime.range @ ${R}.accessTokenLifetimeMinutes`],
  ["access token lifetime below Okta's minimum", { okta: { accessTokenLifetimeMinutes: 1 } }, `okta.lifetime.range @ ${R}.accessTokenLifetimeMinutes`],
  ["refresh lifetime shorter than the access lifetime", { okta: { accessTokenLifetimeMinutes: 120, refreshTokenLifetimeMinutes: 60 } }, `okta.lifetime.range @ ${R}.refreshTokenLifetimeMinutes`],
  ["refresh window beyond the refresh lifetime (Okta's 7-day default)", { okta: { refreshTokenWindowMinutes: 10080 } }, `okta.lifetime.window @ ${R}.refreshTokenWindowMinutes`],
  ["refresh window shorter than the access lifetime", { okta: { refreshTokenWindowMinutes: 30 } }, `okta.lifetime.window @ ${R}.refreshTokenWindowMinutes`],
  ["lifetime not a number", { okta: { accessTokenLifetimeMinutes: "1h" } }, `okta.invalid-type @ ${R}.accessTokenLifetimeMinutes`],
  ["unknown membership mode", { okta: { membership: "authoritative" } }, `okta.invalid-value @ ${R}.membership`],
  ["misspelled key", { okta: { accesTokenLifetimeMinutes: 30 } }, `config.unknown-key @ ${R}.accesTokenLifetimeMinutes`],
  ["misspelled nested key", { okta: { app: { lable: "x" } } }, `config.unknown-key @ ${R}.app.lable`],
  ["leeway without rotation", { okta: { app: { refreshTokenLeewaySeconds: 10 } } }, `okta.app.leeway @ ${R}.app.refreshTokenLeewaySeconds`],
  ["leeway out of range", { okta: { app: { refreshTokenRotation: "ROTATE", refreshTokenLeewaySeconds: 600 } } }, `okta.app.leeway @ ${R}.app.refreshTokenLeewaySeconds`],
  ["policy priority zero", { okta: { policy: { priority: 0 } } }, `okta.policy.priority @ ${R}.policy.priority`],
  ["okta section not a mapping", { okta: "default" }, `config.invalid @ ${R}`],
  ["authServer not a mapping", { okta: { authServer: "default" } }, `okta.invalid-type @ ${R}.authServer`],
  ["nested Cedar group claim cannot be an Okta claim", { cedar: { groupClaimName: "realm_access.roles" } }, "okta.claim.name @ vmcp-okta:team.cedar.groupClaimName"],
  ["reserved claim name", { cedar: { groupClaimName: "sub" } }, "okta.claim.name @ vmcp-okta:team.cedar.groupClaimName"],
];

for (const [name, over, expected] of BAD) {
  test(`bad config: ${name}`, () => {
    const errors = errorsOf(seedTeam(over));
    assert.ok(errors.includes(expected), `expected ${expected}, got ${JSON.stringify(errors)}`);
  });
}

test("every error names a fix; no OktaSpec is returned when there is an error", () => {
  const v = validate(seedTeam({ okta: { claimFilter: "regexAll", refreshTokenWindowMinutes: 99999, authServer: { mode: "existing", id: "org" } } }));
  assert.equal(v.okta, undefined);
  assert.ok(v.problems.errors.length >= 3);
  for (const p of v.problems.errors) assert.ok(p.fix && p.fix.length > 0, `${p.code} has no fix`);
});

test("did-you-mean on a misspelled key", () => {
  const v = validate(seedTeam({ okta: { membershp: "additive" } }));
  const p = v.problems.errors.find((x) => x.code === "config.unknown-key");
  assert.equal(p?.fix, "did you mean `membership`?");
});

test("the issuer URL of a custom server suggests its id", () => {
  const v = validate(seedTeam({ okta: { authServer: { mode: "existing", id: "https://dev-123456.okta.com/oauth2/aus1abc" } } }));
  assert.equal(v.problems.errors.find((x) => x.code === "okta.authserver.url")?.fix, "use id: aus1abc");
});
