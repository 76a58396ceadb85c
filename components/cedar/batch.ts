/**
 * The `authz` batch protocol: one JSON request in, one JSON answer out. Authorizers are cached by
 * their configuration so a stream of requests against the same policies parses them once.
 */
import { Authorizer, type ToolAnnotations } from "./authorizer";
import { authorizeMcpRequest, classifyMethod, filterListResult } from "./mcp";

export interface BatchRequest {
  policies: string[];
  entitiesJson?: string;
  groupClaimName?: string;
  roleClaimName?: string;
  groupEntityType?: string;
  serverName?: string;
  claims: Record<string, unknown> | null;
  method: string;
  params?: Record<string, unknown>;
  annotations?: ToolAnnotations;
  result?: Record<string, unknown>;
}

export interface BatchAnswer {
  decision: "allow" | "deny";
  policies: string[];
  errors: string[];
  result?: Record<string, unknown>;
}

const MAX_CACHED = 64;

export class BatchAuthorizer {
  private readonly cache = new Map<string, Authorizer>();

  private authorizerFor(r: BatchRequest): Authorizer {
    const key = JSON.stringify([r.policies, r.entitiesJson ?? "[]", r.groupClaimName ?? "", r.roleClaimName ?? "", r.groupEntityType ?? "", r.serverName ?? ""]);
    let a = this.cache.get(key);
    if (!a) {
      a = new Authorizer({
        policies: r.policies,
        entitiesJson: r.entitiesJson,
        groupClaimName: r.groupClaimName,
        roleClaimName: r.roleClaimName,
        groupEntityType: r.groupEntityType,
        serverName: r.serverName,
      });
      if (this.cache.size >= MAX_CACHED) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(key, a);
    }
    return a;
  }

  /** Answers one request; never throws (bad input is a deny with an error). */
  answer(input: unknown): BatchAnswer {
    try {
      const r = validateRequest(input);
      const authorizer = this.authorizerFor(r);
      const d = authorizeMcpRequest(authorizer, r.method, r.params, r.claims, () => r.annotations);
      const answer: BatchAnswer = { decision: d.allowed ? "allow" : "deny", policies: d.policies, errors: d.errors };
      if (classifyMethod(r.method) === "list") {
        answer.result = filterListResult(authorizer, r.method, r.result ?? {}, r.claims).result;
      }
      return answer;
    } catch (e) {
      return { decision: "deny", policies: [], errors: [(e as Error).message] };
    }
  }

  /** Answers one line of JSON Lines input. */
  answerLine(line: string): BatchAnswer {
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch (e) {
      return { decision: "deny", policies: [], errors: [`invalid JSON: ${(e as Error).message}`] };
    }
    return this.answer(parsed);
  }
}

function validateRequest(input: unknown): BatchRequest {
  if (typeof input !== "object" || input === null || Array.isArray(input)) throw new Error("request must be a JSON object");
  const r = input as Record<string, unknown>;
  if (!Array.isArray(r.policies) || r.policies.length === 0 || r.policies.some((p) => typeof p !== "string")) {
    throw new Error("policies must be a non-empty array of Cedar policy strings");
  }
  if (typeof r.method !== "string" || r.method === "") throw new Error("method must be an MCP method name, e.g. tools/call");
  if (!("claims" in r) || (r.claims !== null && (typeof r.claims !== "object" || Array.isArray(r.claims)))) {
    throw new Error("claims must be an object, or null for no identity");
  }
  for (const k of ["entitiesJson", "groupClaimName", "roleClaimName", "groupEntityType", "serverName"]) {
    if (r[k] !== undefined && typeof r[k] !== "string") throw new Error(`${k} must be a string`);
  }
  for (const k of ["params", "annotations", "result"]) {
    if (r[k] !== undefined && (typeof r[k] !== "object" || r[k] === null || Array.isArray(r[k]))) throw new Error(`${k} must be an object`);
  }
  return r as unknown as BatchRequest;
}
