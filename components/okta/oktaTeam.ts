/**
 * The Okta side of one team, as a Pulumi component: every click of the guide's "Configure Okta"
 * steps 1–6, declared from the team's group list and the validated OktaSpec. Validation happens
 * before (`validateOkta`); this module only turns validated data into resources.
 */
import * as pulumi from "@pulumi/pulumi";
import * as okta from "@pulumi/okta";
import type { TeamSpec } from "../spec/types";
import { consistencyReport, redirectUriFor, type ConsistencyReport } from "./derive";
import { checkSharedServer, existingGroupsScope, lookupExistingServer, type ServerRef } from "./lookups";
import { GROUPS_SCOPE, type OktaSpec } from "./types";

export interface OktaTeamArgs {
  spec: TeamSpec;
  okta: OktaSpec;
  /** Explicit Okta provider; the default provider (stack config `okta:*`) otherwise. */
  provider?: okta.Provider;
}

export const OKTA_TEAM_TYPE = "vmcp-okta:okta:OktaTeam";

export class OktaTeam extends pulumi.ComponentResource {
  /** Okta issuer URL, `https://<org>/oauth2/<server id>` (the VirtualMCPServer's upstream issuerUrl). */
  readonly issuer: pulumi.Output<string>;
  readonly authServerId: pulumi.Output<string>;
  readonly clientId: pulumi.Output<string>;
  /** Always a Pulumi secret. */
  readonly clientSecret: pulumi.Output<string>;
  /** Full Okta group names, from the group resources. */
  readonly groupNames: pulumi.Output<string[]>;
  readonly consistencyReport: pulumi.Output<ConsistencyReport>;
  /** What must exist before vMCP starts (policy rule, assignments, memberships): use in `dependsOn`. */
  readonly ready: pulumi.Resource[];

  constructor(name: string, args: OktaTeamArgs, opts?: pulumi.ComponentResourceOptions) {
    // Checked before registering anything, so a mismatch leaves no half-declared component.
    assertBuiltFrom(args.spec, args.okta);
    super(OKTA_TEAM_TYPE, name, {}, opts);
    const { spec, okta: o, provider } = args;

    const child: pulumi.CustomResourceOptions = { parent: this, provider };
    const invoke: pulumi.InvokeOutputOptions = { parent: this, provider };
    const srv = o.authServer;
    const shared = srv.mode === "existing" && srv.shared;

    // Step 1: the authorization server (created, or an existing custom one looked up and checked).
    let server: ServerRef;
    if (srv.mode === "create") {
      const created = new okta.auth.Server(
        `${name}-auth-server`,
        { name: srv.name, description: srv.description, audiences: [srv.audience], issuerMode: srv.issuerMode, status: "ACTIVE" },
        child,
      );
      server = { id: created.id, issuer: created.issuer };
    } else {
      server = lookupExistingServer(srv, this, invoke);
    }
    const check = shared ? checkSharedServer(server, o.claim.name, spec.groups.map((g) => g.name), this, invoke) : undefined;
    const authServerId = check ? check.authServerId : server.id;

    // Step 2: one confidential OIDC web app per team.
    const app = new okta.app.OAuth(
      `${name}-app`,
      {
        label: o.app.label,
        type: "web",
        grantTypes: ["authorization_code", "refresh_token"],
        responseTypes: ["code"],
        redirectUris: [o.app.redirectUri],
        tokenEndpointAuthMethod: o.app.tokenEndpointAuthMethod,
        pkceRequired: o.app.pkceRequired,
        // Access only through group assignment (step 5), never Federation Broker Mode.
        implicitAssignment: false,
        // The secret must stay in (encrypted) state: the Kubernetes Secret is built from it.
        omitSecret: false,
        refreshTokenRotation: o.app.refreshTokenRotation,
        refreshTokenLeeway: o.app.refreshTokenLeewaySeconds,
        status: "ACTIVE",
      },
      child,
    );

    // Step 3: the groups scope, on a server whose scopes the team manages.
    let scope: okta.auth.ServerScope | Promise<okta.auth.ServerScope> | undefined;
    if (o.groupsScope === "create") {
      scope = new okta.auth.ServerScope(`${name}-groups-scope`, scopeArgs(authServerId), child);
    } else if (o.groupsScope === "import" && srv.mode === "existing") {
      // Adopted, never skipped: the same resource is declared every run.
      const id = srv.id;
      scope = existingGroupsScope(id, this, invoke).then(
        (found) =>
          new okta.auth.ServerScope(`${name}-groups-scope`, scopeArgs(authServerId, found.description || undefined, found.displayName || undefined), {
            ...child,
            import: `${id}/${found.id}`,
            // It predates the stack: destroying the team must not delete it from the server.
            retainOnDelete: true,
          }),
      );
    }

    // Step 4: the groups claim in the access token (the shared server's owner declares their own).
    const claim = shared
      ? undefined
      : new okta.auth.ServerClaim(
          `${name}-groups-claim`,
          {
            authServerId,
            name: o.claim.name,
            claimType: "RESOURCE",
            valueType: "GROUPS",
            groupFilterType: o.claim.filter.type,
            value: o.claim.filter.value,
            alwaysIncludeInToken: true,
            status: "ACTIVE",
            // No `scopes`: included in any scope.
          },
          child,
        );

    // Step 5: groups, members (looked up by login), and the app's assignment to every group.
    const userIds = new Map<string, pulumi.Output<string>>();
    const userId = (login: string): pulumi.Output<string> => {
      const key = login.toLowerCase();
      let id = userIds.get(key);
      if (!id) {
        id = okta.user.getUserOutput(
          { searches: [{ name: "profile.login", value: login, comparison: "eq" }], skipGroups: true, skipRoles: true },
          invoke,
        ).id;
        userIds.set(key, id);
      }
      return id;
    };
    const groups: okta.group.Group[] = [];
    const memberships: okta.GroupMemberships[] = [];
    const assignments: okta.app.GroupAssignment[] = [];
    for (const g of spec.groups) {
      // Always set `name`: autonaming would add a suffix and break the claim filter and Cedar ids.
      const group = new okta.group.Group(`${name}-group-${g.shortName}`, { name: g.name, description: g.description }, child);
      groups.push(group);
      // `users` is a required set that cannot be empty; validateOkta warns about memberless groups.
      if (g.members.length > 0) {
        memberships.push(
          new okta.GroupMemberships(
            `${name}-members-${g.shortName}`,
            { groupId: group.id, users: g.members.map(userId), trackAllUsers: o.membership === "exclusive" },
            child,
          ),
        );
      }
      assignments.push(new okta.app.GroupAssignment(`${name}-assign-${g.shortName}`, { appId: app.id, groupId: group.id }, child));
    }

    // Step 6: the access policy and its rule.
    const policy = new okta.auth.ServerPolicy(
      `${name}-policy`,
      {
        authServerId,
        name: o.policy.name,
        description: o.policy.description,
        priority: o.policy.priority,
        status: "ACTIVE",
        clientWhitelists: o.policy.clients === "app" ? [app.clientId] : ["ALL_CLIENTS"],
      },
      child,
    );
    // The rule names the scope through the scope resource (or the shared server's verified scope),
    // so it cannot be created before the scope exists.
    const scopeName: pulumi.Input<string> = scope
      ? pulumi.output(Promise.resolve(scope).then((s) => s.name))
      : (check?.scopeName ?? GROUPS_SCOPE);
    const rule = new okta.auth.ServerPolicyRule(
      `${name}-policy-rule`,
      {
        authServerId,
        policyId: policy.id,
        name: o.policy.ruleName,
        priority: o.policy.rulePriority,
        status: "ACTIVE",
        grantTypeWhitelists: ["authorization_code"],
        scopeWhitelists: o.scopes.map((s) => (s === GROUPS_SCOPE ? scopeName : s)),
        groupWhitelists: ["EVERYONE"],
        accessTokenLifetimeMinutes: o.tokens.accessTokenLifetimeMinutes,
        refreshTokenLifetimeMinutes: o.tokens.refreshTokenLifetimeMinutes,
        refreshTokenWindowMinutes: o.tokens.refreshTokenWindowMinutes,
      },
      { ...child, dependsOn: [policy, ...(scope ? [scope] : []), ...(claim ? [claim] : [])] },
    );

    this.issuer = server.issuer;
    this.authServerId = authServerId;
    this.clientId = app.clientId;
    this.clientSecret = pulumi.secret(app.clientSecret);
    this.groupNames = pulumi.all(groups.map((g) => g.name));
    this.consistencyReport = check ? check.filter.apply((f) => consistencyReport(spec, o, f)) : pulumi.output(consistencyReport(spec, o));
    this.ready = [rule, policy, ...(claim ? [claim] : []), ...assignments, ...memberships];

    this.registerOutputs({
      issuer: this.issuer,
      authServerId: this.authServerId,
      clientId: this.clientId,
      clientSecret: this.clientSecret,
      groupNames: this.groupNames,
      consistencyReport: this.consistencyReport,
    });
  }
}

function scopeArgs(authServerId: pulumi.Input<string>, description?: string, displayName?: string): okta.auth.ServerScopeArgs {
  return {
    authServerId,
    name: GROUPS_SCOPE,
    description: description ?? "Group memberships (vMCP Cedar authorization)",
    displayName,
    // "Include in public metadata".
    metadataPublish: "ALL_CLIENTS",
    consent: "IMPLICIT",
    default: false,
  };
}

/** The OktaSpec must come from `validateOkta(spec)`; a mismatch would split the single source of truth. */
function assertBuiltFrom(spec: TeamSpec, o: OktaSpec): void {
  const why: string[] = [];
  if (spec.groups.length === 0) why.push("the team declares no groups");
  if (o.app.redirectUri !== redirectUriFor(spec.endpoint)) why.push(`the app's redirect URI ${o.app.redirectUri} is not derived from the endpoint ${spec.endpoint}`);
  if (o.claim.filter.type === "STARTS_WITH" && o.claim.filter.value !== spec.groupPrefix) why.push(`the claim filter ${o.claim.filter.value} is not the group prefix ${spec.groupPrefix}`);
  if (o.claim.filter.type === "REGEX" && spec.environment === "production") why.push("a regex claim filter on a production stack");
  if (o.authServer.mode === "create" && o.authServer.audience !== spec.endpoint) why.push(`the server audience ${o.authServer.audience} is not the endpoint ${spec.endpoint}`);
  if (why.length > 0) {
    throw new pulumi.ResourceError(`OktaTeam: the Okta settings were not built from this team (${why.join("; ")}). Build them with validateOkta(spec, problems).`, undefined);
  }
}
