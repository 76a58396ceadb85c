/**
 * `vmcp-okta diff` as a pure function: two versions of a team stack, each as the core compiled it and
 * as `render` rendered it, in; a `TeamDiff` out. No Okta, no cluster, no Pulumi engine.
 */
import type { CompiledTeam } from "../compile";
import { accessChanges, backendChanges, groupChanges, policyChanges, toolChanges, type GroupRenames } from "./access";
import { objectChanges, type RenderedObject } from "./objects";
import type { TeamDiff } from "./types";

export * from "./types";
export { renderedObjects, fieldChanges, type RenderedObject } from "./objects";
export { diffToMarkdown } from "./markdown";
export type { GroupRenames } from "./access";

/** One version of a stack: its compiled team and its rendered objects. */
export interface DiffSide {
  compiled: CompiledTeam;
  /** Undefined when the version could not be rendered (see `problems`): objects are then not compared. */
  objects?: RenderedObject[];
  /** Why it could not be rendered (formatted configuration problems). */
  problems?: string[];
  /** Group renames the version declares (`vmcp-okta:renames` groups: `{new: former}`); read on the head. */
  groupRenames?: GroupRenames;
}

/**
 * Compares `base` (undefined: the stack does not exist there) with `head`. `labels` name the stack
 * and the base for the report.
 */
export function diffTeams(base: DiffSide | undefined, head: DiffSide, labels: { stack: string; base: string }): TeamDiff {
  const access = accessChanges(base?.compiled, head.compiled, head.groupRenames);
  const tools = toolChanges(base?.compiled, head.compiled);
  const groups = groupChanges(base?.compiled, head.compiled, head.groupRenames);
  const policies = policyChanges(base?.compiled, head.compiled);
  const objects = base && !base.objects ? [] : objectChanges(base?.objects ?? [], head.objects ?? []);
  const count = (c: string) => objects.filter((o) => o.change === c).length;
  const diff: TeamDiff = {
    stack: labels.stack,
    base: labels.base,
    baseExists: base !== undefined,
    baseProblems: base?.problems ?? [],
    changed: false,
    summary: {
      gains: access.reduce((n, g) => n + g.gained.length, 0),
      losses: access.reduce((n, g) => n + g.lost.length, 0),
      membersAdded: groups.members.reduce((n, m) => n + m.added.length, 0),
      membersRemoved: groups.members.reduce((n, m) => n + m.removed.length, 0),
      objectsAdded: count("added"),
      objectsRemoved: count("removed"),
      objectsChanged: count("changed"),
    },
    access,
    renames: tools.renames,
    members: groups.members,
    groups: { added: groups.added, removed: groups.removed, renamed: groups.renamed },
    backends: backendChanges(base?.compiled, head.compiled),
    tools: { added: tools.added, removed: tools.removed },
    policies,
    objects,
  };
  diff.changed =
    base === undefined ||
    objects.length > 0 ||
    access.length > 0 ||
    diff.renames.length > 0 ||
    diff.members.length > 0 ||
    [diff.groups.added, diff.groups.removed, diff.groups.renamed, diff.backends.added, diff.backends.removed, diff.tools.added, diff.tools.removed].some((l) => l.length > 0) ||
    [policies.added, policies.removed, policies.changed].some((l) => l.length > 0);
  return diff;
}

/** What `--fail-on gain` gates on: a group gains a tool, or a granted group gets a new member. */
export function hasGain(diff: TeamDiff, head: CompiledTeam): boolean {
  if (diff.summary.gains > 0) return true;
  // Granted: the matrix allows the group a tool, or its grants allow something (e.g. prompts, or tools
  // of a backend with no declared list, which the matrix cannot show).
  const grants = new Set([
    ...head.matrix.groups.filter((g) => Object.values(head.matrix.cells[g]).some((c) => c.decision === "allow")),
    ...head.spec.groups.filter((g) => g.allowAll || g.allow.length > 0).map((g) => g.name),
  ]);
  return diff.members.some((m) => m.added.length > 0 && grants.has(m.group));
}
