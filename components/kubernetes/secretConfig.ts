/**
 * Secret stack config named by the team (`valueFrom: githubPat`, `passwordFrom: redisPassword`): the
 * stack creates Kubernetes Secrets from these values, so each must exist and be stored encrypted.
 */
import { ProblemList } from "../errors";
import { TEAM_CONFIG_KEY } from "../spec/parse";

export const PROJECT_CONFIG_NAMESPACE = "vmcp-okta";

/** A secret the stack creates from secret stack config. */
export interface SecretValueRef {
  /** Fully qualified config key (`vmcp-okta:githubPat`). */
  configKey: string;
  /** Where it was named, for messages. */
  path: string;
}

/** What the validator may know about the stack's config (absent: existence is not checked). */
export interface StackConfigView {
  /** True when the fully qualified key is set. */
  has(key: string): boolean;
  /** True when it is set as a secret (`pulumi config set --secret`); undefined when unknowable. */
  isSecret(key: string): boolean | undefined;
  /**
   * True when the value is a placeholder ciphertext (`secure: v1:REPLACE-ME…`) that the engine cannot
   * decrypt, so `pulumi preview` would fail on it. Offline views only; absent: never a placeholder.
   */
  isPlaceholder?(key: string): boolean;
  /** A plain (non-secret) value, when the view can read it (provider settings such as `kubernetes:enableSecretMutable`). */
  get?(key: string): string | undefined;
}

/** `githubPat` → `vmcp-okta:githubPat`; `other:key` stays. */
export function qualifyConfigKey(key: string): string {
  return key.includes(":") ? key : `${PROJECT_CONFIG_NAMESPACE}:${key}`;
}

const CONFIG_KEY = /^([A-Za-z0-9_.-]+:)?[A-Za-z_][A-Za-z0-9_.-]*$/;

/** Checks one named config key and records it in `refs` (once). */
export function checkSecretConfigKey(key: string | undefined, path: string, config: StackConfigView | undefined, refs: SecretValueRef[], problems: ProblemList): void {
  if (key === undefined) return;
  if (!CONFIG_KEY.test(key)) {
    problems.error("secret.config-key", path, "not a Pulumi config key", { value: key, fix: "name a key set with `pulumi config set --secret <key> <value>`, e.g. githubPat" });
    return;
  }
  const full = qualifyConfigKey(key);
  if (full === TEAM_CONFIG_KEY) {
    problems.error("secret.config-key", path, "the team definition is not a secret value", { value: key, fix: "name a separate secret config key" });
    return;
  }
  if (config) {
    if (!config.has(full)) {
      problems.error("secret.missing", path, `secret config key ${full} is not set, so the stack cannot create the Secret`, { value: key, fix: `run: pulumi config set --secret ${full} <value>` });
      return;
    }
    if (config.isPlaceholder?.(full)) {
      problems.error("secret.placeholder", path, `secret config key ${full} still holds the example's placeholder ciphertext; Pulumi cannot decrypt it, so preview would fail`, {
        value: key,
        fix: `run: pulumi config set --secret ${full} <value>`,
      });
      return;
    }
    if (config.isSecret(full) === false) {
      problems.error("secret.plaintext", path, `config key ${full} holds a plaintext value; secrets must be stored encrypted`, { value: key, fix: `run: pulumi config set --secret ${full} <value>` });
      return;
    }
  }
  if (!refs.some((r) => r.configKey === full)) refs.push({ configKey: full, path });
}
