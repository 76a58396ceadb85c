/** Pure derivations: names, redirect URI, filters, the consistency report, the shared-server claim check. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { seedTeam, specs } from "./okta.fixture";
import {
  appLabelFor,
  authServerNameFor,
  checkSharedClaim,
  consistencyReport,
  consistencyReportToMarkdown,
  filterMatches,
  pointsAtOrgServer,
  policyNameFor,
  redirectUriFor,
  serverIdFromIssuer,
  type ObservedClaim,
} from "../components/okta/derive";

test("names and the redirect URI derive from the team and its endpoint", () => {
  assert.equal(redirectUriFor("https://vmcp.example.com"), "https://vmcp.example.com/oauth/callback");
  assert.equal(redirectUriFor("http://localhost:8080"), "http://localhost:8080/oauth/callback");
  assert.equal(appLabelFor("engineering"), "vmcp-engineering");
  assert.equal(authServerNameFor("engineering"), "toolhive-engineering");
  assert.equal(policyNameFor("data"), "vmcp-data");
});

test("filters: Starts with is a plain prefix (so .* under Starts with matches nothing); regex must match the whole name", () => {
  assert.equal(filterMatches({ type: "STARTS_WITH", value: "mcp-" }, "mcp-developers"), true);
  assert.equal(filterMatches({ type: "STARTS_WITH", value: "mcp-" }, "MCP-developers"), false);
  assert.equal(filterMatches({ type: "STARTS_WITH", value: ".*" }, "mcp-developers"), false, "the guide's dropdown gotcha");
  assert.equal(filterMatches({ type: "REGEX", value: ".*" }, "mcp-developers"), true);
  assert.equal(filterMatches({ type: "REGEX", value: "mcp" }, "mcp-developers"), false);
  assert.equal(filterMatches({ type: "REGEX", value: "(" }, "mcp-developers"), false);
});

test("consistency report: group names, claim filter and Cedar ids side by side, from the one group list", () => {
  const { spec, okta } = specs(seedTeam());
  const r = consistencyReport(spec, okta);
  assert.equal(r.ok, true);
  assert.equal(r.claimName, "groups");
  assert.deepEqual(r.claimFilter, { type: "STARTS_WITH", value: "mcp-", source: "declared" });
  assert.deepEqual(
    r.rows.map((x) => [x.oktaGroup, x.inClaim, x.cedarGroup, x.cedarGroupId, x.granted]),
    [
      ["mcp-developers", true, 'THVGroup::"mcp-developers"', "mcp-developers", true],
      ["mcp-platform", true, 'THVGroup::"mcp-platform"', "mcp-platform", true],
      // The guide's Cedar policy grants mcp-admin but its step 5 never creates the group; here it is in the list.
      ["mcp-admin", true, 'THVGroup::"mcp-admin"', "mcp-admin", true],
    ],
  );
  assert.deepEqual(r.rows[2].members, ["carol@example.com", "alice@example.com"]);
  const md = consistencyReportToMarkdown(r);
  assert.match(md, /\| mcp-admin \| yes \| `THVGroup::"mcp-admin"` \| 2 \| yes \|/);
});

test("consistency report flags a group the observed claim filter would drop", () => {
  const { spec, okta } = specs(seedTeam());
  const r = consistencyReport(spec, okta, { type: "STARTS_WITH", value: "mcp-dev" });
  assert.equal(r.ok, false);
  assert.equal(r.claimFilter.source, "shared-server");
  assert.deepEqual(r.rows.filter((x) => !x.inClaim).map((x) => x.oktaGroup), ["mcp-platform", "mcp-admin"]);
  assert.equal(r.mismatches.length, 2);
  assert.match(consistencyReportToMarkdown(r), /\*\*no\*\*/);
});

const groupsClaim = (over: Partial<ObservedClaim> = {}): ObservedClaim => ({
  name: "groups",
  claimType: "RESOURCE",
  valueType: "GROUPS",
  value: "mcp-",
  status: "ACTIVE",
  scopes: [],
  ...over,
});
const names = ["mcp-developers", "mcp-platform", "mcp-admin"];

test("shared claim check accepts a covering prefix, a shorter prefix, a covering regex, and a claim tied to the groups scope", () => {
  assert.deepEqual(checkSharedClaim([groupsClaim()], "groups", names), { claim: groupsClaim(), filter: { type: "STARTS_WITH", value: "mcp-" } });
  assert.ok("claim" in checkSharedClaim([groupsClaim({ value: "mcp" })], "groups", names));
  const regex = checkSharedClaim([groupsClaim({ value: "mcp-.*" })], "groups", names);
  assert.ok("filter" in regex && regex.filter.type === "REGEX");
  assert.ok("claim" in checkSharedClaim([groupsClaim({ scopes: ["groups"] })], "groups", names));
  // An ID-token claim of the same name next to a good access-token claim does not hide it.
  assert.ok("claim" in checkSharedClaim([groupsClaim({ claimType: "IDENTITY" }), groupsClaim()], "groups", names));
});

test("shared claim check rejects, with reasons, every way the guide's claim can be wrong", () => {
  const cases: [ObservedClaim[], RegExp][] = [
    [[], /no claim named groups/],
    [[groupsClaim({ value: "eng-" })], /does not cover mcp-developers, mcp-platform, mcp-admin/],
    [[groupsClaim({ value: "mcp-dev" })], /does not cover mcp-platform, mcp-admin/],
    [[groupsClaim({ claimType: "IDENTITY" })], /ID-token claim/],
    [[groupsClaim({ valueType: "EXPRESSION" })], /value type is EXPRESSION/],
    [[groupsClaim({ status: "INACTIVE" })], /INACTIVE/],
    [[groupsClaim({ scopes: ["profile"] })], /only included for scopes profile/],
  ];
  for (const [claims, reason] of cases) {
    const r = checkSharedClaim(claims, "groups", names);
    assert.ok("reasons" in r, `expected a rejection for ${JSON.stringify(claims)}`);
    assert.match(r.reasons.join("; "), reason);
  }
});

test("Org authorization server references are recognised; custom servers are not", () => {
  for (const v of ["org", "Org Authorization Server", "v1", "https://dev-123456.okta.com", "https://dev-123456.okta.com/oauth2/v1/authorize"]) {
    assert.equal(pointsAtOrgServer(v), true, v);
  }
  for (const v of ["default", "aus1abc", "https://dev-123456.okta.com/oauth2/default"]) assert.equal(pointsAtOrgServer(v), false, v);
  assert.equal(serverIdFromIssuer("https://dev-123456.okta.com/oauth2/aus1abc"), "aus1abc");
  assert.equal(serverIdFromIssuer("https://dev-123456.okta.com"), undefined);
});
