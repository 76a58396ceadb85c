/**
 * The one parse of a client's JSON-RPC message. Everything the gateway does with a message — the
 * authorization check, the route, what is forwarded, the audit line and the metrics label — reads
 * the value built here; nothing goes back to the raw JSON. A target that is not a string, arguments
 * that are not an object and other malformed params are refused here (JSON-RPC -32602), before
 * authorization, instead of being coerced (ToolHive's parser turns a non-string name into "",
 * pkg/mcp/parser.go handleNamedResourceMethod, which a router that stringifies would then route
 * somewhere else).
 *
 * What is forwarded is rebuilt from the parsed value (`upstreamParams`): only the keys MCP defines
 * for the method, so no unknown or case-variant key ("NAME", which Go's case-insensitive JSON
 * decoding would read as `name`) can reach a backend.
 */
import type { McpCheck } from "../../components/cedar/mcp";
import { isRecord, RpcCode, type RequestId } from "./jsonrpc";
import { LOG_LEVELS, type LogLevel } from "./session";

/** Deeper JSON is refused before anything walks it recursively (JSON.stringify would overflow). */
export const MAX_JSON_DEPTH = 64;
/** Longer method names are not MCP methods; refused so they never reach logs or labels. */
const MAX_METHOD_LENGTH = 128;

export type ListMethod = "tools/list" | "prompts/list" | "resources/list" | "resources/templates/list";
const LIST_METHODS = new Set<string>(["tools/list", "prompts/list", "resources/list", "resources/templates/list"]);
export type ResourceMethod = "resources/read" | "resources/subscribe" | "resources/unsubscribe";
const RESOURCE_METHODS = new Set<string>(["resources/read", "resources/subscribe", "resources/unsubscribe"]);
/** Client requests the method table admits but the gateway does not serve (answered -32601). */
const UNSERVED = new Set<string>(["roots/list", "server/discover", "subscriptions/listen"]);

export type CompletionRef = { type: "ref/prompt"; name: string } | { type: "ref/resource"; uri: string };

/** What a request asks for, by method; targets live in `ParsedRequest.check`. */
export type RequestBody =
  | { kind: "initialize"; protocolVersion?: string; capabilities: Record<string, unknown>; clientInfo: Record<string, unknown> }
  | { kind: "ping" }
  | { kind: "list"; method: ListMethod; cursor?: string }
  | { kind: "tools/call" }
  | { kind: "prompts/get"; arguments?: Record<string, unknown> }
  | { kind: "resource"; method: ResourceMethod }
  | { kind: "complete"; ref: CompletionRef; argument: { name: string; value: string }; context?: Record<string, unknown> }
  | { kind: "setLevel"; level: LogLevel }
  /** Admitted by vMCP's method table, not served by the gateway: -32601. */
  | { kind: "unserved" }
  /** Not in vMCP's method table: refused by the authorizer (403). */
  | { kind: "refused" };

export interface ParsedRequest {
  type: "request";
  id: RequestId;
  method: string;
  body: RequestBody;
  /** The Cedar check (action, target, arguments) for checked methods; the router routes this target. */
  check?: McpCheck;
  /** `_meta` without the progress token (which the gateway rewrites). */
  meta?: Record<string, unknown>;
  progressToken?: string | number;
}

export type NotificationBody =
  | { kind: "cancelled"; requestId: RequestId; reason?: string }
  | { kind: "roots_changed" }
  /** initialized, progress and other known notifications: accepted, nothing to do. */
  | { kind: "ignored" }
  | { kind: "refused" };

export interface ParsedNotification {
  type: "notification";
  method: string;
  body: NotificationBody;
}

/** A client's answer to a server→client request the gateway relayed. */
export interface ParsedResponse {
  type: "response";
  id: RequestId;
  answer: { result: Record<string, unknown> } | { error: { code: number; message: string; data?: unknown } };
}

/** A message refused by the parse: answered with `code` and `message` (and `id` when known). */
export interface InvalidMessage {
  type: "invalid";
  id: RequestId | null;
  /** The method, when the envelope named one (for the metrics label). */
  method?: string;
  code: number;
  message: string;
  /** HTTP status: 400 for unusable envelopes and notifications, 200 for a request's -32602. */
  status: number;
}

export type ParsedMessage = ParsedRequest | ParsedNotification | ParsedResponse | InvalidMessage;

function isId(v: unknown): v is RequestId {
  return typeof v === "string" || (typeof v === "number" && Number.isFinite(v));
}

/** True when `v` nests arrays/objects deeper than `max` (iterative: cannot overflow the stack). */
export function nestedDeeperThan(v: unknown, max: number): boolean {
  if (typeof v !== "object" || v === null) return false;
  const stack: [object, number][] = [[v, 1]];
  while (stack.length > 0) {
    const [x, depth] = stack.pop()!;
    if (depth > max) return true;
    const children = Array.isArray(x) ? x : Object.values(x);
    for (const c of children) if (typeof c === "object" && c !== null) stack.push([c, depth + 1]);
  }
  return false;
}

/** A params problem: thrown inside the per-method parsers, turned into -32602. */
class ParamsError extends Error {}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  return typeof v === "object" ? "an object" : `a ${typeof v}`;
}

function requiredString(p: Record<string, unknown>, key: string, where: string): string {
  const v = p[key];
  if (typeof v !== "string") throw new ParamsError(`${where}${key} must be a string, got ${v === undefined ? "nothing" : describe(v)}`);
  if (v === "") throw new ParamsError(`${where}${key} must not be empty`);
  return v;
}

function optionalString(p: Record<string, unknown>, key: string, where = "params."): string | undefined {
  const v = p[key];
  if (v === undefined) return undefined;
  if (typeof v !== "string") throw new ParamsError(`${where}${key} must be a string, got ${describe(v)}`);
  return v;
}

function optionalObject(p: Record<string, unknown>, key: string, where = "params."): Record<string, unknown> | undefined {
  const v = p[key];
  if (v === undefined) return undefined;
  if (!isRecord(v)) throw new ParamsError(`${where}${key} must be an object, got ${describe(v)}`);
  return v;
}

/**
 * Tool arguments as an object whose top-level keys are distinct even ignoring case: Cedar sees
 * `arg_ns` and `arg_NS` as two attributes, a Go backend decodes both into one field.
 */
function toolArguments(p: Record<string, unknown>): Record<string, unknown> | undefined {
  const args = optionalObject(p, "arguments");
  if (!args) return undefined;
  const seen = new Map<string, string>();
  for (const k of Object.keys(args)) {
    const folded = k.toLowerCase();
    const other = seen.get(folded);
    if (other !== undefined) throw new ParamsError(`params.arguments has keys that differ only in case: ${JSON.stringify(other)} and ${JSON.stringify(k)}`);
    seen.set(folded, k);
  }
  return args;
}

function meta(p: Record<string, unknown>): { meta?: Record<string, unknown>; progressToken?: string | number } {
  const m = optionalObject(p, "_meta");
  if (!m) return {};
  if (!("progressToken" in m)) return { meta: m };
  const { progressToken, ...rest } = m;
  if (!isId(progressToken)) throw new ParamsError(`params._meta.progressToken must be a string or a number, got ${describe(progressToken)}`);
  return { meta: rest, progressToken };
}

function parseRequest(id: RequestId, method: string, p: Record<string, unknown>): Omit<ParsedRequest, "type" | "id" | "method"> {
  if (method === "initialize") {
    return {
      body: {
        kind: "initialize",
        protocolVersion: optionalString(p, "protocolVersion"),
        capabilities: optionalObject(p, "capabilities") ?? {},
        clientInfo: optionalObject(p, "clientInfo") ?? {},
      },
      ...meta(p),
    };
  }
  if (method === "ping") return { body: { kind: "ping" }, ...meta(p) };
  if (LIST_METHODS.has(method)) return { body: { kind: "list", method: method as ListMethod, cursor: optionalString(p, "cursor") }, ...meta(p) };
  if (method === "tools/call") {
    const check: McpCheck = { action: "call_tool", resourceId: requiredString(p, "name", "params."), arguments: toolArguments(p) };
    return { body: { kind: "tools/call" }, check, ...meta(p) };
  }
  if (method === "prompts/get") {
    // vMCP passes no arguments to Cedar for prompts (admission.go AllowPromptGet); they are forwarded.
    const check: McpCheck = { action: "get_prompt", resourceId: requiredString(p, "name", "params.") };
    return { body: { kind: "prompts/get", arguments: optionalObject(p, "arguments") }, check, ...meta(p) };
  }
  if (RESOURCE_METHODS.has(method)) {
    const check: McpCheck = { action: "read_resource", resourceId: requiredString(p, "uri", "params.") };
    return { body: { kind: "resource", method: method as ResourceMethod }, check, ...meta(p) };
  }
  if (method === "completion/complete") {
    const r = p.ref;
    if (!isRecord(r)) throw new ParamsError(`params.ref must be an object, got ${r === undefined ? "nothing" : describe(r)}`);
    let ref: CompletionRef;
    let check: McpCheck;
    if (r.type === "ref/prompt") {
      ref = { type: "ref/prompt", name: requiredString(r, "name", "params.ref.") };
      check = { action: "get_prompt", resourceId: ref.name };
    } else if (r.type === "ref/resource") {
      ref = { type: "ref/resource", uri: requiredString(r, "uri", "params.ref.") };
      check = { action: "read_resource", resourceId: ref.uri };
    } else {
      throw new ParamsError('params.ref.type must be "ref/prompt" or "ref/resource"');
    }
    const a = p.argument;
    if (!isRecord(a)) throw new ParamsError(`params.argument must be an object, got ${a === undefined ? "nothing" : describe(a)}`);
    const name = a.name;
    const value = a.value;
    if (typeof name !== "string") throw new ParamsError(`params.argument.name must be a string, got ${describe(name)}`);
    if (typeof value !== "string") throw new ParamsError(`params.argument.value must be a string, got ${describe(value)}`);
    return { body: { kind: "complete", ref, argument: { name, value }, context: optionalObject(p, "context") }, check, ...meta(p) };
  }
  if (method === "logging/setLevel") {
    const level = p.level;
    if (!LOG_LEVELS.includes(level as LogLevel)) throw new ParamsError(`params.level must be one of ${LOG_LEVELS.join(", ")}`);
    return { body: { kind: "setLevel", level: level as LogLevel }, ...meta(p) };
  }
  return { body: { kind: UNSERVED.has(method) ? "unserved" : "refused" } };
}

function parseNotification(method: string, p: Record<string, unknown>): NotificationBody {
  switch (method) {
    case "notifications/cancelled": {
      const requestId = p.requestId;
      if (!isId(requestId)) throw new ParamsError(`params.requestId must be a string or a number, got ${requestId === undefined ? "nothing" : describe(requestId)}`);
      return { kind: "cancelled", requestId, reason: optionalString(p, "reason") };
    }
    case "notifications/roots/list_changed":
      return { kind: "roots_changed" };
    case "notifications/initialized":
    case "notifications/progress":
      return { kind: "ignored" };
    default:
      return { kind: "refused" };
  }
}

function invalid(id: RequestId | null, code: number, message: string, status = 400, method?: string): InvalidMessage {
  return { type: "invalid", id, code, message, status, method };
}

/** Parses one POST body into the one value the gateway acts on. Never throws. */
export function parseMessage(text: string): ParsedMessage {
  let m: unknown;
  try {
    m = JSON.parse(text);
  } catch {
    return invalid(null, RpcCode.ParseError, "Parse error: the body is not JSON");
  }
  // ToolHive refuses batches too (pkg/mcp/batch.go): each nested call would pass the checks unseen.
  if (Array.isArray(m)) return invalid(null, RpcCode.InvalidRequest, "Invalid Request: batches are not supported (removed in MCP 2025-06-18)");
  if (!isRecord(m)) return invalid(null, RpcCode.InvalidRequest, "Invalid Request: not a JSON-RPC 2.0 message");
  const id = isId(m.id) ? m.id : null;
  if (nestedDeeperThan(m, MAX_JSON_DEPTH)) return invalid(id, RpcCode.InvalidRequest, `Invalid Request: the message is nested deeper than ${MAX_JSON_DEPTH} levels`);
  if (m.jsonrpc !== "2.0") return invalid(id, RpcCode.InvalidRequest, 'Invalid Request: jsonrpc must be "2.0"');
  if ("id" in m && id === null) return invalid(null, RpcCode.InvalidRequest, "Invalid Request: id must be a string or a number");

  if (!("method" in m)) {
    if (id === null) return invalid(null, RpcCode.InvalidRequest, "Invalid Request: not a JSON-RPC 2.0 message");
    const hasResult = "result" in m;
    if (hasResult === "error" in m) return invalid(id, RpcCode.InvalidRequest, "Invalid Request: a response has exactly one of result and error");
    if (hasResult) {
      if (!isRecord(m.result)) return invalid(id, RpcCode.InvalidRequest, "Invalid Request: result must be an object");
      return { type: "response", id, answer: { result: m.result } };
    }
    const e = m.error;
    if (!isRecord(e) || !Number.isInteger(e.code) || typeof e.message !== "string") {
      return invalid(id, RpcCode.InvalidRequest, "Invalid Request: error must be an object with an integer code and a string message");
    }
    return { type: "response", id, answer: { error: e.data === undefined ? { code: e.code as number, message: e.message } : { code: e.code as number, message: e.message, data: e.data } } };
  }

  const method = m.method;
  if (typeof method !== "string" || method === "" || method.length > MAX_METHOD_LENGTH) {
    return invalid(id, RpcCode.InvalidRequest, `Invalid Request: method must be a non-empty string of at most ${MAX_METHOD_LENGTH} characters`);
  }
  const rawParams = m.params;
  if (rawParams !== undefined && !isRecord(rawParams)) {
    return invalid(id, RpcCode.InvalidParams, `Invalid params: params must be an object, got ${describe(rawParams)}`, id === null ? 400 : 200, method);
  }
  const params = rawParams ?? {};
  try {
    if (id !== null) return { type: "request", id, method, ...parseRequest(id, method, params) };
    // A notification never gets an answer, so a call sent without an id is refused outright rather
    // than authorized and silently dropped.
    if (!method.startsWith("notifications/")) {
      return invalid(null, RpcCode.InvalidRequest, `Invalid Request: ${method} is a request and needs an id`, 400, method);
    }
    return { type: "notification", method, body: parseNotification(method, params) };
  } catch (e) {
    if (!(e instanceof ParamsError)) throw e;
    return invalid(id, RpcCode.InvalidParams, `Invalid params for ${method}: ${e.message}`, id === null ? 400 : 200, method);
  }
}

/**
 * The params sent to the backend, built only from the parsed value: `name` is the backend's own
 * name for the authorized target, `uri` the authorized URI, `arguments` the authorized object.
 */
export function upstreamParams(req: ParsedRequest, ownName: string | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const check = req.check;
  switch (req.body.kind) {
    case "tools/call":
      out.name = ownName;
      if (check?.arguments !== undefined) out.arguments = check.arguments;
      break;
    case "prompts/get":
      out.name = ownName;
      if (req.body.arguments !== undefined) out.arguments = req.body.arguments;
      break;
    case "resource":
      out.uri = check!.resourceId;
      break;
    case "complete":
      out.ref = req.body.ref.type === "ref/prompt" ? { type: "ref/prompt", name: ownName } : { type: "ref/resource", uri: req.body.ref.uri };
      out.argument = req.body.argument;
      if (req.body.context !== undefined) out.context = req.body.context;
      break;
    default:
      break;
  }
  if (req.meta && Object.keys(req.meta).length > 0) out._meta = req.meta;
  return out;
}
