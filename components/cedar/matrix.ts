/**
 * The access matrix: every group (and "no group") × every advertised tool, allow or deny, with the
 * policies that decided. Exported by the stack so `pulumi preview --diff` shows who gains or loses a tool.
 */
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
 * built from) are given, each row is decided by a slice of them that gives the same answers faster;
 * see `rowAuthorizers`.
 */
export function accessMatrix(spec: Pick<TeamSpec, "groups" | "tools">, authorizer: Authorizer, policies?: readonly CompiledPolicy[]): AccessMatrix {
  const groups = [...spec.groups.map((g) => g.name), NO_GROUP];
  const tools = spec.tools.map((t) => t.name);
  const forRow = policies ? rowAuthorizers(authorizer, policies) : () => authorizer;
  // Cedar lists determining policies in hash order, which shifts when unrelated policies come or go;
  // cells list them in declaration order, so a matrix diff shows only real changes.
  const order = new Map(authorizer.policyIds.map((id, i) => [id, i]));
  const byDeclaration = (ids: string[]) => (ids.length > 1 ? [...ids].sort((a, b) => order.get(a)! - order.get(b)!) : ids);
  const cells: AccessMatrix["cells"] = {};
  for (const group of groups) {
    const claims = { sub: `matrix:${group}`, groups: group === NO_GROUP ? [] : [group] };
    const rowAuthorizer = forRow(group === NO_GROUP ? undefined : group);
    const row: Record<string, MatrixCell> = {};
    for (const tool of tools) {
      if (rowAuthorizer === null) {
        row[tool] = { decision: "deny", policies: [] };
        continue;
      }
      const d = rowAuthorizer.authorize({ claims, action: "call_tool", resourceId: tool });
      row[tool] = { decision: d.allowed ? "allow" : "deny", policies: byDeclaration(d.policies) };
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

/**
 * Per-row policy slices for the matrix. Cedar has no policy index, so a decision costs time for
 * every policy in the set; the matrix makes groups × tools decisions. A generated policy's scope is
 * `principal in <GroupType>::"<group>"`, and the matrix principal's only parent is the row's group,
 * so the policy can match only if its group is the row's group or one of that group's ancestors in
 * entitiesJson. The other generated policies have a false scope: their conditions are never
 * evaluated and they can add no reason and no error, so dropping them changes no cell. Raw policies
 * are always kept. Returns null for a row whose slice is empty (every cell a default deny), and the
 * full authorizer when the policies do not match it.
 */
function rowAuthorizers(authorizer: Authorizer, policies: readonly CompiledPolicy[]): (group: string | undefined) => Authorizer | null {
  const texts = authorizer.policyTexts;
  if (policies.length !== authorizer.policyIds.length || policies.some((p) => texts[p.id] !== p.text)) return () => authorizer;
  const groupType = authorizer.options.groupEntityType || "THVGroup";
  const parents = new Map<string, string[]>();
  for (const e of JSON.parse(authorizer.options.entitiesJson || "[]") as { uid: UidJson; parents?: UidJson[] }[]) {
    parents.set(uidKey(e.uid), [...(parents.get(uidKey(e.uid)) ?? []), ...(e.parents ?? []).map(uidKey)]);
  }
  const slices = new Map<string, Authorizer | null>();
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
    if (slice.length === policies.length) return authorizer;
    const key = JSON.stringify(slice.map((p) => p.id));
    if (!slices.has(key)) {
      slices.set(key, slice.length === 0 ? null : new Authorizer({ ...authorizer.options, policies: Object.fromEntries(slice.map((p) => [p.id, p.text])) }));
    }
    return slices.get(key)!;
  };
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
