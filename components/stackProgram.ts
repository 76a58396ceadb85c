/**
 * The stack program: one stack is one team. `index.ts` exports what this returns; `render` runs it
 * under the mock runtime. Everything is validated (and fails with a ConfigError) before the first
 * resource is declared.
 */
import * as pulumi from "@pulumi/pulumi";
import { formatProblem } from "./errors";
import { loadTeamFromPulumiConfig, secretValuesFromPulumiConfig, type LoadedTeam } from "./loadStack";
import { VmcpTeam, type AccessSummary } from "./team";
import { BundledGateway } from "./gatewayDeploy/bundledGateway";
import type { PublicConsistencyReport } from "./okta/derive";
import type { JWK } from "jose";

export interface StackOutputs {
  /** `<endpoint>/mcp`: what MCP clients connect to. */
  mcpUrl: string;
  /** The vMCP issuer (= endpoint = audience = resource URL). */
  issuer: string;
  oktaIssuer: pulumi.Output<string>;
  clientId: pulumi.Output<string>;
  namespace: string;
  /** Okta groups ↔ claim filter ↔ Cedar groups, with member counts (no logins in outputs). */
  consistencyReport: pulumi.Output<PublicConsistencyReport>;
  /** Public JWKS of the signing keys (no private material). */
  jwks: pulumi.Output<{ keys: JWK[] }>;
  /** `{generation: kid}`, signing key first. */
  signingKeyIds: pulumi.Output<Record<string, string>>;
  /** `{group: {tool: "allow" | "deny"}}`: a grant change is one line of `pulumi preview --diff`. */
  accessMatrix: AccessSummary;
  /** In-cluster URL of the bundled gateway's MCP endpoint, when the stack deploys it (`gateway:`). */
  gatewayServiceUrl?: string;
}

export interface StackProgramOptions {
  /** Log validation warnings through Pulumi (default true; `render` prints them itself). */
  logWarnings?: boolean;
  /** Read the cluster's ToolHive CRDs first (default true; `render` is offline and turns it off). */
  clusterPreflight?: boolean;
  /** Options for the team component (tests record children through `transformations`). */
  resourceOptions?: pulumi.ComponentResourceOptions;
}

export function vmcpOktaStack(loaded: LoadedTeam = loadTeamFromPulumiConfig(), opts: StackProgramOptions = {}): { team: VmcpTeam; outputs: StackOutputs } {
  if (opts.logWarnings !== false) for (const w of loaded.warnings) void pulumi.log.warn(formatProblem(w));
  const { compiled, okta, kubernetes, renames } = loaded;
  const team = new VmcpTeam(compiled.spec.team, { compiled, okta, kubernetes, renames, secretValues: secretValuesFromPulumiConfig(kubernetes), clusterPreflight: opts.clusterPreflight }, opts.resourceOptions);
  // The bundled gateway, next to vMCP: same MCPServers, same Secrets, tokens from the team's Okta server.
  const gateway = loaded.gateway
    ? new BundledGateway(
        `${compiled.spec.team}-gateway`,
        { spec: compiled.spec, kubernetes, gateway: loaded.gateway, policies: loaded.policies, issuer: team.oktaIssuer, clientId: team.clientId, dependsOn: [team.toolhive] },
        { parent: team },
      )
    : undefined;
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
      ...(gateway ? { gatewayServiceUrl: gateway.serviceUrl } : {}),
    },
  };
}
