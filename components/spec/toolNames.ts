/**
 * vMCP's tool naming, written once and used by the Cedar core (declared tools) and the gateway
 * (tools the backends actually list). Mirrors ToolHive's aggregator: per-workload overrides are
 * applied first, then the conflict-resolution strategy. Under `prefix` (the default, even when
 * `config.aggregation` is omitted) every tool becomes `<prefixFormat with {workload}><tool>`.
 */
import type { AdvertisedTool, AggregationSpec } from "./types";

export const DEFAULT_AGGREGATION: AggregationSpec = {
  conflictResolution: "prefix",
  prefixFormat: "{workload}_",
  priorityOrder: [],
  overrides: {},
};

export interface BackendToolList {
  backend: string;
  tools: readonly string[];
}

export interface AggregationResult {
  tools: AdvertisedTool[];
  /** Tools hidden because another backend won the name (priority) or nobody resolved it (manual). */
  conflicts: { name: string; backends: string[]; kept?: string }[];
}

export function prefixFor(aggregation: AggregationSpec, backend: string): string {
  return aggregation.prefixFormat.split("{workload}").join(backend);
}

/** Aggregates the backends' tool lists into the advertised catalogue, in backend then tool order. */
export function aggregateTools(aggregation: AggregationSpec, lists: readonly BackendToolList[]): AggregationResult {
  const candidates: AdvertisedTool[] = [];
  for (const { backend, tools } of lists) {
    for (const tool of tools) {
      const renamed = aggregation.overrides[backend]?.[tool] ?? tool;
      const name = aggregation.conflictResolution === "prefix" ? prefixFor(aggregation, backend) + renamed : renamed;
      candidates.push({ name, backend, tool });
    }
  }
  const byName = new Map<string, AdvertisedTool[]>();
  for (const c of candidates) byName.set(c.name, [...(byName.get(c.name) ?? []), c]);

  const tools: AdvertisedTool[] = [];
  const conflicts: AggregationResult["conflicts"] = [];
  for (const [name, claimants] of byName) {
    if (claimants.length === 1) {
      tools.push(claimants[0]);
      continue;
    }
    const backends = claimants.map((c) => c.backend);
    if (aggregation.conflictResolution === "priority") {
      const rank = (b: string) => {
        const i = aggregation.priorityOrder.indexOf(b);
        return i === -1 ? Number.MAX_SAFE_INTEGER : i;
      };
      const winner = [...claimants].sort((a, b) => rank(a.backend) - rank(b.backend))[0];
      tools.push(winner);
      conflicts.push({ name, backends, kept: winner.backend });
    } else {
      // prefix with a format that still collides, or manual without an override: nobody gets the name.
      conflicts.push({ name, backends });
    }
  }
  const order = new Map(candidates.map((c, i) => [c, i]));
  tools.sort((a, b) => order.get(a)! - order.get(b)!);
  return { tools, conflicts };
}

/** The advertised name of one backend tool, ignoring conflicts with other backends. */
export function advertisedToolName(aggregation: AggregationSpec, backend: string, tool: string): string {
  return aggregateTools(aggregation, [{ backend, tools: [tool] }]).tools[0].name;
}
