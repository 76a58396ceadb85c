/**
 * The team's optional `gateway:` section: the bundled MCP gateway (gateway/) as a Deployment next to
 * the team's MCPServers. Parsed and validated here, before any resource is declared, so `check`,
 * `render` and `pulumi preview` refuse the same settings with the same paths. Contradictory settings
 * (several replicas without Redis, autoscaling and a fixed replica count, a disruption budget that
 * blocks every eviction, a disabled gateway with settings) are errors, not silent choices.
 */
import { z } from "zod";
import { ProblemList, didYouMean } from "../errors";
import { TEAM_CONFIG_KEY } from "../spec/parse";
import type { TeamSpec } from "../spec/types";
import type { KubernetesSpec } from "../kubernetes/config";
import { clusterBackendUrls, DEFAULT_CLUSTER_DOMAIN } from "./backendUrls";
import { parseQuantity } from "./quantity";

export interface ResourceList {
  cpu: string;
  memory: string;
}

export interface GatewaySpec {
  /** A registry reference with a tag or a digest. */
  image: string;
  imagePullPolicy: "Always" | "IfNotPresent" | "Never";
  imagePullSecrets: string[];
  /** The gateway's public URL (RFC 9728 resource); default the team's endpoint. */
  resourceUrl: string;
  /**
   * embedded: the gateway's own authorization server signs users in through the team's Okta app
   * (gateway/authServer, vMCP's authServerConfig), with the stack's signing keys and HMAC secrets.
   * none: the gateway accepts the Okta authorization server's access tokens as they are.
   */
  authServer: "embedded" | "none";
  /** Fixed replica count; undefined when autoscaling owns it. */
  replicas?: number;
  autoscaling?: { minReplicas: number; maxReplicas: number; targetCPUUtilizationPercentage: number };
  disruptionBudget: { minAvailable: number } | { maxUnavailable: number };
  resources: { requests: ResourceList; limits: ResourceList };
  serviceType: "ClusterIP" | "NodePort" | "LoadBalancer";
  port: number;
  /** Every backend's in-cluster URL (derived, or overridden by `backendUrls`). */
  backendUrls: Record<string, string>;
  /** Only the overrides, as the container receives them (VMCP_BACKEND_URLS). */
  backendUrlOverrides: Record<string, string>;
  clusterDomain: string;
  drainSeconds: number;
  /** The team definition as written: what the ConfigMap carries and the container compiles. */
  teamInput: unknown;
}

const resourceListSchema = z.object({ cpu: z.string().optional(), memory: z.string().optional() }).strict();
const imageBuildSchema = z
  .object({ context: z.string().optional(), dockerfile: z.string().optional(), repository: z.string().optional(), tag: z.string().optional() })
  .strict();

export const gatewaySchema = z
  .object({
    enabled: z.boolean().optional(),
    image: z.union([z.string().min(1), z.object({ build: imageBuildSchema }).strict()]).optional(),
    imagePullPolicy: z.enum(["Always", "IfNotPresent", "Never"]).optional(),
    imagePullSecrets: z.array(z.string()).optional(),
    endpoint: z.string().optional(),
    authServer: z.enum(["embedded", "none"]).optional(),
    replicas: z.number().int().optional(),
    autoscaling: z
      .object({ minReplicas: z.number().int().optional(), maxReplicas: z.number().int(), targetCPUUtilizationPercentage: z.number().int().optional() })
      .strict()
      .optional(),
    disruptionBudget: z.object({ minAvailable: z.number().int().optional(), maxUnavailable: z.number().int().optional() }).strict().optional(),
    resources: z.object({ requests: resourceListSchema.optional(), limits: resourceListSchema.optional() }).strict().optional(),
    serviceType: z.enum(["ClusterIP", "NodePort", "LoadBalancer"]).optional(),
    port: z.number().int().optional(),
    backendUrls: z.record(z.string(), z.string()).optional(),
    clusterDomain: z.string().optional(),
    drainSeconds: z.number().int().optional(),
  })
  .strict();

type GatewayInput = z.infer<typeof gatewaySchema>;

export const DEFAULT_GATEWAY_RESOURCES = { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "1", memory: "512Mi" } };
export const DEFAULT_GATEWAY_PORT = 8080;
export const DEFAULT_DRAIN_SECONDS = 5;

const DNS_LABEL = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
/**
 * [domain/]path[:tag][@sha256:digest], the reference grammar of the distribution project
 * (distribution/reference/regexp.go): the domain only counts when a `/` follows it, so `node:20` is
 * a name and a tag while `registry:5000/img` is a domain with a port and an untagged name.
 */
const DOMAIN_PART = "[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?";
const PATH_PART = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
const IMAGE_REF = new RegExp(
  `^(?:${DOMAIN_PART}(?:\\.${DOMAIN_PART})*(?::[0-9]+)?/)?${PATH_PART}(?:/${PATH_PART})*(?::(?<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?(?:@(?<digest>sha256:[a-f0-9]{64}))?$`,
);

function joinPath(root: string, path: (string | number)[]): string {
  return path.reduce<string>((out, seg) => (typeof seg === "number" ? `${out}[${seg}]` : `${out}.${seg}`), root);
}

function shapeOk(input: unknown, root: string, problems: ProblemList): input is GatewayInput {
  const result = gatewaySchema.safeParse(input);
  if (result.success) return true;
  for (const issue of result.error.issues) {
    if (issue.code === "unrecognized_keys") {
      const known = issue.path.length === 0 ? Object.keys(gatewaySchema.shape) : [];
      for (const key of issue.keys) {
        problems.error("gateway.unknown-key", joinPath(root, [...issue.path, key]), "unknown key", { fix: didYouMean(key, known) ?? (known.length ? `known keys: ${known.join(", ")}` : "remove it") });
      }
    } else problems.error("gateway.invalid", joinPath(root, issue.path), issue.message, { fix: "correct the value's type or form as the message says" });
  }
  return false;
}

/**
 * Validates `<teamRoot>.gateway`. Undefined when the section is absent, disabled or invalid (errors
 * are in `problems`). `kubernetes` is the validated Kubernetes section (namespace, Redis storage).
 */
export function validateGateway(spec: TeamSpec, kubernetes: KubernetesSpec | undefined, teamInput: unknown, problems: ProblemList, teamRoot: string = TEAM_CONFIG_KEY): GatewaySpec | undefined {
  const root = `${teamRoot}.gateway`;
  const input = spec.raw.gateway;
  if (input === undefined) return undefined;
  if (!shapeOk(input, root, problems)) return undefined;
  const g: GatewayInput = input;
  if (g.enabled === false) {
    const others = Object.keys(g).filter((k) => k !== "enabled");
    if (others.length) {
      problems.error("gateway.disabled-with-settings", root, "the gateway is disabled, yet the section configures it", {
        value: others,
        fix: "remove the other keys, or remove enabled: false",
      });
    }
    return undefined;
  }
  const before = problems.errors.length;
  const image = imageOf(g, root, spec, problems);
  const resourceUrl = endpointOf(g, root, spec, problems);
  const authServer = g.authServer ?? "embedded";
  if (authServer === "embedded" && g.endpoint !== undefined && g.endpoint !== spec.endpoint) {
    // The Okta app registers exactly <team endpoint>/oauth/callback (the guide's "Redirect URI mismatch").
    problems.error("gateway.redirect-mismatch", `${root}.endpoint`, "with the embedded authorization server the gateway signs users in at <endpoint>/oauth/callback, and the team's Okta app registers only the team endpoint's callback", {
      value: g.endpoint,
      fix: `remove endpoint (serve the gateway at ${spec.endpoint}), or set authServer: none to accept Okta's tokens directly`,
    });
  }
  const { replicas, autoscaling } = scalingOf(g, root, problems);
  const maxPods = autoscaling ? autoscaling.maxReplicas : (replicas ?? 1);
  const minPods = autoscaling ? autoscaling.minReplicas : (replicas ?? 1);
  if (maxPods > 1) checkRedis(kubernetes, root, teamRoot, maxPods, authServer, problems);
  const disruptionBudget = budgetOf(g, root, minPods, problems);
  const resources = resourcesOf(g, root, problems);
  const port = g.port ?? DEFAULT_GATEWAY_PORT;
  if (port < 1024 || port > 65535) {
    // A non-root process cannot bind below 1024.
    problems.error("gateway.port", `${root}.port`, "the gateway runs as a non-root user and listens on an unprivileged port", { value: port, fix: "use 8080" });
  }
  const drainSeconds = g.drainSeconds ?? DEFAULT_DRAIN_SECONDS;
  if (drainSeconds < 0 || drainSeconds > 300) problems.error("gateway.drain-seconds", `${root}.drainSeconds`, "drain time out of range (0-300 s)", { value: drainSeconds, fix: "use 5" });
  const clusterDomain = g.clusterDomain ?? DEFAULT_CLUSTER_DOMAIN;
  if (!/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/.test(clusterDomain)) problems.error("gateway.cluster-domain", `${root}.clusterDomain`, "not a DNS domain", { value: clusterDomain, fix: "use cluster.local" });
  (g.imagePullSecrets ?? []).forEach((s, i) => {
    if (!DNS_LABEL.test(s)) problems.error("gateway.pull-secret-name", `${root}.imagePullSecrets[${i}]`, "not a Secret name", { value: s, fix: "use the name of a docker-registry Secret in the team's namespace" });
  });
  const overrides = g.backendUrls ?? {};
  const namespace = kubernetes?.namespace ?? `vmcp-${spec.team}`;
  const backendUrls = clusterBackendUrls(spec.backends, namespace, overrides, problems, `${root}.backendUrls`, clusterDomain);
  if (problems.errors.length > before || image === undefined) return undefined;
  return {
    image,
    imagePullPolicy: g.imagePullPolicy ?? "IfNotPresent",
    imagePullSecrets: g.imagePullSecrets ?? [],
    resourceUrl,
    authServer,
    ...(replicas !== undefined ? { replicas } : {}),
    ...(autoscaling ? { autoscaling } : {}),
    disruptionBudget,
    resources,
    serviceType: g.serviceType ?? "ClusterIP",
    port,
    backendUrls,
    backendUrlOverrides: overrides,
    clusterDomain,
    drainSeconds,
    teamInput,
  };
}

function imageOf(g: GatewayInput, root: string, spec: TeamSpec, problems: ProblemList): string | undefined {
  const p = `${root}.image`;
  if (g.image === undefined) {
    problems.error("gateway.image-missing", p, "the gateway needs an image", { fix: "push gateway/Dockerfile's image to your registry and set image: <registry>/vmcp-okta-gateway:<tag>" });
    return undefined;
  }
  if (typeof g.image !== "string") {
    problems.error("gateway.image-build-unavailable", `${p}.build`, "building the image needs @pulumi/docker-build, which this package does not depend on", {
      fix: "build and push it yourself (docker build -f gateway/Dockerfile -t <ref> . && docker push <ref>) and set image: <ref>",
    });
    return undefined;
  }
  const m = IMAGE_REF.exec(g.image);
  if (!m) {
    problems.error("gateway.image-ref", p, "not an image reference", { value: g.image, fix: "use e.g. ghcr.io/acme/vmcp-okta-gateway:0.1.0" });
    return undefined;
  }
  const { tag, digest } = m.groups as { tag?: string; digest?: string };
  if (!tag && !digest) {
    problems.error("gateway.image-untagged", p, "an image without a tag or digest is :latest, which changes under a running Deployment", { value: g.image, fix: `pin it: ${g.image}:<version> or ${g.image}@sha256:<digest>` });
  } else if (tag === "latest" && !digest) {
    const msg = "the :latest tag changes under a running Deployment";
    if (spec.environment === "production") problems.error("gateway.image-latest", p, msg, { value: g.image, fix: "pin a version tag or a digest" });
    else problems.warn("gateway.image-latest", p, msg, { value: g.image, fix: "pin a version tag or a digest" });
  }
  return g.image;
}

function endpointOf(g: GatewayInput, root: string, spec: TeamSpec, problems: ProblemList): string {
  if (g.endpoint === undefined) return spec.endpoint;
  let u: URL | undefined;
  try {
    u = new URL(g.endpoint);
  } catch {
    u = undefined;
  }
  const dev = spec.environment === "development";
  if (!u || (u.protocol !== "https:" && !(dev && u.protocol === "http:")) || (u.pathname !== "/" && u.pathname !== "") || g.endpoint.endsWith("/")) {
    problems.error("gateway.endpoint", `${root}.endpoint`, "the gateway's endpoint is an https URL without a path or trailing slash (like the team's endpoint)", {
      value: g.endpoint,
      fix: "use e.g. https://mcp-gateway.example.com",
    });
  }
  return g.endpoint;
}

function scalingOf(g: GatewayInput, root: string, problems: ProblemList): { replicas?: number; autoscaling?: GatewaySpec["autoscaling"] } {
  if (g.replicas !== undefined && (g.replicas < 1 || g.replicas > 100)) {
    problems.error("gateway.replicas", `${root}.replicas`, "replicas must be between 1 and 100", { value: g.replicas, fix: "use 1, or 2+ with Redis storage" });
  }
  if (!g.autoscaling) return { replicas: g.replicas };
  if (g.replicas !== undefined) {
    problems.error("gateway.replicas-and-autoscaling", `${root}.replicas`, "the autoscaler owns the replica count; a fixed count would fight it on every pulumi up", {
      value: g.replicas,
      fix: "remove replicas (use autoscaling.minReplicas), or remove autoscaling",
    });
  }
  const a = g.autoscaling;
  const minReplicas = a.minReplicas ?? 1;
  const target = a.targetCPUUtilizationPercentage ?? 70;
  if (minReplicas < 1 || a.maxReplicas > 100 || minReplicas > a.maxReplicas) {
    problems.error("gateway.autoscaling-range", `${root}.autoscaling`, "need 1 ≤ minReplicas ≤ maxReplicas ≤ 100", { value: { minReplicas, maxReplicas: a.maxReplicas }, fix: "e.g. minReplicas: 2, maxReplicas: 6" });
  }
  if (target < 10 || target > 100) problems.error("gateway.autoscaling-target", `${root}.autoscaling.targetCPUUtilizationPercentage`, "CPU target out of range (10-100 %)", { value: target, fix: "use 70" });
  return { autoscaling: { minReplicas, maxReplicas: a.maxReplicas, targetCPUUtilizationPercentage: target } };
}

/** More than one pod: MCP sessions and the auth server's state must live in Redis (the stack's settings). */
function checkRedis(k: KubernetesSpec | undefined, root: string, teamRoot: string, pods: number, authServer: GatewaySpec["authServer"], problems: ProblemList): void {
  if (k?.sessionStorage?.provider !== "redis") {
    problems.error("gateway.replicas-session-storage", `${teamRoot}.kubernetes.sessionStorage`, "more than one gateway pod needs Redis session storage: a session opened on one pod must continue on another", {
      value: pods,
      fix: `add kubernetes.sessionStorage: {provider: redis, address: ..., passwordFrom: ...}, or run one pod (${root}.replicas: 1)`,
    });
  }
  if (authServer === "embedded" && k?.authServerStorage?.type !== "redis") {
    problems.error("gateway.replicas-auth-storage", `${teamRoot}.kubernetes.authServerStorage`, "more than one gateway pod needs Redis auth-server storage: codes and tokens issued by one pod must be seen by the others", {
      value: pods,
      fix: `add kubernetes.authServerStorage: {type: redis, addr: ..., passwordFrom: ...}, or run one pod (${root}.replicas: 1)`,
    });
  }
}

function budgetOf(g: GatewayInput, root: string, minPods: number, problems: ProblemList): GatewaySpec["disruptionBudget"] {
  const b = g.disruptionBudget;
  if (!b || (b.minAvailable === undefined && b.maxUnavailable === undefined)) return { maxUnavailable: 1 };
  if (b.minAvailable !== undefined && b.maxUnavailable !== undefined) {
    problems.error("gateway.pdb-both", `${root}.disruptionBudget`, "a PodDisruptionBudget takes minAvailable or maxUnavailable, not both", { fix: "keep one" });
    return { maxUnavailable: 1 };
  }
  if (b.minAvailable !== undefined) {
    if (b.minAvailable < 0 || b.minAvailable >= minPods) {
      problems.error("gateway.pdb-blocks-eviction", `${root}.disruptionBudget.minAvailable`, `with ${minPods} pod(s), minAvailable ${b.minAvailable} lets no pod be evicted: node drains and cluster upgrades would hang`, {
        value: b.minAvailable,
        fix: `use at most ${Math.max(0, minPods - 1)}, or maxUnavailable: 1`,
      });
    }
    return { minAvailable: b.minAvailable };
  }
  if (b.maxUnavailable! < 1) {
    problems.error("gateway.pdb-blocks-eviction", `${root}.disruptionBudget.maxUnavailable`, "maxUnavailable 0 lets no pod be evicted: node drains and cluster upgrades would hang", { value: b.maxUnavailable, fix: "use 1" });
  }
  return { maxUnavailable: b.maxUnavailable! };
}

function resourcesOf(g: GatewayInput, root: string, problems: ProblemList): GatewaySpec["resources"] {
  const requests = { ...DEFAULT_GATEWAY_RESOURCES.requests, ...(g.resources?.requests ?? {}) };
  const limits = { ...DEFAULT_GATEWAY_RESOURCES.limits, ...(g.resources?.limits ?? {}) };
  for (const kind of ["cpu", "memory"] as const) {
    const req = parseQuantity(requests[kind]);
    const lim = parseQuantity(limits[kind]);
    if (req === undefined) problems.error("gateway.resource-quantity", `${root}.resources.requests.${kind}`, "not a Kubernetes quantity", { value: requests[kind], fix: kind === "cpu" ? "use e.g. 100m or 1" : "use e.g. 128Mi" });
    if (lim === undefined) problems.error("gateway.resource-quantity", `${root}.resources.limits.${kind}`, "not a Kubernetes quantity", { value: limits[kind], fix: kind === "cpu" ? "use e.g. 500m or 2" : "use e.g. 512Mi" });
    if (req !== undefined && lim !== undefined && req > lim) {
      problems.error("gateway.resource-request-over-limit", `${root}.resources.requests.${kind}`, `the ${kind} request exceeds its limit (Kubernetes rejects the pod)`, { value: requests[kind], fix: `use at most ${limits[kind]}, or raise the limit` });
    }
  }
  return { requests, limits };
}
