/**
 * Field-level changes between two renders (`vmcp-okta render`'s files): the Okta and Kubernetes
 * objects a stack declares. Render has already replaced secret values with `<redacted>` and values
 * only a deployment knows with named placeholders, so neither can leak into a diff.
 */
import { parse, parseAllDocuments } from "yaml";
import type { FieldChange, ObjectChange, ObjectKind } from "./types";

export interface RenderedObject {
  kind: ObjectKind;
  id: string;
  body: unknown;
}

type Obj = Record<string, unknown>;

/** The objects of a render's files (`kubernetes.yaml`, `okta.yaml`, `helm-releases.yaml`), each with its identity. */
export function renderedObjects(files: Record<string, string>): RenderedObject[] {
  const out: RenderedObject[] = [];
  const docs = (text: string | undefined) => (text ? parseAllDocuments(text).map((d) => d.toJS() as Obj | null).filter((d): d is Obj => !!d) : []);
  for (const o of docs(files["kubernetes.yaml"])) {
    const m = (o.metadata ?? {}) as { name?: string; namespace?: string };
    out.push({ kind: "kubernetes", id: `${String(o.kind)} ${m.namespace ? `${m.namespace}/` : ""}${m.name}`, body: o });
  }
  const okta = files["okta.yaml"] ? ((parse(files["okta.yaml"]) ?? {}) as { resources?: { type: string; name: string; properties: unknown }[] }) : {};
  for (const r of okta.resources ?? []) out.push({ kind: "okta", id: `${r.type} ${r.name}`, body: r.properties });
  for (const r of docs(files["helm-releases.yaml"])) out.push({ kind: "helm", id: `Release ${r.namespace ? `${String(r.namespace)}/` : ""}${String(r.name)}`, body: r });
  return out;
}

const isPlain = (v: unknown) => v === null || typeof v !== "object";

/** Every leaf of a value by path; lists of plain values are one leaf holding the list. */
function leaves(v: unknown, path: string, out: Map<string, unknown>): Map<string, unknown> {
  if (v === undefined) return out;
  if (Array.isArray(v)) {
    if (v.length === 0 || v.every(isPlain)) out.set(`${path}[]`, v);
    else v.forEach((x, i) => leaves(x, `${path}[${i}]`, out));
  } else if (v && typeof v === "object") {
    const entries = Object.entries(v as Obj);
    if (entries.length === 0) out.set(path, {});
    for (const [k, x] of entries) leaves(x, path ? `${path}.${k}` : k, out);
  } else out.set(path, v);
  return out;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** Changed leaves between two values of one object. */
export function fieldChanges(before: unknown, after: unknown): FieldChange[] {
  const b = leaves(before, "", new Map());
  const a = leaves(after, "", new Map());
  const out: FieldChange[] = [];
  for (const path of [...new Set([...b.keys(), ...a.keys()])]) {
    const x = b.get(path);
    const y = a.get(path);
    if (!b.has(path)) out.push({ path, change: "added", after: y });
    else if (!a.has(path)) out.push({ path, change: "removed", before: x });
    else if (path.endsWith("[]") && Array.isArray(x) && Array.isArray(y)) {
      // A set of plain values: what was added and what was removed, not a positional change.
      const key = (e: unknown) => JSON.stringify(e);
      const xs = new Set(x.map(key));
      const ys = new Set(y.map(key));
      const gone = x.filter((e) => !ys.has(key(e)));
      const come = y.filter((e) => !xs.has(key(e)));
      if (gone.length) out.push({ path, change: "removed", before: gone });
      if (come.length) out.push({ path, change: "added", after: come });
      if (!gone.length && !come.length && !same(x, y)) out.push({ path, change: "changed", before: x, after: y });
    } else if (!same(x, y)) out.push({ path, change: "changed", before: x, after: y });
  }
  return out;
}

/** Objects added, removed and changed between two renders, in the head render's order (removed last). */
export function objectChanges(base: readonly RenderedObject[], head: readonly RenderedObject[]): ObjectChange[] {
  const key = (o: RenderedObject) => `${o.kind} ${o.id}`;
  const b = new Map(base.map((o) => [key(o), o]));
  const h = new Set(head.map(key));
  const out: ObjectChange[] = [];
  for (const o of head) {
    const old = b.get(key(o));
    if (!old) out.push({ kind: o.kind, id: o.id, change: "added", fields: fieldChanges(undefined, o.body) });
    else {
      const fields = fieldChanges(old.body, o.body);
      if (fields.length) out.push({ kind: o.kind, id: o.id, change: "changed", fields });
    }
  }
  for (const o of base) if (!h.has(key(o))) out.push({ kind: o.kind, id: o.id, change: "removed", fields: fieldChanges(o.body, undefined) });
  return out;
}
