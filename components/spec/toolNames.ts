/**
 * Tool naming, kept for existing callers: a thin view of `aggregate` (./aggregation.ts), which holds
 * vMCP's rules for tools, prompts and resources under every strategy.
 */
import { aggregate, applyPrefixFormat, DEFAULT_PREFIX_FORMAT, soleAdvertisedName } from "./aggregation";
import type { AdvertisedTool, AggregationSpec } from "./types";

export const DEFAULT_AGGREGATION: AggregationSpec = {
  conflictResolution: "prefix",
  prefixFormat: DEFAULT_PREFIX_FORMAT,
  priorityOrder: [],
  overrides: {},
};

export interface BackendToolList {
  backend: string;
  tools: readonly string[];
}

export interface AggregationResult {
  tools: AdvertisedTool[];
  /** Names more than one backend claims; `kept` is the backend that keeps the name, if one does. */
  conflicts: { name: string; backends: string[]; kept?: string }[];
}

export function prefixFor(aggregation: AggregationSpec, backend: string): string {
  return applyPrefixFormat(aggregation.prefixFormat, backend, "");
}

/** Aggregates the backends' tool lists into the advertised catalogue, in backend then tool order. */
export function aggregateTools(aggregation: AggregationSpec, lists: readonly BackendToolList[]): AggregationResult {
  const r = aggregate(aggregation, lists);
  return {
    tools: r.tools.map((t) => ({ name: t.name, backend: t.backend, tool: t.original })),
    conflicts: r.conflicts
      .filter((c) => c.kind === "tool")
      .map((c) => (c.kept === undefined ? { name: c.name, backends: c.backends } : { name: c.name, backends: c.backends, kept: c.kept })),
  };
}

/** The advertised name of one backend tool, ignoring conflicts with other backends. */
export function advertisedToolName(aggregation: AggregationSpec, backend: string, tool: string): string {
  return soleAdvertisedName(aggregation, "tool", backend, tool);
}
