/**
 * Cedar policies from the group list: a permit for what a group is allowed, a forbid for what it is
 * denied, nothing for a group with no grants (default deny). Raw policies the team adds are checked
 * against the same names: every THVGroup, Tool and Action they mention must exist, and every policy
 * is parsed and validated with cedar-wasm against ToolHive's request schema.
 */
import cedar from "./wasm";
import type { DetailedError } from "./wasm";
import { ProblemList, didYouMean } from "../errors";
import { CEDAR_ACTIONS } from "./authorizer";
import { toolhiveSchema } from "./schema";
import { TEAM_CONFIG_KEY } from "../spec/parse";
import type { GroupSpec, TeamSpec, ToolRef } from "../spec/types";
import { soleAdvertisedName } from "../spec/aggregation";
import { advertisedItems, lookupAdvertised, notAdvertisedMessage } from "../spec/advertised";

export interface CompiledPolicy {
  id: string;
  text: string;
  source: "generated" | "raw";
  /** For generated policies: the group it derives from. */
  group?: string;
}

export function cedarString(s: string): string {
  return JSON.stringify(s).replace(/\\u([0-9a-f]{4})/gi, (m) => m); // JSON escaping is valid Cedar escaping
}

function toolEntity(spec: TeamSpec, ref: ToolRef): string {
  const t = spec.tools.find((x) => x.backend === ref.backend && x.tool === ref.tool);
  // Backends without a declared list: the name vMCP will advertise under the configured strategy.
  const name = t?.name ?? soleAdvertisedName(spec.aggregation, "tool", ref.backend, ref.tool);
  return `Tool::${cedarString(name)}`;
}

/**
 * The resource part of a generated policy: one tool in the scope, several in a `when` clause (Cedar's
 * scope only takes `resource == E` or `resource in E` with a single entity; a set there does not parse).
 */
function resourceClause(spec: TeamSpec, refs: ToolRef[]): { scope: string; when: string } {
  const ents = refs.map((r) => toolEntity(spec, r));
  return ents.length === 1
    ? { scope: `resource == ${ents[0]}`, when: "" }
    : { scope: "resource", when: ` when {\n  resource in [${ents.join(", ")}]\n}` };
}

function groupPolicies(spec: TeamSpec, g: GroupSpec): CompiledPolicy[] {
  const principal = `principal in ${spec.cedar.groupEntityType}::${cedarString(g.name)}`;
  const out: CompiledPolicy[] = [];
  const add = (suffix: string, body: string) => {
    const id = `${g.name}.${suffix}`;
    out.push({ id, text: `@id(${cedarString(id)})\n${body}`, source: "generated", group: g.name });
  };
  if (g.allowAll) add("allow-all", `permit (\n  ${principal},\n  action,\n  resource\n);`);
  else if (g.allow.length > 0) {
    const r = resourceClause(spec, g.allow);
    add("allow-tools", `permit (\n  ${principal},\n  action == Action::"call_tool",\n  ${r.scope}\n)${r.when};`);
  }
  if (g.deny.length > 0) {
    const r = resourceClause(spec, g.deny);
    add("deny-tools", `forbid (\n  ${principal},\n  action == Action::"call_tool",\n  ${r.scope}\n)${r.when};`);
  }
  return out;
}

/** Generated policies in group order, then the team's raw policies, one policy per string. */
export function teamPolicies(spec: TeamSpec): CompiledPolicy[] {
  return [
    ...spec.groups.flatMap((g) => groupPolicies(spec, g)),
    ...spec.cedar.rawPolicies.map((p) => ({ id: p.id, text: p.cedar, source: "raw" as const })),
  ];
}

export function policyRecord(policies: CompiledPolicy[]): Record<string, string> {
  return Object.fromEntries(policies.map((p) => [p.id, p.text]));
}

/** Line and column of a character offset, 1-based. */
function position(text: string, offset: number): string {
  const before = text.slice(0, offset).split("\n");
  return `line ${before.length}, column ${before[before.length - 1].length + 1}`;
}

function describeCedarError(text: string, e: DetailedError): string {
  const loc = e.sourceLocations?.[0];
  const where = loc ? ` at ${position(text, loc.start)} (\`${text.slice(loc.start, loc.end)}\`)` : "";
  return `${e.message}${where}${e.help ? `; ${e.help}` : ""}`;
}

interface EntityRef {
  type: string;
  id: string;
}

/** Every entity literal in a policy's JSON form (scope constraints and expressions). */
function entityRefs(json: unknown): EntityRef[] {
  const out: EntityRef[] = [];
  const visit = (v: unknown, key?: string) => {
    if (Array.isArray(v)) {
      for (const x of v) visit(x, key === "entities" ? "entity" : undefined);
      return;
    }
    if (typeof v !== "object" || v === null) return;
    const o = v as Record<string, unknown>;
    if ((key === "entity" || key === "__entity") && typeof o.type === "string" && typeof o.id === "string") {
      out.push({ type: o.type, id: o.id });
      return;
    }
    for (const [k, x] of Object.entries(o)) visit(x, k);
  };
  visit(json);
  return out;
}

function policyPath(spec: TeamSpec, p: CompiledPolicy, root: string): string {
  if (p.source === "generated") return `${root}.grants.${spec.groups.find((g) => g.name === p.group)?.shortName ?? p.group}`;
  const i = spec.cedar.rawPolicies.findIndex((r) => r.id === p.id);
  return `${root}.cedar.policies[${i}]`;
}

function checkReferences(spec: TeamSpec, p: CompiledPolicy, refs: EntityRef[], path: string, problems: ProblemList): void {
  const groupNames = spec.groups.map((g) => g.name);
  const known = new Set([spec.cedar.groupEntityType, "Tool", "Action", "Client", "MCP", "Prompt", "Resource"]);
  for (const ref of refs) {
    const lit = `${ref.type}::${JSON.stringify(ref.id)}`;
    if (ref.type === spec.cedar.groupEntityType) {
      if (groupNames.includes(ref.id)) continue;
      const caseTwin = groupNames.find((g) => g.toLowerCase() === ref.id.toLowerCase());
      problems.error("policy.unknown-group", path, `policy ${p.id} names ${lit}, which is not a declared group, so it never matches a token`, {
        value: ref.id,
        fix: caseTwin
          ? `group ids are case-sensitive: write ${spec.cedar.groupEntityType}::"${caseTwin}"`
          : didYouMean(ref.id, groupNames) ?? `declare the group (groups are ${groupNames.join(", ")})`,
      });
    } else if (ref.type === "Tool" || ref.type === "Prompt") {
      const kind = ref.type === "Tool" ? "tool" : "prompt";
      const found = lookupAdvertised(spec, kind, ref.id);
      if (found.status === "advertised") continue;
      const code = kind === "tool" ? "tool" : "prompt";
      if (found.status === "unchecked") {
        problems.warn(`policy.${code}-unchecked`, path, `policy ${p.id} names ${lit}; backend ${found.backends.join(" or ")} declares no ${kind} list, so it cannot be checked`, {
          fix: `list the backend's ${kind}s under backends.${found.backends[0]}.${kind}s`,
        });
        continue;
      }
      const items = advertisedItems(spec, kind);
      const bare = items.filter((x) => x.original === ref.id);
      if (bare.length > 0) {
        problems.error(`policy.unprefixed-${code}`, path, `policy ${p.id} names ${lit}, but vMCP advertises that ${kind} as ${bare.map((x) => JSON.stringify(x.name)).join(" or ")}, so this never matches`, {
          value: ref.id,
          fix: `write ${bare.map((x) => `${ref.type}::"${x.name}"`).join(" or ")}`,
        });
      } else {
        problems.error(`policy.unknown-${code}`, path, `policy ${p.id} names ${lit}: ${notAdvertisedMessage(kind, ref.id, found, items)}`, {
          value: ref.id,
          fix: found.suggestions.length ? `write ${ref.type}::"${found.suggestions[0]}"` : `advertised ${kind}s: ${items.map((x) => x.name).join(", ") || "(none declared)"}`,
        });
      }
    } else if (ref.type === "Action") {
      if ((CEDAR_ACTIONS as readonly string[]).includes(ref.id)) continue;
      const never = ["list_tools", "list_prompts", "list_resources"].includes(ref.id);
      problems.error("policy.unknown-action", path, `policy ${p.id} names ${lit}${never ? ", which ToolHive never issues (lists are filtered per item with call_tool, get_prompt, read_resource)" : ", which ToolHive does not issue"}`, {
        value: ref.id,
        fix: didYouMean(ref.id, CEDAR_ACTIONS) ?? `use one of ${CEDAR_ACTIONS.map((a) => `Action::"${a}"`).join(", ")}`,
      });
    } else if (ref.type === "MCP") {
      if (ref.id !== spec.serverName) {
        problems.error("policy.unknown-server", path, `policy ${p.id} names ${lit}, but this team's vMCP is ${spec.serverName}`, {
          value: ref.id,
          fix: `write MCP::"${spec.serverName}"`,
        });
      }
    } else if (!known.has(ref.type)) {
      problems.error("policy.unknown-entity-type", path, `policy ${p.id} names entity type ${ref.type}, which ToolHive never builds`, {
        value: ref.type,
        fix: ref.type === "THVGroup" || /group/i.test(ref.type) ? `groups use ${spec.cedar.groupEntityType}` : `use Client, ${spec.cedar.groupEntityType}, Tool, Prompt, Resource, MCP or Action`,
      });
    }
  }
}

/**
 * Checks every policy: parse (one policy per string), references, and schema validation. Problems
 * are added to `problems` with the config path of the policy's origin.
 */
export function checkPolicies(spec: TeamSpec, policies: CompiledPolicy[], problems: ProblemList, root = TEAM_CONFIG_KEY): void {
  // An invalid group entity type (reported by the team validation) makes every generated policy and
  // the schema unparsable; reporting each of those would only bury the one real error.
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(spec.cedar.groupEntityType)) return;
  let parsedAll = true;
  for (const p of policies) {
    const path = policyPath(spec, p, root);
    const parts = cedar.policySetTextToParts(p.text);
    if (parts.type === "success" && parts.policies.length + parts.policy_templates.length > 1) {
      problems.error("policy.multiple", path, `policy ${p.id} holds ${parts.policies.length + parts.policy_templates.length} policies in one string; ToolHive's parser may silently drop all but the first`, {
        fix: "put each policy in its own entry",
      });
      parsedAll = false;
      continue;
    }
    const json = cedar.policyToJson(p.text);
    if (json.type !== "success") {
      problems.error("policy.parse", path, `policy ${p.id} does not parse: ${json.errors.map((e) => describeCedarError(p.text, e)).join("; ")}`, {
        fix: "correct the Cedar syntax",
      });
      parsedAll = false;
      continue;
    }
    checkReferences(spec, p, entityRefs(json.json), path, problems);
  }
  if (!parsedAll) return;
  const result = cedar.validate({
    schema: toolhiveSchema(spec.cedar),
    policies: { staticPolicies: policyRecord(policies) },
    validationSettings: { mode: "strict" },
  });
  if (result.type === "failure") {
    problems.error("policy.schema", `${root}.cedar`, `the Cedar schema could not be built: ${result.errors.map((e) => e.message).join("; ")}`, {
      fix: "check cedar.groupEntityType, cedar.claims and cedar.arguments",
    });
    return;
  }
  // `type` is "success" even when policies are invalid: the errors are in validationErrors.
  for (const v of result.validationErrors) {
    const p = policies.find((x) => x.id === v.policyId);
    problems.error("policy.invalid", p ? policyPath(spec, p, root) : `${root}.cedar`, `policy ${v.policyId}: ${describeCedarError(p?.text ?? "", v.error)}`, {
      fix: /attribute/.test(v.error.message)
        ? "guard optional data with `has`, and declare the claims and arguments your policies read under cedar.claims / cedar.arguments"
        : "correct the policy",
    });
  }
  for (const w of result.validationWarnings) {
    const p = policies.find((x) => x.id === w.policyId);
    problems.warn("policy.warning", p ? policyPath(spec, p, root) : `${root}.cedar`, `policy ${w.policyId}: ${w.error.message}`);
  }
}
