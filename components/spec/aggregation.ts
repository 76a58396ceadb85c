/**
 * vMCP's aggregation, written once: the names vMCP advertises for every backend's tools, prompts,
 * resources and resource templates, under every strategy (prefix, priority, manual) with per-tool
 * overrides, and the conflicts it resolves, drops or dies on. The team's declared lists (policies,
 * the matrix, `why`, `test`, `render`) and the gateway's live lists (gateway/backends/catalog.ts) both
 * go through `aggregate`, so Cedar, the matrix and the gateway name what vMCP names.
 *
 * Follows ToolHive v0.44.0, pkg/vmcp/aggregator (cited per rule as file:line). Lists come out in
 * backend-then-item order (vMCP sorts its advertised lists by name; the order is not a name).
 */
import type { AdvertisedItem, AggregationSpec } from "./types";

export type { AdvertisedItem };

/** conflict_resolver.go:20 `defaultPrefixFormat`. */
export const DEFAULT_PREFIX_FORMAT = "{workload}_";

export type CapabilityKind = "tool" | "prompt" | "resource" | "resourceTemplate";

/** One backend's own names, as it lists them (or as the stack declares them). */
export interface BackendCapabilities {
  backend: string;
  tools?: readonly string[];
  prompts?: readonly string[];
  resources?: readonly string[];
  resourceTemplates?: readonly string[];
}

/**
 * What vMCP does with a name more than one item claims:
 * - `kept-by-priority`: the highest-priority backend keeps it, the others are dropped;
 * - `prefixed-fallback`: priority, no claimant in priorityOrder: each is advertised as `{workload}_<tool>`;
 * - `first-backend-wins`: resources and templates: the first backend in sorted order keeps the URI;
 * - `dropped-ambiguous`: prompts: no defined owner, advertised by nobody;
 * - `nondeterministic`: tools: vMCP keeps one claimant picked by Go map order; we advertise none;
 * - `startup-failure`: manual: vMCP's aggregation fails (unresolved conflict or collision after override).
 */
export type ConflictOutcome = "kept-by-priority" | "prefixed-fallback" | "first-backend-wins" | "dropped-ambiguous" | "nondeterministic" | "startup-failure";

export interface AggregationConflict {
  kind: CapabilityKind;
  /** The contested name, before the fallback prefix where one applies. */
  name: string;
  backends: string[];
  outcome: ConflictOutcome;
  /** The backend that keeps the name, for kept-by-priority and first-backend-wins. */
  kept?: string;
  /** For prefixed-fallback: the names advertised instead. */
  advertised?: string[];
}

export interface Aggregated {
  tools: AdvertisedItem[];
  prompts: AdvertisedItem[];
  resources: AdvertisedItem[];
  resourceTemplates: AdvertisedItem[];
  conflicts: AggregationConflict[];
}

/** conflict_resolver.go:26 `applyPrefixFormat`: every `{workload}` replaced, then the name appended. */
export function applyPrefixFormat(format: string, backend: string, name: string): string {
  return format.split("{workload}").join(backend) + name;
}

/** Groups items by a key, keeping first-seen order of keys and items. */
function groupBy<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = out.get(k);
    if (list) list.push(item);
    else out.set(k, [item]);
  }
  return out;
}

/** Go's sort.Strings / slices.Sorted order (byte order; the same as UTF-16 order for DNS labels). */
function sortedBackends(lists: readonly BackendCapabilities[]): BackendCapabilities[] {
  return [...lists].sort((a, b) => (a.backend < b.backend ? -1 : a.backend > b.backend ? 1 : 0));
}

interface ToolCandidate {
  backend: string;
  original: string;
  /** After the backend's overrides (tool_adapter.go processBackendTools). */
  renamed: string;
  /** Set by the strategy. */
  name?: string;
}

/** The override of one backend tool, own keys only (a backend may list a tool called `constructor`). */
export function overrideFor(a: AggregationSpec, backend: string, tool: string): string | undefined {
  const own = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);
  if (!own(a.overrides, backend)) return undefined;
  const renames = a.overrides[backend];
  return own(renames, tool) ? renames[tool] : undefined;
}

function toolCandidates(a: AggregationSpec, lists: readonly BackendCapabilities[]): ToolCandidate[] {
  const out: ToolCandidate[] = [];
  for (const { backend, tools = [] } of lists) {
    const seen = new Set<string>();
    for (const original of tools) {
      // Per-backend overrides rename before any conflict resolution (default_aggregator.go:118-123,
      // tool_adapter.go:28); one pass keyed by the backend's own name (pkg/mcp/tool_filter.go:828).
      const renamed = overrideFor(a, backend, original) || original;
      // The same name twice from one backend: the first entry is kept (prefix_resolver.go:50-58, in list order).
      if (seen.has(renamed)) continue;
      seen.add(renamed);
      out.push({ backend, original, renamed });
    }
  }
  return out;
}

/** Names two or more candidates ended up with: vMCP's map keeps one by iteration order, so we keep none. */
function dropNondeterministic(cands: ToolCandidate[], conflicts: AggregationConflict[]): ToolCandidate[] {
  const byName = groupBy(cands, (c) => c.name!);
  const out: ToolCandidate[] = [];
  for (const c of cands) {
    const claimants = byName.get(c.name!)!;
    if (claimants.length === 1) {
      out.push(c);
    } else if (claimants[0] === c) {
      conflicts.push({ kind: "tool", name: c.name!, backends: claimants.map((x) => x.backend), outcome: "nondeterministic" });
    }
  }
  return out;
}

function resolveTools(a: AggregationSpec, lists: readonly BackendCapabilities[], conflicts: AggregationConflict[]): AdvertisedItem[] {
  const cands = toolCandidates(a, lists);
  const byRenamed = groupBy(cands, (c) => c.renamed);
  let resolved: ToolCandidate[];

  if (a.conflictResolution === "prefix") {
    // prefix_resolver.go:37-77: every tool becomes prefixFormat(workload) + name; a name two tools
    // still share is "extremely rare" and kept for whichever Go's map iteration reaches first.
    const format = a.prefixFormat || DEFAULT_PREFIX_FORMAT; // prefix_resolver.go:26-33
    for (const c of cands) c.name = applyPrefixFormat(format, c.backend, c.renamed);
    resolved = dropNondeterministic(cands, conflicts);
  } else if (a.conflictResolution === "priority") {
    const rank = new Map<string, number>();
    // priority_resolver.go:43: a backend listed twice takes its LAST index (the prompt rule below
    // takes the first); parse.ts refuses duplicates so both agree.
    a.priorityOrder.forEach((b, i) => rank.set(b, i));
    resolved = [];
    for (const [renamed, claimants] of byRenamed) {
      if (claimants.length === 1) {
        // priority_resolver.go:69-82: no conflict, the bare (post-override) name.
        claimants[0].name = renamed;
        resolved.push(claimants[0]);
        continue;
      }
      const listed = claimants.filter((c) => rank.has(c.backend));
      const backends = claimants.map((c) => c.backend);
      if (listed.length === 0) {
        // priority_resolver.go:87-112: no claimant in priorityOrder: every claimant is prefixed with the
        // hard-coded default format (priority_resolver.go:49), whatever prefixFormat says.
        for (const c of claimants) c.name = applyPrefixFormat(DEFAULT_PREFIX_FORMAT, c.backend, renamed);
        resolved.push(...claimants);
        conflicts.push({ kind: "tool", name: renamed, backends, outcome: "prefixed-fallback", advertised: claimants.map((c) => c.name!) });
        continue;
      }
      // priority_resolver.go:114-131, 147-166: the lowest index wins (first claimant on a tie); the rest are dropped.
      const winner = listed.reduce((w, c) => (rank.get(c.backend)! < rank.get(w.backend)! ? c : w));
      winner.name = renamed;
      resolved.push(winner);
      conflicts.push({ kind: "tool", name: renamed, backends, outcome: "kept-by-priority", kept: winner.backend });
    }
    // A fallback name may equal another tool's bare name; both land on one map key (priority_resolver.go:100).
    resolved = dropNondeterministic(sortLike(resolved, cands), conflicts);
  } else {
    // manual_resolver.go:56-61, 74-102: a name shared by several backends is fatal unless every claimant has
    // an override keyed by that (post-override) name; ...
    const overrideOf = (c: ToolCandidate) => overrideFor(a, c.backend, c.renamed);
    resolved = [];
    const fatal = new Set<ToolCandidate>();
    for (const [renamed, claimants] of byRenamed) {
      if (claimants.length > 1 && !claimants.every((c) => overrideOf(c) !== undefined)) {
        conflicts.push({ kind: "tool", name: renamed, backends: claimants.map((c) => c.backend), outcome: "startup-failure" });
        for (const c of claimants) fatal.add(c);
      }
    }
    // ... then the resolver applies the overrides a second time, keyed by the post-override name
    // (manual_resolver.go:126-153), and any name still shared is "collision after override" (manual_resolver.go:105-123).
    const live = cands.filter((c) => !fatal.has(c));
    for (const c of live) c.name = overrideOf(c) || c.renamed;
    for (const [name, claimants] of groupBy(live, (c) => c.name!)) {
      if (claimants.length === 1) resolved.push(claimants[0]);
      else conflicts.push({ kind: "tool", name, backends: claimants.map((c) => c.backend), outcome: "startup-failure" });
    }
  }
  return sortLike(resolved, cands).map((c) => ({ name: c.name!, backend: c.backend, original: c.original }));
}

function sortLike<T>(items: T[], order: readonly T[]): T[] {
  const index = new Map(order.map((x, i) => [x, i]));
  return [...items].sort((x, y) => index.get(x)! - index.get(y)!);
}

/**
 * capability_conflicts.go:162-245 `resolvePromptConflicts`, with the naming of conflict_resolver.go:52-76:
 * prompts are always prefixed with the configured prefixFormat (default `{workload}_`), tool overrides
 * never apply; under `priority` the backends in priorityOrder keep bare names and a bare-name clash
 * among them goes to the highest priority (the loser is dropped, never re-prefixed); any other clash is
 * advertised by nobody. Backends are visited in sorted order (default_aggregator.go:330).
 */
function resolvePrompts(a: AggregationSpec, lists: readonly BackendCapabilities[], conflicts: AggregationConflict[]): AdvertisedItem[] {
  const format = a.prefixFormat || DEFAULT_PREFIX_FORMAT;
  const rank = new Map<string, number>();
  if (a.conflictResolution === "priority") {
    a.priorityOrder.forEach((b, i) => {
      if (!rank.has(b)) rank.set(b, i); // conflict_resolver.go:66-72: first position counts
    });
  }
  interface Candidate extends AdvertisedItem {
    listed: boolean;
  }
  const cands: Candidate[] = [];
  for (const { backend, prompts = [] } of sortedBackends(lists)) {
    const listed = rank.has(backend);
    for (const original of prompts) {
      const name = listed ? original : applyPrefixFormat(format, backend, original);
      // capability_conflicts.go:183-193: the same prompt twice from one backend: the later is dropped.
      if (cands.some((c) => c.name === name && c.backend === backend)) continue;
      cands.push({ name, backend, original, listed });
    }
  }
  const winners = new Set<Candidate>();
  for (const [name, claimants] of groupBy(cands, (c) => c.name)) {
    const backends = claimants.map((c) => c.backend);
    if (claimants.length === 1) winners.add(claimants[0]);
    else if (claimants.some((c) => !c.listed)) {
      conflicts.push({ kind: "prompt", name, backends, outcome: "dropped-ambiguous" }); // capability_conflicts.go:211-226
    } else {
      const winner = claimants.reduce((w, c) => (rank.get(c.backend)! < rank.get(w.backend)! ? c : w)); // :228-238
      winners.add(winner);
      conflicts.push({ kind: "prompt", name, backends, outcome: "kept-by-priority", kept: winner.backend });
    }
  }
  return inListOrder(lists, "prompts", [...winners]);
}

/**
 * capability_conflicts.go:118-139, 250-274 `dedupeByKey`: URIs and URI templates are never renamed; on a
 * clash the first backend in sorted order keeps it and the others are dropped.
 */
function dedupeUris(kind: "resource" | "resourceTemplate", lists: readonly BackendCapabilities[], conflicts: AggregationConflict[]): AdvertisedItem[] {
  const field = kind === "resource" ? "resources" : "resourceTemplates";
  const owner = new Map<string, AdvertisedItem>();
  const losers = new Map<string, string[]>();
  for (const list of sortedBackends(lists)) {
    for (const uri of list[field] ?? []) {
      const first = owner.get(uri);
      if (!first) owner.set(uri, { name: uri, backend: list.backend, original: uri });
      else if (first.backend !== list.backend) losers.set(uri, [...(losers.get(uri) ?? []), list.backend]);
    }
  }
  for (const [uri, dropped] of losers) {
    const kept = owner.get(uri)!.backend;
    conflicts.push({ kind, name: uri, backends: [kept, ...dropped], outcome: "first-backend-wins", kept });
  }
  return inListOrder(lists, field, [...owner.values()]);
}

/** The given winners in the caller's backend-then-item order. */
function inListOrder(lists: readonly BackendCapabilities[], field: "prompts" | "resources" | "resourceTemplates", items: AdvertisedItem[]): AdvertisedItem[] {
  const pos = new Map<string, number>();
  let i = 0;
  for (const l of lists) for (const name of l[field] ?? []) pos.set(`${l.backend}\u0000${name}`, pos.get(`${l.backend}\u0000${name}`) ?? i++);
  return items.sort((x, y) => pos.get(`${x.backend}\u0000${x.original}`)! - pos.get(`${y.backend}\u0000${y.original}`)!);
}

/** Aggregates backends' capability lists into what vMCP advertises. */
export function aggregate(a: AggregationSpec, lists: readonly BackendCapabilities[]): Aggregated {
  const conflicts: AggregationConflict[] = [];
  const tools = resolveTools(a, lists, conflicts);
  const prompts = resolvePrompts(a, lists, conflicts);
  const resources = dedupeUris("resource", lists, conflicts);
  const resourceTemplates = dedupeUris("resourceTemplate", lists, conflicts);
  return { tools, prompts, resources, resourceTemplates, conflicts };
}

/**
 * The name one backend's capability gets when no other backend claims the same name: what a grant on a
 * backend without a declared list compiles to. Under `priority` an unlisted backend's tool is bare only
 * while nobody else has it (priority_resolver.go:69-111); the bare name is the best available guess.
 */
export function soleAdvertisedName(a: AggregationSpec, kind: "tool" | "prompt", backend: string, name: string): string {
  const r = aggregate(a, [kind === "tool" ? { backend, tools: [name] } : { backend, prompts: [name] }]);
  return (kind === "tool" ? r.tools : r.prompts)[0]?.name ?? name;
}

/**
 * The prefix every name of `backend` starts with when it is advertised prefixed, or undefined when its
 * names may be bare (priority, manual). For recognising names of backends without a declared list.
 */
export function backendPrefix(a: AggregationSpec, kind: "tool" | "prompt", backend: string): string | undefined {
  if (kind === "tool") return a.conflictResolution === "prefix" ? applyPrefixFormat(a.prefixFormat || DEFAULT_PREFIX_FORMAT, backend, "") : undefined;
  const listed = a.conflictResolution === "priority" && a.priorityOrder.includes(backend);
  return listed ? undefined : applyPrefixFormat(a.prefixFormat || DEFAULT_PREFIX_FORMAT, backend, "");
}
