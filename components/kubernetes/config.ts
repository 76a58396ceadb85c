/**
 * The `kubernetes:` section of a team: where the team's ToolHive objects go and how the embedded
 * auth server keeps its keys. Parsed and validated here, before any resource is declared, so that
 * `check`, `render` and `pulumi preview` reject the same configurations with the same paths.
 */
import { z } from "zod";
import { ProblemList, didYouMean } from "../errors";
import { TEAM_CONFIG_KEY } from "../spec/parse";
import type { TeamSpec } from "../spec/types";
import { LIFESPAN_BOUNDS, parseGoDuration, formatDuration, GO_DURATION } from "./duration";
import { operatorSecretCollision, toolhiveNames, type ToolhiveNames } from "./names";
import { parseLeniently } from "../spec/shape";
import { checkSecretConfigKey, qualifyConfigKey, type SecretValueRef, type StackConfigView } from "./secretConfig";
import { checkBackends } from "./backendChecks";

export { qualifyConfigKey, PROJECT_CONFIG_NAMESPACE, type SecretValueRef, type StackConfigView } from "./secretConfig";
export { KNOWN_BACKEND_SECRETS } from "./backendChecks";

/** The ToolHive release whose CRDs the emitted objects are validated against. */
export const TOOLHIVE_VERSION = "0.44.0";
export const MAX_SIGNING_KEYS = 5; // signingKeySecretRefs maxItems
export const MIN_HMAC_BYTES = 32; // pkg/authserver MinSecretLength
export const MIN_RSA_BITS = 2048; // pkg/authserver MinRSAKeyBits

export type SigningAlgorithm = "ES256" | "RS256";
export type ServiceType = "ClusterIP" | "NodePort" | "LoadBalancer";

export interface SigningKeySpec {
  /** Generation id (DNS-label characters). Part of the Secret and Pulumi resource names. */
  generation: string;
  algorithm: SigningAlgorithm;
  /** RS256 only. */
  rsaBits?: number;
}

export interface HmacSecretSpec {
  generation: string;
  bytes: number;
}

export interface SessionStorageSpec {
  provider: "memory" | "redis";
  address?: string;
  db?: number;
  keyPrefix?: string;
  /** Fully qualified secret config key holding the Redis password. */
  passwordFrom?: string;
}

export interface AuthServerStorageSpec {
  type: "memory" | "redis";
  addr?: string;
  clusterMode?: boolean;
  /** Fully qualified secret config keys (the CRD requires a password for Redis). */
  passwordFrom?: string;
  usernameFrom?: string;
}

export interface TokenLifespansSpec {
  accessToken?: string;
  refreshToken?: string;
  authCode?: string;
}

export interface OperatorSpec {
  install: boolean;
  version: string;
  namespace: string;
}

export interface KubernetesSpec {
  namespace: string;
  /** Whether the stack declares the Namespace (created, or adopted with `createNamespace: adopt`). */
  createNamespace: boolean;
  /** `createNamespace: adopt`: the namespace already exists and is imported (never deleted by the stack). */
  adoptNamespace: boolean;
  /** Newest first: index 0 signs, the rest only verify. */
  signingKeys: SigningKeySpec[];
  /** Newest first: index 0 is current, the rest are rotated out. */
  hmacSecrets: HmacSecretSpec[];
  replicas?: number;
  serviceType?: ServiceType;
  sessionStorage?: SessionStorageSpec;
  authServerStorage?: AuthServerStorageSpec;
  tokenLifespans?: TokenLifespansSpec;
  insecureAllowHTTP: boolean;
  jwksAllowPrivateIP: boolean;
  operator?: OperatorSpec;
  /** Kubernetes object names, derived once. */
  names: ToolhiveNames;
  /** Every secret config key the stack reads (backend secrets, Redis credentials). */
  secretConfigKeys: SecretValueRef[];
}

const GENERATION = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
const DNS_LABEL = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
const RESERVED_NAMESPACES = ["kube-system", "kube-public", "kube-node-lease"];

const signingKeySchema = z
  .object({ generation: z.string(), algorithm: z.enum(["ES256", "RS256"]).optional(), rsaBits: z.number().int().optional() })
  .strict();
const hmacSchema = z.object({ generation: z.string(), bytes: z.number().int().optional() }).strict();
const sessionStorageSchema = z
  .object({
    provider: z.enum(["memory", "redis"]),
    address: z.string().optional(),
    db: z.number().int().optional(),
    keyPrefix: z.string().optional(),
    passwordFrom: z.string().optional(),
  })
  .strict();
const authServerStorageSchema = z
  .object({
    type: z.enum(["memory", "redis"]),
    addr: z.string().optional(),
    clusterMode: z.boolean().optional(),
    passwordFrom: z.string().optional(),
    usernameFrom: z.string().optional(),
  })
  .strict();
const lifespansSchema = z
  .object({ accessToken: z.string().optional(), refreshToken: z.string().optional(), authCode: z.string().optional() })
  .strict();
const operatorSchema = z
  .object({ install: z.boolean().optional(), version: z.string().optional(), namespace: z.string().optional() })
  .strict();

export const kubernetesSchema = z
  .object({
    namespace: z.string().optional(),
    createNamespace: z.union([z.boolean(), z.literal("adopt")]).optional(),
    signingKeys: z.array(signingKeySchema).optional(),
    hmacSecrets: z.array(hmacSchema).optional(),
    replicas: z.number().int().optional(),
    serviceType: z.enum(["ClusterIP", "NodePort", "LoadBalancer"]).optional(),
    sessionStorage: sessionStorageSchema.optional(),
    authServerStorage: authServerStorageSchema.optional(),
    tokenLifespans: lifespansSchema.optional(),
    insecureAllowHTTP: z.boolean().optional(),
    jwksAllowPrivateIP: z.boolean().optional(),
    operator: operatorSchema.optional(),
  })
  .strict();

type KubernetesInput = z.infer<typeof kubernetesSchema>;

/** Default key material: one ES256 key and one 32-byte HMAC secret, generation `1`. */
export const DEFAULT_SIGNING_KEYS: SigningKeySpec[] = [{ generation: "1", algorithm: "ES256" }];
export const DEFAULT_HMAC_SECRETS: HmacSecretSpec[] = [{ generation: "1", bytes: MIN_HMAC_BYTES }];

function joinPath(root: string, path: (string | number)[]): string {
  let out = root;
  for (const seg of path) out += typeof seg === "number" ? `[${seg}]` : `.${seg}`;
  return out;
}

const KNOWN_KEYS: Record<string, string[]> = {
  "": Object.keys(kubernetesSchema.shape),
  signingKeys: Object.keys(signingKeySchema.shape),
  hmacSecrets: Object.keys(hmacSchema.shape),
  sessionStorage: Object.keys(sessionStorageSchema.shape),
  authServerStorage: Object.keys(authServerStorageSchema.shape),
  tokenLifespans: Object.keys(lifespansSchema.shape),
  operator: Object.keys(operatorSchema.shape),
};

/** Reports every shape problem and returns the section without the offending keys, so the rules below still run. */
function shapeOf(input: unknown, root: string, problems: ProblemList): KubernetesInput | undefined {
  return parseLeniently(kubernetesSchema, input, problems, {
    path: (p) => joinPath(root, p),
    unknownKey: (at, key) => {
      const known = KNOWN_KEYS[typeof at[0] === "string" ? at[0] : ""] ?? [];
      return { code: "kubernetes.unknown-key", fix: didYouMean(key, known) ?? `remove it; known keys: ${known.join(", ")}` };
    },
    invalidCode: "kubernetes.invalid",
  }) as KubernetesInput | undefined;
}

function checkGenerations(list: { generation: string }[], path: string, what: string, problems: ProblemList): void {
  const seen = new Set<string>();
  list.forEach((g, i) => {
    const p = `${path}[${i}].generation`;
    if (!GENERATION.test(g.generation) || g.generation.length > 20) {
      problems.error("kubernetes.generation-name", p, `${what} generations are lower-case letters, digits and '-' (at most 20): they name Secrets`, {
        value: g.generation,
        fix: "use e.g. 1, 2 or 2026-01",
      });
    }
    if (seen.has(g.generation)) {
      problems.error("kubernetes.generation-duplicate", p, `${what} generation listed twice`, { value: g.generation, fix: "give each generation its own id" });
    }
    seen.add(g.generation);
  });
}

/** A generation whose Secret name is one the operator creates for itself (e.g. hmac `secret` -> `<server>-hmac-secret`). */
function checkOperatorCollisions(names: ToolhiveNames, signing: { generation: string }[], hmac: { generation: string }[], root: string, problems: ProblemList): void {
  const lists = [
    { list: signing, key: "signingKeys", secret: names.signingKey },
    { list: hmac, key: "hmacSecrets", secret: names.hmacSecret },
  ];
  for (const { list, key, secret } of lists) {
    list.forEach((g, i) => {
      const name = secret(g.generation).name;
      const taken = operatorSecretCollision(names.server, name);
      if (!taken) return;
      problems.error("kubernetes.generation-collides", `${root}.${key}[${i}].generation`, `this generation names the Secret ${name}, which the ToolHive operator creates for itself (${taken.source}); its reconcile would fail`, {
        value: g.generation,
        fix: "use another generation id, e.g. 2",
      });
    });
  }
}

/**
 * Validates the team's `kubernetes` section (and the Kubernetes side of its backends). `teamRoot` is
 * the team's config path (like `validateOkta`); problems are reported under `<teamRoot>.kubernetes`
 * and `<teamRoot>.backends`. Returns undefined when the section's shape is unusable. With `config`, every secret
 * config key a backend or Redis credential names must be set, and set as a secret.
 */
export function validateKubernetes(spec: TeamSpec, problems: ProblemList, teamRoot: string = TEAM_CONFIG_KEY, config?: StackConfigView): KubernetesSpec | undefined {
  const root = `${teamRoot}.kubernetes`;
  const input = spec.raw.kubernetes ?? {};
  const k = shapeOf(input, root, problems);
  if (!k) return undefined;
  const names = toolhiveNames(spec);
  const namespace = namespaceOf(k, names, root, problems);
  const signingKeys = signingKeysOf(k, root, problems);
  const hmacSecrets = hmacSecretsOf(k, root, problems);
  checkOperatorCollisions(names, signingKeys, hmacSecrets, root, problems);
  const refs: SecretValueRef[] = [];
  const reservedNames = new Set(names.reserved(signingKeys.map((s) => s.generation), hmacSecrets.map((h) => h.generation)));
  checkBackends(spec, { teamRoot, reservedNames, config, refs, problems });
  checkStorage(k, root, config, refs, problems);
  checkLifespans(k.tokenLifespans, root, problems);
  checkDevFlags(spec, k, teamRoot, problems);
  const operator = operatorOf(k, root, problems);

  const ss = k.sessionStorage;
  const as = k.authServerStorage;
  const lifespans = k.tokenLifespans;
  return {
    namespace,
    createNamespace: k.createNamespace !== false,
    adoptNamespace: k.createNamespace === "adopt",
    signingKeys,
    hmacSecrets,
    ...(k.replicas !== undefined ? { replicas: k.replicas } : {}),
    ...(k.serviceType ? { serviceType: k.serviceType } : {}),
    ...(ss ? { sessionStorage: { ...ss, ...(ss.passwordFrom ? { passwordFrom: qualifyConfigKey(ss.passwordFrom) } : {}) } } : {}),
    ...(as
      ? {
          authServerStorage: {
            ...as,
            ...(as.passwordFrom ? { passwordFrom: qualifyConfigKey(as.passwordFrom) } : {}),
            ...(as.usernameFrom ? { usernameFrom: qualifyConfigKey(as.usernameFrom) } : {}),
          },
        }
      : {}),
    ...(lifespans && Object.keys(lifespans).length ? { tokenLifespans: lifespans } : {}),
    insecureAllowHTTP: k.insecureAllowHTTP ?? false,
    jwksAllowPrivateIP: k.jwksAllowPrivateIP ?? false,
    ...(operator ? { operator } : {}),
    names,
    secretConfigKeys: refs,
  };
}

function namespaceOf(k: KubernetesInput, names: ToolhiveNames, root: string, problems: ProblemList): string {
  const namespace = k.namespace ?? names.defaultNamespace;
  if (!DNS_LABEL.test(namespace) || namespace.length > 63) {
    problems.error("kubernetes.namespace", `${root}.namespace`, "a namespace name is a DNS label (lower-case letters, digits, '-', at most 63)", {
      value: namespace,
      fix: `use e.g. ${names.defaultNamespace}`,
    });
  } else if (RESERVED_NAMESPACES.includes(namespace)) {
    problems.error("kubernetes.namespace-reserved", `${root}.namespace`, "system namespaces are not for workloads", { value: namespace, fix: `use e.g. ${names.defaultNamespace}` });
  } else if (namespace === "default") {
    problems.warn("kubernetes.namespace-default", `${root}.namespace`, "teams sharing the default namespace must not reuse backend or Secret names", {
      fix: `give the team its own namespace, e.g. ${names.defaultNamespace}`,
    });
  }
  return namespace;
}

function signingKeysOf(k: KubernetesInput, root: string, problems: ProblemList): SigningKeySpec[] {
  const signingKeys: SigningKeySpec[] = (k.signingKeys ?? DEFAULT_SIGNING_KEYS).map((s) => ({
    generation: s.generation,
    algorithm: s.algorithm ?? "ES256",
    ...(s.rsaBits !== undefined ? { rsaBits: s.rsaBits } : {}),
  }));
  if (signingKeys.length === 0) {
    problems.error("kubernetes.signing-keys-empty", `${root}.signingKeys`, "list at least one signing key generation (the first one signs)", {
      fix: "use signingKeys: [{generation: '1'}], or remove the key for the default",
    });
  }
  if (signingKeys.length > MAX_SIGNING_KEYS) {
    problems.error("kubernetes.signing-keys-too-many", `${root}.signingKeys`, `at most ${MAX_SIGNING_KEYS} signing keys (signingKeySecretRefs maxItems)`, {
      value: signingKeys.length,
      fix: "drop the oldest generations (the last entries) once their tokens have expired",
    });
  }
  checkGenerations(signingKeys, `${root}.signingKeys`, "signing key", problems);
  signingKeys.forEach((s, i) => {
    const p = `${root}.signingKeys[${i}]`;
    if (s.algorithm === "ES256" && s.rsaBits !== undefined) {
      problems.error("kubernetes.rsa-bits-ec", `${p}.rsaBits`, "rsaBits applies only to RS256 keys", { value: s.rsaBits, fix: "remove rsaBits or set algorithm: RS256" });
    }
    if (s.algorithm === "RS256") {
      const bits = s.rsaBits ?? MIN_RSA_BITS;
      if (bits < MIN_RSA_BITS || bits > 8192 || bits % 8 !== 0) {
        problems.error("kubernetes.rsa-bits", `${p}.rsaBits`, `ToolHive accepts RSA keys of at least ${MIN_RSA_BITS} bits`, { value: s.rsaBits, fix: "use 2048, 3072 or 4096" });
      }
      s.rsaBits = bits;
    }
  });
  return signingKeys;
}

function hmacSecretsOf(k: KubernetesInput, root: string, problems: ProblemList): HmacSecretSpec[] {
  const hmacSecrets: HmacSecretSpec[] = (k.hmacSecrets ?? DEFAULT_HMAC_SECRETS).map((h) => ({ generation: h.generation, bytes: h.bytes ?? MIN_HMAC_BYTES }));
  if (hmacSecrets.length === 0) {
    problems.error("kubernetes.hmac-empty", `${root}.hmacSecrets`, "list at least one HMAC secret generation (the first one is current)", {
      fix: "use hmacSecrets: [{generation: '1'}], or remove the key for the default",
    });
  }
  checkGenerations(hmacSecrets, `${root}.hmacSecrets`, "HMAC secret", problems);
  hmacSecrets.forEach((h, i) => {
    if (h.bytes < MIN_HMAC_BYTES || h.bytes > 1024) {
      problems.error("kubernetes.hmac-bytes", `${root}.hmacSecrets[${i}].bytes`, `HMAC secrets must be ${MIN_HMAC_BYTES} to 1024 random bytes`, { value: h.bytes, fix: "use 32 or 64" });
    }
  });
  return hmacSecrets;
}

/** Replicas and Redis: more than one pod needs shared sessions and shared auth-server state. */
function checkStorage(k: KubernetesInput, root: string, config: StackConfigView | undefined, refs: SecretValueRef[], problems: ProblemList): void {
  if (k.replicas !== undefined && (k.replicas < 0 || k.replicas > 100)) {
    problems.error("kubernetes.replicas", `${root}.replicas`, "replicas must be between 0 and 100", { value: k.replicas, fix: "use 1, or 2+ with Redis storage" });
  }
  const ss = k.sessionStorage;
  if (ss) {
    if (ss.provider === "redis" && !ss.address) {
      problems.error("kubernetes.session-storage-address", `${root}.sessionStorage.address`, "Redis session storage needs an address", { fix: "set address: redis.<ns>.svc:6379" });
    }
    if (ss.db !== undefined && ss.db < 0) problems.error("kubernetes.session-storage-db", `${root}.sessionStorage.db`, "db must be ≥ 0", { value: ss.db });
    if (ss.provider === "memory" && (ss.address || ss.passwordFrom)) {
      problems.error("kubernetes.session-storage-memory", `${root}.sessionStorage`, "address and passwordFrom apply only to provider: redis", { fix: "set provider: redis or remove them" });
    }
    checkSecretConfigKey(ss.passwordFrom, `${root}.sessionStorage.passwordFrom`, config, refs, problems);
  }
  const as = k.authServerStorage;
  if (as) {
    if (as.type === "redis") {
      if (!as.addr) problems.error("kubernetes.auth-storage-addr", `${root}.authServerStorage.addr`, "Redis auth-server storage needs addr", { fix: "set addr: redis.<ns>.svc:6379" });
      if (!as.passwordFrom) {
        problems.error("kubernetes.auth-storage-password", `${root}.authServerStorage.passwordFrom`, "Redis auth-server storage needs a password (aclUserConfig.passwordSecretRef is required)", {
          fix: "set passwordFrom: <secret config key>",
        });
      }
    } else if (as.addr || as.passwordFrom || as.usernameFrom || as.clusterMode) {
      problems.error("kubernetes.auth-storage-memory", `${root}.authServerStorage`, "addr, clusterMode and credentials apply only to type: redis", { fix: "set type: redis or remove them" });
    }
    checkSecretConfigKey(as.passwordFrom, `${root}.authServerStorage.passwordFrom`, config, refs, problems);
    checkSecretConfigKey(as.usernameFrom, `${root}.authServerStorage.usernameFrom`, config, refs, problems);
  }
  if ((k.replicas ?? 1) > 1) {
    if (ss?.provider !== "redis") {
      problems.error("kubernetes.replicas-session-storage", `${root}.sessionStorage`, "replicas > 1 needs Redis session storage: MCP sessions would be lost between pods", {
        value: k.replicas,
        fix: "add sessionStorage: {provider: redis, address: ..., passwordFrom: ...}, or use replicas: 1",
      });
    }
    if (as?.type !== "redis") {
      problems.error("kubernetes.replicas-auth-storage", `${root}.authServerStorage`, "replicas > 1 needs Redis auth-server storage: codes and refresh tokens issued by one pod must be seen by the others", {
        value: k.replicas,
        fix: "add authServerStorage: {type: redis, addr: ..., passwordFrom: ...}, or use replicas: 1",
      });
    }
  }
}

/** Token lifespans within the embedded auth server's runtime bounds. */
function checkLifespans(lifespans: TokenLifespansSpec | undefined, root: string, problems: ProblemList): void {
  if (!lifespans) return;
  for (const field of ["accessToken", "refreshToken", "authCode"] as const) {
    const v = lifespans[field];
    if (v === undefined) continue;
    const p = `${root}.tokenLifespans.${field}`;
    const ms = GO_DURATION.test(v) ? parseGoDuration(v) : undefined;
    const [min, max] = LIFESPAN_BOUNDS[field];
    if (ms === undefined) {
      problems.error("kubernetes.lifespan-format", p, "not a Go duration (units ns, us, ms, s, m, h; no d)", { value: v, fix: `use e.g. ${formatDuration(max)}` });
    } else if (ms < min || ms > max) {
      problems.error("kubernetes.lifespan-bounds", p, `the auth server accepts ${formatDuration(min)} to ${formatDuration(max)}`, { value: v, fix: `use a value between ${formatDuration(min)} and ${formatDuration(max)}` });
    }
  }
  const acc = lifespans.accessToken && parseGoDuration(lifespans.accessToken);
  const ref = lifespans.refreshToken && parseGoDuration(lifespans.refreshToken);
  if (acc && ref && ref <= acc) {
    problems.error("kubernetes.lifespan-order", `${root}.tokenLifespans.refreshToken`, "the refresh token must outlive the access token", {
      value: lifespans.refreshToken,
      fix: `use a refreshToken longer than accessToken (${lifespans.accessToken})`,
    });
  }
}

/** The guide's "Remove in production" flags: refused unless the stack is marked development. */
function checkDevFlags(spec: TeamSpec, k: KubernetesInput, teamRoot: string, problems: ProblemList): void {
  const root = `${teamRoot}.kubernetes`;
  const dev = spec.environment === "development";
  for (const flag of ["insecureAllowHTTP", "jwksAllowPrivateIP"] as const) {
    if (k[flag] && !dev) {
      problems.error("kubernetes.dev-only-flag", `${root}.${flag}`, `${flag} weakens token validation and is allowed only when environment is development`, {
        value: true,
        fix: `remove ${flag} (the guide's "Remove in production"), or set ${teamRoot}.environment: development`,
      });
    }
  }
  if (spec.endpoint.startsWith("http://") && !k.insecureAllowHTTP) {
    problems.warn("kubernetes.http-endpoint", `${root}.insecureAllowHTTP`, "the endpoint is http; vMCP's OIDC validation refuses an http issuer unless insecureAllowHTTP is set", {
      fix: "set insecureAllowHTTP: true (development only), or use an https endpoint",
    });
  }
}

function operatorOf(k: KubernetesInput, root: string, problems: ProblemList): OperatorSpec | undefined {
  let operator: OperatorSpec | undefined;
  if (k.operator) {
    const version = k.operator.version ?? TOOLHIVE_VERSION;
    if (version !== TOOLHIVE_VERSION) {
      problems.error("kubernetes.operator-version", `${root}.operator.version`, `the emitted objects are validated against the ToolHive ${TOOLHIVE_VERSION} CRDs`, {
        value: version,
        fix: `remove version (it is pinned to ${TOOLHIVE_VERSION})`,
      });
    }
    const ns = k.operator.namespace ?? "toolhive-system";
    if (!DNS_LABEL.test(ns)) problems.error("kubernetes.operator-namespace", `${root}.operator.namespace`, "not a namespace name", { value: ns, fix: "use toolhive-system" });
    operator = { install: k.operator.install ?? false, version, namespace: ns };
    if (!operator.install) operator = undefined;
  }
  return operator;
}
