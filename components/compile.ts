/**
 * The pure pipeline from a team definition to everything derived from it: validated spec, Cedar
 * policies (checked), a ready authorizer and the access matrix. `check`, `render`, the Pulumi
 * program and the gateway all go through here, so they fail the same way on the same input.
 */
import { ProblemList, type Problem } from "./errors";
import { validateTeam, TEAM_CONFIG_KEY } from "./spec/parse";
import { checkPolicies, policyRecord, teamPolicies, type CompiledPolicy } from "./cedar/policies";
import { Authorizer } from "./cedar/authorizer";
import { accessMatrix, type AccessMatrix } from "./cedar/matrix";
import type { TeamSpec } from "./spec/types";

export interface CompiledTeam {
  spec: TeamSpec;
  policies: CompiledPolicy[];
  authorizer: Authorizer;
  matrix: AccessMatrix;
  warnings: Problem[];
}

export function authorizerFor(spec: TeamSpec, policies: CompiledPolicy[]): Authorizer {
  return new Authorizer({
    policies: policyRecord(policies),
    entitiesJson: spec.cedar.entitiesJson,
    groupClaimName: spec.cedar.groupClaimName,
    roleClaimName: spec.cedar.roleClaimName,
    groupEntityType: spec.cedar.groupEntityType,
    serverName: spec.serverName,
  });
}

/**
 * Validates the team and its policies into `problems` (errors and warnings) without throwing, so a
 * caller can add its own sections' problems and report everything at once. Undefined on any error.
 */
export function compileTeamInto(input: unknown, root: string, problems: ProblemList): { compiled?: CompiledTeam; spec?: TeamSpec } {
  const before = problems.errors.length;
  const spec = validateTeam(input, root, problems);
  if (!spec) return {};
  const policies = teamPolicies(spec);
  if (policies.length === 0) {
    problems.error("policy.none", `${root}.grants`, "no group is granted anything, so every call would be denied (and ToolHive requires at least one policy)", {
      fix: "grant at least one group, e.g. grants: {developers: {allow: '*'}}",
    });
  } else {
    checkPolicies(spec, policies, problems, root);
  }
  if (problems.errors.length > before) return { spec };
  const authorizer = authorizerFor(spec, policies);
  return { spec, compiled: { spec, policies, authorizer, matrix: accessMatrix(spec, authorizer, policies), warnings: problems.warnings } };
}

/** Validates the team and its policies; throws ConfigError listing every problem. */
export function compileTeam(input: unknown, root = TEAM_CONFIG_KEY): CompiledTeam {
  const problems = new ProblemList();
  const { compiled } = compileTeamInto(input, root, problems);
  problems.throwIfErrors();
  return compiled!;
}
