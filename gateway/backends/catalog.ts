/**
 * The aggregated catalogue a client sees: every backend's tools and prompts under vMCP's names
 * (the core's `aggregateTools`, default prefix `{workload}_`), resources and templates with their
 * URIs unchanged, and the routes back to each backend's own names.
 */
import { UriTemplate } from "@modelcontextprotocol/sdk/shared/uriTemplate.js";
import { aggregateTools } from "../../components/spec/toolNames";
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
    const live = backends;
    const byName = new Map(live.map((b) => [b.name, b]));

    const tools = aggregateTools(
      aggregation,
      live.map((b) => ({ backend: b.name, tools: b.catalog.tools.map((t) => t.name as string) })),
    );
    for (const t of tools.tools) {
      const backend = byName.get(t.backend)!;
      const def = backend.catalog.tools.find((x) => x.name === t.tool)!;
      const route = { backend, name: t.tool, def: { ...def, name: t.name } };
      c.tools.set(t.name, route);
      c.toolList.push(route.def);
    }
    for (const k of tools.conflicts) c.conflicts.push({ kind: "tool", ...k });

    // Prompts are prefixed like tools; tool renames (overrides) do not apply to them.
    const prompts = aggregateTools(
      { ...aggregation, overrides: {} },
      live.map((b) => ({ backend: b.name, tools: b.catalog.prompts.map((p) => p.name as string) })),
    );
    for (const p of prompts.tools) {
      const backend = byName.get(p.backend)!;
      const def = backend.catalog.prompts.find((x) => x.name === p.tool)!;
      const route = { backend, name: p.tool, def: { ...def, name: p.name } };
      c.prompts.set(p.name, route);
      c.promptList.push(route.def);
    }
    for (const k of prompts.conflicts) c.conflicts.push({ kind: "prompt", ...k });

    // Resource URIs are never rewritten; on a clash the first backend keeps the URI.
    for (const b of live) {
      for (const r of b.catalog.resources) {
        const uri = r.uri as string;
        const prev = c.resources.get(uri);
        if (prev) {
          c.conflicts.push({ kind: "resource", name: uri, backends: [prev.backend.name, b.name], kept: prev.backend.name });
          continue;
        }
        c.resources.set(uri, { backend: b, def: r });
        c.resourceList.push(r);
      }
      for (const t of b.catalog.resourceTemplates) {
        const uriTemplate = t.uriTemplate as string;
        const prev = c.templates.find((x) => x.def.uriTemplate === uriTemplate);
        if (prev) {
          c.conflicts.push({ kind: "resourceTemplate", name: uriTemplate, backends: [prev.backend.name, b.name], kept: prev.backend.name });
          continue;
        }
        let template: UriTemplate | undefined;
        try {
          template = new UriTemplate(uriTemplate);
        } catch {
          template = undefined;
        }
        c.templates.push({ backend: b, def: t, template });
        c.templateList.push(t);
      }
    }
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
