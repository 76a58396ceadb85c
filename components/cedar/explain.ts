/**
 * `why`: one decision explained in words, with the likely cause when the answer is a default deny.
 */
import type { CompiledTeam } from "../compile";
import type { AuthzRequest, Decision } from "./authorizer";
import { advertisedItems, lookupAdvertised, notAdvertisedMessage, type AdvertisedKind, type AdvertisedLookup } from "../spec/advertised";

export interface Explanation {
  decision: Decision;
  /** Likely causes of a deny, most specific first. */
  causes: string[];
  /** Whether this team's vMCP advertises the target at all (a call to a name it does not advertise fails, whatever the policy). */
  advertised: AdvertisedLookup;
  /** Set when the target is not advertised: the sentence, with the advertised name to use instead. */
  notAdvertised?: string;
  text: string;
}

const RESOURCE_TYPE = { call_tool: "Tool", get_prompt: "Prompt", read_resource: "Resource" } as const;
const KIND: Record<AuthzRequest["action"], AdvertisedKind> = { call_tool: "tool", get_prompt: "prompt", read_resource: "resource" };

/** Whether the team advertises a request's target, and the sentence to show when it does not. */
export function advertisedTarget(spec: CompiledTeam["spec"], action: AuthzRequest["action"], name: string): { lookup: AdvertisedLookup; message?: string } {
  const kind = KIND[action];
  const lookup = lookupAdvertised(spec, kind, name);
  return { lookup, message: lookup.status === "not-advertised" ? notAdvertisedMessage(kind, name, lookup, advertisedItems(spec, kind)) : undefined };
}

export function explainDecision(team: CompiledTeam, req: AuthzRequest): Explanation {
  const { spec, policies, authorizer } = team;
  const d = authorizer.authorize(req);
  const lines: string[] = [];
  const causes: string[] = [];
  const declared = spec.groups.map((g) => g.name);

  const resource = `${RESOURCE_TYPE[req.action]}::${JSON.stringify(req.resourceId)}`;
  lines.push(`request: Action::"${req.action}" on ${resource} (parent MCP::"${spec.serverName}")`);
  if (!req.claims) {
    lines.push("principal: none (the request carries no identity)");
  } else {
    lines.push(`principal: ${d.principal ? `Client::${JSON.stringify(d.principal)}` : "(none: sub is missing, empty or not a string)"}`);
    lines.push(
      d.groupSource
        ? `groups (from claim "${d.groupSource}"): ${d.groups.length ? d.groups.map((g) => `${spec.cedar.groupEntityType}::${JSON.stringify(g)}`).join(", ") : "(empty)"}`
        : "groups: none (the token has no groups, roles or cognito:groups claim" + (spec.cedar.groupClaimName ? ` and no ${spec.cedar.groupClaimName}` : "") + ")",
    );
  }

  const target = advertisedTarget(spec, req.action, req.resourceId);
  if (d.allowed) {
    lines.push(`decision: ALLOW, by ${d.policies.join(", ")}`);
    if (target.message) lines.push(`  but: ${target.message}, so a call fails before any policy applies`);
  } else if (d.errors.length > 0) {
    lines.push("decision: DENY");
    for (const e of d.errors) causes.push(`error: ${e} (ToolHive denies on any evaluation error; guard optional attributes with \`has\`)`);
  } else if (d.policies.length > 0) {
    lines.push(`decision: DENY, by forbid ${d.policies.join(", ")}`);
    causes.push(`explicitly forbidden by ${d.policies.join(", ")}`);
  } else {
    lines.push("decision: DENY (no policy permits it: Cedar's default deny)");
    if (!req.claims) causes.push("no token: every call is denied without an identity");
    else if (!d.principal) causes.push("the token has no usable sub claim; ToolHive denies without a principal");
    if (req.claims && d.groupSource === undefined) {
      causes.push("the token carries no groups claim at all: check the Okta groups claim (access token, value type Groups), that the groups scope is requested, and that the app is assigned to the user's groups");
    } else if (req.claims && d.groups.length === 0) {
      causes.push(`the groups claim is empty: the user is in no group starting with "${spec.groupPrefix}" (or the app is not assigned to the group)`);
    }
    for (const g of d.groups) {
      if (declared.includes(g)) continue;
      const twin = declared.find((x) => x.toLowerCase() === g.toLowerCase());
      if (twin) causes.push(`token group "${g}" differs from the declared "${twin}" only in case; Cedar ids are case-sensitive`);
      else if (!g.startsWith(spec.groupPrefix)) causes.push(`token group "${g}" does not start with the prefix "${spec.groupPrefix}", so the Okta claim filter would not emit it and no policy names it`);
      else causes.push(`token group "${g}" is not mentioned by any policy`);
    }
    if (target.message) causes.push(target.message);
    const matchingGroups = d.groups.filter((g) => declared.includes(g));
    if (matchingGroups.length > 0 && causes.length === 0) {
      const granted = policies.filter((p) => p.group && matchingGroups.includes(p.group)).map((p) => p.id);
      causes.push(
        granted.length
          ? `the user's groups (${matchingGroups.join(", ")}) have grants (${granted.join(", ")}), but none covers this ${RESOURCE_TYPE[req.action].toLowerCase()}`
          : `the user's groups (${matchingGroups.join(", ")}) have no grants`,
      );
    }
  }
  if (!d.allowed && target.message && !causes.includes(target.message)) lines.push(`  note: ${target.message}`);
  for (const c of causes) lines.push(`  likely cause: ${c}`);
  return { decision: d, causes, advertised: target.lookup, ...(target.message ? { notAdvertised: target.message } : {}), text: lines.join("\n") };
}
