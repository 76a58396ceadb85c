/**
 * Pure derivations for the Okta side: names, the redirect URI, the claim filter and the consistency
 * report. Everything here is a function of the TeamSpec (and the validated OktaSpec), so the CLI, the
 * Pulumi component and the tests compute the same values from the same group list.
 */
import type { TeamSpec } from "../spec/types";
import { DEFAULT_GROUP_CLAIM, type ClaimFilter, type OktaSpec } from "./types";

/** The callback vMCP's embedded auth server serves; the VirtualMCPServer uses the same value. */
export function redirectUriFor(endpoint: string): string {
  return `${endpoint.replace(/\/+$/, "")}/oauth/callback`;
}

/** One OIDC app per team stack (the guide: never reuse an app of another service). */
export function appLabelFor(team: string): string {
  return `vmcp-${team}`;
}

/** The guide's example name is `toolhive-engineering`. */
export function authServerNameFor(team: string): string {
  return `toolhive-${team}`;
}

/** Policy names are unique per server; the team name keeps them apart on a shared server. */
export function policyNameFor(team: string): string {
  return `vmcp-${team}`;
}

export const RULE_NAME = "allow-authcode";

/** The Okta claim name: the claim Cedar reads groups from (ToolHive falls back to `groups`). */
export function groupClaimNameFor(spec: Pick<TeamSpec, "cedar">): string {
  return spec.cedar.groupClaimName ?? DEFAULT_GROUP_CLAIM;
}

/** `Starts with <prefix>`, or the development-only `Matches regex .*`. */
export function claimFilterFor(spec: Pick<TeamSpec, "groupPrefix">, regexAll: boolean): ClaimFilter {
  return regexAll ? { type: "REGEX", value: ".*" } : { type: "STARTS_WITH", value: spec.groupPrefix };
}

/**
 * Whether Okta would put a group of this name into the claim. Okta's regex filter must match the
 * whole name, hence the anchors.
 */
export function filterMatches(filter: ClaimFilter, groupName: string): boolean {
  if (filter.type === "STARTS_WITH") return filter.value.length > 0 && groupName.startsWith(filter.value);
  try {
    return new RegExp(`^(?:${filter.value})$`).test(groupName);
  } catch {
    return false;
  }
}

export interface ConsistencyRow {
  shortName: string;
  /** Okta group name (step 5). */
  oktaGroup: string;
  /** Whether the claim filter (step 4) lets this group into the token. */
  inClaim: boolean;
  /** The Cedar principal's group entity, e.g. `THVGroup::"mcp-developers"`. */
  cedarGroup: string;
  /** The id inside the entity; must equal the Okta group name exactly, including case. */
  cedarGroupId: string;
  members: string[];
  /** Whether any policy grants the group something (a group without grants is denied everything). */
  granted: boolean;
}

export interface ConsistencyReport {
  claimName: string;
  claimFilter: ClaimFilter & { source: "declared" | "shared-server" };
  groupPrefix: string;
  rows: ConsistencyRow[];
  /** True when every group is in the claim and every Cedar id equals its Okta name. */
  ok: boolean;
  mismatches: string[];
}

function cedarEntity(type: string, id: string): string {
  return `${type}::${JSON.stringify(id)}`;
}

/**
 * The guide's consistency checklist (group names, claim filter, Cedar ids), side by side and all
 * derived from the one group list. `filter` overrides the declared filter (shared server: the claim
 * the server owner configured).
 */
export function consistencyReport(
  spec: Pick<TeamSpec, "groups" | "groupPrefix" | "cedar">,
  okta: Pick<OktaSpec, "claim">,
  observed?: ClaimFilter,
): ConsistencyReport {
  const filter = observed ?? okta.claim.filter;
  const rows: ConsistencyRow[] = spec.groups.map((g) => ({
    shortName: g.shortName,
    oktaGroup: g.name,
    inClaim: filterMatches(filter, g.name),
    cedarGroup: cedarEntity(spec.cedar.groupEntityType, g.name),
    cedarGroupId: g.name,
    members: [...g.members],
    granted: g.allowAll || g.allow.length > 0,
  }));
  const mismatches: string[] = [];
  for (const r of rows) {
    if (!r.inClaim) mismatches.push(`group ${r.oktaGroup} does not pass the claim filter ${describeFilter(filter)}: its members' tokens would not carry it`);
    if (r.cedarGroupId !== r.oktaGroup) mismatches.push(`Cedar id ${r.cedarGroupId} differs from Okta group ${r.oktaGroup}`);
  }
  return {
    claimName: okta.claim.name,
    claimFilter: { ...filter, source: observed ? "shared-server" : "declared" },
    groupPrefix: spec.groupPrefix,
    rows,
    ok: mismatches.length === 0,
    mismatches,
  };
}

/** A consistency row without its member list (logins are personal data; they stay out of outputs and state). */
export type PublicConsistencyRow = Omit<ConsistencyRow, "members"> & { memberCount: number };
export type PublicConsistencyReport = Omit<ConsistencyReport, "rows"> & { rows: PublicConsistencyRow[] };

/** The consistency report with member counts instead of logins. */
export function publicConsistencyReport(r: ConsistencyReport): PublicConsistencyReport {
  return { ...r, rows: r.rows.map(({ members, ...row }) => ({ ...row, memberCount: members.length })) };
}

export function describeFilter(f: ClaimFilter): string {
  return f.type === "STARTS_WITH" ? `Starts with "${f.value}"` : `Matches regex "${f.value}"`;
}

export function consistencyReportToMarkdown(r: ConsistencyReport): string {
  const lines = [
    `Claim \`${r.claimName}\` (access token), filter: ${describeFilter(r.claimFilter)}${r.claimFilter.source === "shared-server" ? " (from the shared server)" : ""}`,
    "",
    "| Okta group (step 5) | in claim (step 4) | Cedar principal group | members | granted |",
    "|---|---|---|---|---|",
    ...r.rows.map((x) => `| ${x.oktaGroup} | ${x.inClaim ? "yes" : "**no**"} | \`${x.cedarGroup}\` | ${x.members.length} | ${x.granted ? "yes" : "no"} |`),
  ];
  if (!r.ok) lines.push("", ...r.mismatches.map((m) => `- ${m}`));
  return lines.join("\n");
}

/** A claim as the provider's `getAuthServerClaims` data source returns it. */
export interface ObservedClaim {
  name: string;
  claimType: string;
  valueType: string;
  value: string;
  status: string;
  scopes: string[];
}

/**
 * Checks a shared server's claims: there must be an active access-token claim of value type GROUPS
 * named `claimName` whose filter lets every team group through, included in any scope or in the
 * `groups` scope. The data source does not return the filter type, so the value is accepted when it is
 * a prefix of every group name (a Starts-with filter) or a regex that matches every group name.
 * Returns the matching claim, or the reasons none matched.
 */
export function checkSharedClaim(
  claims: readonly ObservedClaim[],
  claimName: string,
  groupNames: readonly string[],
): { claim: ObservedClaim; filter: ClaimFilter } | { reasons: string[] } {
  const named = claims.filter((c) => c.name === claimName);
  if (named.length === 0) return { reasons: [`the server has no claim named ${claimName}`] };
  const reasons: string[] = [];
  for (const c of named) {
    const why: string[] = [];
    if (c.claimType !== "RESOURCE") why.push(`it is an ${c.claimType === "IDENTITY" ? "ID-token" : c.claimType} claim, not an access-token (RESOURCE) claim`);
    if (c.valueType !== "GROUPS") why.push(`its value type is ${c.valueType}, not GROUPS`);
    if (c.status !== "ACTIVE") why.push(`it is ${c.status}`);
    if (c.scopes.length > 0 && !c.scopes.includes("groups")) why.push(`it is only included for scopes ${c.scopes.join(", ")}`);
    const asPrefix: ClaimFilter = { type: "STARTS_WITH", value: c.value };
    const asRegex: ClaimFilter = { type: "REGEX", value: c.value };
    const filter = groupNames.every((g) => filterMatches(asPrefix, g)) ? asPrefix : groupNames.every((g) => filterMatches(asRegex, g)) ? asRegex : undefined;
    if (!filter) why.push(`its filter value "${c.value}" does not cover ${groupNames.filter((g) => !filterMatches(asPrefix, g) && !filterMatches(asRegex, g)).join(", ")}`);
    if (why.length === 0 && filter) return { claim: c, filter };
    reasons.push(`claim ${c.name}: ${why.join("; ")}`);
  }
  return { reasons };
}

/** Values that name Okta's Org authorization server rather than a custom one. */
const ORG_SERVER_NAMES = new Set(["org", "okta", "v1", "org authorization server", "org-authorization-server", "org_authorization_server"]);

/**
 * Whether a configured server reference points at the Org authorization server: its well-known
 * names, or an issuer URL with no `/oauth2/<id>` (the Org server's issuer is the bare org URL and its
 * endpoints live under `/oauth2/v1`).
 */
export function pointsAtOrgServer(ref: string): boolean {
  const v = ref.trim().toLowerCase();
  if (ORG_SERVER_NAMES.has(v)) return true;
  if (/^https?:\/\//.test(v)) {
    const m = /^https?:\/\/[^/]+\/oauth2\/([^/?#]+)/.exec(v);
    return !m || m[1] === "v1";
  }
  return false;
}

/** The server id in a custom server's issuer URL (`https://org/oauth2/<id>`), if it is one. */
export function serverIdFromIssuer(url: string): string | undefined {
  const m = /^https?:\/\/[^/]+\/oauth2\/([^/?#]+)\/?$/.exec(url.trim());
  return m && m[1] !== "v1" ? m[1] : undefined;
}
