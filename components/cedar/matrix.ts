/**
 * The access matrix: every group (and "no group") × every advertised tool, allow or deny, with the
 * policies that decided. Exported by the stack so `pulumi preview --diff` shows who gains or loses a tool.
 */
import type { Authorizer } from "./authorizer";
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

export function accessMatrix(spec: Pick<TeamSpec, "groups" | "tools">, authorizer: Authorizer): AccessMatrix {
  const groups = [...spec.groups.map((g) => g.name), NO_GROUP];
  const tools = spec.tools.map((t) => t.name);
  const cells: AccessMatrix["cells"] = {};
  for (const group of groups) {
    const claims = { sub: `matrix:${group}`, groups: group === NO_GROUP ? [] : [group] };
    const row: Record<string, MatrixCell> = {};
    for (const tool of tools) {
      const d = authorizer.authorize({ claims, action: "call_tool", resourceId: tool });
      row[tool] = { decision: d.allowed ? "allow" : "deny", policies: d.policies };
    }
    cells[group] = row;
  }
  return { groups, tools, cells };
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
