/**
 * Is a name one this team's vMCP advertises? One answer for policies, `why` and `test`: advertised (by
 * a declared list), possibly advertised (a backend declares no list that could contain it), or not
 * advertised, with the names the user probably meant.
 */
import { UriTemplate } from "@modelcontextprotocol/sdk/shared/uriTemplate.js";
import { closest } from "../errors";
import { backendPrefix } from "./aggregation";
import type { AdvertisedItem, TeamSpec } from "./types";

/** Whether a concrete URI is an expansion of a declared URI template (the SDK's RFC 6570 matcher). */
function matchesTemplate(template: string, uri: string): boolean {
  if (!template.includes("{")) return false;
  try {
    return new UriTemplate(template).match(uri) !== null;
  } catch {
    return false;
  }
}

export type AdvertisedKind = "tool" | "prompt" | "resource";

export type AdvertisedLookup =
  | { status: "advertised"; item: AdvertisedItem }
  /** A backend without a declared list for this kind could advertise it; nothing can be said. */
  | { status: "unchecked"; backends: string[] }
  | { status: "not-advertised"; suggestions: string[] };

type Spec = Pick<TeamSpec, "aggregation" | "backends" | "tools" | "prompts" | "resources">;

export function advertisedItems(spec: Spec, kind: AdvertisedKind): AdvertisedItem[] {
  if (kind === "tool") return spec.tools.map((t) => ({ name: t.name, backend: t.backend, original: t.tool }));
  return kind === "prompt" ? spec.prompts : spec.resources;
}

function declaredList(spec: Spec, kind: AdvertisedKind, backend: string): string[] | undefined {
  const b = spec.backends.find((x) => x.name === backend);
  return kind === "tool" ? b?.tools : kind === "prompt" ? b?.prompts : b?.resourceUris;
}

export function lookupAdvertised(spec: Spec, kind: AdvertisedKind, name: string): AdvertisedLookup {
  const items = advertisedItems(spec, kind);
  const item = items.find((x) => x.name === name) ?? (kind === "resource" ? items.find((x) => matchesTemplate(x.name, name)) : undefined);
  if (item) return { status: "advertised", item };
  const couldBe = spec.backends
    .filter((b) => declaredList(spec, kind, b.name) === undefined)
    .filter((b) => {
      if (kind === "resource") return true;
      const prefix = backendPrefix(spec.aggregation, kind, b.name);
      return prefix === undefined || name.startsWith(prefix);
    })
    .map((b) => b.name);
  if (couldBe.length > 0) return { status: "unchecked", backends: couldBe };
  // The backend's own name (the guide's `delete_namespace`), or a near miss.
  const byOriginal = items.filter((x) => x.original === name).map((x) => x.name);
  const near = closest(name, items.map((x) => x.name));
  const suggestions = byOriginal.length > 0 ? byOriginal : near ? [near] : [];
  return { status: "not-advertised", suggestions };
}

/** "no tool "x" is advertised by this team; vMCP advertises it as "y"" (or the nearest names). */
export function notAdvertisedMessage(kind: AdvertisedKind, name: string, lookup: Extract<AdvertisedLookup, { status: "not-advertised" }>, items: AdvertisedItem[]): string {
  const quoted = lookup.suggestions.map((s) => JSON.stringify(s)).join(" or ");
  const own = items.some((x) => x.original === name && x.name !== name);
  const hint = lookup.suggestions.length === 0 ? "" : own ? `; vMCP advertises it as ${quoted}` : `; did you mean ${quoted}?`;
  return `no ${kind} ${JSON.stringify(name)} is advertised by this team${hint}`;
}
