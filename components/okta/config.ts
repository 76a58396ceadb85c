/**
 * Parses and validates the team's `okta:` section into an OktaSpec. `check`, `render` and the Pulumi
 * program all call `validateOkta`, so a bad value fails the same way everywhere and before any
 * resource is declared. Every problem names its config key and the fix.
 */
import { ProblemList, didYouMean } from "../errors";
import { TEAM_CONFIG_KEY } from "../spec/parse";
import type { TeamSpec } from "../spec/types";
import {
  appLabelFor,
  authServerNameFor,
  claimFilterFor,
  groupClaimNameFor,
  policyNameFor,
  pointsAtOrgServer,
  redirectUriFor,
  RULE_NAME,
  serverIdFromIssuer,
} from "./derive";
import {
  OKTA_SCOPES,
  type AppSpec,
  type AuthServerSpec,
  type GroupsScopeMode,
  type IssuerMode,
  type OktaSpec,
  type PolicySpec,
  type RefreshTokenRotation,
  type TokenEndpointAuthMethod,
  type TokenLifetimes,
} from "./types";

export const OKTA_DEFAULTS = {
  accessTokenLifetimeMinutes: 60,
  refreshTokenLifetimeMinutes: 1440,
  policyPriority: 1,
  refreshTokenLeewaySeconds: 30,
} as const;

/** Okta's documented bounds for the policy rule (ServerPolicyRule doc comments). */
const ACCESS_MIN = 5;
const ACCESS_MAX = 1440;
const REFRESH_MAX = 2628000;

const ORG_SERVER_REASON =
  "the Org authorization server cannot put a groups claim into access tokens, and its tokens are not meant for external resource servers";
const ORG_SERVER_FIX = "omit authServer (a custom server is created), or use an existing custom server, e.g. authServer: {mode: existing, id: default}";

/** Claim names Okta reserves or that would shadow standard JWT claims. */
const RESERVED_CLAIMS = new Set(["sub", "iss", "aud", "exp", "iat", "nbf", "jti", "cid", "uid", "scp", "auth_time", "ver", "amr", "idp", "nonce", "at_hash", "c_hash"]);

type Obj = Record<string, unknown>;

/** Reads one config object: typed getters that report into `problems`, then unknown keys. */
class Section {
  private readonly seen = new Set<string>();
  constructor(
    readonly obj: Obj,
    readonly path: string,
    private readonly problems: ProblemList,
  ) {}

  has(key: string): boolean {
    return this.obj[key] !== undefined && this.obj[key] !== null;
  }

  private raw(key: string): unknown {
    this.seen.add(key);
    return this.obj[key];
  }

  string(key: string): string | undefined {
    const v = this.raw(key);
    if (v === undefined || v === null) return undefined;
    if (typeof v !== "string" || v.trim() === "") {
      this.problems.error("okta.invalid-type", `${this.path}.${key}`, "expected a non-empty string", { value: v, fix: `set ${key} to a string or remove it` });
      return undefined;
    }
    return v;
  }

  bool(key: string): boolean | undefined {
    const v = this.raw(key);
    if (v === undefined || v === null) return undefined;
    if (typeof v !== "boolean") {
      this.problems.error("okta.invalid-type", `${this.path}.${key}`, "expected true or false", { value: v, fix: `set ${key}: true or ${key}: false` });
      return undefined;
    }
    return v;
  }

  int(key: string): number | undefined {
    const v = this.raw(key);
    if (v === undefined || v === null) return undefined;
    const n = typeof v === "string" && /^\d+$/.test(v) ? Number(v) : v;
    if (typeof n !== "number" || !Number.isInteger(n)) {
      this.problems.error("okta.invalid-type", `${this.path}.${key}`, "expected a whole number", { value: v, fix: `set ${key} to an integer` });
      return undefined;
    }
    return n;
  }

  oneOf<T extends string>(key: string, allowed: readonly T[]): T | undefined {
    const v = this.raw(key);
    if (v === undefined || v === null) return undefined;
    if (typeof v !== "string" || !(allowed as readonly string[]).includes(v)) {
      const hint = typeof v === "string" ? didYouMean(v, allowed) : undefined;
      this.problems.error("okta.invalid-value", `${this.path}.${key}`, `must be one of ${allowed.join(", ")}`, { value: v, fix: hint ?? `use one of: ${allowed.join(", ")}` });
      return undefined;
    }
    return v as T;
  }

  section(key: string): Section {
    const v = this.raw(key);
    if (v === undefined || v === null) return new Section({}, `${this.path}.${key}`, this.problems);
    if (typeof v !== "object" || Array.isArray(v)) {
      this.problems.error("okta.invalid-type", `${this.path}.${key}`, "expected an object", { value: v, fix: `write ${key} as a mapping of keys, or remove it` });
      return new Section({}, `${this.path}.${key}`, this.problems);
    }
    return new Section(v as Obj, `${this.path}.${key}`, this.problems);
  }

  /** Reports keys no getter asked for. Call after reading everything. */
  unknownKeys(known: readonly string[]): void {
    for (const key of Object.keys(this.obj)) {
      if (known.includes(key)) continue;
      this.problems.error("config.unknown-key", `${this.path}.${key}`, "unknown key", { fix: didYouMean(key, known) ?? `remove it; known keys: ${known.join(", ")}` });
    }
  }
}

const TOP_KEYS = ["authServer", "groupsScope", "adoptGroups", "retainGroups", "claimFilter", "membership", "accessTokenLifetimeMinutes", "refreshTokenLifetimeMinutes", "refreshTokenWindowMinutes", "policy", "app"] as const;
const SERVER_KEYS = ["mode", "name", "description", "issuerMode", "id", "shared"] as const;
const POLICY_KEYS = ["name", "priority", "clients"] as const;
const APP_KEYS = ["label", "tokenEndpointAuthMethod", "pkceRequired", "refreshTokenRotation", "refreshTokenLeewaySeconds"] as const;

function authServer(s: Section, spec: TeamSpec, problems: ProblemList): AuthServerSpec | undefined {
  const modeRaw = s.obj.mode;
  if (typeof modeRaw === "string" && pointsAtOrgServer(modeRaw)) {
    problems.error("okta.authserver.org", `${s.path}.mode`, `the Org authorization server is not supported: ${ORG_SERVER_REASON}`, { value: modeRaw, fix: ORG_SERVER_FIX });
    return undefined;
  }
  const mode = s.oneOf("mode", ["create", "existing"] as const) ?? "create";
  const name = s.string("name");
  const description = s.string("description");
  const issuerMode = s.oneOf<IssuerMode>("issuerMode", ["ORG_URL", "CUSTOM_URL", "DYNAMIC"]);
  let id = s.string("id");
  const shared = s.bool("shared");
  s.unknownKeys(SERVER_KEYS);

  for (const [key, v] of [["id", id], ["name", name]] as const) {
    if (v !== undefined && pointsAtOrgServer(v)) {
      problems.error("okta.authserver.org", `${s.path}.${key}`, `this points at the Org authorization server: ${ORG_SERVER_REASON}`, { value: v, fix: ORG_SERVER_FIX });
      return undefined;
    }
  }

  if (mode === "create") {
    for (const key of ["id", "shared"] as const) {
      if (s.has(key)) problems.error("okta.authserver.existing-only", `${s.path}.${key}`, `${key} applies to an existing server, but mode is create`, { fix: `remove ${key}, or set mode: existing` });
    }
    return {
      mode: "create",
      name: name ?? authServerNameFor(spec.team),
      description: description ?? `ToolHive vMCP for team ${spec.team}`,
      audience: spec.endpoint,
      issuerMode: issuerMode ?? "ORG_URL",
    };
  }

  for (const key of ["description", "issuerMode"] as const) {
    if (s.has(key)) problems.error("okta.authserver.create-only", `${s.path}.${key}`, `${key} is set by whoever owns an existing server; the stack does not change it`, { fix: `remove ${key}, or set mode: create` });
  }
  if (id !== undefined && /^https?:\/\//.test(id)) {
    const fromUrl = serverIdFromIssuer(id);
    problems.error("okta.authserver.url", `${s.path}.id`, "id is the authorization server id, not its issuer URL", { value: id, fix: fromUrl ? `use id: ${fromUrl}` : "use the last segment of the issuer, e.g. default" });
    id = undefined;
  } else if (id !== undefined && !/^[A-Za-z0-9_-]+$/.test(id)) {
    problems.error("okta.authserver.id", `${s.path}.id`, "an authorization server id contains only letters, digits, - and _", { value: id, fix: "copy the id from Security > API > Authorization Servers, e.g. default or aus1a2b3c" });
    id = undefined;
  }
  if (id === undefined) {
    if (!s.has("id")) problems.error("okta.authserver.id-required", `${s.path}.id`, "mode existing needs the server's id", { fix: "set id: default for the pre-built server, or the id of the shared server" });
    return undefined;
  }
  return { mode: "existing", id, name: name ?? id, shared: shared ?? false };
}

function groupsScope(root: Section, server: AuthServerSpec | undefined, problems: ProblemList): GroupsScopeMode {
  const v = root.oneOf("groupsScope", ["create", "import"] as const);
  const path = `${root.path}.groupsScope`;
  if (server?.mode === "existing" && server.shared) {
    if (v !== undefined) {
      problems.error("okta.groups-scope.shared", path, "on a shared server the groups scope belongs to the server's owner; the stack only checks that it exists", { value: v, fix: "remove groupsScope" });
    }
    return "verify";
  }
  if (v === "import" && server?.mode === "create") {
    problems.error("okta.groups-scope.new-server", path, "the stack creates this server, so it has no groups scope to import", { value: v, fix: "remove groupsScope (it defaults to create), or use an existing server" });
    return "create";
  }
  return v ?? "create";
}

function lifetimes(root: Section, problems: ProblemList): TokenLifetimes {
  const p = (k: string) => `${root.path}.${k}`;
  const access = root.int("accessTokenLifetimeMinutes") ?? OKTA_DEFAULTS.accessTokenLifetimeMinutes;
  const refresh = root.int("refreshTokenLifetimeMinutes") ?? OKTA_DEFAULTS.refreshTokenLifetimeMinutes;
  // Okta's default window is 7 days, longer than the 24 h default lifetime: always set it explicitly.
  const window = root.int("refreshTokenWindowMinutes") ?? refresh;
  if (access < ACCESS_MIN || access > ACCESS_MAX) {
    problems.error("okta.lifetime.range", p("accessTokenLifetimeMinutes"), `Okta accepts ${ACCESS_MIN} to ${ACCESS_MAX} minutes`, { value: access, fix: "use e.g. 60 (the guide's 1 hour)" });
  }
  if (refresh < access || refresh > REFRESH_MAX) {
    problems.error("okta.lifetime.range", p("refreshTokenLifetimeMinutes"), `must be at least the access-token lifetime (${access}) and at most ${REFRESH_MAX} minutes`, {
      value: refresh,
      fix: "use e.g. 1440 (the guide's 24 hours); it must exceed the expected user session",
    });
  }
  if (window > refresh) {
    problems.error("okta.lifetime.window", p("refreshTokenWindowMinutes"), `the refresh window (${window}) exceeds the refresh-token lifetime (${refresh}); Okta rejects the rule`, {
      value: window,
      fix: `use at most ${refresh}, or remove it (it defaults to the refresh lifetime)`,
    });
  } else if (window < access || window < ACCESS_MIN) {
    problems.error("okta.lifetime.window", p("refreshTokenWindowMinutes"), `the refresh window must be at least the access-token lifetime (${access})`, { value: window, fix: `use at least ${Math.max(access, ACCESS_MIN)}` });
  }
  return { accessTokenLifetimeMinutes: access, refreshTokenLifetimeMinutes: refresh, refreshTokenWindowMinutes: window };
}

function policy(s: Section, spec: TeamSpec, server: AuthServerSpec | undefined, problems: ProblemList): PolicySpec {
  const name = s.string("name") ?? policyNameFor(spec.team);
  const shared = server?.mode === "existing" && server.shared;
  const explicitPriority = s.int("priority");
  // Every team's policy at priority 1 on one server makes Okta renumber them and the stacks fight:
  // on a shared server the default is derived from the team name and Okta's renumbering is ignored.
  const priority = explicitPriority ?? (shared ? sharedPolicyPriority(spec.team) : OKTA_DEFAULTS.policyPriority);
  const clientsRaw = s.oneOf("clients", ["all", "app"] as const);
  s.unknownKeys(POLICY_KEYS);
  if (priority < 1) problems.error("okta.policy.priority", `${s.path}.priority`, "policy priorities start at 1", { value: priority, fix: "use 1 or more" });
  if (shared && clientsRaw === "all") {
    problems.error("okta.policy.clients-shared", `${s.path}.clients`, "on a shared server a team's policy must apply only to its own app, or it would govern other teams' clients", {
      value: clientsRaw,
      fix: "remove clients (it defaults to app on a shared server)",
    });
  }
  return {
    name,
    description: `vMCP access for team ${spec.team}: authorization code with ${OKTA_SCOPES.join(", ")}`,
    priority,
    priorityDrifts: shared && explicitPriority === undefined,
    clients: shared ? "app" : (clientsRaw ?? "all"),
    ruleName: RULE_NAME,
    rulePriority: 1,
  };
}

/**
 * A shared server's policy priority for a team: 2..99 from a stable hash of the team name (1 is left
 * to the server owner). Deterministic, so every run and every machine declares the same value.
 */
export function sharedPolicyPriority(team: string): number {
  let h = 0x811c9dc5; // FNV-1a
  for (const c of Buffer.from(team, "utf8")) h = Math.imul(h ^ c, 0x01000193) >>> 0;
  return 2 + (h % 98);
}

/** `adoptGroups: true` (every group) or a list of group short names that already exist in Okta. */
function adoptGroups(root: Section, spec: TeamSpec, problems: ProblemList): string[] {
  const path = `${root.path}.adoptGroups`;
  const v = root.obj.adoptGroups;
  if (v === undefined || v === null || v === false) return [];
  const declared = spec.groups.map((g) => g.shortName);
  if (v === true) return declared;
  if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) {
    problems.error("okta.adopt-groups.type", path, "expected true or a list of group short names", { value: v, fix: `e.g. adoptGroups: [${declared[0] ?? "developers"}]` });
    return [];
  }
  const out: string[] = [];
  for (const name of v as string[]) {
    if (!declared.includes(name)) {
      problems.error("okta.adopt-groups.unknown", path, `${name} is not a group of this team`, { value: name, fix: didYouMean(name, declared) ?? `use one of: ${declared.join(", ")}` });
    } else if (!out.includes(name)) out.push(name);
  }
  return out;
}

function app(s: Section, spec: TeamSpec, problems: ProblemList): AppSpec {
  const label = s.string("label") ?? appLabelFor(spec.team);
  // vMCP's embedded auth server sends the client secret in the POST body (golang.org/x/oauth2
  // AuthStyleInParams) and always sends a PKCE S256 challenge when Okta advertises it.
  const tokenEndpointAuthMethod = s.oneOf<TokenEndpointAuthMethod>("tokenEndpointAuthMethod", ["client_secret_post", "client_secret_basic"]) ?? "client_secret_post";
  const pkceRequired = s.bool("pkceRequired") ?? true;
  const refreshTokenRotation = s.oneOf<RefreshTokenRotation>("refreshTokenRotation", ["STATIC", "ROTATE"]) ?? "STATIC";
  const leeway = s.int("refreshTokenLeewaySeconds");
  s.unknownKeys(APP_KEYS);
  if (label.length > 100) problems.error("okta.app.label", `${s.path}.label`, "Okta app labels are at most 100 characters", { value: label, fix: "shorten it" });
  if (leeway !== undefined && refreshTokenRotation !== "ROTATE") {
    problems.error("okta.app.leeway", `${s.path}.refreshTokenLeewaySeconds`, "the leeway applies only to rotating refresh tokens", { value: leeway, fix: "remove it, or set refreshTokenRotation: ROTATE" });
  } else if (leeway !== undefined && (leeway < 0 || leeway > 60)) {
    problems.error("okta.app.leeway", `${s.path}.refreshTokenLeewaySeconds`, "Okta accepts 0 to 60 seconds", { value: leeway, fix: "use e.g. 30" });
  }
  return {
    label,
    redirectUri: redirectUriFor(spec.endpoint),
    tokenEndpointAuthMethod,
    pkceRequired,
    refreshTokenRotation,
    refreshTokenLeewaySeconds: refreshTokenRotation === "ROTATE" ? (leeway ?? OKTA_DEFAULTS.refreshTokenLeewaySeconds) : undefined,
  };
}

function claimName(spec: TeamSpec, root: string, problems: ProblemList): string {
  const name = groupClaimNameFor(spec);
  const path = `${root}.cedar.groupClaimName`;
  if (!/^[A-Za-z_][A-Za-z0-9_:-]*$/.test(name)) {
    problems.error("okta.claim.name", path, "the Okta claim is a top-level claim; its name cannot be a path or contain spaces", { value: name, fix: "use a plain name such as groups" });
  } else if (RESERVED_CLAIMS.has(name)) {
    problems.error("okta.claim.name", path, "this is a reserved token claim; Okta will not let a groups claim take it", { value: name, fix: "use groups" });
  }
  return name;
}

/**
 * Validates `spec.raw.okta` against the team. Reports into `problems`; returns the OktaSpec, or
 * undefined when the section is unusable. `root` is the team's config path.
 */
export function validateOkta(spec: TeamSpec, problems: ProblemList, root: string = TEAM_CONFIG_KEY): OktaSpec | undefined {
  const path = `${root}.okta`;
  const raw: unknown = spec.raw.okta ?? {};
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    problems.error("okta.invalid-type", path, "the okta section must be a mapping", { value: raw, fix: "write okta: {…} or remove it to use the defaults" });
    return undefined;
  }
  const before = problems.errors.length;
  const top = new Section(raw as Obj, path, problems);

  const server = authServer(top.section("authServer"), spec, problems);
  const scope = groupsScope(top, server, problems);

  const filterMode = top.oneOf("claimFilter", ["startsWith", "regexAll"] as const) ?? "startsWith";
  if (filterMode === "regexAll") {
    if (spec.environment === "production") {
      problems.error("okta.claim-filter.production", `${path}.claimFilter`, "Matches regex .* puts every group a user has into every token; the guide forbids it in production", {
        value: filterMode,
        fix: "remove claimFilter (Starts with the group prefix), or set environment: development for a test org",
      });
    } else {
      problems.warn("okta.claim-filter.regex-dev", `${path}.claimFilter`, "development only: tokens carry every group of the user, including unrelated ones", { fix: "remove claimFilter before promoting this stack" });
    }
  }
  if (server?.mode === "existing" && server.shared && top.has("claimFilter")) {
    problems.error("okta.claim-filter.shared", `${path}.claimFilter`, "on a shared server the claim belongs to the server's owner; the stack checks that its filter covers the team prefix", { fix: "remove claimFilter" });
  }

  const membership = top.oneOf("membership", ["exclusive", "additive"] as const) ?? "exclusive";
  const tokens = lifetimes(top, problems);
  const pol = policy(top.section("policy"), spec, server, problems);
  const application = app(top.section("app"), spec, problems);
  const claim = { name: claimName(spec, root, problems), filter: claimFilterFor(spec, filterMode === "regexAll") };
  const adopt = adoptGroups(top, spec, problems);
  const retainGroups = top.bool("retainGroups") ?? spec.environment === "production";
  top.unknownKeys(TOP_KEYS);

  for (const g of spec.groups) {
    if (g.members.length === 0) {
      // GroupMemberships.users is a required set (an empty one is "not set"), so an empty group gets
      // no membership resource: members added in Okta are then kept even with membership: exclusive.
      problems.warn("okta.group.no-members", `${root}.groups.${g.shortName}.members`, `group ${g.name} has no members: nobody gets its grants, and the stack manages no membership for it`, {
        fix: "list the members' Okta logins",
      });
    }
  }

  if (!server || problems.errors.length > before) return undefined;
  return { authServer: server, groupsScope: scope, claim, membership, tokens, policy: pol, app: application, scopes: OKTA_SCOPES, adoptGroups: adopt, retainGroups };
}
