/**
 * Principal and group extraction, as ToolHive's core.go does it: `Client::"<sub>"`, groups from the
 * configured claim (exact key first, then a dot path) falling back to `groups`, `roles`,
 * `cognito:groups`, plus the role claim, de-duplicated in first-seen order.
 */
export const DEFAULT_GROUP_CLAIMS = ["groups", "roles", "cognito:groups"] as const;

/** Returns the string elements of the array at `name`, or undefined when ToolHive calls it "absent". */
export function extractClaimArray(claims: Record<string, unknown>, name: string | undefined): string[] | undefined {
  if (!name) return undefined;
  let value: unknown;
  if (Object.prototype.hasOwnProperty.call(claims, name)) {
    value = claims[name];
  } else {
    const segments = name.split(".");
    if (segments.length < 2 || segments.some((s) => s === "")) return undefined;
    let cur: unknown = claims;
    for (const seg of segments) {
      if (cur === null || typeof cur !== "object" || Array.isArray(cur)) return undefined;
      if (!Object.prototype.hasOwnProperty.call(cur, seg)) return undefined;
      cur = (cur as Record<string, unknown>)[seg];
    }
    value = cur;
  }
  if (!Array.isArray(value)) return undefined;
  return value.filter((x): x is string => typeof x === "string");
}

export interface GroupClaimOptions {
  groupClaimName?: string;
  roleClaimName?: string;
}

export interface ExtractedGroups {
  groups: string[];
  /** Which claim supplied the groups (undefined when none did). */
  source?: string;
}

export function extractGroups(claims: Record<string, unknown>, opts: GroupClaimOptions = {}): ExtractedGroups {
  let source: string | undefined;
  let groups = extractClaimArray(claims, opts.groupClaimName);
  if (groups !== undefined) source = opts.groupClaimName;
  else {
    for (const name of DEFAULT_GROUP_CLAIMS) {
      groups = extractClaimArray(claims, name);
      if (groups !== undefined) {
        source = name;
        break;
      }
    }
  }
  const roles = extractClaimArray(claims, opts.roleClaimName);
  const all = [...(groups ?? []), ...(roles ?? [])];
  return { groups: [...new Set(all)], source };
}

/** The principal id: `sub` if it is a non-empty string, else undefined (ToolHive: ErrMissingPrincipal). */
export function principalId(claims: Record<string, unknown> | null | undefined): string | undefined {
  if (!claims) return undefined;
  const sub = claims.sub;
  return typeof sub === "string" && sub.length > 0 ? sub : undefined;
}
