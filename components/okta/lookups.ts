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
