/**
 * The access matrix: every group (and "no group") × every advertised tool, allow or deny, with the
 * policies that decided. Exported by the stack so `pulumi preview --diff` shows who gains or loses a tool.
 */
import cedar from "./wasm";
import { Authorizer } from "./authorizer";
import type { CompiledPolicy } from "./policies";
import type { TeamSpec } from "../spec/types";

export const NO_GROUP = "(no group)";

export interface MatrixCell {
  decision: "allow" | "deny";
  policies: string[];
}

export interface AccessMatrix {
  groups: string[];
  tools: string[];
  /** cells[group][tool] */
  cells: Record<string, Record<string, MatrixCell>>;
}

/**
 * Decides every cell with `authorizer`. When `policies` (the compiled policies the authorizer was
 * built from) are given, the matrix is computed with far fewer Cedar evaluations and the same
 * result; see `rowPlans`.
 */
export function accessMatrix(spec: Pick<TeamSpec, "groups" | "tools">, authorizer: Authorizer, policies?: readonly CompiledPolicy[]): AccessMatrix {
  const groups = [...spec.groups.map((g) => g.name), NO_GROUP];
  const tools = spec.tools.map((t) => t.name);
  const planFor = policies ? rowPlans(authorizer, policies) : (): RowPlan => ({ authorizer });
  // Cedar lists determining policies in hash order, which shifts when unrelated policies come or go;
  // cells list them in declaration order, so a matrix diff shows only real changes.
  const order = new Map(authorizer.policyIds.map((id, i) => [id, i]));
  const byDeclaration = (ids: string[]) => (ids.length > 1 ? [...ids].sort((a, b) => order.get(a)! - order.get(b)!) : ids);
  const cells: AccessMatrix["cells"] = {};
  for (const group of groups) {
    const claims = { sub: `matrix:${group}`, groups: group === NO_GROUP ? [] : [group] };
    const plan = planFor(group === NO_GROUP ? undefined : group);
    const decided = new Map<string, MatrixCell>();
    const row: Record<string, MatrixCell> = {};
    for (const tool of tools) {
      if (plan.authorizer === null) {
        row[tool] = { decision: "deny", policies: [] };
        continue;
      }
      const cls = plan.toolClass?.(tool);
      const known = cls === undefined ? undefined : decided.get(cls);
      if (known) {
        row[tool] = { decision: known.decision, policies: [...known.policies] };
        continue;
      }
      const d = plan.authorizer.authorize({ claims, action: "call_tool", resourceId: tool });
      row[tool] = { decision: d.allowed ? "allow" : "deny", policies: byDeclaration(d.policies) };
      if (cls !== undefined) decided.set(cls, row[tool]);
    }
    cells[group] = row;
  }
  return { groups, tools, cells };
}

type UidJson = { type: string; id: string } | { __entity: { type: string; id: string } };
const uidKey = (u: UidJson) => {
  const t = "__entity" in u ? u.__entity : u;
  return `${t.type}::${JSON.stringify(t.id)}`;
};

interface RowPlan {
  /** Decides the row's cells; null when no policy can apply (every cell is a default deny). */
  authorizer: Authorizer | null;
  /** Tools with the same class get the same cell; undefined (or no function) means decide the tool itself. */
  toolClass?: (tool: string) => string | undefined;
}

/**
 * How the matrix principal of each row can be decided cheaply, with exactly the answers of the
 * full authorizer. Cedar has no policy index and a decision costs some 50–250 µs, so deciding
 * groups × tools cells one by one against every policy is what made the matrix slow. Two exact
 * reductions:
 *
 * 1. Policy slices. A generated policy's scope is `principal in <GroupType>::"<group>"`, and the
 *    matrix principal's only parent is the row's group, so the policy can match only if its group
 *    is the row's group or an ancestor of it in entitiesJson. The other generated policies have a
 *    false scope: their conditions are never evaluated and they add no reason and no error, so the
 *    row is decided by a slice without them. Raw policies are always kept.
 * 2. Tool classes. Within a row, the requests differ only in the resource: `Tool::"<name>"` with
 *    attributes name/operation/feature and the single parent `MCP::"<server>"`. If no policy of the
 *    slice reads the resource except through its scope or a `resource in [Tool::…]` literal set,
 *    a decision depends on the tool only through which of those literals name it. Tools named by
 *    the same policies (typically: every tool nobody names, and each allow- or deny-list) form one
 *    class, decided once. This needs entitiesJson to say nothing about `Tool` entities (a request's
 *    own Tool entity replaces a static one, so a static Tool could make ancestry differ per tool).
 *
 * Falls back to the full authorizer and per-tool decisions when the policies do not match it.
 */
function rowPlans(authorizer: Authorizer, policies: readonly CompiledPolicy[]): (group: string | undefined) => RowPlan {
  const texts = authorizer.policyTexts;
  if (policies.length !== authorizer.policyIds.length || policies.some((p) => texts[p.id] !== p.text)) return () => ({ authorizer });
  const groupType = authorizer.options.groupEntityType || "THVGroup";
  const parents = new Map<string, string[]>();
  let staticTools = false;
  for (const e of JSON.parse(authorizer.options.entitiesJson || "[]") as { uid: UidJson; parents?: UidJson[] }[]) {
    const ps = e.parents ?? [];
    parents.set(uidKey(e.uid), [...(parents.get(uidKey(e.uid)) ?? []), ...ps.map(uidKey)]);
    if ([e.uid, ...ps].some((u) => ("__entity" in u ? u.__entity.type : u.type) === "Tool")) staticTools = true;
  }
  const shapes = new Map<string, ResourceShape>();
  const shapeOf = (p: CompiledPolicy) => {
    if (!shapes.has(p.id)) shapes.set(p.id, resourceShape(p.text));
    return shapes.get(p.id)!;
  };
  const plans = new Map<string, RowPlan>();
  return (group) => {
    const ancestors = new Set<string>();
    const queue = group === undefined ? [] : [uidKey({ type: groupType, id: group })];
    while (queue.length) {
      const k = queue.pop()!;
      if (ancestors.has(k)) continue;
      ancestors.add(k);
      queue.push(...(parents.get(k) ?? []));
    }
    const slice = policies.filter((p) => p.source !== "generated" || p.group === undefined || ancestors.has(uidKey({ type: groupType, id: p.group })));
    const key = JSON.stringify(slice.map((p) => p.id));
    let plan = plans.get(key);
    if (!plan) {
      const rowAuthorizer =
        slice.length === 0
          ? null
          : slice.length === policies.length
            ? authorizer
            : new Authorizer({ ...authorizer.options, policies: Object.fromEntries(slice.map((p) => [p.id, p.text])) });
      plan = { authorizer: rowAuthorizer };
      const sliceShapes: ResourceShape[] = staticTools ? [null] : slice.map(shapeOf);
      if (rowAuthorizer && sliceShapes.every((x) => x !== null)) {
        const named = sliceShapes as Set<string>[];
        plan.toolClass = (tool) => named.map((n, i) => (n.has(tool) ? i : "")).join(",");
      }
      plans.set(key, plan);
    }
    return plan;
  };
}

/** The tool names a policy's resource constraints name, or null if it reads the resource otherwise. */
type ResourceShape = Set<string> | null;

function resourceShape(text: string): ResourceShape {
  const r = cedar.policyToJson(text);
  if (r.type !== "success") return null;
  const json = r.json as unknown as {
    resource: { op: string; entity?: { type?: unknown; id?: unknown }; in?: { entity?: { type?: unknown; id?: unknown } } };
    conditions?: { body: unknown }[];
  };
  const named = new Set<string>();
  // A scope entity literal: a Tool names one tool; any other entity is the same for every tool.
  const scopeEntity = (e: { type?: unknown; id?: unknown } | undefined) => {
    if (!e || typeof e.type !== "string" || typeof e.id !== "string") return false;
    if (e.type === "Tool") named.add(e.id);
    return true;
  };
  const res = json.resource;
  if (res.op === "==" || res.op === "in") {
    if (!scopeEntity(res.entity)) return null;
  } else if (res.op === "is") {
    if (res.in && !scopeEntity(res.in.entity)) return null;
  } else if (res.op !== "All") return null;
  for (const c of json.conditions ?? []) {
    if (!JSON.stringify(c.body).includes('{"Var":"resource"}')) continue;
    const ids = toolSetMembership(c.body);
    if (!ids) return null;
    for (const id of ids) named.add(id);
  }
  return named;
}

/** The ids of `resource in [Tool::"a", …]` (the form generated policies use), else null. */
function toolSetMembership(body: unknown): string[] | null {
  const b = body as { in?: { left?: unknown; right?: { Set?: unknown } } };
  if (!b || typeof b !== "object" || Object.keys(b).length !== 1 || !b.in) return null;
  if (JSON.stringify(b.in.left) !== '{"Var":"resource"}' || !Array.isArray(b.in.right?.Set)) return null;
  const ids: string[] = [];
  for (const v of b.in.right.Set as { Value?: { __entity?: { type?: unknown; id?: unknown } } }[]) {
    const e = v?.Value?.__entity;
    if (!e || e.type !== "Tool" || typeof e.id !== "string") return null;
    ids.push(e.id);
  }
  return ids;
}

function cellText(c: MatrixCell): string {
  const mark = c.decision === "allow" ? "allow" : "**deny**";
  return c.policies.length ? `${mark} (${c.policies.join(", ")})` : `${mark} (default)`;
}

export function matrixToMarkdown(m: AccessMatrix): string {
  const esc = (s: string) => s.replace(/\|/g, "\\|");
  const lines = [`| tool | ${m.groups.map(esc).join(" | ")} |`, `|---|${m.groups.map(() => "---").join("|")}|`];
  for (const tool of m.tools) {
    lines.push(`| \`${esc(tool)}\` | ${m.groups.map((g) => cellText(m.cells[g][tool])).join(" | ")} |`);
  }
  if (m.tools.length === 0) lines.push(`| _(no declared tools)_ | ${m.groups.map(() => "").join(" | ")} |`);
  return lines.join("\n") + "\n";
}

/** A compact form for stack outputs: `{group: {allow: [...], deny: [...]}}`. */
export function matrixSummary(m: AccessMatrix): Record<string, { allow: string[]; deny: string[] }> {
  const out: Record<string, { allow: string[]; deny: string[] }> = {};
  for (const g of m.groups) {
    out[g] = { allow: m.tools.filter((t) => m.cells[g][t].decision === "allow"), deny: m.tools.filter((t) => m.cells[g][t].decision === "deny") };
  }
  return out;
}
