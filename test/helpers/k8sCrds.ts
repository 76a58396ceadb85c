/**
 * Admission as the API server would do it, offline: the v1beta1 OpenAPI schema of the real ToolHive
 * CRDs in `../shared/toolhive-crds/` (ajv, with the `x-kubernetes-*` extensions), and every CEL rule
 * (`x-kubernetes-validations`) evaluated with a CEL library on the nodes the object has. Unknown
 * fields, which the API server would silently prune, are errors here: a pruned field is a bug.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import Ajv, { type ErrorObject, type ValidateFunction } from "ajv";
import { Environment } from "@marcbachmann/cel-js";
import { parse } from "yaml";

export const CRD_DIR = path.resolve(__dirname, "../../../shared/toolhive-crds");
export const SHARED_PRESENT = fs.existsSync(CRD_DIR);
export const SKIP_REASON = SHARED_PRESENT ? false : `../shared/toolhive-crds is absent (expected at ${CRD_DIR}); CRD schema and CEL checks skipped`;

type Schema = Record<string, unknown>;

export interface CelRule {
  /** JSON-path-like location of the schema node (`spec.incomingAuth`). */
  path: string;
  rule: string;
  message: string;
}

interface LoadedCrd {
  kind: string;
  schema: Schema;
  validate: ValidateFunction;
  rules: CelRule[];
}

const FILES = ["mcpgroups", "mcpservers", "mcpoidcconfigs", "virtualmcpservers"];
let cache: Map<string, LoadedCrd> | undefined;

/** Objects with properties get `additionalProperties: false` unless they preserve unknown fields. */
function closeObjects(s: Schema): Schema {
  const out: Schema = { ...s };
  if (s.properties && typeof s.properties === "object") {
    out.properties = Object.fromEntries(Object.entries(s.properties as Record<string, Schema>).map(([k, v]) => [k, closeObjects(v)]));
    if (!s["x-kubernetes-preserve-unknown-fields"] && s.additionalProperties === undefined) out.additionalProperties = false;
  }
  if (s.items && typeof s.items === "object") out.items = closeObjects(s.items as Schema);
  if (s.additionalProperties && typeof s.additionalProperties === "object") out.additionalProperties = closeObjects(s.additionalProperties as Schema);
  return out;
}

function collectRules(s: Schema, p: string, out: CelRule[]): void {
  for (const v of (s["x-kubernetes-validations"] as { rule: string; message?: string }[] | undefined) ?? []) {
    out.push({ path: p, rule: v.rule, message: v.message ?? v.rule });
  }
  for (const [k, c] of Object.entries((s.properties as Record<string, Schema>) ?? {})) collectRules(c, p ? `${p}.${k}` : k, out);
  if (s.items && typeof s.items === "object") collectRules(s.items as Schema, `${p}[]`, out);
  if (s.additionalProperties && typeof s.additionalProperties === "object") collectRules(s.additionalProperties as Schema, `${p}{}`, out);
}

/** CRD patterns are Go (RE2) regexps, which allow POSIX classes such as `[[:space:]]`. */
const POSIX: Record<string, string> = { alpha: "A-Za-z", digit: "0-9", alnum: "A-Za-z0-9", space: "\\s", upper: "A-Z", lower: "a-z", xdigit: "0-9A-Fa-f", word: "\\w" };
function goRegExp(pattern: string, flags: string): RegExp {
  return new RegExp(pattern.replace(/\[:([a-z]+):\]/g, (m, c: string) => POSIX[c] ?? m), flags);
}
goRegExp.code = "goRegExp";

function makeAjv(): Ajv {
  const ajv = new Ajv({ allErrors: true, strict: false, code: { regExp: goRegExp } });
  for (const k of ["x-kubernetes-validations", "x-kubernetes-preserve-unknown-fields", "x-kubernetes-map-type", "x-kubernetes-list-map-keys", "x-kubernetes-int-or-string", "x-kubernetes-embedded-resource"]) {
    ajv.addKeyword({ keyword: k });
  }
  // listType map: items are unique by their key fields; set: items are unique.
  ajv.addKeyword({
    keyword: "x-kubernetes-list-type",
    type: "array",
    validate: function listType(kind: string, data: unknown[], parent?: Schema): boolean {
      if (kind === "map") {
        const keys = (parent?.["x-kubernetes-list-map-keys"] as string[] | undefined) ?? [];
        const seen = new Set(data.map((item) => JSON.stringify(keys.map((k) => (item as Record<string, unknown>)[k]))));
        return seen.size === data.length;
      }
      if (kind === "set") return new Set(data.map((x) => JSON.stringify(x))).size === data.length;
      return true;
    },
    errors: false,
  });
  ajv.addFormat("int32", { type: "number", validate: (n: number) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31 });
  ajv.addFormat("int64", { type: "number", validate: (n: number) => Number.isInteger(n) });
  ajv.addFormat("date-time", /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/);
  return ajv;
}

export function loadCrds(): Map<string, LoadedCrd> {
  if (cache) return cache;
  const ajv = makeAjv();
  const crds = new Map<string, LoadedCrd>();
  for (const f of FILES) {
    const crd = parse(fs.readFileSync(path.join(CRD_DIR, `toolhive.stacklok.dev_${f}.yaml`), "utf8")) as {
      spec: { names: { kind: string }; versions: { name: string; schema: { openAPIV3Schema: Schema } }[] };
    };
    const version = crd.spec.versions.find((v) => v.name === "v1beta1");
    if (!version) throw new Error(`${f}: no v1beta1 version`);
    const schema = version.schema.openAPIV3Schema;
    const rules: CelRule[] = [];
    collectRules(schema, "", rules);
    crds.set(crd.spec.names.kind, { kind: crd.spec.names.kind, schema, validate: ajv.compile(closeObjects(schema)), rules });
  }
  cache = crds;
  return crds;
}

/** CEL values as the API server types them: schema integers are CEL ints (bigint). */
function toCel(v: unknown, s: Schema | undefined): unknown {
  if (s?.type === "integer" && typeof v === "number") return BigInt(v);
  if (Array.isArray(v)) return v.map((x) => toCel(x, s?.items as Schema | undefined));
  if (v && typeof v === "object") {
    const props = (s?.properties as Record<string, Schema> | undefined) ?? {};
    const extra = typeof s?.additionalProperties === "object" ? (s.additionalProperties as Schema) : undefined;
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toCel(x, props[k] ?? extra)]));
  }
  return v;
}

const cel = new Environment({ unlistedVariablesAreDyn: true });

export interface CelEvaluation {
  rule: CelRule;
  at: string;
  ok: boolean;
  error?: string;
}

/** Evaluates every rule whose schema node is present in `value` (as the API server does). */
export function evaluateCel(schema: Schema, value: unknown, p = ""): CelEvaluation[] {
  const out: CelEvaluation[] = [];
  if (value === undefined || value === null) return out;
  for (const v of (schema["x-kubernetes-validations"] as { rule: string; message?: string }[] | undefined) ?? []) {
    const rule = { path: p, rule: v.rule, message: v.message ?? v.rule };
    try {
      const result = cel.evaluate(v.rule, { self: toCel(value, schema) });
      out.push({ rule, at: p, ok: result === true, ...(result === true ? {} : { error: rule.message }) });
    } catch (e) {
      out.push({ rule, at: p, ok: false, error: `CEL evaluation failed: ${(e as Error).message}` });
    }
  }
  const props = (schema.properties as Record<string, Schema> | undefined) ?? {};
  if (Array.isArray(value) && schema.items) value.forEach((x, i) => out.push(...evaluateCel(schema.items as Schema, x, `${p}[${i}]`)));
  else if (value && typeof value === "object") {
    for (const [k, x] of Object.entries(value)) {
      const child = props[k] ?? (typeof schema.additionalProperties === "object" ? (schema.additionalProperties as Schema) : undefined);
      if (child) out.push(...evaluateCel(child, x, p ? `${p}.${k}` : k));
    }
  }
  return out;
}

export interface AdmissionResult {
  schemaErrors: string[];
  celErrors: string[];
  celEvaluated: CelEvaluation[];
}

/** Schema + CEL admission of one object; the kind picks the CRD. */
export function admit(obj: { kind: string; apiVersion: string }): AdmissionResult {
  const crd = loadCrds().get(obj.kind);
  if (!crd) throw new Error(`no CRD for kind ${obj.kind}`);
  const schemaErrors: string[] = [];
  if (obj.apiVersion !== "toolhive.stacklok.dev/v1beta1") schemaErrors.push(`apiVersion ${obj.apiVersion} is not toolhive.stacklok.dev/v1beta1`);
  if (!crd.validate(obj)) schemaErrors.push(...(crd.validate.errors ?? []).map(formatAjvError));
  const celEvaluated = evaluateCel(crd.schema, obj);
  return { schemaErrors, celErrors: celEvaluated.filter((e) => !e.ok).map((e) => `${e.at}: ${e.error}`), celEvaluated };
}

function formatAjvError(e: ErrorObject): string {
  const extra = e.keyword === "additionalProperties" ? ` (${String((e.params as { additionalProperty?: string }).additionalProperty)})` : "";
  return `${e.instancePath || "/"} ${e.message ?? e.keyword}${extra}`;
}
