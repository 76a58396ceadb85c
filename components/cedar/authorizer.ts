/**
 * ToolHive's Cedar request model over cedar-wasm. One implementation, used by the access matrix,
 * the CLI (`check`, `why`, `authz`, `test`) and the gateway. The policy set is parsed once when the
 * authorizer is built; a decision never re-parses policies.
 */
import cedar from "./wasm";
import type { EntityJson, EntityUidJson, TypeAndId } from "./wasm";
import { argumentAttributes, claimAttributes, type CedarValue } from "./values";
import { extractGroups, principalId } from "./principal";

export type CedarAction = "call_tool" | "get_prompt" | "read_resource";
export const CEDAR_ACTIONS: readonly CedarAction[] = ["call_tool", "get_prompt", "read_resource"];

const RESOURCE_TYPE: Record<CedarAction, "Tool" | "Prompt" | "Resource"> = {
  call_tool: "Tool",
  get_prompt: "Prompt",
  read_resource: "Resource",
};

export interface AuthorizerOptions {
  /** Policies by id (order kept), or a list (ids `policy0…`, as ToolHive names them). */
  policies: Record<string, string> | readonly string[];
  entitiesJson?: string;
  groupClaimName?: string;
  roleClaimName?: string;
  groupEntityType?: string;
  /** The vMCP server name: every resource gets parent `MCP::"<serverName>"`. */
  serverName?: string;
}

export interface ToolAnnotations {
  readOnlyHint?: unknown;
  destructiveHint?: unknown;
  idempotentHint?: unknown;
  openWorldHint?: unknown;
  [k: string]: unknown;
}

export interface AuthzRequest {
  /** Verified token claims; null or undefined means no identity. */
  claims: Record<string, unknown> | null | undefined;
  action: CedarAction;
  /** Tool or prompt name, or resource URI, verbatim. */
  resourceId: string;
  arguments?: Record<string, unknown> | null;
  /** call_tool only: the advertised tool's annotations (never from the client). */
  annotations?: ToolAnnotations | null;
}

export interface Decision {
  allowed: boolean;
  /** Ids of the determining policies (Cedar's `reason`). */
  policies: string[];
  /** Evaluation errors and request problems; any of them means deny. */
  errors: string[];
  principal?: string;
  groups: string[];
  /** Which claim supplied the groups. */
  groupSource?: string;
}

export class AuthorizerError extends Error {
  constructor(
    readonly code: "ERR_NO_POLICIES" | "ERR_POLICY_PARSE" | "ERR_GROUP_ENTITY_TYPE" | "ERR_ENTITIES_JSON",
    message: string,
  ) {
    super(message);
    this.name = "AuthorizerError";
  }
}

const CEDAR_IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
let nextPolicySetId = 0;

function uidKey(uid: EntityUidJson): string {
  const t = "__entity" in uid ? uid.__entity : (uid as TypeAndId);
  return `${t.type}::${JSON.stringify(t.id)}`;
}

export class Authorizer {
  readonly policyIds: string[];
  readonly policyTexts: Record<string, string>;
  private readonly policySetId: string;
  private readonly staticEntities: EntityJson[];
  /** uidKey of each static entity, computed once (a request drops those its own entities replace). */
  private readonly staticKeys: string[] = [];
  private readonly groupEntityType: string;
  private readonly resourceParents: TypeAndId[];

  constructor(readonly options: AuthorizerOptions) {
    const policies: Record<string, string> = Array.isArray(options.policies)
      ? Object.fromEntries((options.policies as readonly string[]).map((p, i) => [`policy${i}`, p]))
      : { ...(options.policies as Record<string, string>) };
    this.policyIds = Object.keys(policies);
    this.policyTexts = policies;
    if (this.policyIds.length === 0) throw new AuthorizerError("ERR_NO_POLICIES", "at least one policy is required");

    this.groupEntityType = options.groupEntityType || "THVGroup";
    if (!CEDAR_IDENT.test(this.groupEntityType)) {
      throw new AuthorizerError("ERR_GROUP_ENTITY_TYPE", `group entity type ${JSON.stringify(this.groupEntityType)} is not a plain Cedar identifier`);
    }
    try {
      const parsed = JSON.parse(options.entitiesJson || "[]");
      if (!Array.isArray(parsed)) throw new Error("not a JSON array");
      this.staticEntities = parsed as EntityJson[];
      this.staticKeys = this.staticEntities.map((e) => uidKey(e.uid));
    } catch (e) {
      throw new AuthorizerError("ERR_ENTITIES_JSON", `entitiesJson: ${(e as Error).message}`);
    }
    this.resourceParents = options.serverName ? [{ type: "MCP", id: options.serverName }] : [];

    // Each string is one policy (ToolHive parses each on its own); a Record makes cedar-wasm reject
    // a string holding two policies instead of silently dropping the second.
    this.policySetId = `vmcp-okta-${process.pid}-${nextPolicySetId++}`;
    const parsed = cedar.preparsePolicySet(this.policySetId, { staticPolicies: policies });
    if (parsed.type !== "success") {
      throw new AuthorizerError("ERR_POLICY_PARSE", parsed.errors.map((e) => e.message).join("; "));
    }
  }

  authorize(req: AuthzRequest): Decision {
    const sub = principalId(req.claims);
    if (!req.claims) return { allowed: false, policies: [], errors: ["no identity: the request carries no claims"], groups: [] };
    const { groups, source } = extractGroups(req.claims, this.options);
    if (sub === undefined) {
      return { allowed: false, policies: [], errors: ["missing principal: the sub claim is missing, empty or not a string"], groups, groupSource: source };
    }

    const claimAttrs = claimAttributes(req.claims);
    const argAttrs = argumentAttributes(req.arguments);
    const principal: TypeAndId = { type: "Client", id: sub };
    const action: TypeAndId = { type: "Action", id: req.action };
    const resource: TypeAndId = { type: RESOURCE_TYPE[req.action], id: req.resourceId };

    const requestEntities: EntityJson[] = [
      { uid: principal, attrs: claimAttrs as EntityJson["attrs"], parents: groups.map((g) => ({ type: this.groupEntityType, id: g })) },
      { uid: action, attrs: { operation: req.action }, parents: [] },
      { uid: resource, attrs: resourceAttributes(req, argAttrs) as EntityJson["attrs"], parents: this.resourceParents },
    ];
    // Request entities win over entitiesJson (ToolHive overlays them); cedar-wasm rejects duplicates.
    let entities = requestEntities;
    if (this.staticEntities.length) {
      const taken = new Set(requestEntities.map((e) => uidKey(e.uid)));
      entities = [...this.staticEntities.filter((_, i) => !taken.has(this.staticKeys[i])), ...requestEntities];
    }
    // The context is the claim_* keys merged with the arg_* keys (disjoint prefixes); without
    // arguments it is the principal's attribute record itself (the call is serialised as JSON).
    let context: Record<string, CedarValue> = claimAttrs;
    for (const k in argAttrs) {
      context = Object.assign({}, claimAttrs, argAttrs);
      break;
    }

    const answer = cedar.statefulIsAuthorized({
      principal,
      action,
      resource,
      context: context as Record<string, never>,
      preparsedPolicySetId: this.policySetId,
      entities,
    });
    if (answer.type !== "success") {
      return { allowed: false, policies: [], errors: answer.errors.map((e) => e.message), principal: sub, groups, groupSource: source };
    }
    const { decision, diagnostics } = answer.response;
    const errors = diagnostics.errors.map((e) => `${e.policyId}: ${e.error.message}`);
    return {
      // ToolHive: any evaluation error denies, even when the decision was allow.
      allowed: decision === "allow" && errors.length === 0,
      policies: diagnostics.reason,
      errors,
      principal: sub,
      groups,
      groupSource: source,
    };
  }
}

const HINTS = ["readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint"] as const;

/** Resource attributes in ToolHive's order: hints (tools), then arg_*, then the standard keys, which win. */
function resourceAttributes(req: AuthzRequest, args: Record<string, CedarValue>): Record<string, CedarValue> {
  const out: Record<string, CedarValue> = {};
  const annotations = req.action === "call_tool" ? req.annotations : undefined;
  if (annotations) {
    for (const k of HINTS) {
      const v = annotations[k];
      if (typeof v === "boolean") out[k] = v;
    }
  }
  for (const k in args) out[k] = args[k];
  out.name = req.resourceId;
  switch (req.action) {
    case "call_tool":
      out.operation = "call";
      out.feature = "tool";
      break;
    case "get_prompt":
      out.operation = "get";
      out.feature = "prompt";
      break;
    case "read_resource":
      out.uri = req.resourceId;
      out.operation = "read";
      out.feature = "resource";
      break;
  }
  return out;
}
