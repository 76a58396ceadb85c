/**
 * The aggregated catalogue a client sees: every backend's tools, prompts, resources and templates
 * under the names vMCP gives them (the core's `aggregate`, components/spec/aggregation.ts, which
 * follows ToolHive's pkg/vmcp/aggregator), and the routes back to each backend's own names.
 */
import { UriTemplate } from "@modelcontextprotocol/sdk/shared/uriTemplate.js";
import { aggregate, type AggregationConflict } from "../../components/spec/aggregation";
import type { AggregationSpec } from "../../components/spec/types";
import type { Backend, Item } from "./backend";

export interface Route {
  backend: Backend;
  /** The backend's own name for the tool or prompt. */
  name: string;
  /** The definition as advertised (renamed). */
  def: Item;
}

export interface CatalogConflict {
  kind: "tool" | "prompt" | "resource" | "resourceTemplate";
  name: string;
  backends: string[];
  kept?: string;
  /** What vMCP does with the name (see AggregationConflict). */
  outcome: AggregationConflict["outcome"];
  advertised?: string[];
}

/** A backend's listed names; entries without a string name are not advertised at all. */
function names(items: readonly Item[], key: "name" | "uri" | "uriTemplate"): string[] {
  return items.map((x) => x[key]).filter((x): x is string => typeof x === "string");
}

export class Catalog {
  readonly tools = new Map<string, Route>();
  readonly prompts = new Map<string, Route>();
  readonly resources = new Map<string, { backend: Backend; def: Item }>();
  readonly templates: { backend: Backend; def: Item; template?: UriTemplate }[] = [];
  readonly conflicts: CatalogConflict[] = [];
  toolList: Item[] = [];
  promptList: Item[] = [];
  resourceList: Item[] = [];
  templateList: Item[] = [];

  static empty(): Catalog {
    return new Catalog();
  }

  static build(aggregation: AggregationSpec, backends: readonly Backend[]): Catalog {
    const c = new Catalog();
    const byName = new Map(backends.map((b) => [b.name, b]));
    const result = aggregate(
      aggregation,
      backends.map((b) => ({
        backend: b.name,
        tools: names(b.catalog.tools, "name"),
        prompts: names(b.catalog.prompts, "name"),
        resources: names(b.catalog.resources, "uri"),
        resourceTemplates: names(b.catalog.resourceTemplates, "uriTemplate"),
      })),
    );
    const find = (items: readonly Item[], key: "name" | "uri" | "uriTemplate", value: string) => items.find((x) => x[key] === value)!;

    for (const t of result.tools) {
      const backend = byName.get(t.backend)!;
      const route = { backend, name: t.original, def: { ...find(backend.catalog.tools, "name", t.original), name: t.name } };
      c.tools.set(t.name, route);
      c.toolList.push(route.def);
    }
    for (const p of result.prompts) {
      const backend = byName.get(p.backend)!;
      const route = { backend, name: p.original, def: { ...find(backend.catalog.prompts, "name", p.original), name: p.name } };
      c.prompts.set(p.name, route);
      c.promptList.push(route.def);
    }
    // Resource URIs and templates are never rewritten (capability_conflicts.go:30-43).
    for (const r of result.resources) {
      const backend = byName.get(r.backend)!;
      const def = find(backend.catalog.resources, "uri", r.name);
      c.resources.set(r.name, { backend, def });
      c.resourceList.push(def);
    }
    for (const t of result.resourceTemplates) {
      const backend = byName.get(t.backend)!;
      const def = find(backend.catalog.resourceTemplates, "uriTemplate", t.name);
      let template: UriTemplate | undefined;
      try {
        template = new UriTemplate(t.name);
      } catch {
        template = undefined;
      }
      c.templates.push({ backend, def, template });
      c.templateList.push(def);
    }
    for (const k of result.conflicts) c.conflicts.push({ ...k });
    return c;
  }

  /** The backend that serves a resource URI: a listed resource, else the first matching template. */
  resourceBackend(uri: string): Backend | undefined {
    const exact = this.resources.get(uri);
    if (exact) return exact.backend;
    for (const t of this.templates) {
      try {
        if (t.template?.match(uri)) return t.backend;
      } catch {
        /* a template that cannot match this URI */
      }
    }
    return undefined;
  }

  /** The backend that declared a resource template (for completion). */
  templateBackend(uriTemplate: string): Backend | undefined {
    return this.templates.find((t) => t.def.uriTemplate === uriTemplate)?.backend ?? this.resources.get(uriTemplate)?.backend;
  }
}
