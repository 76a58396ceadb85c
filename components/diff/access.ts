/**
 * Who gains and loses what between two compiled teams. Everything comes from the core's own results
 * (the validated spec and the access matrix `compileTeam` computed), never from stack outputs.
 *
 * Identity across the two versions: a group is its short name (`developers`), or its former one when
 * the stack declares the rename (`vmcp-okta:renames`), so a group-prefix change or a declared rename
 * is a rename of the Okta group; a tool is its backend and the backend's own tool name, so a
 * prefix or aggregation change that changes advertised names is a rename, not a loss and a gain.
 */
import { NO_GROUP, type MatrixCell } from "../cedar/matrix";
import type { CompiledTeam } from "../compile";
import type { AddedTool, GroupAccess, GroupRename, MemberChange, PolicyChange, RemovedTool, ToolKey, ToolRename } from "./types";

const toolKey = (t: ToolKey) => `${t.backend}/${t.tool}`;

/** The parts of one side the access diff reads; undefined for a stack that does not exist yet. */
type Side = CompiledTeam | undefined;

interface Row {
  /** Okta group name, or NO_GROUP. */
  name: string;
  cells: Record<string, MatrixCell>;
}

/** `{newShortName: formerShortName}`, as stack config `vmcp-okta:renames` declares group renames. */
export type GroupRenames = Readonly<Record<string, string>>;

/**
 * The base short name of each head group: its own, or the former one a rename declares when the base
 * has that group and not one of the new name (an entry kept after its rename was applied is harmless).
 */
export function groupIdentity(base: Side, head: Side, renames: GroupRenames = {}): (headShortName: string) => string {
  const baseNames = new Set((base?.spec.groups ?? []).map((g) => g.shortName));
  return (short) => {
    const former = renames[short];
    return former !== undefined && baseNames.has(former) && !baseNames.has(short) ? former : short;
  };
}

/** Rows by group identity (base short name; NO_GROUP for the row of a user in no group). */
function rows(side: Side, identity: (shortName: string) => string = (x) => x): Map<string, Row> {
  const out = new Map<string, Row>();
  if (!side) return out;
  for (const g of side.spec.groups) out.set(identity(g.shortName), { name: g.name, cells: side.matrix.cells[g.name] });
  out.set(NO_GROUP, { name: NO_GROUP, cells: side.matrix.cells[NO_GROUP] });
  return out;
}

/** Advertised tools by tool key, in declaration order. */
function tools(side: Side): Map<string, { backend: string; tool: string; name: string }> {
  return new Map((side?.spec.tools ?? []).map((t) => [toolKey(t), { backend: t.backend, tool: t.tool, name: t.name }]));
}

const allows = (c: MatrixCell | null | undefined) => c?.decision === "allow";

export function accessChanges(base: Side, head: Side, renames: GroupRenames = {}): GroupAccess[] {
  const baseRows = rows(base);
  const headRows = rows(head, groupIdentity(base, head, renames));
  const baseTools = tools(base);
  const headTools = tools(head);
  const keys = [...new Set([...headTools.keys(), ...baseTools.keys()])];
  const out: GroupAccess[] = [];
  for (const id of [...new Set([...headRows.keys(), ...baseRows.keys()])]) {
    const b = baseRows.get(id);
    const h = headRows.get(id);
    const entry: GroupAccess = { group: (h ?? b)!.name, gained: [], lost: [] };
    for (const key of keys) {
      const bt = baseTools.get(key);
      const ht = headTools.get(key);
      const before = bt && b ? b.cells[bt.name] : null;
      const after = ht && h ? h.cells[ht.name] : null;
      if (allows(before) === allows(after)) continue;
      const t = (ht ?? bt)!;
      const change = { backend: t.backend, tool: t.tool, name: t.name, before: before ?? null, after: after ?? null };
      (allows(after) ? entry.gained : entry.lost).push(change);
    }
    if (entry.gained.length || entry.lost.length) out.push(entry);
  }
  return out;
}

export function toolChanges(base: Side, head: Side): { renames: ToolRename[]; added: AddedTool[]; removed: RemovedTool[] } {
  const baseTools = tools(base);
  const headTools = tools(head);
  const renames: ToolRename[] = [];
  const added: AddedTool[] = [];
  const removed: RemovedTool[] = [];
  for (const [key, t] of headTools) {
    const before = baseTools.get(key);
    if (before && before.name !== t.name) renames.push({ backend: t.backend, tool: t.tool, from: before.name, to: t.name });
    if (!before) {
      const decisions: Record<string, MatrixCell> = {};
      for (const g of head!.matrix.groups) decisions[g] = head!.matrix.cells[g][t.name];
      added.push({ ...t, decisions });
    }
  }
  for (const [key, t] of baseTools) if (!headTools.has(key)) removed.push(t);
  return { renames, added, removed };
}

export function groupChanges(base: Side, head: Side, renames: GroupRenames = {}): { added: string[]; removed: string[]; renamed: GroupRename[]; members: MemberChange[] } {
  const identity = groupIdentity(base, head, renames);
  const b = new Map((base?.spec.groups ?? []).map((g) => [g.shortName, g]));
  // Head groups by their base identity.
  const h = new Map((head?.spec.groups ?? []).map((g) => [identity(g.shortName), g]));
  const added = [...h].filter(([id]) => !b.has(id)).map(([, g]) => g.name);
  const removed = [...b.values()].filter((g) => !h.has(g.shortName)).map((g) => g.name);
  const renamed: GroupRename[] = [];
  const members: MemberChange[] = [];
  // Okta logins are case-insensitive (the stack looks users up by lower-cased login).
  const lower = (xs: string[]) => new Set(xs.map((x) => x.toLowerCase()));
  for (const [id, g] of h) {
    const old = b.get(id);
    if (old && old.name !== g.name) renamed.push({ shortName: g.shortName, from: old.name, to: g.name });
    const was = lower(old?.members ?? []);
    const now = lower(g.members);
    const change: MemberChange = {
      group: g.name,
      added: g.members.filter((m) => !was.has(m.toLowerCase())),
      removed: (old?.members ?? []).filter((m) => !now.has(m.toLowerCase())),
    };
    if (change.added.length || change.removed.length) members.push(change);
  }
  for (const g of b.values()) if (!h.has(g.shortName) && g.members.length) members.push({ group: g.name, added: [], removed: [...g.members] });
  return { added, removed, renamed, members };
}

export function backendChanges(base: Side, head: Side): { added: string[]; removed: string[] } {
  const b = new Set((base?.spec.backends ?? []).map((x) => x.name));
  const h = new Set((head?.spec.backends ?? []).map((x) => x.name));
  return { added: [...h].filter((x) => !b.has(x)), removed: [...b].filter((x) => !h.has(x)) };
}

/** Policy texts by id: the Cedar the VirtualMCPServer carries. */
export function policyChanges(base: Side, head: Side): { added: PolicyChange[]; removed: PolicyChange[]; changed: PolicyChange[] } {
  const b = new Map((base?.policies ?? []).map((p) => [p.id, p.text]));
  const h = new Map((head?.policies ?? []).map((p) => [p.id, p.text]));
  const added: PolicyChange[] = [];
  const changed: PolicyChange[] = [];
  for (const [id, text] of h) {
    const before = b.get(id);
    if (before === undefined) added.push({ id, after: text });
    else if (before !== text) changed.push({ id, before, after: text });
  }
  const removed = [...b].filter(([id]) => !h.has(id)).map(([id, text]) => ({ id, before: text }));
  return { added, removed, changed };
}
