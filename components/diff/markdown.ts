/**
 * A `TeamDiff` as Markdown for a pull-request comment: access first (who gains and loses which tool,
 * and by which policy), then members, then the structure, then the policy texts and the objects,
 * folded in `<details>` so the comment stays readable.
 */
import type { MatrixCell } from "../cedar/matrix";
import type { AccessChange, FieldChange, ObjectChange, PolicyChange, TeamDiff } from "./types";

// Everything in the comment comes from a pull request: names go into code spans, or as plain text
// only when they cannot be markup, so no value can format, link, mention or break out of a block.
const longestRun = (s: string) => Math.max(0, ...(s.match(/`+/g) ?? []).map((r) => r.length));
const code = (s: string) => {
  const fence = "`".repeat(longestRun(s) + 1);
  return s.includes("`") ? `${fence} ${s} ${fence}` : `${fence}${s}${fence}`;
};
const name = (s: string) => (/^[A-Za-z0-9._:/()-]+$/.test(s) ? s : code(s));
const html = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

function cellText(c: MatrixCell | null, absent: string): string {
  if (!c) return absent;
  const by = c.policies.length ? c.policies.map(code).join(", ") : "default deny";
  return `${c.decision} (${by})`;
}

function accessLine(group: string, verb: "gains" | "loses", a: AccessChange): string {
  const was = verb === "gains" ? cellText(a.before, "did not exist") : cellText(a.before, "");
  const now = verb === "gains" ? cellText(a.after, "") : cellText(a.after, "no longer exists");
  return `- **${name(group)}** ${verb} ${code(a.name)} (${name(`${a.backend}/${a.tool}`)}): now ${now}; was ${was}`;
}

/** Values in one line, shortened: objects are diffed per leaf, so each value is small. */
function value(v: unknown): string {
  const s = typeof v === "string" ? v : JSON.stringify(v);
  const one = s.replace(/\s*\n\s*/g, " ⏎ ");
  return code(one.length > 160 ? `${one.slice(0, 157)}...` : one);
}

function fieldLine(f: FieldChange): string {
  // A set's added or removed elements: one line each.
  const elements = f.path.endsWith("[]") && f.change !== "changed" ? ((f.change === "added" ? f.after : f.before) as unknown[]) : undefined;
  if (elements?.length) return elements.map((e) => `  - \`${f.change === "added" ? "+" : "-"}\` ${code(f.path)}: ${value(e)}`).join("\n");
  if (f.change === "added") return `  - \`+\` ${code(f.path)}: ${value(f.after)}`;
  if (f.change === "removed") return `  - \`-\` ${code(f.path)}: ${value(f.before)}`;
  return `  - \`~\` ${code(f.path)}: ${value(f.before)} → ${value(f.after)}`;
}

const MAX_FIELDS = 40;

function objectBlock(o: ObjectChange): string[] {
  const mark = { added: "+ added", removed: "- removed", changed: "~ changed" }[o.change];
  const shown = o.fields.slice(0, MAX_FIELDS).map(fieldLine);
  if (o.fields.length > MAX_FIELDS) shown.push(`  - … ${o.fields.length - MAX_FIELDS} more (see \`--format json\`)`);
  return [`- ${mark} ${code(o.id)} (${plural(o.fields.length, "field")})`, ...shown];
}

/** A line diff of two short texts (Cedar policies): longest common subsequence of lines. */
export function lineDiff(before: string, after: string): string[] {
  const a = before.split("\n");
  const b = after.split("\n");
  const lcs: number[][] = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--) for (let j = b.length - 1; j >= 0; j--) lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) (out.push(`  ${a[i]}`), i++, j++);
    else if (i < a.length && (j === b.length || lcs[i + 1][j] >= lcs[i][j + 1])) out.push(`- ${a[i++]}`);
    else out.push(`+ ${b[j++]}`);
  }
  return out;
}

function policyBlock(verb: string, p: PolicyChange): string[] {
  const lines = lineDiff(p.before ?? "", p.after ?? "").filter((l) => !(p.before === undefined && l === "- ") && !(p.after === undefined && l === "+ "));
  const fence = "`".repeat(Math.max(3, longestRun(lines.join("\n")) + 1));
  return [`<details><summary>${verb} <code>${html(p.id)}</code></summary>`, "", `${fence}diff`, ...lines, fence, "", "</details>"];
}

/** GitHub refuses comments over 65 536 characters; past this the object fields are left to the JSON. */
export const MAX_COMMENT_CHARS = 60_000;

export function diffToMarkdown(d: TeamDiff): string {
  const full = render(d, true);
  return full.length <= MAX_COMMENT_CHARS ? full : render(d, false);
}

function render(d: TeamDiff, objectFields: boolean): string {
  const out: string[] = [`### vmcp-okta diff: stack ${code(d.stack)} against ${code(d.base)}`, ""];
  if (!d.baseExists) out.push(`The stack does not exist at ${code(d.base)}: everything below is new.`, "");
  if (d.baseProblems.length) {
    const fence = "`".repeat(Math.max(3, longestRun(d.baseProblems.join("\n")) + 1));
    out.push(`The base does not pass the current validation, so its Okta and Kubernetes objects are not compared (access, members and policies are):`, "", fence, ...d.baseProblems, fence, "");
  }
  if (!d.changed) {
    out.push("No changes: access, members, groups, backends, tools, Cedar policies and the rendered Okta and Kubernetes objects are identical.");
    return out.join("\n") + "\n";
  }
  const s = d.summary;
  out.push(
    `**${plural(s.gains, "gain")}, ${plural(s.losses, "loss", "losses")}** of tool access; ` +
      `${plural(s.membersAdded, "member")} added, ${s.membersRemoved} removed; ` +
      `objects: ${s.objectsAdded} added, ${s.objectsChanged} changed, ${s.objectsRemoved} removed.`,
    "",
  );

  if (d.access.length) {
    out.push("#### Access (`call_tool`)", "");
    for (const g of d.access) {
      for (const a of g.gained) out.push(accessLine(g.group, "gains", a));
      for (const a of g.lost) out.push(accessLine(g.group, "loses", a));
    }
    out.push("");
  }
  if (d.renames.length) {
    out.push("#### Renamed tools (same backend tool, new advertised name)", "");
    for (const r of d.renames) out.push(`- ${code(r.from)} → ${code(r.to)} (${name(`${r.backend}/${r.tool}`)})`);
    out.push("", "Clients and policies that name the old names stop matching.", "");
  }
  if (d.members.length) {
    out.push("#### Members", "");
    for (const m of d.members) {
      const parts = [...(m.added.length ? [`added ${m.added.map(code).join(", ")}`] : []), ...(m.removed.length ? [`removed ${m.removed.map(code).join(", ")}`] : [])];
      out.push(`- **${name(m.group)}**: ${parts.join("; ")}`);
    }
    out.push("");
  }
  const structure: string[] = [];
  const list = (what: string, xs: string[]) => xs.length && structure.push(`- ${what}: ${xs.map(code).join(", ")}`);
  list("groups added", d.groups.added);
  list("groups removed", d.groups.removed);
  for (const r of d.groups.renamed) structure.push(`- group ${name(r.shortName)} renamed: ${code(r.from)} → ${code(r.to)} (tokens carry the new name)`);
  list("backends added", d.backends.added);
  list("backends removed", d.backends.removed);
  for (const t of d.tools.added) {
    const decisions = Object.entries(t.decisions).map(([g, c]) => `${name(g)}: ${cellText(c, "")}`);
    structure.push(`- tool added ${code(t.name)} (${name(`${t.backend}/${t.tool}`)}): ${decisions.join("; ")}`);
  }
  for (const t of d.tools.removed) structure.push(`- tool removed ${code(t.name)} (${name(`${t.backend}/${t.tool}`)})`);
  if (structure.length) out.push("#### Groups, backends and tools", "", ...structure, "");

  const p = d.policies;
  if (p.added.length || p.removed.length || p.changed.length) {
    out.push("#### Cedar policies", "");
    for (const x of p.changed) out.push(...policyBlock("changed", x));
    for (const x of p.added) out.push(...policyBlock("added", x));
    for (const x of p.removed) out.push(...policyBlock("removed", x));
    out.push("");
  }
  if (d.objects.length) {
    out.push(
      "<details><summary>Okta and Kubernetes objects: " + `${s.objectsAdded} added, ${s.objectsChanged} changed, ${s.objectsRemoved} removed` + "</summary>",
      "",
      ...(objectFields
        ? d.objects.flatMap(objectBlock)
        : [...d.objects.map((o) => objectBlock(o)[0]), "", "Field changes are left out to keep this comment under GitHub's size limit: `vmcp-okta diff --format json` has them."]),
      "",
      "Secret values are `<redacted>`; values in `<angle brackets>` exist only after deployment.",
      "",
      "</details>",
    );
  }
  return out.join("\n") + "\n";
}
