/**
 * The stack program: one stack is one team. `index.ts` exports what this returns; `render` runs it
 * under the mock runtime. Everything is validated (and fails with a ConfigError) before the first
 * resource is declared.
 */
import * as pulumi from "@pulumi/pulumi";
import { formatProblem } from "./errors";
import { loadTeamFromPulumiConfig, secretValuesFromPulumiConfig, type LoadedTeam } from "./loadStack";
import { VmcpTeam, type AccessSummary } from "./team";
import type { ConsistencyReport } from "./okta/derive";
import type { JWK } from "jose";

export interface StackOutputs {
  /** `<endpoint>/mcp`: what MCP clients connect to. */
  mcpUrl: string;
  /** The vMCP issuer (= endpoint = audience = resource URL). */
  issuer: string;
  oktaIssuer: pulumi.Output<string>;
  clientId: pulumi.Output<string>;
  namespace: string;
  consistencyReport: pulumi.Output<ConsistencyReport>;
  /** Public JWKS of the signing keys (no private material). */
  jwks: pulumi.Output<{ keys: JWK[] }>;
  /** `{generation: kid}`, signing key first. */
  signingKeyIds: pulumi.Output<Record<string, string>>;
  /** Per group, the tools it may and may not call. */
  accessMatrix: AccessSummary;
}

export interface StackProgramOptions {
  /** Log validation warnings through Pulumi (default true; `render` prints them itself). */
  logWarnings?: boolean;
}

export function vmcpOktaStack(loaded: LoadedTeam = loadTeamFromPulumiConfig(), opts: StackProgramOptions = {}): { team: VmcpTeam; outputs: StackOutputs } {
  if (opts.logWarnings !== false) for (const w of loaded.warnings) void pulumi.log.warn(formatProblem(w));
  const { compiled, okta, kubernetes } = loaded;
  const team = new VmcpTeam(compiled.spec.team, { compiled, okta, kubernetes, secretValues: secretValuesFromPulumiConfig(kubernetes) });
  return {
    team,
    outputs: {
      mcpUrl: team.mcpUrl,
      issuer: team.issuer,
      oktaIssuer: team.oktaIssuer,
      clientId: team.clientId,
      namespace: team.namespace,
      consistencyReport: team.consistencyReport,
      jwks: team.jwks,
      signingKeyIds: team.signingKeys.apply((keys) => Object.fromEntries(keys.map((k) => [k.generation, k.kid]))),
      accessMatrix: team.accessMatrix,
    },
  };
}
