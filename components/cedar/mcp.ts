/**
 * MCP methods → Cedar checks, following vMCP's admission rules (ToolHive's vMCP path): calls are
 * checked at the gate, list results are filtered item by item, a few protocol methods are always
 * admitted, and everything else is refused (the single-server table's default deny).
 */
import type { Authorizer, AuthzRequest, CedarAction, Decision, ToolAnnotations } from "./authorizer";

export type MethodClass = "always" | "check" | "list" | "deny";

const ALWAYS = new Set([
  "initialize",
  "ping",
  "roots/list",
  "server/discover",
  "subscriptions/listen",
  "logging/setLevel",
  "notifications/message",
  "notifications/initialized",
  "notifications/progress",
  "notifications/cancelled",
  "notifications/tasks/status",
  "notifications/roots/list_changed",
  "notifications/tools/list_changed",
  "notifications/prompts/list_changed",
  "notifications/resources/list_changed",
  "notifications/resources/updated",
]);
const CHECK = new Set(["tools/call", "prompts/get", "resources/read", "resources/subscribe", "resources/unsubscribe", "completion/complete"]);
const LIST = new Set(["tools/list", "prompts/list", "resources/list", "resources/templates/list"]);

export function classifyMethod(method: string): MethodClass {
  if (ALWAYS.has(method)) return "always";
  if (CHECK.has(method)) return "check";
  if (LIST.has(method)) return "list";
  return "deny";
}

/** vMCP's denial messages (pkg/vmcp/errors.go), sent with HTTP 403 and JSON-RPC code 403. */
export const DENIAL_MESSAGE: Record<CedarAction, string> = {
  call_tool: "call denied by authorization policy",
  get_prompt: "prompt denied by authorization policy",
  read_resource: "read denied by authorization policy",
};
export const DENIAL_CODE = 403;

type Params = Record<string, unknown> | undefined | null;

/**
 * The Cedar check a method needs, or undefined for methods that are not checked per call. This
 * mirrors ToolHive's lenient extraction (pkg/mcp/parser.go handleNamedResourceMethod: a name that is
 * not a string becomes ""), for the `authz` batch protocol that models vMCP. The gateway never uses
 * it: it parses each message once (gateway/mcp/request.ts) and refuses such names before
 * authorization, then calls `authorizeCheck`.
 */
export function cedarCheckFor(method: string, params: Params): Omit<AuthzRequest, "claims" | "annotations"> | undefined {
  const p = params ?? {};
  const str = (v: unknown) => (typeof v === "string" ? v : "");
  switch (method) {
    case "tools/call":
      return { action: "call_tool", resourceId: str(p.name), arguments: isRecord(p.arguments) ? p.arguments : undefined };
    case "prompts/get":
      // vMCP passes no arguments for prompts (admission.go AllowPromptGet).
      return { action: "get_prompt", resourceId: str(p.name) };
    case "resources/read":
    case "resources/subscribe":
    case "resources/unsubscribe":
      return { action: "read_resource", resourceId: str(p.uri) };
    case "completion/complete": {
      const ref = isRecord(p.ref) ? p.ref : {};
      return ref.type === "ref/resource"
        ? { action: "read_resource", resourceId: str(ref.uri) }
        : { action: "get_prompt", resourceId: str(ref.name) };
    }
    default:
      return undefined;
  }
}

export interface McpDecision extends Decision {
  methodClass: MethodClass;
  action?: CedarAction;
  target?: string;
  /** For denied checks: vMCP's message. */
  denialMessage?: string;
}

/**
 * Decides whether a client request may proceed. Lists are admitted (and must then be filtered with
 * `filterListResult`); `annotationsFor` supplies the advertised tool's annotations for tools/call.
 */
export function authorizeMcpRequest(
  authorizer: Authorizer,
  method: string,
  params: Params,
  claims: Record<string, unknown> | null | undefined,
  annotationsFor?: (toolName: string) => ToolAnnotations | undefined,
): McpDecision {
  // The CLI's and the matrix's entry point: extract the check the way ToolHive reads raw params,
  // then decide exactly as the gateway does on its parsed request.
  const check = cedarCheckFor(method, params);
  const annotations = check?.action === "call_tool" ? annotationsFor?.(check.resourceId) : undefined;
  return authorizeCheck(authorizer, method, check, claims, annotations);
}

/** One Cedar check, already extracted from a validated request (the gateway's parse, gateway/mcp/request.ts). */
export interface McpCheck {
  action: CedarAction;
  /** The tool or prompt name, or the resource URI, exactly as it will be routed. */
  resourceId: string;
  arguments?: AuthzRequest["arguments"];
}

/**
 * Decides a request the caller has already parsed: `check` is undefined for methods that are not
 * checked per call. Unlike `authorizeMcpRequest` nothing is re-read from raw params, so the target
 * that is authorized is the target the caller routes.
 */
export function authorizeCheck(
  authorizer: Authorizer,
  method: string,
  check: McpCheck | undefined,
  claims: Record<string, unknown> | null | undefined,
  annotations?: ToolAnnotations,
): McpDecision {
  const methodClass = classifyMethod(method);
  if (methodClass === "always" || methodClass === "list") {
    return { methodClass, allowed: true, policies: [], errors: [], groups: [] };
  }
  if (methodClass === "deny" || !check) {
    return { methodClass: "deny", allowed: false, policies: [], errors: [`method ${method} is not allowed through the gateway`], groups: [], denialMessage: "Unauthorized" };
  }
  const d = authorizer.authorize({ action: check.action, resourceId: check.resourceId, arguments: check.arguments, claims, annotations: check.action === "call_tool" ? annotations : undefined });
  return {
    ...d,
    methodClass,
    action: check.action,
    target: check.resourceId,
    denialMessage: d.allowed ? undefined : DENIAL_MESSAGE[check.action],
  };
}

export interface FilteredList {
  result: Record<string, unknown>;
  removed: string[];
}

/** Filters a list result for one caller: each item is kept iff its own Cedar check allows. */
export function filterListResult(
  authorizer: Authorizer,
  method: string,
  result: Record<string, unknown>,
  claims: Record<string, unknown> | null | undefined,
): FilteredList {
  const spec: Record<string, { key: string; check: (item: Record<string, unknown>) => AuthzRequest }> = {
    "tools/list": {
      key: "tools",
      check: (t) => ({ claims, action: "call_tool", resourceId: String(t.name ?? ""), annotations: isRecord(t.annotations) ? t.annotations : undefined }),
    },
    "prompts/list": { key: "prompts", check: (p) => ({ claims, action: "get_prompt", resourceId: String(p.name ?? "") }) },
    "resources/list": { key: "resources", check: (r) => ({ claims, action: "read_resource", resourceId: String(r.uri ?? "") }) },
    "resources/templates/list": {
      key: "resourceTemplates",
      check: (r) => ({ claims, action: "read_resource", resourceId: String(r.uriTemplate ?? "") }),
    },
  };
  const s = spec[method];
  if (!s) return { result, removed: [] };
  const items = Array.isArray(result[s.key]) ? (result[s.key] as Record<string, unknown>[]) : [];
  const kept: Record<string, unknown>[] = [];
  const removed: string[] = [];
  for (const item of items) {
    const req = s.check(isRecord(item) ? item : {});
    if (authorizer.authorize(req).allowed) kept.push(item);
    else removed.push(req.resourceId);
  }
  return { result: { ...result, [s.key]: kept }, removed };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
