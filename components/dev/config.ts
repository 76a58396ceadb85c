/**
 * The `dev:` section of a team definition: what the embedded development identity provider and the
 * `vmcp-okta dev` command need beyond the team itself. Pure parsing and derivation, no I/O.
 *
 * ```yaml
 * dev:
 *   extraUsers:                       # users beyond the group members
 *     - eve@example.com               # in no group: sees default deny
 *     - login: dave@example.com       # Okta groups outside the team's prefix are never in his token
 *       groups: [Everyone-Contractors, engineering]
 *   idpPort: 8081                     # default: the gateway's port + 1
 *   tokenTtl: 28800                   # access token lifetime in seconds (default 8 h)
 * ```
 *
 * Development users are every group member (with the groups they belong to) plus `extraUsers`.
 * Every user is also in Okta's built-in `Everyone` group, which the team's claim filter drops, as
 * Okta's "Starts with" filter would.
 */
import { createHash } from "node:crypto";
import { z } from "zod";
import { ConfigError, ProblemList, didYouMean } from "../errors";
import type { TeamSpec } from "../spec/types";

/** Okta's built-in group every user belongs to. */
export const OKTA_EVERYONE_GROUP = "Everyone";
export const DEFAULT_TOKEN_TTL_SECONDS = 8 * 60 * 60;
/** Okta custom authorization servers live under `/oauth2/{authServerId}`. */
export const DEV_ISSUER_PATH = "/oauth2/default";

export interface DevExtraUser {
  login: string;
  /** Extra Okta groups (any names; the claim filter decides what reaches the token). */
  groups: string[];
}

export interface DevConfig {
  extraUsers: DevExtraUser[];
  idpPort?: number;
  tokenTtlSeconds: number;
}

export interface DevUser {
  login: string;
  /** Okta-style user id (`00u…`), stable per login. */
  uid: string;
  /** Every Okta group the user is in (team groups, extra groups, `Everyone`). */
  oktaGroups: string[];
  /** The groups Okta's claim filter puts in the access token (prefix match, team groups first). */
  tokenGroups: string[];
}

const LOGIN = /^[^\s@]+@[^\s@]+$/;

const extraUserSchema = z.union([
  z.string(),
  z.object({ login: z.string(), groups: z.array(z.string()).optional() }).strict(),
]);
const devSchema = z
  .object({
    extraUsers: z.array(extraUserSchema).optional(),
    idpPort: z.number().int().optional(),
    tokenTtl: z.number().int().optional(),
  })
  .strict();

function joinPath(root: string, path: (string | number)[]): string {
  let out = root;
  for (const seg of path) out += typeof seg === "number" ? `[${seg}]` : `.${seg}`;
  return out;
}

/**
 * Validates the raw `dev:` section. `root` is the config path of the section
 * (e.g. `vmcp-okta:team.dev`). Problems go to `problems`; the result is undefined on error.
 */
export function parseDevConfig(raw: unknown, spec: Pick<TeamSpec, "groups" | "groupPrefix">, problems: ProblemList, root = "vmcp-okta:team.dev"): DevConfig | undefined {
  const before = problems.errors.length;
  const result = devSchema.safeParse(raw ?? {});
  if (!result.success) {
    for (const issue of result.error.issues) {
      if (issue.code === "unrecognized_keys") {
        for (const key of issue.keys) {
          const known = issue.path.length === 0 ? Object.keys(devSchema.shape) : ["login", "groups"];
          problems.error("dev.unknown-key", joinPath(root, [...issue.path, key]), "unknown key", {
            fix: didYouMean(key, known) ?? `remove it; known keys: ${known.join(", ")}`,
          });
        }
        continue;
      }
      problems.error("dev.invalid", joinPath(root, issue.path), issue.message, { fix: "correct the value's type or form as the message says" });
    }
    return undefined;
  }
  const d = result.data;
  const members = new Set(spec.groups.flatMap((g) => g.members));
  const teamGroups = new Set(spec.groups.map((g) => g.name));
  const seen = new Set<string>();
  const extraUsers: DevExtraUser[] = [];
  (d.extraUsers ?? []).forEach((u, i) => {
    const path = `${root}.extraUsers[${i}]`;
    const login = typeof u === "string" ? u : u.login;
    const groups = typeof u === "string" ? [] : (u.groups ?? []);
    if (!LOGIN.test(login)) {
      problems.error("dev.user-login", typeof u === "string" ? path : `${path}.login`, "a development user's login must look like an e-mail address (Okta logins usually are)", {
        value: login,
        fix: "use e.g. eve@example.com",
      });
      return;
    }
    if (seen.has(login.toLowerCase())) {
      problems.error("dev.user-duplicate", path, "this user is listed twice", { value: login, fix: "list each extra user once" });
      return;
    }
    seen.add(login.toLowerCase());
    if (members.has(login) && groups.length === 0) {
      problems.warn("dev.user-redundant", path, "this user is already a group member, so listing it here adds nothing", {
        value: login,
        fix: "remove it, or give it extra Okta groups with {login, groups}",
      });
    }
    groups.forEach((g, j) => {
      if (g.trim() === "") {
        problems.error("dev.user-group-empty", `${path}.groups[${j}]`, "empty group name", { fix: "remove it" });
      } else if (teamGroups.has(g)) {
        problems.error("dev.user-team-group", `${path}.groups[${j}]`, "team groups get their members from the group list, not from dev.extraUsers", {
          value: g,
          fix: `add ${login} to the group's members instead`,
        });
      } else if (g.startsWith(spec.groupPrefix)) {
        problems.warn("dev.user-foreign-prefixed-group", `${path}.groups[${j}]`, "this Okta group starts with the team's prefix, so the claim filter puts it in the token although no grant names it", {
          value: g,
          fix: "this is what happens in Okta too; keep it only to test that case",
        });
      }
    });
    extraUsers.push({ login, groups: [...new Set(groups)] });
  });
  if (d.idpPort !== undefined && (d.idpPort < 1 || d.idpPort > 65535)) {
    problems.error("dev.idp-port", `${root}.idpPort`, "not a TCP port", { value: d.idpPort, fix: "use a port between 1 and 65535, e.g. 8081" });
  }
  if (d.tokenTtl !== undefined && (d.tokenTtl < 60 || d.tokenTtl > 7 * 24 * 3600)) {
    problems.error("dev.token-ttl", `${root}.tokenTtl`, "the token lifetime must be between 60 seconds and 7 days", {
      value: d.tokenTtl,
      fix: "use seconds, e.g. 28800 for 8 hours",
    });
  }
  if (problems.errors.length > before) return undefined;
  return { extraUsers, idpPort: d.idpPort, tokenTtlSeconds: d.tokenTtl ?? DEFAULT_TOKEN_TTL_SECONDS };
}

/** Parses the `dev` section of a compiled team, throwing a ConfigError on problems. */
export function devConfigFor(spec: TeamSpec, root = "vmcp-okta:team.dev"): { dev: DevConfig; problems: ProblemList } {
  const problems = new ProblemList();
  const dev = parseDevConfig(spec.raw.dev, spec, problems, root);
  problems.throwIfErrors();
  if (!dev) throw new ConfigError(problems.items);
  return { dev, problems };
}

/** Okta-style user id: `00u` + 17 base62 characters, derived from the login so it is stable. */
export function oktaUserId(login: string): string {
  const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  const digest = createHash("sha256").update(login.toLowerCase()).digest();
  let out = "00u";
  for (let i = 0; i < 17; i++) out += alphabet[digest[i] % alphabet.length];
  return out;
}

/** Okta's "Starts with" group claim filter. Case-sensitive, as the core's group names are. */
export function claimFilterGroups(groups: readonly string[], spec: Pick<TeamSpec, "claimFilter">): string[] {
  return groups.filter((g) => g.startsWith(spec.claimFilter.value));
}

/** Every development user: group members with their groups, then the extra users, in config order. */
export function devUsers(spec: Pick<TeamSpec, "groups" | "claimFilter">, dev: DevConfig): DevUser[] {
  const byLogin = new Map<string, string[]>();
  const add = (login: string, groups: string[]) => {
    const key = [...byLogin.keys()].find((k) => k.toLowerCase() === login.toLowerCase()) ?? login;
    const cur = byLogin.get(key) ?? [];
    for (const g of groups) if (!cur.includes(g)) cur.push(g);
    byLogin.set(key, cur);
  };
  for (const g of spec.groups) for (const m of g.members) add(m, [g.name]);
  for (const u of dev.extraUsers) add(u.login, u.groups);
  return [...byLogin.entries()].map(([login, groups]) => {
    const oktaGroups = [...groups, OKTA_EVERYONE_GROUP];
    return { login, uid: oktaUserId(login), oktaGroups, tokenGroups: claimFilterGroups(oktaGroups, spec) };
  });
}

export function findDevUser(users: readonly DevUser[], login: string): DevUser | undefined {
  return users.find((u) => u.login.toLowerCase() === login.toLowerCase());
}

export interface DevEndpoints {
  /** Gateway bind host and port. */
  host: string;
  port: number;
  /** The gateway's resource URL (token audience): the stack endpoint, with the port replaced when overridden. */
  resourceUrl: string;
  mcpUrl: string;
  idpHost: string;
  idpPort: number;
  /** `http://<host>:<idpPort>/oauth2/default`, Okta-shaped. */
  issuer: string;
}

function isWildcard(host: string): boolean {
  return host === "0.0.0.0" || host === "::" || host === "[::]";
}

/**
 * Where everything listens for `vmcp-okta dev` and what tokens say. Deterministic for the same
 * stack and flags, so `vmcp-okta dev token` mints tokens the running `dev` gateway accepts.
 */
export function devEndpoints(spec: Pick<TeamSpec, "endpoint">, dev: Pick<DevConfig, "idpPort">, opts: { host?: string; port?: number; idpPort?: number } = {}): DevEndpoints {
  const endpoint = new URL(spec.endpoint);
  const endpointPort = endpoint.port ? Number(endpoint.port) : endpoint.protocol === "https:" ? 443 : 80;
  const port = opts.port ?? endpointPort;
  const host = opts.host ?? "127.0.0.1";
  if (port !== endpointPort) endpoint.port = String(port);
  const resourceUrl = endpoint.origin;
  const idpPort = opts.idpPort ?? dev.idpPort ?? port + 1;
  // The issuer names the address the IdP listens on (no localhost/::1 ambiguity), or the
  // endpoint's host name when listening on every interface.
  const issuerHostname = isWildcard(host) ? endpoint.hostname : host;
  const issuerHost = issuerHostname.includes(":") && !issuerHostname.startsWith("[") ? `[${issuerHostname}]` : issuerHostname;
  return { host, port, resourceUrl, mcpUrl: `${resourceUrl}/mcp`, idpHost: host, idpPort, issuer: `http://${issuerHost}:${idpPort}${DEV_ISSUER_PATH}` };
}
