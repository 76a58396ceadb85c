/**
 * Data-source checks for an authorization server the stack does not create. They run wherever the
 * provider answers invokes (`pulumi preview` and `pulumi up`); their failures are ResourceErrors on
 * the component, raised before the resources that depend on them are created.
 *
 * Unknown values: the checks are `apply` callbacks. If an input is unknown during a preview, the
 * callback does not run and every resource that takes the checked value shows as "computed"; the
 * same check then runs during `up` before those resources are created, so an unverified server can
 * never receive a policy.
 */
import * as pulumi from "@pulumi/pulumi";
import * as okta from "@pulumi/okta";
import { checkSharedClaim, describeFilter, type ObservedClaim } from "./derive";
import { GROUPS_SCOPE, type ClaimFilter, type ExistingAuthServer } from "./types";

export interface ServerRef {
  id: pulumi.Output<string>;
  issuer: pulumi.Output<string>;
}

/**
 * Looks the server up (Okta's data source finds servers by name) and checks that it is the configured
 * id and a custom server (issuer `…/oauth2/<id>`).
 */
export function lookupExistingServer(server: ExistingAuthServer, parent: pulumi.Resource, opts: pulumi.InvokeOutputOptions): ServerRef {
  const found = okta.auth.getServerOutput({ name: server.name }, opts);
  const verified = found.apply((s) => {
    if (s.id !== server.id) {
      throw new pulumi.ResourceError(
        `vmcp-okta:team.okta.authServer: the authorization server named "${server.name}" has id "${s.id}", not "${server.id}". Set authServer.name to the name of the server with id ${server.id}, or correct the id.`,
        parent,
      );
    }
    if (!/\/oauth2\/[^/]+\/?$/.test(s.issuer)) {
      throw new pulumi.ResourceError(
        `vmcp-okta:team.okta.authServer: "${server.name}" has issuer ${s.issuer}, which is not a custom authorization server (…/oauth2/<id>). The Org authorization server cannot put groups into access tokens.`,
        parent,
      );
    }
    return s;
  });
  return { id: verified.id, issuer: verified.issuer };
}

export interface SharedServerCheck {
  /** The server id, available only once the checks passed. */
  authServerId: pulumi.Output<string>;
  /** The `groups` scope's name as the server reports it (the rule depends on it). */
  scopeName: pulumi.Output<string>;
  /** The claim filter the server owner configured, for the consistency report. */
  filter: pulumi.Output<ClaimFilter>;
}

/**
 * A shared server must already have the `groups` scope and an access-token claim that lets every
 * team group through; otherwise the team's tokens would silently carry no groups (Cedar default deny).
 */
export function checkSharedServer(
  server: ServerRef,
  claimName: string,
  groupNames: readonly string[],
  parent: pulumi.Resource,
  opts: pulumi.InvokeOutputOptions,
): SharedServerCheck {
  const claims = okta.getAuthServerClaimsOutput({ authServerId: server.id }, opts);
  const scopes = okta.auth.getServerScopesOutput({ authServerId: server.id }, opts);
  const checked = pulumi.all([server.id, claims, scopes]).apply(([id, c, s]) => {
    const problems: string[] = [];
    const scope = s.scopes.find((x) => x.name === GROUPS_SCOPE);
    if (!scope) problems.push(`it has no "${GROUPS_SCOPE}" scope (the policy rule needs it)`);
    const result = checkSharedClaim(c.claims.map(toObserved), claimName, groupNames);
    if ("reasons" in result) problems.push(...result.reasons);
    if (problems.length > 0 || !scope || "reasons" in result) {
      throw new pulumi.ResourceError(
        `vmcp-okta:team.okta.authServer: the shared authorization server ${id} is not ready for this team: ${problems.join("; ")}. ` +
          `Its owner must add an access-token claim "${claimName}" (value type Groups, filter Starts with a prefix of ${groupNames.join(", ")}, included in any scope) and the "${GROUPS_SCOPE}" scope; or use a team-owned server (omit authServer).`,
        parent,
      );
    }
    pulumi.log.info(`shared server ${id}: claim ${claimName} covers the team groups (${describeFilter(result.filter)}; the filter type is not readable through the provider)`, parent);
    return { id, scopeName: scope.name, filter: result.filter };
  });
  return { authServerId: checked.id, scopeName: checked.scopeName, filter: checked.filter };
}

function toObserved(c: okta.types.output.GetAuthServerClaimsClaim): ObservedClaim {
  return { name: c.name, claimType: c.claimType, valueType: c.valueType, value: c.value, status: c.status, scopes: c.scopes ?? [] };
}

/**
 * The `groups` scope already on the server, for `import`. Looked up with a plain invoke
 * because the `import` option must be a plain string; the id is stable, so the import id is the same
 * every run and a second `up` treats the adopted scope as any other resource.
 */
export async function existingGroupsScope(
  authServerId: string,
  parent: pulumi.Resource,
  opts: pulumi.InvokeOptions,
): Promise<okta.types.output.auth.GetServerScopesScope> {
  const result = await okta.auth.getServerScopes({ authServerId }, opts);
  const scope = result.scopes.find((s) => s.name === GROUPS_SCOPE);
  if (!scope) {
    throw new pulumi.ResourceError(
      `vmcp-okta:team.okta.groupsScope: import was requested but server ${authServerId} has no "${GROUPS_SCOPE}" scope. Remove groupsScope (it defaults to create).`,
      parent,
    );
  }
  return scope;
}

/** Logins per `okta.user.getUsers` search: one invoke per this many members, not one per member. */
export const USERS_PER_LOOKUP = 20;

/** A member as the config names it: its login and where it was written, for error messages. */
export interface MemberRef {
  login: string;
  path: string;
}

/**
 * Looks every member up with one `okta.user.getUsers` search per USERS_PER_LOOKUP logins (Okta
 * rate-limits user reads; the old per-member `getUser` made N calls per preview). Unknown and
 * deactivated logins fail with the member's config path and the fix, before any membership is
 * declared; the result maps lower-cased logins to user ids.
 */
export function lookupMembers(members: readonly MemberRef[], parent: pulumi.Resource, opts: pulumi.InvokeOutputOptions): pulumi.Output<Map<string, string>> {
  const logins = [...new Set(members.map((m) => m.login.toLowerCase()))].sort();
  const chunks: string[][] = [];
  for (let i = 0; i < logins.length; i += USERS_PER_LOOKUP) chunks.push(logins.slice(i, i + USERS_PER_LOOKUP));
  const results = chunks.map((chunk) =>
    okta.user.getUsersOutput(
      // Okta's filter syntax (developer.okta.com "List users with search"); logins are e-mail-like
      // (validated by the team parser), quotes are escaped anyway.
      { searches: [{ expression: chunk.map((l) => `profile.login eq "${l.replace(/["\\]/g, "\\$&")}"`).join(" or ") }] },
      opts,
    ),
  );
  return pulumi.all(results).apply((found) => {
    const byLogin = new Map<string, { id: string; status: string }>();
    for (const r of found) for (const u of r.users ?? []) byLogin.set(u.login.toLowerCase(), { id: u.id, status: u.status });
    const problems: string[] = [];
    for (const m of members) {
      const u = byLogin.get(m.login.toLowerCase());
      if (!u) problems.push(`error [okta.member.unknown] ${m.path}: no Okta user has login ${m.login}\n    fix: correct the login (it is the user's Okta username, usually the e-mail), or create the user first`);
      else if (u.status === "DEPROVISIONED") problems.push(`error [okta.member.deactivated] ${m.path}: Okta user ${m.login} is deactivated\n    fix: remove ${m.login} from the group, or reactivate the user in Okta`);
    }
    if (problems.length > 0) throw new pulumi.ResourceError(`${problems.length} configuration problem(s):\n  ${[...new Set(problems)].join("\n  ")}`, parent);
    return new Map([...byLogin].map(([login, u]) => [login, u.id]));
  });
}

/**
 * Groups to adopt, found by exact name with one `okta.getGroups` search on the team's prefix.
 * A plain invoke: the ids become `import` options, which must be plain strings. The id of a group
 * never changes, so the import id is the same every run and, once adopted, the group is managed as
 * any other resource.
 */
export async function existingGroups(prefix: string, names: readonly string[], parent: pulumi.Resource, opts: pulumi.InvokeOptions): Promise<Map<string, string>> {
  const result = await okta.getGroups({ q: prefix, limit: 10000 }, opts);
  const ids = new Map<string, string>();
  for (const g of result.groups) if (names.includes(g.name) && g.type === "OKTA_GROUP") ids.set(g.name, g.id);
  const missing = names.filter((n) => !ids.has(n));
  if (missing.length > 0) {
    throw new pulumi.ResourceError(
      `error [okta.adopt-groups.missing] vmcp-okta:team.okta.adoptGroups: no Okta group named ${missing.join(", ")} exists to adopt\n    fix: remove ${missing.length > 1 ? "them" : "it"} from adoptGroups (the stack then creates ${missing.length > 1 ? "them" : "it"}), or correct the group names`,
      parent,
    );
  }
  return ids;
}
