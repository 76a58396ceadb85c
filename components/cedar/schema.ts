/**
 * A Cedar schema of ToolHive's request model, used to validate policies before deployment. Claims
 * and arguments are dynamic in ToolHive, so the schema declares Okta's standard access-token claims
 * as optional attributes and the team adds the claims and arguments its own policies read.
 */
import type { CedarAttributeType, CedarSpec } from "../spec/types";

/** Claims an Okta custom authorization server puts in access tokens (numbers arrive as decimals). */
const OKTA_CLAIMS: Record<string, CedarAttributeType> = {
  sub: "String",
  email: "String",
  name: "String",
  uid: "String",
  cid: "String",
  iss: "String",
  jti: "String",
  groups: "Set<String>",
  scp: "Set<String>",
  ver: "decimal",
  exp: "decimal",
  iat: "decimal",
  auth_time: "decimal",
};

function attr(name: string, type: CedarAttributeType, optional = true): string {
  const t = type === "decimal" ? "__cedar::decimal" : type === "Set<String>" ? "Set<String>" : type;
  return `${JSON.stringify(name)}${optional ? "?" : ""}: ${t}`;
}

export function toolhiveSchema(cedar: Pick<CedarSpec, "groupEntityType" | "claims" | "arguments">): string {
  const claims = { ...OKTA_CLAIMS, ...cedar.claims };
  const claimAttrs = Object.entries(claims).map(([k, t]) => attr(`claim_${k}`, t));
  const argAttrs = Object.entries(cedar.arguments).flatMap(([k, t]) => [attr(`arg_${k}`, t), attr(`arg_${k}_present`, "Bool")]);
  const hints = ["readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint"].map((h) => attr(h, "Bool"));
  const std = [attr("name", "String", false), attr("operation", "String", false), attr("feature", "String", false)];
  const g = cedar.groupEntityType;
  return [
    `entity MCP;`,
    `entity ${g};`,
    `entity Client in [${g}] = { ${claimAttrs.join(", ")} };`,
    `entity Tool in [MCP] = { ${[...std, ...hints, ...argAttrs].join(", ")} };`,
    `entity Prompt in [MCP] = { ${[...std, ...argAttrs].join(", ")} };`,
    `entity Resource in [MCP] = { ${[...std, attr("uri", "String", false)].join(", ")} };`,
    `type RequestContext = { ${[...claimAttrs, ...argAttrs].join(", ")} };`,
    `action call_tool appliesTo { principal: [Client], resource: [Tool], context: RequestContext };`,
    `action get_prompt appliesTo { principal: [Client], resource: [Prompt], context: RequestContext };`,
    `action read_resource appliesTo { principal: [Client], resource: [Resource], context: RequestContext };`,
  ].join("\n");
}
