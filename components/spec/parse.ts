/**
 * Turns a team definition (stack config object or TypeScript literal) into a validated TeamSpec.
 * Shape is checked with zod, meaning with explicit rules below; every problem names its config path
 * and the fix. Nothing here touches Pulumi, Okta or Kubernetes.
 */
import { z } from "zod";
import { ConfigError, ProblemList, didYouMean, type Problem } from "../errors";
import { DEFAULT_AGGREGATION } from "./toolNames";
import { aggregate, overrideFor, type AggregationConflict } from "./aggregation";
import { parseLeniently } from "./shape";
import type {
  AggregationSpec,
  BackendSpec,
  CedarSpec,
  GroupSpec,
  TeamInput,
  TeamSpec,
  ToolRef,
} from "./types";

/** The stack config key that holds the team definition. */
export const TEAM_CONFIG_KEY = "vmcp-okta:team";

const DNS_LABEL = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
/** Group short names and prefixes: letters, digits and `-_.`; nothing that needs escaping in Cedar or YAML. */
const GROUP_NAME = /^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$/;
const PREFIX = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const CEDAR_IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
const TOOL_NAME = /^[^\s"\\/]+$/;
const OKTA_GROUP_NAME_MAX = 255;
/** Okta's default login pattern is an e-mail address; a login is at most 100 characters. */
const OKTA_LOGIN_MAX = 100;
const EMAIL_LOGIN = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/;

const attrType = z.enum(["String", "Bool", "Long", "decimal", "Set<String>"]);
const stringMap = z.record(z.string(), z.string());

const groupSchema = z.object({ description: z.string().min(1), members: z.array(z.string()).optional() }).strict();
const grantSchema = z
  .object({ allow: z.union([z.literal("*"), z.array(z.string())]).optional(), deny: z.array(z.string()).optional() })
  .strict();
const backendSchema = z
  .object({
    image: z.string().min(1),
    transport: z.enum(["stdio", "streamable-http", "sse"]).optional(),
    args: z.array(z.string()).optional(),
    env: stringMap.optional(),
    secrets: z
      .array(
        z
          .object({
            name: z.string(),
            key: z.string(),
            targetEnvName: z.string().optional(),
            valueFrom: z.string(),
          })
          .strict(),
      )
      .optional(),
    resources: z
      .object({
        limits: z.object({ cpu: z.string().optional(), memory: z.string().optional() }).strict().optional(),
        requests: z.object({ cpu: z.string().optional(), memory: z.string().optional() }).strict().optional(),
      })
      .strict()
      .optional(),
    tools: z.array(z.string()).optional(),
    prompts: z.array(z.string()).optional(),
    resourceUris: z.array(z.string()).optional(),
    local: z
      .object({
        command: z.string().optional(),
        args: z.array(z.string()).optional(),
        env: stringMap.optional(),
        url: z.string().optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

const teamSchema = z
  .object({
    team: z.string(),
    environment: z.enum(["development", "production"]).optional(),
    endpoint: z.string(),
    groupPrefix: z.string().optional(),
    groups: z.record(z.string(), groupSchema),
    grants: z.record(z.string(), grantSchema).optional(),
    backends: z.record(z.string(), backendSchema),
    aggregation: z
      .object({
        conflictResolution: z.enum(["prefix", "priority", "manual"]).optional(),
        prefixFormat: z.string().optional(),
        priorityOrder: z.array(z.string()).optional(),
        overrides: z.record(z.string(), stringMap).optional(),
      })
      .strict()
      .optional(),
    cedar: z
      .object({
        policies: z.array(z.object({ id: z.string().min(1), cedar: z.string().min(1) }).strict()).optional(),
        entitiesJson: z.string().optional(),
        groupClaimName: z.string().optional(),
        roleClaimName: z.string().optional(),
        groupEntityType: z.string().optional(),
        claims: z.record(z.string(), attrType).optional(),
        arguments: z.record(z.string(), attrType).optional(),
      })
      .strict()
      .optional(),
    okta: z.record(z.string(), z.unknown()).optional(),
    kubernetes: z.record(z.string(), z.unknown()).optional(),
    dev: z.record(z.string(), z.unknown()).optional(),
    gateway: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

function joinPath(root: string, path: (string | number)[]): string {
  let out = root;
  for (const seg of path) out += typeof seg === "number" ? `[${seg}]` : `.${seg}`;
  return out;
}

/** Known keys per object, for "did you mean" on unrecognised keys. */
function knownKeysAt(path: (string | number)[]): string[] {
  const top = path[0];
  if (path.length === 0) return Object.keys(teamSchema.shape);
  if (top === "groups" && path.length === 2) return Object.keys(groupSchema.shape);
  if (top === "grants" && path.length === 2) return Object.keys(grantSchema.shape);
  if (top === "backends" && path.length === 2) return Object.keys(backendSchema.shape);
  if (top === "backends" && path.length === 3 && path[2] === "local") return ["command", "args", "env", "url"];
  if (top === "aggregation" && path.length === 1) return ["conflictResolution", "prefixFormat", "priorityOrder", "overrides"];
  if (top === "cedar" && path.length === 1) return ["policies", "entitiesJson", "groupClaimName", "roleClaimName", "groupEntityType", "claims", "arguments"];
  return [];
}

function shapeProblems(input: unknown, root: string, problems: ProblemList): TeamInput | undefined {
  return parseLeniently(teamSchema, input, problems, {
    path: (p) => joinPath(root, p),
    unknownKey: (at, key) => {
      const hint = didYouMean(key, knownKeysAt(at));
      return { code: "config.unknown-key", fix: hint ?? `remove it; known keys: ${knownKeysAt(at).join(", ")}` };
    },
    invalidCode: "config.invalid",
  }) as TeamInput | undefined;
}

/** Parses a tool reference `backend/tool` from a grant. */
export function parseToolRef(ref: string): ToolRef | undefined {
  const slash = ref.indexOf("/");
  if (slash <= 0 || slash === ref.length - 1) return undefined;
  return { backend: ref.slice(0, slash), tool: ref.slice(slash + 1) };
}

function checkEndpoint(endpoint: string, environment: string, path: string, problems: ProblemList): void {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    problems.error("endpoint.invalid", path, "not a URL", { value: endpoint, fix: "use https://<host>, e.g. https://vmcp.example.com" });
    return;
  }
  const localhost = url.hostname === "localhost" || url.hostname === "127.0.0.1" || url.hostname === "[::1]";
  if (url.protocol === "http:") {
    if (!(localhost && environment === "development")) {
      problems.error("endpoint.not-https", path, "the endpoint must use https (http is allowed only for localhost in development)", {
        value: endpoint,
        fix: localhost ? "set environment: development, or use https" : `use https://${url.host}`,
      });
    }
  } else if (url.protocol !== "https:") {
    problems.error("endpoint.scheme", path, "the endpoint must be an https URL", { value: endpoint, fix: "use https://<host>" });
  }
  if (endpoint.endsWith("/")) {
    problems.error("endpoint.trailing-slash", path, "no trailing slash: the issuer must match byte for byte", {
      value: endpoint,
      fix: `use ${endpoint.replace(/\/+$/, "")}`,
    });
  } else if (url.pathname !== "/" && url.pathname !== "") {
    problems.error("endpoint.path", path, "the endpoint must have no path: vMCP serves /mcp and /oauth/callback under it", {
      value: endpoint,
      fix: `use ${url.origin}`,
    });
  }
  if (url.search || url.hash || endpoint.includes("?") || endpoint.includes("#")) {
    problems.error("endpoint.query", path, "the endpoint must have no query or fragment", { value: endpoint, fix: `use ${url.origin}` });
  }
  if (url.username || url.password) {
    problems.error("endpoint.credentials", path, "the endpoint must not carry credentials", { fix: `use ${url.protocol}//${url.host}` });
  }
}

/**
 * Validates and derives. Returns the spec and the warnings; throws ConfigError (with every problem)
 * on any error. `root` is the config path shown in messages.
 */
export function parseTeam(input: unknown, root = TEAM_CONFIG_KEY): { spec: TeamSpec; warnings: Problem[] } {
  const problems = new ProblemList();
  const spec = validateTeam(input, root, problems);
  problems.throwIfErrors();
  return { spec: spec!, warnings: problems.warnings };
}

/** Like parseTeam, but reports into `problems` instead of throwing; returns undefined if the shape is unusable. */
export function validateTeam(input: unknown, root: string, problems: ProblemList): TeamSpec | undefined {
  const t = shapeProblems(input, root, problems);
  if (!t) return undefined;
  const environment = t.environment ?? "production";

  if (!DNS_LABEL.test(t.team) || t.team.length > 40) {
    problems.error("team.name", `${root}.team`, "the team name must be a DNS label of at most 40 characters (it names Okta and Kubernetes objects)", {
      value: t.team,
      fix: "use lower-case letters, digits and '-', e.g. engineering",
    });
  }
  checkEndpoint(t.endpoint, environment, `${root}.endpoint`, problems);

  // --- group prefix and groups -----------------------------------------------------------------
  const prefix = t.groupPrefix ?? "mcp-";
  if (prefix.length === 0) {
    problems.error("groups.prefix-empty", `${root}.groupPrefix`, "the group prefix must not be empty: the Okta claim filter would put every group the user has into the token", {
      fix: "use a prefix such as mcp-",
    });
  } else if (!PREFIX.test(prefix)) {
    problems.error("groups.prefix-invalid", `${root}.groupPrefix`, "the prefix may contain only letters, digits and - _ .", { value: prefix, fix: "use e.g. mcp-" });
  } else {
    if (prefix.length < 3) {
      problems.warn("groups.prefix-short", `${root}.groupPrefix`, "a very short prefix may match unrelated groups (admin or infrastructure groups) and leak them into tokens", {
        value: prefix,
        fix: "use a distinctive prefix such as mcp-",
      });
    }
    if (!/[-_.]$/.test(prefix)) {
      problems.warn("groups.prefix-no-separator", `${root}.groupPrefix`, `a prefix without a trailing separator also matches groups like "${prefix}admins"`, {
        value: prefix,
        fix: `use ${prefix}-`,
      });
    }
  }

  const groups: GroupSpec[] = [];
  const seenLower = new Map<string, string>();
  for (const [shortName, g] of Object.entries(t.groups)) {
    const path = `${root}.groups.${shortName}`;
    const name = shortName.startsWith(prefix) && prefix ? shortName : prefix + shortName;
    if (shortName.startsWith(prefix) && prefix) {
      problems.error("group.prefixed-short-name", path, `declare groups by short name; the prefix "${prefix}" is added for you`, {
        value: shortName,
        fix: `rename the key to ${shortName.slice(prefix.length)}`,
      });
    }
    if (!GROUP_NAME.test(shortName)) {
      problems.error("group.name-invalid", path, "group names may contain only letters, digits and - _ . (and must start and end with a letter or digit)", {
        value: shortName,
        fix: "rename the group",
      });
    }
    if (name.length > OKTA_GROUP_NAME_MAX) {
      problems.error("group.name-too-long", path, `the full Okta group name exceeds ${OKTA_GROUP_NAME_MAX} characters`, { value: name, fix: "use a shorter group name" });
    }
    const lower = name.toLowerCase();
    const clash = seenLower.get(lower);
    if (clash !== undefined) {
      problems.error(
        "group.duplicate",
        path,
        clash === name
          ? `group ${name} is declared twice`
          : `group ${name} differs from ${clash} only in case; Okta treats them as one group while Cedar ids are case-sensitive`,
        { value: shortName, fix: "keep one spelling" },
      );
    } else {
      seenLower.set(lower, name);
    }
    const members = g.members ?? [];
    const seenMembers = new Set<string>();
    members.forEach((m, i) => {
      const mp = `${path}.members[${i}]`;
      if (m.length === 0 || m.length > OKTA_LOGIN_MAX || /[\s\p{Cc}"<>\\,;()[\]]/u.test(m)) {
        problems.error("group.member-invalid", mp, `not a valid Okta login (no spaces or control characters, at most ${OKTA_LOGIN_MAX} characters)`, {
          value: m,
          fix: "use the user's Okta login, e.g. alice@example.com",
        });
      } else if (!EMAIL_LOGIN.test(m)) {
        // Okta's default login pattern requires an e-mail address; the membership lookup by login would find nobody.
        problems.warn("group.member-not-email", mp, "Okta logins are e-mail addresses unless the org's login pattern was changed; this member would not be found", {
          value: m,
          fix: `use the user's full Okta login, e.g. ${m.includes("@") ? m.split("@")[0] + "@example.com" : m + "@example.com"}`,
        });
      }
      if (seenMembers.has(m.toLowerCase())) problems.error("group.member-duplicate", mp, "member listed twice", { value: m, fix: "remove the duplicate" });
      seenMembers.add(m.toLowerCase());
    });
    groups.push({ shortName, name, description: g.description, members, allowAll: false, allow: [], deny: [] });
  }
  if (groups.length === 0) {
    problems.error("groups.empty", `${root}.groups`, "declare at least one group", { fix: "add e.g. groups: {developers: {description: ...}}" });
  }

  // --- backends ----------------------------------------------------------------------------------
  const backends: BackendSpec[] = [];
  for (const [name, b] of Object.entries(t.backends)) {
    const path = `${root}.backends.${name}`;
    if (!DNS_LABEL.test(name) || name.length > 63) {
      problems.error("backend.name", path, "backend names are MCPServer names and must be DNS labels", { value: name, fix: "use lower-case letters, digits and '-'" });
    }
    if (name === `${t.team}-tools`) {
      // The operator names an MCPServer's Deployment after it (cmd/thv-operator/controllers/mcpserver_controller.go:1430)
      // and the VirtualMCPServer's too (virtualmcpserver_deployment.go:188): one would overwrite the other.
      problems.error("backend.name-is-server", path, `a backend may not be named ${name}: that is this team's VirtualMCPServer, and the operator names both Deployments after their resource`, {
        value: name,
        fix: `rename the backend, e.g. ${t.team}-backend`,
      });
    }
    const tools = b.tools ? [...b.tools] : undefined;
    const seenTools = new Set<string>();
    tools?.forEach((tool, i) => {
      if (!TOOL_NAME.test(tool)) {
        problems.error("backend.tool-name", `${path}.tools[${i}]`, "tool names must not contain whitespace, quotes, backslashes or '/'", { value: tool, fix: "use the tool name exactly as the backend lists it in tools/list" });
      }
      if (seenTools.has(tool)) problems.error("backend.tool-duplicate", `${path}.tools[${i}]`, "tool listed twice", { value: tool, fix: "remove the duplicate" });
      seenTools.add(tool);
    });
    const prompts = b.prompts ? [...b.prompts] : undefined;
    checkNameList(prompts, `${path}.prompts`, "prompt", problems);
    const resourceUris = b.resourceUris ? [...b.resourceUris] : undefined;
    checkNameList(resourceUris, `${path}.resourceUris`, "resource URI", problems);
    const secretNames = new Set<string>();
    (b.secrets ?? []).forEach((s, i) => {
      const sp = `${path}.secrets[${i}]`;
      if (secretNames.has(s.name)) {
        problems.error("backend.secret-duplicate", `${sp}.name`, "MCPServer.spec.secrets is a map keyed by Secret name; each Secret may appear once", {
          value: s.name,
          fix: "use one Secret per entry",
        });
      }
      secretNames.add(s.name);
      if (!DNS_LABEL.test(s.name)) problems.error("backend.secret-name", `${sp}.name`, "Secret names must be DNS labels", { value: s.name, fix: "use lower-case letters, digits and '-'" });
    });
    if (b.local && !b.local.command && !b.local.url) {
      problems.error("backend.local-empty", `${path}.local`, "local needs a command (stdio) or a url (Streamable HTTP)", { fix: "add command: or url:" });
    }
    if (b.local?.command && b.local?.url) {
      problems.error("backend.local-both", `${path}.local`, "local takes a command or a url, not both", { fix: "remove one" });
    }
    backends.push({
      name,
      image: b.image,
      transport: b.transport ?? "stdio",
      args: b.args ?? [],
      env: b.env ?? {},
      secrets: b.secrets ?? [],
      resources: b.resources,
      tools,
      ...(prompts ? { prompts } : {}),
      ...(resourceUris ? { resourceUris } : {}),
      local: b.local,
    });
  }
  if (backends.length === 0) {
    problems.error("backends.empty", `${root}.backends`, "declare at least one backend (MCPServer)", { fix: "add backends: {<name>: {image: ...}}" });
  }

  // --- aggregation ---------------------------------------------------------------------------------
  const a = t.aggregation ?? {};
  const aggregation: AggregationSpec = {
    conflictResolution: a.conflictResolution ?? DEFAULT_AGGREGATION.conflictResolution,
    prefixFormat: a.prefixFormat ?? DEFAULT_AGGREGATION.prefixFormat,
    priorityOrder: a.priorityOrder ?? [],
    overrides: a.overrides ?? {},
  };
  const backendNames = backends.map((b) => b.name);
  checkAggregation(aggregation, backends, `${root}.aggregation`, problems);
  const aggregated = aggregate(
    aggregation,
    // A name listed twice by one backend is reported above, not as a conflict between backends.
    backends.map((b) => ({
      backend: b.name,
      tools: b.tools ? [...new Set(b.tools)] : undefined,
      prompts: b.prompts ? [...new Set(b.prompts)] : undefined,
      // A URI with `{` is an RFC 6570 template (resources/templates/list); vMCP dedupes the two kinds apart.
      resources: b.resourceUris ? [...new Set(b.resourceUris.filter((u) => !u.includes("{")))] : undefined,
      resourceTemplates: b.resourceUris ? [...new Set(b.resourceUris.filter((u) => u.includes("{")))] : undefined,
    })),
  );
  reportConflicts(aggregation, aggregated.conflicts, `${root}.aggregation`, problems);
  const advertisedTools = aggregated.tools.map((x) => ({ name: x.name, backend: x.backend, tool: x.original }));

  // --- grants ----------------------------------------------------------------------------------------
  const groupByShort = new Map(groups.map((g) => [g.shortName, g]));
  for (const [groupKey, grant] of Object.entries(t.grants ?? {})) {
    const path = `${root}.grants.${groupKey}`;
    const group = groupByShort.get(groupKey);
    if (!group) {
      const full = groups.find((g) => g.name === groupKey);
      problems.error("grant.unknown-group", path, "grant names a group that is not declared in groups", {
        value: groupKey,
        fix: full ? `use the short name ${full.shortName} (the prefix is added for you)` : didYouMean(groupKey, groupByShort.keys()) ?? "declare the group under groups first",
      });
      continue;
    }
    if (grant.allow === "*") group.allowAll = true;
    const resolve = (refs: string[] | undefined, kind: "allow" | "deny"): ToolRef[] => {
      const out: ToolRef[] = [];
      (refs ?? []).forEach((ref, i) => {
        const rp = `${path}.${kind}[${i}]`;
        const parsed = parseToolRef(ref);
        if (!parsed) {
          problems.error("grant.tool-ref", rp, "a tool reference is <backend>/<tool>", { value: ref, fix: "e.g. kubernetes-backend/delete_namespace" });
          return;
        }
        const backend = backends.find((b) => b.name === parsed.backend);
        if (!backend) {
          // A common slip: writing the advertised (prefixed) name instead of backend/tool.
          const asAdvertised = advertisedTools.find((x) => x.name === ref.replace("/", "_") || x.name === ref);
          problems.error("grant.unknown-backend", rp, `backend ${parsed.backend} is not declared`, {
            value: ref,
            fix: asAdvertised ? `write ${asAdvertised.backend}/${asAdvertised.tool}` : didYouMean(parsed.backend, backendNames) ?? "declare the backend under backends",
          });
          return;
        }
        if (backend.tools === undefined) {
          problems.warn("grant.tool-undeclared-list", rp, `backend ${backend.name} declares no tool list, so ${parsed.tool} cannot be checked`, {
            fix: `list the backend's tools under backends.${backend.name}.tools`,
          });
        } else if (!backend.tools.includes(parsed.tool)) {
          problems.error("grant.unknown-tool", rp, `backend ${backend.name} does not expose ${parsed.tool}`, {
            value: ref,
            fix: didYouMean(parsed.tool, backend.tools) ?? `one of: ${backend.tools.join(", ")}`,
          });
          return;
        } else if (!advertisedTools.some((x) => x.backend === parsed.backend && x.tool === parsed.tool)) {
          // Lost a name conflict (see the aggregation problems): a policy on its name would name another backend's tool.
          const renamed = overrideFor(aggregation, parsed.backend, parsed.tool) || parsed.tool;
          const holder = advertisedTools.find((x) => x.name === renamed);
          problems.error("grant.tool-not-advertised", rp, `vMCP does not advertise ${ref}: it loses the name ${renamed} to another backend${holder ? ` (${holder.backend})` : ""}`, {
            value: ref,
            fix: holder ? `grant ${holder.backend}/${holder.tool} instead, or rename the tool with an override` : "rename the tool with an override",
          });
          return;
        }
        if (out.some((r) => r.backend === parsed.backend && r.tool === parsed.tool)) {
          problems.error("grant.duplicate", rp, "tool listed twice", { value: ref, fix: "remove the duplicate" });
          return;
        }
        out.push(parsed);
      });
      return out;
    };
    if (grant.allow !== "*") group.allow = resolve(grant.allow, "allow");
    group.deny = resolve(grant.deny, "deny");
    for (const d of group.deny) {
      if (group.allow.some((x) => x.backend === d.backend && x.tool === d.tool)) {
        problems.error("grant.allow-and-deny", path, `${d.backend}/${d.tool} is both allowed and denied; forbid wins, so the allow is dead`, {
          fix: "remove it from one list",
        });
      }
    }
    if (!group.allowAll && group.allow.length === 0 && group.deny.length > 0) {
      problems.warn("grant.deny-only", path, "the group is denied tools but allowed none; under default deny the forbids change nothing", {
        fix: "add allow: or remove the grant",
      });
    }
  }

  // --- cedar options -------------------------------------------------------------------------------
  const c = t.cedar ?? {};
  const cedar: CedarSpec = {
    rawPolicies: c.policies ?? [],
    entitiesJson: c.entitiesJson ?? "[]",
    groupClaimName: c.groupClaimName,
    roleClaimName: c.roleClaimName,
    groupEntityType: c.groupEntityType ?? "THVGroup",
    claims: c.claims ?? {},
    arguments: c.arguments ?? {},
  };
  if (!CEDAR_IDENT.test(cedar.groupEntityType) || cedar.groupEntityType.length > 63) {
    problems.error("cedar.group-entity-type", `${root}.cedar.groupEntityType`, "must be a plain Cedar identifier (no ::), at most 63 characters", {
      value: cedar.groupEntityType,
      fix: "use THVGroup",
    });
  }
  try {
    const parsed = JSON.parse(cedar.entitiesJson);
    if (!Array.isArray(parsed)) throw new Error("not an array");
  } catch (e) {
    problems.error("cedar.entities-json", `${root}.cedar.entitiesJson`, `must be a JSON array of Cedar entities (${(e as Error).message})`, { fix: 'use "[]"' });
  }
  for (const section of ["claims", "arguments"] as const) {
    for (const [name, type] of Object.entries(cedar[section])) {
      if (type !== "Long") continue;
      // ToolHive decodes JSON without UseNumber, so every number reaches Cedar as a decimal
      // (pkg/authz/authorizers/cedar/entity.go:242 `case float64` -> convertFloatToCedar, :265); a Long
      // comparison on it is a type error at evaluation, and an error denies.
      problems.error("cedar.long-type", `${root}.cedar.${section}.${name}`, "ToolHive turns every JSON number into a Cedar decimal, so a Long comparison always errors (and denies)", {
        value: type,
        fix: `declare it as decimal and compare with decimal("…"), e.g. context.${section === "claims" ? "claim_" : "arg_"}${name}.greaterThan(decimal("5.0"))`,
      });
    }
  }
  const ids = new Set<string>();
  cedar.rawPolicies.forEach((p, i) => {
    if (ids.has(p.id)) problems.error("cedar.policy-id-duplicate", `${root}.cedar.policies[${i}].id`, "policy ids must be unique", { value: p.id, fix: "give each policy its own id" });
    ids.add(p.id);
  });

  return {
    team: t.team,
    serverName: `${t.team}-tools`,
    environment,
    endpoint: t.endpoint,
    groupPrefix: prefix,
    claimFilter: { type: "STARTS_WITH", value: prefix },
    groups,
    backends,
    aggregation,
    cedar,
    tools: advertisedTools,
    prompts: aggregated.prompts,
    resources: [...aggregated.resources, ...aggregated.resourceTemplates],
    raw: { okta: t.okta, kubernetes: t.kubernetes, dev: t.dev, gateway: t.gateway },
  };
}

/** Declared prompt names and resource URIs: non-empty, listed once. */
function checkNameList(list: string[] | undefined, path: string, what: string, problems: ProblemList): void {
  const seen = new Set<string>();
  list?.forEach((x, i) => {
    if (x.trim() === "" || /[\s"\\]/.test(x)) {
      problems.error("backend.name-list", `${path}[${i}]`, `a ${what} must be non-empty, without whitespace, quotes or backslashes`, { value: x, fix: "use the name exactly as the backend lists it" });
    }
    if (seen.has(x)) problems.error("backend.name-list-duplicate", `${path}[${i}]`, `${what} listed twice`, { value: x, fix: "remove the duplicate" });
    seen.add(x);
  });
}

/**
 * The aggregation settings vMCP refuses at startup, as check errors. vMCP's config validator
 * (pkg/vmcp/config/validator.go:411-431) and its resolver factory (pkg/vmcp/aggregator/conflict_resolver.go:96-106)
 * reject these after the operator has accepted the VirtualMCPServer, so the pod crash-loops.
 */
function checkAggregation(a: AggregationSpec, backends: BackendSpec[], root: string, problems: ProblemList): void {
  const backendNames = backends.map((b) => b.name);
  const declared = `declared backends: ${backendNames.join(", ")}`;
  if (a.conflictResolution === "prefix" && !a.prefixFormat.includes("{workload}")) {
    // validator.go:414 only requires a non-empty format; a static prefix gives every backend the same one.
    problems.error("aggregation.prefix-format", `${root}.prefixFormat`, "the prefix format must contain {workload}", { value: a.prefixFormat, fix: "use {workload}_" });
  }
  if (a.conflictResolution === "priority" && a.priorityOrder.length === 0) {
    // validator.go:419-421 "priorityOrder is required for priority strategy"
    problems.error("aggregation.priority-order-missing", `${root}.priorityOrder`, "conflictResolution: priority needs a priorityOrder; vmcp refuses to start without one", {
      fix: `list the backends, highest priority first, e.g. priorityOrder: [${backendNames.join(", ")}]`,
    });
  }
  if (a.conflictResolution !== "priority" && a.priorityOrder.length > 0) {
    problems.warn("aggregation.priority-order-unused", `${root}.priorityOrder`, `priorityOrder is read only by conflictResolution: priority (this team uses ${a.conflictResolution})`, {
      fix: "remove priorityOrder, or set conflictResolution: priority",
    });
  }
  const seen = new Set<string>();
  a.priorityOrder.forEach((b, i) => {
    const path = `${root}.priorityOrder[${i}]`;
    if (!backendNames.includes(b)) problems.error("aggregation.unknown-backend", path, "not a declared backend", { value: b, fix: didYouMean(b, backendNames) ?? declared });
    // A backend listed twice ranks by its last position for tools (priority_resolver.go:43) and by
    // its first for prompts (conflict_resolver.go:66-72).
    if (seen.has(b)) problems.error("aggregation.priority-order-duplicate", path, "backend listed twice in priorityOrder (vMCP would rank its tools and prompts differently)", { value: b, fix: "list each backend once" });
    seen.add(b);
  });
  const renames = Object.values(a.overrides).reduce((n, r) => n + Object.keys(r).length, 0);
  if (a.conflictResolution === "manual" && renames === 0) {
    // validator.go:423-427 "tool overrides are required for manual strategy"
    problems.error("aggregation.manual-without-overrides", `${root}.overrides`, "conflictResolution: manual needs at least one tool override; vmcp refuses to start without one", {
      fix: "add overrides: {<backend>: {<tool>: <new name>}}, or use conflictResolution: prefix",
    });
  }
  for (const [b, tools] of Object.entries(a.overrides)) {
    const backend = backends.find((x) => x.name === b);
    if (!backend) {
      problems.error("aggregation.unknown-backend", `${root}.overrides.${b}`, "not a declared backend", { value: b, fix: didYouMean(b, backendNames) ?? declared });
      continue;
    }
    const renamedTo = new Map<string, string>();
    for (const [tool, name] of Object.entries(tools)) {
      const path = `${root}.overrides.${b}.${tool}`;
      if (backend.tools && !backend.tools.includes(tool)) {
        problems.error("aggregation.unknown-tool", path, `backend ${b} declares no tool ${tool}`, { fix: didYouMean(tool, backend.tools) ?? `declared tools: ${backend.tools.join(", ")}` });
      }
      if (name === "") {
        // validator.go:455-461: an override needs a name (or a description, which this package does not set).
        problems.error("aggregation.override-empty", path, "an override needs the new tool name; vmcp refuses an empty one", { fix: "give the new name, or remove the override" });
        continue;
      }
      if (!TOOL_NAME.test(name)) problems.error("aggregation.override-name", path, "tool names must not contain whitespace, quotes, backslashes or '/'", { value: name, fix: "use a plain tool name" });
      // Two tools of one backend under one name: vMCP keeps the first and loses the other (tool_adapter.go:88-120).
      // Reported once per name (two overrides onto one name would otherwise report each other).
      const other = backend.tools?.find((x) => x !== tool && (overrideFor(a, b, x) || x) === name);
      if (other !== undefined && !renamedTo.has(name)) {
        problems.error("aggregation.override-collision", path, `${b}/${tool} would be renamed to ${name}, which ${b}/${other} is also advertised as`, { value: name, fix: "choose a name the backend does not already use" });
      }
      renamedTo.set(name, tool);
    }
  }
}

/** vMCP's conflict outcomes (./aggregation.ts) as check errors and warnings. */
function reportConflicts(a: AggregationSpec, conflicts: AggregationConflict[], root: string, problems: ProblemList): void {
  for (const c of conflicts) {
    const who = c.backends.join(" and ");
    switch (c.outcome) {
      case "nondeterministic":
        problems.error("aggregation.conflict", root, `tool name ${c.name} is advertised by ${who}; vMCP would keep one of them at random`, {
          fix: a.conflictResolution === "priority" ? "rename one tool with an override, or list one backend in priorityOrder" : "use a prefix format that keeps backends apart, or rename one tool with an override",
        });
        break;
      case "startup-failure":
        problems.error("aggregation.conflict", root, `tool name ${c.name} is advertised by ${who}; under manual resolution vmcp refuses to start (unresolved conflict)`, {
          fix: `add an override renaming it for ${c.backends.length > 2 ? "all but one backend" : "one backend"}, e.g. overrides: {${c.backends[0]}: {${c.name}: ${c.backends[0]}_${c.name}}}`,
        });
        break;
      case "kept-by-priority":
        if (c.kind === "tool") problems.warn("aggregation.conflict-priority", root, `tool name ${c.name} is advertised by ${who}; only ${c.kept}'s is reachable`);
        else problems.warn("aggregation.prompt-conflict-priority", root, `prompt name ${c.name} is advertised by ${who}; only ${c.kept}'s is reachable`);
        break;
      case "prefixed-fallback":
        problems.warn("aggregation.priority-fallback", root, `tool name ${c.name} is advertised by ${who}, none of them in priorityOrder, so vMCP advertises ${c.advertised!.join(" and ")} (its default {workload}_ format, not prefixFormat)`, {
          fix: `add one of ${who} to priorityOrder to keep the bare name`,
        });
        break;
      case "dropped-ambiguous":
        problems.error("aggregation.prompt-conflict", root, `prompt name ${c.name} is claimed by ${who}; vMCP advertises it for nobody`, {
          fix: "rename a backend, or under priority list every claimant in priorityOrder",
        });
        break;
      case "first-backend-wins":
        problems.warn("aggregation.resource-conflict", root, `${c.kind === "resource" ? "resource" : "resource template"} ${c.name} is listed by ${who}; vMCP serves only ${c.kept}'s`);
        break;
    }
  }
}

export { ConfigError };
