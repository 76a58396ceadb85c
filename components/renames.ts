/**
 * Renames, declared once so that Pulumi treats them as updates: stack config `vmcp-okta:renames`
 *
 *   vmcp-okta:renames:
 *     team: [engineering]          # former team names, oldest first
 *     groups: {devs: developers}   # new group short name: former short name
 *
 * The components turn them into Pulumi aliases: the renamed team keeps its Okta server, app, groups
 * and key material; a renamed group keeps its Okta group (new name, same id), members and assignment.
 * The program cannot read its previous state, so the rename has to be said; keep the entries (they
 * are harmless once applied) or remove them after a successful `pulumi up`.
 */
import { didYouMean, ProblemList } from "./errors";
import type { TeamSpec } from "./spec/types";

export const RENAMES_CONFIG_KEY = "vmcp-okta:renames";

export interface Renames {
  /** Former team names (also the former logical names of the stack's VmcpTeam). */
  team: string[];
  /** `{newShortName: formerShortName}`. */
  groups: Record<string, string>;
}

export const NO_RENAMES: Renames = { team: [], groups: {} };

const DNS_LABEL = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
const SHORT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Validates the renames against the (new) team; problems under `path`. */
export function parseRenames(input: unknown, spec: TeamSpec, problems: ProblemList, path: string = RENAMES_CONFIG_KEY): Renames {
  if (input === undefined || input === null) return NO_RENAMES;
  if (typeof input !== "object" || Array.isArray(input)) {
    problems.error("renames.type", path, "expected {team: [former names], groups: {new: former}}", { value: input, fix: "write renames as a mapping, or remove it" });
    return NO_RENAMES;
  }
  const raw = input as Record<string, unknown>;
  for (const key of Object.keys(raw)) {
    if (key !== "team" && key !== "groups") problems.error("config.unknown-key", `${path}.${key}`, "unknown key", { fix: didYouMean(key, ["team", "groups"]) ?? "known keys: team, groups" });
  }
  const team: string[] = [];
  const formerTeams = raw.team === undefined ? [] : Array.isArray(raw.team) ? raw.team : [raw.team];
  formerTeams.forEach((t, i) => {
    const p = `${path}.team[${i}]`;
    if (typeof t !== "string" || !DNS_LABEL.test(t)) problems.error("renames.team", p, "a former team name is a DNS label", { value: t, fix: "write the team name exactly as it was" });
    else if (t === spec.team) problems.error("renames.team-current", p, "this is the current team name, not a former one", { value: t, fix: "remove it" });
    else if (!team.includes(t)) team.push(t);
  });
  const groups: Record<string, string> = {};
  const g = raw.groups ?? {};
  if (typeof g !== "object" || g === null || Array.isArray(g)) {
    problems.error("renames.groups", `${path}.groups`, "expected {newShortName: formerShortName}", { value: g, fix: "e.g. groups: {devs: developers}" });
  } else {
    const declared = spec.groups.map((x) => x.shortName);
    const formers = new Set<string>();
    for (const [now, was] of Object.entries(g as Record<string, unknown>)) {
      const p = `${path}.groups.${now}`;
      if (!declared.includes(now)) {
        problems.error("renames.group-unknown", p, `${now} is not a group of the team`, { fix: didYouMean(now, declared) ?? `the key is the group's new short name: one of ${declared.join(", ")}` });
      } else if (typeof was !== "string" || !SHORT_NAME.test(was)) {
        problems.error("renames.group-former", p, "the former short name must be a group short name", { value: was, fix: "write the group's key as it was in groups:" });
      } else if (declared.includes(was)) {
        problems.error("renames.group-former-declared", p, `${was} is still a group of the team; one Okta group cannot become two`, { value: was, fix: `remove the rename, or remove group ${was}` });
      } else if (formers.has(was)) {
        problems.error("renames.group-former-twice", p, `${was} is renamed to two groups`, { value: was, fix: "rename each former group once" });
      } else {
        formers.add(was);
        groups[now] = was;
      }
    }
  }
  if (team.length > 0 && !(spec.raw.kubernetes as Record<string, unknown> | undefined)?.namespace) {
    problems.error("renames.namespace", `${path}.team`, `the default namespace follows the team name (vmcp-${spec.team}); the renamed team would move to a new namespace`, {
      fix: `set vmcp-okta:team.kubernetes.namespace: vmcp-${team[0]} to keep the namespace`,
    });
  }
  return { team, groups };
}
