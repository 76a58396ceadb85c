/**
 * Turns a team definition (stack config object or TypeScript literal) into a validated TeamSpec.
 * Shape is checked with zod, meaning with explicit rules below; every problem names its config path
 * and the fix. Nothing here touches Pulumi, Okta or Kubernetes.
 */
import { z } from "zod";
import { ConfigError, ProblemList, didYouMean, type Problem } from "../errors";
import { aggregateTools, DEFAULT_AGGREGATION } from "./toolNames";
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
  return [];
}

function shapeProblems(input: unknown, root: string, problems: ProblemList): input is TeamInput {
  const result = teamSchema.safeParse(input);
  if (result.success) return true;
  for (const issue of result.error.issues) {
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) {
        const hint = didYouMean(key, knownKeysAt(issue.path));
        problems.error("config.unknown-key", joinPath(root, [...issue.path, key]), "unknown key", {
          fix: hint ?? `remove it; known keys: ${knownKeysAt(issue.path).join(", ")}`,
        });
      }
      continue;
    }
    problems.error("config.invalid", joinPath(root, issue.path), issue.message, {
      fix: "correct the value's type or form as the message says",
    });
  }
  return false;
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
  if (!shapeProblems(input, root, problems)) return undefined;
  const t = input as TeamInput;
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
      if (!/^[^\s@]+@[^\s@]+$/.test(m) && !/^[A-Za-z0-9._-]+$/.test(m)) {
        problems.error("group.member-invalid", mp, "not a valid Okta login", { value: m, fix: "use the user's Okta login, e.g. alice@example.com" });
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
    const tools = b.tools ? [...b.tools] : undefined;
    const seenTools = new Set<string>();
    tools?.forEach((tool, i) => {
      if (!TOOL_NAME.test(tool)) {
        problems.error("backend.tool-name", `${path}.tools[${i}]`, "tool names must not contain whitespace, quotes, backslashes or '/'", { value: tool, fix: "use the tool name exactly as the backend lists it in tools/list" });
      }
      if (seenTools.has(tool)) problems.error("backend.tool-duplicate", `${path}.tools[${i}]`, "tool listed twice", { value: tool, fix: "remove the duplicate" });
      seenTools.add(tool);
    });
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
  if (aggregation.conflictResolution === "prefix" && !aggregation.prefixFormat.includes("{workload}")) {
    problems.error("aggregation.prefix-format", `${root}.aggregation.prefixFormat`, "the prefix format must contain {workload}", {
      value: aggregation.prefixFormat,
      fix: "use {workload}_",
    });
  }
  aggregation.priorityOrder.forEach((b, i) => {
    if (!backendNames.includes(b)) {
      problems.error("aggregation.unknown-backend", `${root}.aggregation.priorityOrder[${i}]`, "not a declared backend", { value: b, fix: didYouMean(b, backendNames) ?? `declared backends: ${backendNames.join(", ")}` });
    }
  });
  for (const [b, renames] of Object.entries(aggregation.overrides)) {
    const backend = backends.find((x) => x.name === b);
    if (!backend) {
      problems.error("aggregation.unknown-backend", `${root}.aggregation.overrides.${b}`, "not a declared backend", { value: b, fix: didYouMean(b, backendNames) ?? `declared backends: ${backendNames.join(", ")}` });
      continue;
    }
    for (const tool of Object.keys(renames)) {
      if (backend.tools && !backend.tools.includes(tool)) {
        problems.error("aggregation.unknown-tool", `${root}.aggregation.overrides.${b}.${tool}`, `backend ${b} declares no tool ${tool}`, {
          fix: didYouMean(tool, backend.tools) ?? `declared tools: ${backend.tools.join(", ")}`,
        });
      }
    }
  }
  const aggregated = aggregateTools(
    aggregation,
    // A tool listed twice by one backend is reported above, not as a conflict between backends.
    backends.filter((b) => b.tools).map((b) => ({ backend: b.name, tools: [...new Set(b.tools!)] })),
  );
  for (const c of aggregated.conflicts) {
    if (c.kept === undefined) {
      problems.error("aggregation.conflict", `${root}.aggregation`, `tool name ${c.name} is advertised by ${c.backends.join(" and ")}; vMCP would hide it`, {
        fix: aggregation.conflictResolution === "manual" ? `add an override renaming it for one backend` : "use a prefix format that keeps backends apart",
      });
    } else {
      problems.warn("aggregation.conflict-priority", `${root}.aggregation`, `tool name ${c.name} is advertised by ${c.backends.join(" and ")}; only ${c.kept}'s is reachable`);
    }
  }

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
          const asAdvertised = aggregated.tools.find((x) => x.name === ref.replace("/", "_") || x.name === ref);
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
    tools: aggregated.tools,
    raw: { okta: t.okta, kubernetes: t.kubernetes, dev: t.dev },
  };
}

export { ConfigError };
