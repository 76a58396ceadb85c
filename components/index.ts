/** Public API of vmcp-okta's pure core. Pulumi components are exported from their own modules. */
export * from "./errors";
export * from "./spec/types";
export { defineTeam, type ToolRefOf, type TeamDefinition } from "./spec/define";
export { parseTeam, validateTeam, parseToolRef, TEAM_CONFIG_KEY } from "./spec/parse";
export { aggregateTools, advertisedToolName, prefixFor, DEFAULT_AGGREGATION } from "./spec/toolNames";
export { compileTeam, authorizerFor, type CompiledTeam } from "./compile";
export { Authorizer, AuthorizerError, CEDAR_ACTIONS, type AuthzRequest, type Decision, type CedarAction, type ToolAnnotations } from "./cedar/authorizer";
export { authorizeMcpRequest, filterListResult, classifyMethod, cedarCheckFor, DENIAL_MESSAGE, DENIAL_CODE } from "./cedar/mcp";
export { teamPolicies, checkPolicies, policyRecord, type CompiledPolicy } from "./cedar/policies";
export { accessMatrix, matrixToMarkdown, matrixSummary, NO_GROUP, type AccessMatrix } from "./cedar/matrix";
export { toolhiveSchema } from "./cedar/schema";
export { explainDecision } from "./cedar/explain";
export { BatchAuthorizer } from "./cedar/batch";
export { loadStackFile, isSecureValue, type StackFile } from "./stackConfig";
export { parseRenames, RENAMES_CONFIG_KEY, NO_RENAMES, type Renames } from "./renames";
