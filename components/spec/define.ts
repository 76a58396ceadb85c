/**
 * The typed way to write a team in TypeScript. Grants are checked at compile time: a grant keyed by
 * an undeclared group, or naming an undeclared backend, or (when the backend lists its tools) an
 * undeclared tool, does not compile. The result is plain data that `compileTeam` validates like
 * stack config.
 */
import type { AggregationInput, BackendInput, CedarInput, Environment, GroupInput } from "./types";

type ToolsOf<B> = B extends { tools: readonly (infer T extends string)[] } ? T : string;

/** `"<backend>/<tool>"` for the declared backends (and tools, where the backend lists them). */
export type ToolRefOf<Bs> = { [K in keyof Bs & string]: `${K}/${ToolsOf<Bs[K]>}` }[keyof Bs & string];

export interface TeamDefinition<Bs extends Record<string, BackendInput>, Gs extends Record<string, GroupInput>> {
  team: string;
  environment?: Environment;
  endpoint: string;
  groupPrefix?: string;
  groups: Gs;
  grants?: { [G in keyof Gs]?: { allow?: "*" | ToolRefOf<Bs>[]; deny?: ToolRefOf<Bs>[] } };
  backends: Bs;
  aggregation?: AggregationInput;
  cedar?: CedarInput;
  okta?: Record<string, unknown>;
  kubernetes?: Record<string, unknown>;
  dev?: Record<string, unknown>;
}

export function defineTeam<const Bs extends Record<string, BackendInput>, const Gs extends Record<string, GroupInput>>(
  def: TeamDefinition<Bs, Gs>,
): TeamDefinition<Bs, Gs> {
  return def;
}
