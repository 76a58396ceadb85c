/**
 * The validated Okta side of a team: what `validateOkta` returns and `OktaTeam` declares. Plain data,
 * every default applied, every derived name computed once.
 */

/** Scopes the access-policy rule allows and the VirtualMCPServer requests from Okta (guide step 6). */
export const OKTA_SCOPES = ["openid", "profile", "groups", "offline_access"] as const;
export const GROUPS_SCOPE = "groups";
export const DEFAULT_GROUP_CLAIM = "groups";

export type IssuerMode = "ORG_URL" | "CUSTOM_URL" | "DYNAMIC";

/** A custom authorization server this stack creates and owns (guide step 1). */
export interface CreatedAuthServer {
  mode: "create";
  name: string;
  description: string;
  /** `aud` of Okta's access tokens: the team's vMCP endpoint. */
  audience: string;
  issuerMode: IssuerMode;
}

/**
 * An authorization server that already exists. `shared: false` (e.g. the pre-built `default` server
 * given to one team): the stack manages its groups scope, claim, policy and rule. `shared: true`: the
 * server belongs to someone else; the stack only adds its own policy and checks the claim.
 */
export interface ExistingAuthServer {
  mode: "existing";
  id: string;
  /** Name used for the lookup (Okta's data source looks servers up by name); defaults to the id. */
  name: string;
  shared: boolean;
}

export type AuthServerSpec = CreatedAuthServer | ExistingAuthServer;

/**
 * How the `groups` scope is declared. `create`: the stack creates it. `import`: it already exists on
 * the server and the stack adopts it (same resource every run, so a second `up` never deletes it).
 * `verify`: shared server, the owner manages it; the stack only checks that it exists.
 */
export type GroupsScopeMode = "create" | "import" | "verify";

export interface ClaimFilter {
  type: "STARTS_WITH" | "REGEX";
  value: string;
}

export type MembershipMode = "exclusive" | "additive";

export interface TokenLifetimes {
  accessTokenLifetimeMinutes: number;
  refreshTokenLifetimeMinutes: number;
  /** Idle window of a refresh token; between the access and the refresh lifetime. */
  refreshTokenWindowMinutes: number;
}

export interface PolicySpec {
  name: string;
  description: string;
  priority: number;
  /**
   * True on a shared server without an explicit priority: the priority is derived from the team name
   * (`sharedPolicyPriority`) and later renumbering by Okta is ignored, so stacks never fight over it.
   */
  priorityDrifts: boolean;
  /** `all`: ALL_CLIENTS (team-owned server). `app`: only this team's app (required on a shared server). */
  clients: "all" | "app";
  ruleName: string;
  rulePriority: number;
}

export type TokenEndpointAuthMethod = "client_secret_post" | "client_secret_basic";
export type RefreshTokenRotation = "STATIC" | "ROTATE";

export interface AppSpec {
  label: string;
  redirectUri: string;
  tokenEndpointAuthMethod: TokenEndpointAuthMethod;
  pkceRequired: boolean;
  refreshTokenRotation: RefreshTokenRotation;
  /** Seconds a rotated refresh token stays valid; only with ROTATE. */
  refreshTokenLeewaySeconds?: number;
}

export interface OktaSpec {
  authServer: AuthServerSpec;
  groupsScope: GroupsScopeMode;
  /** The access-token claim carrying the groups; its name is the Cedar group claim. */
  claim: { name: string; filter: ClaimFilter };
  membership: MembershipMode;
  tokens: TokenLifetimes;
  policy: PolicySpec;
  app: AppSpec;
  scopes: readonly string[];
  /** Short names of groups that already exist in Okta and are adopted (imported by name, never deleted). */
  adoptGroups: readonly string[];
  /**
   * Whether removing a group from the config (or destroying the stack) leaves the Okta group and its
   * members in place (`retainOnDelete`). True in production: members and app assignments made outside
   * the stack would be lost otherwise.
   */
  retainGroups: boolean;
}
