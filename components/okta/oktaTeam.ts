/**
 * The Okta side of one team, as a Pulumi component: every click of the guide's "Configure Okta"
 * steps 1–6, declared from the team's group list and the validated OktaSpec. Validation happens
 * before (`validateOkta`); this module only turns validated data into resources.
 *
 * Day 2: a group renamed in the config keeps its Okta group (aliases); groups can be adopted by name;
 * in production, removing a group (or destroying the stack) leaves it and its members in Okta.
 * What `pulumi destroy` does per object is in README "Okta > What destroy does".
 */
import * as pulumi from "@pulumi/pulumi";
import * as okta from "@pulumi/okta";
import type { TeamSpec } from "../spec/types";
import { consistencyReport, publicConsistencyReport, redirectUriFor, type ConsistencyReport } from "./derive";
import { checkSharedServer, existingGroups, existingGroupsScope, lookupExistingServer, lookupMembers, type ServerRef } from "./lookups";
import { GROUPS_SCOPE, type OktaSpec } from "./types";

export interface OktaTeamArgs {
  /** The validated team (`compileTeam(...).spec`). */
  spec: TeamSpec;
  /** The team's validated `okta:` section (`validateOkta(spec, problems)`). */
  okta: OktaSpec;
  /** Explicit Okta provider; the default provider (stack config `okta:*`) otherwise. */
  provider?: okta.Provider;
  /**
   * Group renames, `{newShortName: formerShortName}`: the group, its memberships and its app
   * assignment keep their Okta objects (Pulumi aliases), and the group's name is updated in place.
   */
  renamedGroups?: Readonly<Record<string, string>>;
}

/** Every component of the package uses the `vmcp-okta:index:<Name>` type scheme. */
export const OKTA_TEAM_TYPE = "vmcp-okta:index:OktaTeam";
/** The type this component had before the scheme was unified (an alias keeps deployed stacks). */
const LEGACY_OKTA_TEAM_TYPE = "vmcp-okta:okta:OktaTeam";

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
  /** Okta group ids, in the team's group order. */
  readonly groupIds: pulumi.Output<string[]>;
  /** What must exist before vMCP starts (policy rule, assignments, memberships): use in `dependsOn`. */
  readonly ready: (pulumi.Resource | Promise<pulumi.Resource>)[];

  constructor(name: string, args: OktaTeamArgs, opts?: pulumi.ComponentResourceOptions) {
    // Checked before registering anything, so a mismatch leaves no half-declared component.
    assertBuiltFrom(args.spec, args.okta);
    super(OKTA_TEAM_TYPE, name, {}, { ...opts, aliases: [...(opts?.aliases ?? []), { type: LEGACY_OKTA_TEAM_TYPE }] });
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
      scope = existingGroupsScope(id, this, invoke).then((found) => {
        if (found.metadataPublish !== "ALL_CLIENTS") {
          void pulumi.log.warn(`the adopted groups scope on ${id} is not in public metadata (metadataPublish ${found.metadataPublish}); vMCP does not need it, the guide's step 3 sets it`, this);
        }
        // Import inputs are what the lookup returned, so the import matches the existing scope and
        // nothing is changed on a scope the stack did not create.
        const adoptedArgs: okta.auth.ServerScopeArgs = {
          authServerId,
          name: found.name,
          description: found.description || undefined,
          displayName: found.displayName || undefined,
          metadataPublish: found.metadataPublish,
          consent: found.consent,
          default: found.default,
          optional: found.optional,
        };
        return new okta.auth.ServerScope(`${name}-groups-scope`, adoptedArgs, {
          ...child,
          import: `${id}/${found.id}`,
          // It predates the stack: destroying the team must not delete it from the server.
          retainOnDelete: true,
        });
      });
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
    const members = spec.groups.flatMap((g) => g.members.map((login) => ({ login, path: `vmcp-okta:team.groups.${g.shortName}.members` })));
    const userIds = members.length > 0 ? lookupMembers(members, this, invoke) : pulumi.output(new Map<string, string>());
    const adopted = o.adoptGroups.length > 0
      ? existingGroups(spec.groupPrefix, spec.groups.filter((g) => o.adoptGroups.includes(g.shortName)).map((g) => g.name), this, invoke)
      : Promise.resolve(new Map<string, string>());
    const groups: Promise<okta.group.Group>[] = [];
    const groupIds: pulumi.Output<string>[] = [];
    const memberships: Promise<okta.GroupMemberships>[] = [];
    const assignments: Promise<okta.app.GroupAssignment>[] = [];
    for (const g of spec.groups) {
      const former = Object.entries(args.renamedGroups ?? {}).filter(([now]) => now === g.shortName).map(([, was]) => was);
      const renamed = (kind: string): pulumi.CustomResourceOptions => (former.length ? { aliases: former.map((was) => ({ name: `${name}-${kind}-${was}` })) } : {});
      const adopt = o.adoptGroups.includes(g.shortName);
      // Deleting a group loses its members and every assignment made outside the stack.
      const keep = adopt || o.retainGroups;
      const group = adopted.then(
        (ids) =>
          // Always set `name`: autonaming would add a suffix and break the claim filter and Cedar ids.
          new okta.group.Group(`${name}-group-${g.shortName}`, { name: g.name, description: g.description }, {
            ...child,
            ...renamed("group"),
            ...(adopt ? { import: ids.get(g.name) } : {}),
            ...(keep ? { retainOnDelete: true } : {}),
          }),
      );
      const groupId = pulumi.output(group.then((x) => x.id));
      groups.push(group);
      groupIds.push(groupId);
      // `users` is a required set that cannot be empty; validateOkta warns about memberless groups.
      if (g.members.length > 0) {
        memberships.push(
          group.then(
            () =>
              new okta.GroupMemberships(
                `${name}-members-${g.shortName}`,
                {
                  groupId,
                  users: userIds.apply((ids) => g.members.map((login) => ids.get(login.toLowerCase())!)),
                  trackAllUsers: o.membership === "exclusive",
                },
                // Removing the resource would remove its users from a group that stays.
                { ...child, ...renamed("members"), ...(keep ? { retainOnDelete: true } : {}) },
              ),
          ),
        );
      }
      assignments.push(group.then(() => new okta.app.GroupAssignment(`${name}-assign-${g.shortName}`, { appId: app.id, groupId }, { ...child, ...renamed("assign") })));
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
      // On a shared server Okta renumbers policies as teams come and go; a derived priority is a
      // starting point, not something to fight over on every run.
      { ...child, ...(o.policy.priorityDrifts ? { ignoreChanges: ["priority"] } : {}) },
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
    this.groupNames = pulumi.all(groups.map((g) => pulumi.output(g.then((x) => x.name))));
    this.groupIds = pulumi.all(groupIds);
    this.consistencyReport = check ? check.filter.apply((f) => consistencyReport(spec, o, f)) : pulumi.output(consistencyReport(spec, o));
    this.ready = [rule, policy, ...(claim ? [claim] : []), ...assignments, ...memberships];

    this.registerOutputs({
      issuer: this.issuer,
      authServerId: this.authServerId,
      clientId: this.clientId,
      clientSecret: this.clientSecret,
      groupNames: this.groupNames,
      // Member logins stay out of the component's state.
      consistencyReport: this.consistencyReport.apply(publicConsistencyReport),
    });
  }
}

function scopeArgs(authServerId: pulumi.Input<string>): okta.auth.ServerScopeArgs {
  return {
    authServerId,
    name: GROUPS_SCOPE,
    description: "Group memberships (vMCP Cedar authorization)",
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
