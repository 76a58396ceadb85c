/**
 * From stack config to everything a team stack declares: the compiled team (core), the Okta spec and
 * the Kubernetes spec, all validated, plus the operator's reconcile rules checked on the objects that
 * would be declared. Throws one ConfigError (every problem, with its config path and fix) before any
 * resource exists. Used by `index.ts` (Pulumi config) and by `render` (a stack file, offline).
 */
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, ProblemList, type Problem } from "./errors";
import { compileTeamInto, type CompiledTeam } from "./compile";
import { TEAM_CONFIG_KEY } from "./spec/parse";
import { isSecureValue } from "./stackConfig";
import { validateOkta } from "./okta/config";
import { parseDevConfig } from "./dev/config";
import type { OktaSpec } from "./okta/types";
import { PROJECT_CONFIG_NAMESPACE, validateKubernetes, type KubernetesSpec, type StackConfigView } from "./kubernetes/config";
import { toolhiveObjects } from "./kubernetes/objects";
import { checkReconcileRules } from "./kubernetes/reconcile";
import { validateGateway, type GatewaySpec } from "./gatewayDeploy/config";
import { NO_RENAMES, parseRenames, RENAMES_CONFIG_KEY, type Renames } from "./renames";

export interface LoadedTeam {
  compiled: CompiledTeam;
  okta: OktaSpec;
  kubernetes: KubernetesSpec;
  /** Cedar policy texts, one per string, as the VirtualMCPServer carries them. */
  policies: string[];
  /** Warnings from every validator (errors throw). */
  warnings: Problem[];
  /** The bundled gateway's Deployment, when the team's `gateway` section asks for one. */
  gateway?: GatewaySpec;
  /** Renames to apply as Pulumi aliases (`vmcp-okta:renames`). */
  renames: Renames;
}

export interface LoadOptions {
  /** The stack's `vmcp-okta:renames` value. */
  renames?: unknown;
}

/** Placeholder ciphertexts the example stacks ship with (`secure: v1:REPLACE-ME-…`). */
const PLACEHOLDER_CIPHERTEXT = /^v1:REPLACE-ME/i;

/**
 * The Kubernetes provider replaces a Secret whose data changes unless `enableSecretMutable` is set;
 * with the fixed names the stack uses, that replacement deletes the Secret before creating it again,
 * and pods starting in the gap fail. Provider docs: @pulumi/kubernetes Provider `enableSecretMutable`.
 */
export const SECRET_MUTABLE_KEY = "kubernetes:enableSecretMutable";

function checkSecretMutable(config: StackConfigView | undefined, environment: string, problems: ProblemList): void {
  if (!config?.get) return;
  if (config.get(SECRET_MUTABLE_KEY) === "true" || process.env.PULUMI_K8S_ENABLE_SECRET_MUTABLE === "true") return;
  const args = [SECRET_MUTABLE_KEY, "Secrets would be replaced (deleted, then created) whenever their data changes, e.g. a rotated client secret or backend token; pods starting in the gap fail", {
    value: config.get(SECRET_MUTABLE_KEY),
    fix: `run: pulumi config set ${SECRET_MUTABLE_KEY} true (the Kubernetes provider then updates Secrets in place)`,
  }] as const;
  if (environment === "production") problems.error("kubernetes.secret-mutable", ...args);
  else problems.warn("kubernetes.secret-mutable", ...args);
}

/** The name the reconcile check uses for the Okta issuer before Okta exists. */
const PRE_DEPLOY_OKTA_ISSUER = "https://okta.invalid/oauth2/pending";

/** Validates a team definition and its stack config; throws ConfigError listing every problem. */
export function loadTeam(teamInput: unknown, config?: StackConfigView, root: string = TEAM_CONFIG_KEY, options: LoadOptions = {}): LoadedTeam {
  // Every section is validated even when another has errors, so one run reports every problem.
  const problems = new ProblemList();
  const { compiled, spec } = compileTeamInto(teamInput, root, problems);
  if (!spec) throw new ConfigError(problems.items);
  const okta = validateOkta(spec, problems, root);
  const kubernetes = validateKubernetes(spec, problems, root, config);
  parseDevConfig(spec.raw.dev, spec, problems, `${root}.dev`);
  const gateway = validateGateway(spec, kubernetes, teamInput, problems, root);
  const renames = options.renames === undefined ? NO_RENAMES : parseRenames(options.renames, spec, problems);
  checkSecretMutable(config, spec.environment, problems);
  if (!compiled) throw new ConfigError(problems.items);
  const policies = compiled.policies.map((p) => p.text);
  if (okta && kubernetes && problems.errors.length === 0) {
    // The objects as they will be declared, with a stand-in for the one value only Okta knows.
    const objects = toolhiveObjects(spec, kubernetes, policies, {
      oktaIssuer: PRE_DEPLOY_OKTA_ISSUER,
      clientId: "pending",
      redirectUri: okta.app.redirectUri,
      scopes: okta.scopes,
    });
    checkReconcileRules(objects, spec.environment, problems);
  }
  problems.throwIfErrors();
  if (!okta || !kubernetes) throw new ConfigError(problems.items); // unreachable: a missing spec is an error
  return { compiled, okta, kubernetes, policies, warnings: problems.warnings, renames, ...(gateway ? { gateway } : {}) };
}

/** Splits `ns:key` (a bare key belongs to the project namespace). */
export function splitConfigKey(full: string): { namespace: string; key: string } {
  const i = full.indexOf(":");
  return i < 0 ? { namespace: PROJECT_CONFIG_NAMESPACE, key: full } : { namespace: full.slice(0, i), key: full.slice(i + 1) };
}

/** What the running Pulumi program knows about its config. */
export function pulumiConfigView(): StackConfigView {
  // `isConfigSecret` is internal to the SDK (not in its typings) but reads the list of secret keys
  // the language host passes (PULUMI_CONFIG_SECRET_KEYS). If that list is absent, "unknown".
  const isConfigSecret = (pulumi.runtime as unknown as { isConfigSecret?: (k: string) => boolean }).isConfigSecret;
  const all = pulumi.runtime.allConfig();
  const listed = isConfigSecret !== undefined && (process.env.PULUMI_CONFIG_SECRET_KEYS !== undefined || Object.keys(all).some((k) => isConfigSecret(k)));
  return {
    has: (key) => pulumi.runtime.getConfig(key) !== undefined,
    isSecret: (key) => (listed ? isConfigSecret!(key) : undefined),
    get: (key) => pulumi.runtime.getConfig(key),
  };
}

export interface StackFileViewOptions {
  /**
   * `refuse` (what `check` uses): a placeholder ciphertext is an error, as it would be in preview.
   * `accept` (default; `render` and tests): the shipped examples' placeholders count as set.
   */
  placeholders?: "refuse" | "accept";
}

/** What a stack file (`Pulumi.<stack>.yaml`) says about its config, offline: secure values are secrets. */
export function stackFileConfigView(config: Record<string, unknown>, opts: StackFileViewOptions = {}): StackConfigView {
  return {
    has: (key) => config[key] !== undefined && config[key] !== null,
    isSecret: (key) => isSecureValue(config[key]),
    isPlaceholder: (key) => opts.placeholders === "refuse" && isPlaceholderCiphertext(config[key]),
    get: (key) => {
      const v = config[key];
      return v === undefined || v === null || typeof v === "object" ? undefined : String(v);
    },
  };
}

/** A `secure:` value that is the examples' placeholder, not a ciphertext. */
export function isPlaceholderCiphertext(v: unknown): boolean {
  return isSecureValue(v) && PLACEHOLDER_CIPHERTEXT.test(String((v as { secure: string }).secure));
}

/** Reads the team from the running program's config (`vmcp-okta:team`) and validates everything. */
export function loadTeamFromPulumiConfig(): LoadedTeam {
  const { namespace, key } = splitConfigKey(TEAM_CONFIG_KEY);
  const team = new pulumi.Config(namespace).getObject<unknown>(key);
  if (team === undefined) {
    throw new ConfigError([
      { code: "stack.no-team", path: TEAM_CONFIG_KEY, message: "the stack has no team definition", severity: "error", fix: "copy Pulumi.engineering.yaml's config to this stack" },
    ]);
  }
  const renames = new pulumi.Config(namespace).getObject<unknown>(splitConfigKey(RENAMES_CONFIG_KEY).key);
  return loadTeam(team, pulumiConfigView(), TEAM_CONFIG_KEY, { renames });
}

/** The secret config values the Kubernetes side needs, as Pulumi secrets. */
export function secretValuesFromPulumiConfig(k8s: KubernetesSpec): Record<string, pulumi.Output<string>> {
  const out: Record<string, pulumi.Output<string>> = {};
  for (const ref of k8s.secretConfigKeys) {
    const { namespace, key } = splitConfigKey(ref.configKey);
    out[ref.configKey] = new pulumi.Config(namespace).requireSecret(key);
  }
  return out;
}
