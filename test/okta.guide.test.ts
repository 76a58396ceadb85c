/**
 * The guide's "Configure Okta" section (seeds/000_2fc8fefa2f109fa3.txt), click by click: each test
 * names the click and asserts the resource property the component declares for it, for the guide's
 * team (plus `mcp-admin`, which the guide's Cedar policy grants but its step 5 forgets to create).
 */
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import * as okta from "@pulumi/okta";
import { CLIENT_ID, CLIENT_SECRET, errorsOf, ORG, runTeam, seedTeam, T, type Run } from "./okta.fixture";
import { valueOf } from "./helpers/pulumiMocks";

let run: Run;
let dev: Run;
let scopeExists: Run;
const input = (r: Run, type: string) => r.harness.one(type).inputs;

before(async () => {
  dev = await runTeam(seedTeam({ environment: "development", endpoint: "http://localhost:8080", okta: { claimFilter: "regexAll" } }));
  scopeExists = await runTeam(seedTeam({ okta: { authServer: { mode: "existing", id: "default" }, groupsScope: "import" } }), {
    scopes: { default: [{ id: "scp-groups", name: "groups" }] },
  });
  run = await runTeam(seedTeam());
});

describe("Step 1: Create a custom authorization server", () => {
  test("Security > API > Authorization Servers > Add Authorization Server → okta.auth.Server", () => {
    assert.equal(run.harness.ofType(T.server).length, 1);
  });
  test("Name: toolhive-engineering → Server.name", () => assert.equal(input(run, T.server).name, "toolhive-engineering"));
  test("Audience: https://<your-vmcp-endpoint> → Server.audiences", () => assert.deepEqual(input(run, T.server).audiences, ["https://vmcp.example.com"]));
  test("Note the Issuer URI → OktaTeam.issuer (https://{domain}/oauth2/{auth-server-id})", async () => {
    assert.equal(await valueOf(run.team.issuer), `${ORG}/oauth2/${run.harness.one(T.server).id}`);
    assert.equal(await valueOf(run.team.authServerId), run.harness.one(T.server).id);
  });
  test("not the Org Authorization Server → config pointing at it is refused", () => {
    assert.ok(errorsOf(seedTeam({ okta: { authServer: { mode: "existing", id: "org" } } })).includes("okta.authserver.org @ vmcp-okta:team.okta.authServer.id"));
  });
  test("or use the pre-built default server → authServer {mode: existing, id: default}: looked up, not created", () => {
    assert.equal(scopeExists.harness.ofType(T.server).length, 0);
    assert.equal(input(scopeExists, T.policy).authServerId, "default");
  });
});

describe("Step 2: Create an OIDC application", () => {
  test("Create App Integration, OIDC - OpenID Connect → okta.app.OAuth", () => assert.equal(run.harness.ofType(T.app).length, 1));
  test("Application type: Web Application (confidential client) → type web, secret sent in the token request", () => {
    assert.equal(input(run, T.app).type, "web");
    assert.equal(input(run, T.app).tokenEndpointAuthMethod, "client_secret_post");
  });
  test("Grant types: Authorization Code and Refresh Token → grantTypes", () => {
    assert.deepEqual(input(run, T.app).grantTypes, ["authorization_code", "refresh_token"]);
    assert.deepEqual(input(run, T.app).responseTypes, ["code"]);
  });
  test("Sign-in redirect URI: https://<your-vmcp-endpoint>/oauth/callback → redirectUris", () => {
    assert.deepEqual(input(run, T.app).redirectUris, ["https://vmcp.example.com/oauth/callback"]);
  });
  test("Assignments: Limit access to selected groups → implicitAssignment false, plus a GroupAssignment per group (step 5)", () => {
    assert.equal(input(run, T.app).implicitAssignment, false);
    assert.equal(run.harness.ofType(T.assignment).length, 3);
  });
  test("Note Client ID and Client Secret → OktaTeam.clientId and OktaTeam.clientSecret (a Pulumi secret)", async () => {
    assert.equal(await valueOf(run.team.clientId), CLIENT_ID);
    assert.equal(await valueOf(run.team.clientSecret), CLIENT_SECRET);
    assert.equal(await pulumi.isSecret(run.team.clientSecret), true);
  });
});

describe("Step 3: Create a groups scope", () => {
  test("Scopes tab > Add Scope → okta.auth.ServerScope on the server", () => {
    assert.equal(input(run, T.scope).authServerId, run.harness.one(T.server).id);
  });
  test("Name: groups → ServerScope.name", () => assert.equal(input(run, T.scope).name, "groups"));
  test("Check Include in public metadata → metadataPublish ALL_CLIENTS", () => assert.equal(input(run, T.scope).metadataPublish, "ALL_CLIENTS"));
  test("If it already exists, skip to step 4 → instead adopted by import, so the stack never deletes or recreates it", () => {
    assert.equal(scopeExists.harness.one(T.scope).importId, "default/scp-groups");
  });
});

describe("Step 4: Add a groups claim to the access token", () => {
  test("Claims tab > Add Claim → okta.auth.ServerClaim", () => assert.equal(run.harness.ofType(T.claim).length, 1));
  test("Name: groups → ServerClaim.name", () => assert.equal(input(run, T.claim).name, "groups"));
  test("Include in token type: Access Token → claimType RESOURCE", () => assert.equal(input(run, T.claim).claimType, "RESOURCE"));
  test("Value type: Groups → valueType GROUPS", () => assert.equal(input(run, T.claim).valueType, "GROUPS"));
  test("Filter: Starts with mcp- → groupFilterType STARTS_WITH, value = the group prefix", () => {
    assert.equal(input(run, T.claim).groupFilterType, "STARTS_WITH");
    assert.equal(input(run, T.claim).value, "mcp-");
  });
  test("Include in: Any scope → no scopes list", () => assert.equal("scopes" in input(run, T.claim), false));
  test("Disable claim: unchecked → status ACTIVE", () => assert.equal(input(run, T.claim).status, "ACTIVE"));
  test("dev/test: Matches regex .* → REGEX and .* declared together (never .* under Starts with)", () => {
    assert.equal(input(dev, T.claim).groupFilterType, "REGEX");
    assert.equal(input(dev, T.claim).value, ".*");
  });
  test("Do not use this in production → refused for production stacks", () => {
    assert.ok(errorsOf(seedTeam({ okta: { claimFilter: "regexAll" } })).includes("okta.claim-filter.production @ vmcp-okta:team.okta.claimFilter"));
  });
});

describe("Step 5: Create groups and assign users", () => {
  test("Directory > Groups > Add Group: mcp-developers and mcp-platform (with descriptions), and mcp-admin → okta.group.Group", () => {
    assert.deepEqual(
      run.harness.ofType(T.group).map((g) => [g.inputs.name, g.inputs.description]),
      [
        ["mcp-developers", "Engineers who use the MCP tools day to day"],
        ["mcp-platform", "Platform engineers, including destructive cluster tools"],
        ["mcp-admin", "Escape hatch with full access"],
      ],
    );
  });
  test("Members tab > Assign people → okta.GroupMemberships per group with the users' ids, looked up by login", () => {
    const groupIds = new Map(run.harness.ofType(T.group).map((g) => [g.id, g.inputs.name]));
    assert.deepEqual(
      run.harness.ofType(T.memberships).map((m) => [groupIds.get(String(m.inputs.groupId)), m.inputs.users]),
      [
        ["mcp-developers", ["00u-alice"]],
        ["mcp-platform", ["00u-bob"]],
        ["mcp-admin", ["00u-carol", "00u-alice"]],
      ],
    );
  });
  test("Applications > your app > Assignments > Assign to Groups, each group → okta.app.GroupAssignment (the most commonly missed step)", () => {
    const app = run.harness.one(T.app);
    const groupIds = run.harness.ofType(T.group).map((g) => g.id);
    assert.deepEqual(
      run.harness.ofType(T.assignment).map((a) => [a.inputs.appId, a.inputs.groupId]),
      groupIds.map((g) => [app.id, g]),
    );
  });
});

describe("Step 6: Add an access policy", () => {
  test("Access Policies tab > Add Policy → okta.auth.ServerPolicy (named per team so teams can share a server)", () => {
    assert.equal(input(run, T.policy).name, "vmcp-engineering");
    assert.equal(input(run, T.policy).authServerId, run.harness.one(T.server).id);
  });
  test("Assign to: All clients → clientWhitelists ALL_CLIENTS", () => assert.deepEqual(input(run, T.policy).clientWhitelists, ["ALL_CLIENTS"]));
  test("Add Rule, Name: allow-authcode → okta.auth.ServerPolicyRule in the policy", () => {
    assert.equal(input(run, T.rule).name, "allow-authcode");
    assert.equal(input(run, T.rule).policyId, run.harness.one(T.policy).id);
  });
  test("Grant type: Authorization Code → grantTypeWhitelists", () => assert.deepEqual(input(run, T.rule).grantTypeWhitelists, ["authorization_code"]));
  test("Scopes: openid, profile, groups, offline_access → scopeWhitelists", () => {
    assert.deepEqual(input(run, T.rule).scopeWhitelists, ["openid", "profile", "groups", "offline_access"]);
  });
  test("Access token lifetime: 1 hour → accessTokenLifetimeMinutes 60", () => assert.equal(input(run, T.rule).accessTokenLifetimeMinutes, 60));
  test("Refresh token lifetime: 24 hours → refreshTokenLifetimeMinutes 1440, window no longer than the lifetime", () => {
    assert.equal(input(run, T.rule).refreshTokenLifetimeMinutes, 1440);
    assert.equal(input(run, T.rule).refreshTokenWindowMinutes, 1440);
  });
  test("The groups scope must already exist for the scope picker → the rule depends on the scope resource", async () => {
    const deps = await Promise.all(([] as unknown[]).concat(run.options.get("engineering-policy-rule")?.dependsOn ?? []));
    assert.ok(deps.some((d) => d instanceof okta.auth.ServerScope));
  });
});

describe("Consistency checklist", () => {
  test("Okta group names, claim filter and Cedar THVGroup ids match exactly, side by side", async () => {
    const report = await valueOf(run.team.consistencyReport);
    assert.equal(report.ok, true);
    assert.deepEqual(
      report.rows.map((r) => [r.oktaGroup, r.inClaim, r.cedarGroup]),
      [
        ["mcp-developers", true, 'THVGroup::"mcp-developers"'],
        ["mcp-platform", true, 'THVGroup::"mcp-platform"'],
        ["mcp-admin", true, 'THVGroup::"mcp-admin"'],
      ],
    );
    assert.deepEqual(await valueOf(run.team.groupNames), ["mcp-developers", "mcp-platform", "mcp-admin"]);
  });
});
