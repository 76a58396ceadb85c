/**
 * The shape of `vmcp-okta diff`: what changes between two versions of a team stack, for a reviewer.
 * `--format json` prints exactly a `TeamDiff` (documented in the README, "Reviewing changes in CI").
 */
import type { MatrixCell } from "../cedar/matrix";

/** A backend tool, identified by backend and the backend's own tool name (stable across renames). */
export interface ToolKey {
  backend: string;
  /** The backend's own name for the tool. */
  tool: string;
}

/** One group × tool cell whose decision changed. */
export interface AccessChange extends ToolKey {
  /** The advertised name after the change (before it, for a removed tool). */
  name: string;
  /** The cell before; null when the tool or the group did not exist. */
  before: MatrixCell | null;
  /** The cell after; null when the tool or the group no longer exists. */
  after: MatrixCell | null;
}

export interface GroupAccess {
  /** Okta group name (`mcp-developers`), or `(no group)` for a user in none of the team's groups. */
  group: string;
  /** Tools the group may call now and could not before, with the policies that allow them now. */
  gained: AccessChange[];
  /** Tools the group could call before and may not now. */
  lost: AccessChange[];
}

export interface ToolRename extends ToolKey {
  from: string;
  to: string;
}

export interface AddedTool extends ToolKey {
  name: string;
  /** The new tool's decision for every group (and `(no group)`). */
  decisions: Record<string, MatrixCell>;
}

export interface RemovedTool extends ToolKey {
  name: string;
}

export interface MemberChange {
  group: string;
  added: string[];
  removed: string[];
}

export interface GroupRename {
  shortName: string;
  from: string;
  to: string;
}

export interface PolicyChange {
  id: string;
  before?: string;
  after?: string;
}

export type FieldChangeKind = "added" | "removed" | "changed";

/**
 * One leaf of a rendered object. `path` is dotted with `[i]` indices; a list of plain values is
 * compared as a set, so its added and removed elements appear under `path[]`.
 */
export interface FieldChange {
  path: string;
  change: FieldChangeKind;
  before?: unknown;
  after?: unknown;
}

export type ObjectKind = "kubernetes" | "okta" | "helm";

export interface ObjectChange {
  kind: ObjectKind;
  /** `VirtualMCPServer vmcp-engineering/engineering-tools`, `okta:group/group:Group engineering-okta-group-developers`. */
  id: string;
  change: FieldChangeKind;
  /** Every changed leaf (for added and removed objects: every leaf). Secret values are `<redacted>`. */
  fields: FieldChange[];
}

export interface TeamDiff {
  stack: string;
  /** What the stack was compared with (a file or a git ref), as given. */
  base: string;
  /** False when the stack file does not exist at the base (a new stack: everything is added). */
  baseExists: boolean;
  /**
   * Configuration errors of the base under the current code (e.g. a rule added since): the base's
   * access is still compared (its team compiles), its objects are not, and `objects` is empty.
   */
  baseProblems: string[];
  changed: boolean;
  summary: {
    gains: number;
    losses: number;
    membersAdded: number;
    membersRemoved: number;
    objectsAdded: number;
    objectsRemoved: number;
    objectsChanged: number;
  };
  /** Per group with a change: tools gained and lost (call_tool). */
  access: GroupAccess[];
  renames: ToolRename[];
  members: MemberChange[];
  groups: { added: string[]; removed: string[]; renamed: GroupRename[] };
  backends: { added: string[]; removed: string[] };
  tools: { added: AddedTool[]; removed: RemovedTool[] };
  policies: { added: PolicyChange[]; removed: PolicyChange[]; changed: PolicyChange[] };
  objects: ObjectChange[];
}
