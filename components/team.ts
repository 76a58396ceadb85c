/**
 * One team, Okta and Kubernetes together: the package's main Pulumi component. Another Pulumi
 * TypeScript program can use it directly:
 *
 *   const loaded = loadTeam(defineTeam({...}), undefined);          // throws ConfigError on bad input
 *   const team = new VmcpTeam("engineering", { ...loaded, secretValues: { "vmcp-okta:githubPat": pat } });
 *   export const mcpUrl = team.mcpUrl;
 *
 * The Okta app's client id and secret flow straight into the VirtualMCPServer and its Secret.
 */
import * as pulumi from "@pulumi/pulumi";
import type * as k8s from "@pulumi/kubernetes";
import type * as okta from "@pulumi/okta";
import type { JWK } from "jose";
import type { CompiledTeam } from "./compile";
import { matrixSummary, matrixToMarkdown } from "./cedar/matrix";
import { OktaTeam } from "./okta/oktaTeam";
import type { ConsistencyReport } from "./okta/derive";
import type { OktaSpec } from "./okta/types";
import type { KubernetesSpec } from "./kubernetes/config";
import { ToolhiveTeam, type PublicSigningKey } from "./kubernetes/toolhiveTeam";

export const VMCP_TEAM_TYPE = "vmcp-okta:index:VmcpTeam";

export interface VmcpTeamArgs {
  /** The compiled team (`compileTeam` or `loadTeam(...).compiled`). */
  compiled: CompiledTeam;
  /** The validated Okta section (`validateOkta`). */
  okta: OktaSpec;
  /** The validated Kubernetes section (`validateKubernetes`). */
  kubernetes: KubernetesSpec;
  /** Values of `kubernetes.secretConfigKeys`, by fully qualified config key (made secret if not already). */
  secretValues: Record<string, pulumi.Input<string>>;
  oktaProvider?: okta.Provider;
  kubernetesProvider?: k8s.Provider;
}

/** Per group: the advertised tools it may and may not call. */
export type AccessSummary = Record<string, { allow: string[]; deny: string[] }>;

export class VmcpTeam extends pulumi.ComponentResource {
  /** Where MCP clients connect: `<endpoint>/mcp`. */
  readonly mcpUrl: string;
  /** The vMCP embedded auth server's issuer (= the endpoint; also audience and resource URL). */
  readonly issuer: string;
  /** The Okta authorization server's issuer (vMCP's upstream). */
  readonly oktaIssuer: pulumi.Output<string>;
  /** Client id of the team's own Okta app. */
  readonly clientId: pulumi.Output<string>;
  /** Okta group names ↔ claim filter ↔ Cedar groups, checked. */
  readonly consistencyReport: pulumi.Output<ConsistencyReport>;
  /** Public signing keys (JWK + RFC 7638 kid), signing key first. */
  readonly signingKeys: pulumi.Output<PublicSigningKey[]>;
  readonly jwks: pulumi.Output<{ keys: JWK[] }>;
  /** Who may call what, per group (plain data: a change shows in `pulumi preview --diff`). */
  readonly accessMatrix: AccessSummary;
  /** The same matrix as a Markdown table. */
  readonly accessMatrixMarkdown: string;
  readonly namespace: string;
  readonly okta: OktaTeam;
  readonly toolhive: ToolhiveTeam;

  constructor(name: string, args: VmcpTeamArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super(VMCP_TEAM_TYPE, name, {}, opts);
    const { compiled, okta: oktaSpec, kubernetes } = args;
    const spec = compiled.spec;

    this.okta = new OktaTeam(`${name}-okta`, { spec, okta: oktaSpec, provider: args.oktaProvider }, { parent: this });
    this.toolhive = new ToolhiveTeam(
      `${name}-k8s`,
      {
        spec,
        kubernetes,
        policies: compiled.policies.map((p) => p.text),
        oktaIssuer: this.okta.issuer,
        clientId: this.okta.clientId,
        clientSecret: this.okta.clientSecret,
        redirectUri: oktaSpec.app.redirectUri,
        upstreamScopes: oktaSpec.scopes,
        secretValues: args.secretValues,
        provider: args.kubernetesProvider,
        upstreamReady: this.okta.ready,
      },
      { parent: this },
    );

    this.mcpUrl = this.toolhive.mcpUrl;
    this.issuer = this.toolhive.issuer;
    this.oktaIssuer = this.okta.issuer;
    this.clientId = this.okta.clientId;
    this.consistencyReport = this.okta.consistencyReport;
    this.signingKeys = this.toolhive.signingKeys;
    this.jwks = this.toolhive.jwks;
    this.accessMatrix = matrixSummary(compiled.matrix);
    this.accessMatrixMarkdown = matrixToMarkdown(compiled.matrix);
    this.namespace = this.toolhive.namespace;
    this.registerOutputs({
      mcpUrl: this.mcpUrl,
      issuer: this.issuer,
      oktaIssuer: this.oktaIssuer,
      clientId: this.clientId,
      consistencyReport: this.consistencyReport,
      jwks: this.jwks,
      accessMatrix: this.accessMatrix,
    });
  }
}
