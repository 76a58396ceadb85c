/**
 * The differential comparison: the same JSON-RPC requests, for the same users, to our gateway and to
 * ToolHive's vMCP, each answer reduced to what must agree (HTTP status; JSON-RPC error code and
 * message; lists as sets; call results), and the disagreements the known-differences file explains.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { isDeepStrictEqual } from "node:util";
import { parse } from "yaml";
import { rawPost, rawSession, REPO_ROOT } from "../../gateway/testing/harness";

export interface Probe {
  method: string;
  params?: Record<string, unknown>;
  /** Short label for reports: `tools/call alpha_search {"namespace":"staging"}`. */
  label: string;
}

export interface Normalized {
  status: number;
  error?: { code: unknown; message: unknown };
  result?: unknown;
}

type Item = Record<string, unknown>;

const sortStrings = (xs: string[]) => [...xs].sort();

/** Objects with their keys sorted, recursively: key order carries no meaning in JSON. */
export function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === "object") return Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical((v as Item)[k])]));
  return v;
}
const pick = (o: Item, keys: string[]) => Object.fromEntries(keys.filter((k) => o[k] !== undefined).map((k) => [k, o[k]]));

/**
 * A tool's annotations with MCP's defaults for omitted hints (readOnly false, destructive true,
 * idempotent false, openWorld true: the spec's ToolAnnotations). vMCP serves through the official Go
 * SDK, whose ToolAnnotations has non-pointer `readOnlyHint`/`idempotentHint` (go-sdk v1.7.0
 * mcp/protocol.go), so it always sends those two, false when the backend omitted them; the meaning
 * is the same, and Cedar in vMCP still sees only the backend's hints (pkg/vmcp/core/admission.go
 * convertAnnotations keeps nil as absent).
 */
function withHintDefaults(a: unknown): Item {
  const given = (a && typeof a === "object" ? a : {}) as Item;
  return { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true, ...given };
}

/** What of a result must agree, per method (vMCP adds `ttlMs`/`cacheScope` to lists, ignored). */
function normalizeResult(method: string, r: Item): unknown {
  const list = (key: string, keys: string[]) => sortStrings(((r[key] as Item[] | undefined) ?? []).map((x) => JSON.stringify(canonical(pick(x, keys)))));
  switch (method) {
    case "tools/list":
      return sortStrings(((r.tools as Item[] | undefined) ?? []).map((t) => JSON.stringify(canonical({ ...pick(t, ["name", "description"]), annotations: withHintDefaults(t.annotations) }))));
    case "prompts/list":
      return list("prompts", ["name", "description", "arguments"]);
    case "resources/list":
      return list("resources", ["uri", "name", "mimeType"]);
    case "resources/templates/list":
      return list("resourceTemplates", ["uriTemplate", "name", "mimeType"]);
    case "tools/call":
      return { isError: r.isError === true, content: r.content };
    case "prompts/get":
      return { messages: r.messages };
    case "resources/read":
      return { contents: r.contents };
    case "completion/complete":
      return { values: (r.completion as Item | undefined)?.values };
    default:
      return r;
  }
}

export function normalize(method: string, status: number, body: unknown): Normalized {
  const msg = (Array.isArray(body) ? body.find((m) => (m as Item).id !== undefined) : body) as Item | undefined;
  if (msg?.error) {
    const e = msg.error as Item;
    return { status, error: { code: e.code, message: e.message } };
  }
  if (msg?.result) return { status, result: canonical(normalizeResult(method, msg.result as Item)) };
  return { status };
}

export interface Session {
  url: string;
  headers: Record<string, string>;
}

export async function openSession(mcpUrl: string, token: string): Promise<Session> {
  const sid = await rawSession(mcpUrl, token);
  return { url: mcpUrl, headers: { authorization: `Bearer ${token}`, "mcp-session-id": sid } };
}

let nextId = 1;
export async function ask(s: Session, p: Probe): Promise<Normalized> {
  const a = await rawPost(s.url, { jsonrpc: "2.0", id: nextId++, method: p.method, ...(p.params ? { params: p.params } : {}) }, s.headers);
  return normalize(p.method, a.status, a.body);
}

/** Everything one engine advertises to one (broad) user: the names the probes are built from. */
export interface Catalog {
  tools: { name: string; args: string[] }[];
  prompts: { name: string; args: string[] }[];
  resources: string[];
  templates: { uriTemplate: string; vars: string[] }[];
}

export async function catalogOf(s: Session): Promise<Catalog> {
  const get = async (method: string) => ((await rawPost(s.url, { jsonrpc: "2.0", id: nextId++, method }, s.headers)).body as Item | undefined)?.result as Item | undefined;
  const tools = ((await get("tools/list"))?.tools as Item[] | undefined) ?? [];
  const prompts = ((await get("prompts/list"))?.prompts as Item[] | undefined) ?? [];
  const resources = ((await get("resources/list"))?.resources as Item[] | undefined) ?? [];
  const templates = ((await get("resources/templates/list"))?.resourceTemplates as Item[] | undefined) ?? [];
  return {
    tools: tools.map((t) => ({ name: String(t.name), args: Object.keys(((t.inputSchema as Item | undefined)?.properties as Item | undefined) ?? {}) })),
    prompts: prompts.map((p) => ({ name: String(p.name), args: ((p.arguments as Item[] | undefined) ?? []).map((a) => String(a.name)) })),
    resources: resources.map((r) => String(r.uri)),
    templates: templates.map((t) => ({ uriTemplate: String(t.uriTemplate), vars: [...String(t.uriTemplate).matchAll(/\{([^}]+)\}/g)].map((m) => m[1]) })),
  };
}

function mergeByName<T extends { name: string }>(a: T[], b: T[]): T[] {
  const out = new Map<string, T>();
  for (const x of [...a, ...b]) if (!out.has(x.name)) out.set(x.name, x);
  return [...out.values()].sort((x, y) => (x.name < y.name ? -1 : 1));
}

/** Values tried for arguments that policies read (one the policies allow, one they forbid, and none). */
export const ARGUMENT_VALUES = ["staging", "kube-system"];

/**
 * Every probe for a stack: the lists, every tool called (once without arguments, and with each value
 * for each argument the policies read), every prompt got and completed, every resource read, every
 * template completed, and names nobody advertises.
 */
export function probesFor(catalogs: Catalog[], policyArguments: string[]): Probe[] {
  const tools = catalogs.map((c) => c.tools).reduce(mergeByName, []);
  const prompts = catalogs.map((c) => c.prompts).reduce(mergeByName, []);
  const resources = [...new Set(catalogs.flatMap((c) => c.resources))].sort();
  const templates = [...new Map(catalogs.flatMap((c) => c.templates).map((t) => [t.uriTemplate, t])).values()];
  const probes: Probe[] = [];
  for (const method of ["tools/list", "prompts/list", "resources/list", "resources/templates/list"]) probes.push({ method, label: method });
  for (const t of tools) {
    probes.push({ method: "tools/call", params: { name: t.name, arguments: {} }, label: `tools/call ${t.name} {}` });
    for (const a of t.args.filter((x) => policyArguments.includes(x))) {
      for (const v of ARGUMENT_VALUES) probes.push({ method: "tools/call", params: { name: t.name, arguments: { [a]: v } }, label: `tools/call ${t.name} {${a}: ${v}}` });
    }
  }
  probes.push({ method: "tools/call", params: { name: "no_such_tool", arguments: {} }, label: "tools/call no_such_tool" });
  for (const p of prompts) {
    const args = Object.fromEntries(p.args.map((a) => [a, "default"]));
    probes.push({ method: "prompts/get", params: { name: p.name, arguments: args }, label: `prompts/get ${p.name}` });
    if (p.args[0]) {
      probes.push({ method: "completion/complete", params: { ref: { type: "ref/prompt", name: p.name }, argument: { name: p.args[0], value: "" } }, label: `completion/complete prompt ${p.name}` });
    }
  }
  probes.push({ method: "prompts/get", params: { name: "no_such_prompt", arguments: {} }, label: "prompts/get no_such_prompt" });
  for (const uri of resources) probes.push({ method: "resources/read", params: { uri }, label: `resources/read ${uri}` });
  probes.push({ method: "resources/read", params: { uri: "demo://nowhere/nothing" }, label: "resources/read unknown uri" });
  for (const t of templates) {
    if (t.vars[0]) {
      probes.push({ method: "completion/complete", params: { ref: { type: "ref/resource", uri: t.uriTemplate }, argument: { name: t.vars[0], value: "" } }, label: `completion/complete template ${t.uriTemplate}` });
    }
  }
  return probes;
}

// ----- known differences -------------------------------------------------------------------------

export interface KnownDifference {
  id: string;
  /** Which requests it covers: the method, and optionally a regular expression over the probe label and the stack. */
  method: string;
  label?: string;
  stack?: string;
  /** Partial answers: every key given must equal the normalized answer's. */
  ours: unknown;
  vmcp: unknown;
  /** Which side is wrong: `vmcp` (we keep our answer), or `ours` (a fix is owed, by `owner`). */
  wrong: "vmcp" | "ours";
  owner?: string;
  /** Why, with ToolHive's code path. */
  cause: string;
  toolhive: string;
}

export const KNOWN_DIFFERENCES_FILE = path.join(REPO_ROOT, "test", "vmcp-known-differences.yaml");

export function loadKnownDifferences(file = KNOWN_DIFFERENCES_FILE): KnownDifference[] {
  const doc = parse(fs.readFileSync(file, "utf8")) as { differences?: KnownDifference[] } | null;
  const list = doc?.differences ?? [];
  for (const d of list) {
    for (const k of ["id", "method", "cause", "toolhive"] as const) {
      if (typeof d[k] !== "string" || !d[k]) throw new Error(`${file}: difference ${d.id ?? "?"} needs a non-empty ${k}`);
    }
    if (d.ours === undefined || d.vmcp === undefined) throw new Error(`${file}: difference ${d.id} needs ours and vmcp`);
    if (d.wrong !== "vmcp" && d.wrong !== "ours") throw new Error(`${file}: difference ${d.id}: wrong must be vmcp or ours`);
    if (d.wrong === "ours" && !d.owner) throw new Error(`${file}: difference ${d.id} is ours to fix and needs an owner`);
  }
  return list;
}

/** Does `actual` contain `partial` (objects: every given key matches; anything else: equal)? */
export function contains(actual: unknown, partial: unknown): boolean {
  if (partial && typeof partial === "object" && !Array.isArray(partial)) {
    if (!actual || typeof actual !== "object" || Array.isArray(actual)) return false;
    return Object.entries(partial as Item).every(([k, v]) => contains((actual as Item)[k], v));
  }
  return isDeepStrictEqual(actual, partial);
}

export function explain(known: readonly KnownDifference[], stack: string, probe: Probe, ours: Normalized, vmcp: Normalized): KnownDifference | undefined {
  return known.find(
    (d) =>
      d.method === probe.method &&
      (d.label === undefined || new RegExp(d.label).test(probe.label)) &&
      (d.stack === undefined || new RegExp(d.stack).test(stack)) &&
      contains(ours, d.ours) &&
      contains(vmcp, d.vmcp),
  );
}
