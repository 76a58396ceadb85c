/**
 * One team, Okta and Kubernetes together: the package's main Pulumi component. Another Pulumi
 * TypeScript program can use it directly; it validates its own arguments, so every caller gets the
 * same errors as `index.ts` (a ResourceError on the component carrying the ConfigError text):
 *
 *   const team = new VmcpTeam("engineering", { team: defineTeam({...}), secretValues: { "vmcp-okta:githubPat": pat } });
 *   export const mcpUrl = team.mcpUrl;
 *
 * The Okta app's client id and secret flow straight into the VirtualMCPServer and its Secret.
 */
import * as pulumi from "@pulumi/pulumi";
import type * as k8s from "@pulumi/kubernetes";
import type * as okta from "@pulumi/okta";
import type { JWK } from "jose";
import type { CompiledTeam } from "./compile";
import type { AccessMatrix } from "./cedar/matrix";
import { matrixToMarkdown } from "./cedar/matrix";
import { ConfigError, formatProblems, ProblemList } from "./errors";
import { loadTeam, type LoadedTeam } from "./loadStack";
import { OktaTeam } from "./okta/oktaTeam";
import { publicConsistencyReport, type PublicConsistencyReport } from "./okta/derive";
import type { OktaSpec } from "./okta/types";
import type { KubernetesSpec, StackConfigView } from "./kubernetes/config";
import { ToolhiveTeam, type PublicSigningKey } from "./kubernetes/toolhiveTeam";
import { NO_RENAMES, parseRenames, type Renames } from "./renames";

export { publicConsistencyReport, type PublicConsistencyReport };

export const VMCP_TEAM_TYPE = "vmcp-okta:index:VmcpTeam";

export interface VmcpTeamArgs {
  /**
   * The team definition, as under `vmcp-okta:team` (or `defineTeam({...})`). The component validates
   * it (team, Okta, Kubernetes, reconcile rules) before declaring anything. Give either this or the
   * already validated `compiled` + `okta` + `kubernetes` (`loadTeam(...)`).
   */
  team?: unknown;
  /** The compiled team (`loadTeam(...).compiled`); with `okta` and `kubernetes`, instead of `team`. */
  compiled?: CompiledTeam;
  /** The validated Okta section (`loadTeam(...).okta`). */
  okta?: OktaSpec;
  /** The validated Kubernetes section (`loadTeam(...).kubernetes`). */
  kubernetes?: KubernetesSpec;
  /** With `team`: what the stack's config holds, so missing or plaintext secret keys are errors. */
  config?: StackConfigView;
  /** Values of `kubernetes.secretConfigKeys`, by fully qualified config key (made secret if not already). */
  secretValues: Record<string, pulumi.Input<string>>;
  /**
   * Former team names and group short names (`vmcp-okta:renames`), applied as aliases so a rename
   * is an update: `{team: ["engineering"], groups: {devs: "developers"}}`.
   */
  renames?: Renames | unknown;
  /** `protect` signing keys and HMAC secrets (default: true in production). */
  protectKeyMaterial?: boolean;
  /** Read the ToolHive CRDs first, failing clearly when they are missing or old (default true). */
  clusterPreflight?: boolean;
  /** Explicit Okta provider (default: stack config `okta:*`). */
  oktaProvider?: okta.Provider;
  /** Explicit Kubernetes provider (default: the ambient kubeconfig). Set `enableSecretMutable: true` on it. */
  kubernetesProvider?: k8s.Provider;
}

/** Per group, per advertised tool: one line per grant in `pulumi preview --diff`. */
export type AccessSummary = Record<string, Record<string, "allow" | "deny">>;

/** `{group: {tool: "allow" | "deny"}}`: keyed objects, which Pulumi diffs by key (arrays diff by index). */
export function accessDecisions(m: AccessMatrix): AccessSummary {
  return Object.fromEntries(m.groups.map((g) => [g, Object.fromEntries(m.tools.map((t) => [t, m.cells[g][t].decision]))]));
}

interface Validated {
  loaded?: LoadedTeam;
  error?: string;
}

/** Everything the component needs, validated; never throws (the error is raised on the component). */
function validate(args: VmcpTeamArgs): Validated {
  try {
    if (args.team !== undefined) {
      return { loaded: loadTeam(args.team, args.config, undefined, { renames: isRenames(args.renames) ? undefined : args.renames }) };
    }
    const { compiled, okta, kubernetes } = args;
    if (!compiled || !okta || !kubernetes) return { error: "VmcpTeam needs `team` (a team definition), or `compiled`, `okta` and `kubernetes` from loadTeam(...)" };
    const problems = new ProblemList();
    const renames = isRenames(args.renames) ? args.renames : parseRenames(args.renames, compiled.spec, problems);
    if (kubernetes.names.server !== compiled.spec.serverName) {
      problems.error("team.parts-mismatch", "kubernetes", `the Kubernetes settings were built for ${kubernetes.names.server}, not ${compiled.spec.serverName}`, { fix: "build compiled, okta and kubernetes with one loadTeam(...) call" });
    }
    problems.throwIfErrors();
    return { loaded: { compiled, okta, kubernetes, policies: compiled.policies.map((p) => p.text), warnings: [], renames } };
  } catch (e) {
    if (e instanceof ConfigError) return { error: formatProblems(e.problems) };
    throw e;
  }
}

function isRenames(v: unknown): v is Renames {
  return typeof v === "object" && v !== null && Array.isArray((v as Renames).team) && typeof (v as Renames).groups === "object";
}

export class VmcpTeam extends pulumi.ComponentResource {
  /** Where MCP clients connect: `<endpoint>/mcp`. */
  readonly mcpUrl: string;
  /** The vMCP embedded auth server's issuer (= the endpoint; also audience and resource URL). */
  readonly issuer: string;
  /** The Okta authorization server's issuer (vMCP's upstream). */
  readonly oktaIssuer: pulumi.Output<string>;
  /** Client id of the team's own Okta app. */
  readonly clientId: pulumi.Output<string>;
  /** Okta group names ↔ claim filter ↔ Cedar groups, checked; member counts, not logins. */
  readonly consistencyReport: pulumi.Output<PublicConsistencyReport>;
  /** Public signing keys (JWK + RFC 7638 kid), signing key first. */
  readonly signingKeys: pulumi.Output<PublicSigningKey[]>;
  readonly jwks: pulumi.Output<{ keys: JWK[] }>;
  /** Who may call what: `{group: {tool: "allow" | "deny"}}` (plain data, one diff line per change). */
  readonly accessMatrix: AccessSummary;
  /** The same matrix as a Markdown table. */
  readonly accessMatrixMarkdown: string;
  readonly namespace: string;
  readonly okta: OktaTeam;
  readonly toolhive: ToolhiveTeam;

  constructor(name: string, args: VmcpTeamArgs, opts: pulumi.ComponentResourceOptions = {}) {
    const v = validate(args);
    const renames = v.loaded?.renames ?? NO_RENAMES;
    // Former names become aliases; the children's names start with this component's name, so
    // Pulumi derives their aliases from it (resource.ts inheritedChildAlias).
    super(VMCP_TEAM_TYPE, name, {}, { ...opts, aliases: [...(opts.aliases ?? []), ...renames.team.map((former) => ({ name: former }))] });
    if (!v.loaded) throw new pulumi.ResourceError(`VmcpTeam ${name}: ${v.error}`, this);
    const { compiled, okta: oktaSpec, kubernetes } = v.loaded;
    const spec = compiled.spec;

    this.okta = new OktaTeam(`${name}-okta`, { spec, okta: oktaSpec, provider: args.oktaProvider, renamedGroups: renames.groups }, { parent: this });
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
        protectKeyMaterial: args.protectKeyMaterial,
        clusterPreflight: args.clusterPreflight,
      },
      { parent: this },
    );

    this.mcpUrl = this.toolhive.mcpUrl;
    this.issuer = this.toolhive.issuer;
    this.oktaIssuer = this.okta.issuer;
    this.clientId = this.okta.clientId;
    this.consistencyReport = this.okta.consistencyReport.apply(publicConsistencyReport);
    this.signingKeys = this.toolhive.signingKeys;
    this.jwks = this.toolhive.jwks;
    this.accessMatrix = accessDecisions(compiled.matrix);
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
