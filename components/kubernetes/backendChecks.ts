/**
 * The Kubernetes side of the team's backends: every Secret an MCPServer mounts is created by the
 * stack from secret config, names do not collide, and images known to need a secret get one.
 */
import { ProblemList } from "../errors";
import type { TeamSpec } from "../spec/types";
import { checkSecretConfigKey, qualifyConfigKey, type SecretValueRef, type StackConfigView } from "./secretConfig";

/**
 * Backend images that cannot start without a secret env var. The guide's github-backend references a
 * `github-pat` Secret it never creates; declaring it (from secret config) is the fix.
 */
export const KNOWN_BACKEND_SECRETS: { image: RegExp; env: string; example: { name: string; key: string; valueFrom: string } }[] = [
  {
    image: /^ghcr\.io\/github\/github-mcp-server(:|@|$)/,
    env: "GITHUB_PERSONAL_ACCESS_TOKEN",
    example: { name: "github-pat", key: "token", valueFrom: "githubPat" },
  },
];

const SECRETISH_ENV = /(TOKEN|SECRET|PASSWORD|PASSWD|API_?KEY|PRIVATE_?KEY|CREDENTIAL)/i;

export interface BackendCheckContext {
  teamRoot: string;
  /** Secret names the stack uses for itself. */
  reservedNames: Set<string>;
  config?: StackConfigView;
  refs: SecretValueRef[];
  problems: ProblemList;
}

export function checkBackends(spec: TeamSpec, ctx: BackendCheckContext): void {
  const { problems } = ctx;
  const dev = spec.environment === "development";
  const bySecret = new Map<string, { key: string; valueFrom: string; path: string }[]>();
  for (const b of spec.backends) {
    const bp = `${ctx.teamRoot}.backends.${b.name}`;
    b.secrets.forEach((s, i) => {
      const sp = `${bp}.secrets[${i}]`;
      if (!s.key || !/^[-._a-zA-Z0-9]+$/.test(s.key)) {
        problems.error("backend.secret-key", `${sp}.key`, "a Secret data key is letters, digits, '-', '_' or '.'", { value: s.key, fix: "use e.g. token" });
      }
      if (s.targetEnvName !== undefined && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(s.targetEnvName)) {
        problems.error("backend.secret-env", `${sp}.targetEnvName`, "not a valid environment variable name", { value: s.targetEnvName, fix: "use e.g. GITHUB_PERSONAL_ACCESS_TOKEN" });
      }
      if (ctx.reservedNames.has(s.name)) {
        problems.error("backend.secret-name-reserved", `${sp}.name`, "the stack uses this Secret name for its own keys", { value: s.name, fix: `use another name, e.g. ${b.name}-${s.key}` });
      }
      // Entries sharing a Secret name become keys of one Secret; one key has one source.
      const entries = bySecret.get(s.name) ?? [];
      const same = entries.find((e) => e.key === s.key);
      if (same && qualifyConfigKey(same.valueFrom) !== qualifyConfigKey(s.valueFrom)) {
        problems.error("backend.secret-conflict", `${sp}.valueFrom`, `Secret ${s.name} key ${s.key} is already filled from ${same.valueFrom} (${same.path})`, {
          value: s.valueFrom,
          fix: "use one config key per Secret key, or another Secret name",
        });
      }
      entries.push({ key: s.key, valueFrom: s.valueFrom, path: sp });
      bySecret.set(s.name, entries);
      checkSecretConfigKey(s.valueFrom, `${sp}.valueFrom`, ctx.config, ctx.refs, problems);
    });
    const secretEnv = new Set(b.secrets.map((s) => s.targetEnvName ?? s.key));
    for (const name of Object.keys(b.env)) {
      if (secretEnv.has(name)) {
        problems.error("backend.env-secret-clash", `${bp}.env.${name}`, "set both as plain env and from a secret", { fix: "remove the plain env entry" });
      } else if (SECRETISH_ENV.test(name)) {
        problems.warn("backend.env-plaintext-secret", `${bp}.env.${name}`, "looks like a secret, but env values are stored in plain text in the stack and the MCPServer", {
          fix: `move it to secrets: [{name: ${b.name}-${name.toLowerCase().replace(/_/g, "-")}, key: value, targetEnvName: ${name}, valueFrom: <secret config key>}]`,
        });
      }
    }
    for (const known of KNOWN_BACKEND_SECRETS) {
      if (!known.image.test(b.image) || secretEnv.has(known.env)) continue;
      const ex = known.example;
      // A development stack may run the backend only locally (the gateway); production may not.
      const report = dev ? problems.warn.bind(problems) : problems.error.bind(problems);
      report("backend.secret-required", `${bp}.secrets`, `${b.image} needs ${known.env}; without a Secret the backend pod cannot start`, {
        fix: `add secrets: [{name: ${ex.name}, key: ${ex.key}, targetEnvName: ${known.env}, valueFrom: ${ex.valueFrom}}] and run: pulumi config set --secret ${ex.valueFrom} <token>`,
      });
    }
  }
}
