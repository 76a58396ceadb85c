/**
 * The backends the container serves. In a cluster each backend is its MCPServer's proxy Service,
 * named the way the ToolHive operator names it (components/gatewayDeploy/backendUrls.ts cites the
 * operator's source); a backend's URL can be overridden. On a laptop or in a test the stack's
 * `local` entries still work. Configured by the environment:
 *
 *   VMCP_BACKEND_SOURCE  cluster: every backend at its MCPServer Service (what the Deployment sets);
 *                        local: every backend as its `local` entry says;
 *                        auto (default): `local` where the stack declares one, else the Service
 *   VMCP_BACKEND_URLS    JSON object {"<backend>": "http(s)://…/mcp"}: per-backend overrides (any source)
 *   VMCP_CLUSTER_DOMAIN  the cluster's DNS domain (default cluster.local)
 */
import { ConfigError, ProblemList } from "../../components/errors";
import { clusterBackendUrls, DEFAULT_CLUSTER_DOMAIN } from "../../components/gatewayDeploy/backendUrls";
import { validateKubernetes } from "../../components/kubernetes/config";
import type { TeamSpec } from "../../components/spec/types";
import type { BackendLaunch } from "../backends/backend";

export type BackendSource = "auto" | "cluster" | "local";
const SOURCES: BackendSource[] = ["auto", "cluster", "local"];

export interface ProductionBackendEnv {
  source: BackendSource;
  overrides: Record<string, string>;
  clusterDomain: string;
}

/** Parses the three variables; every problem names its variable. */
export function backendEnv(env: NodeJS.ProcessEnv, problems: ProblemList): ProductionBackendEnv {
  const source = (env.VMCP_BACKEND_SOURCE || "auto") as BackendSource;
  if (!SOURCES.includes(source)) {
    problems.error("container.backend-source", "VMCP_BACKEND_SOURCE", "unknown backend source", { value: env.VMCP_BACKEND_SOURCE, fix: `use one of: ${SOURCES.join(", ")}` });
  }
  let overrides: Record<string, string> = {};
  if (env.VMCP_BACKEND_URLS) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(env.VMCP_BACKEND_URLS);
    } catch {
      parsed = undefined;
    }
    if (parsed && typeof parsed === "object" && !Array.isArray(parsed) && Object.values(parsed).every((v) => typeof v === "string")) {
      overrides = parsed as Record<string, string>;
    } else {
      problems.error("container.backend-urls", "VMCP_BACKEND_URLS", "not a JSON object of backend name to URL", {
        fix: `use e.g. {"github-backend": "http://github.example.svc:8080/mcp"}`,
      });
    }
  }
  const clusterDomain = env.VMCP_CLUSTER_DOMAIN || DEFAULT_CLUSTER_DOMAIN;
  if (!/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/.test(clusterDomain)) {
    problems.error("container.cluster-domain", "VMCP_CLUSTER_DOMAIN", "not a DNS domain", { value: clusterDomain, fix: "use cluster.local" });
  }
  return { source, overrides, clusterDomain };
}

/** The team's namespace, defaulted exactly as the Kubernetes component defaults it. */
function teamNamespace(spec: TeamSpec): string {
  const k8s = validateKubernetes(spec, new ProblemList());
  return k8s?.namespace ?? `vmcp-${spec.team}`;
}

/** Every backend's launch for this environment; throws a ConfigError naming each backend it cannot reach. */
export function productionBackends(spec: TeamSpec, env: ProductionBackendEnv): BackendLaunch[] {
  const problems = new ProblemList();
  const fromCluster = spec.backends.filter((b) => env.source === "cluster" || (env.source === "auto" && !b.local) || env.overrides[b.name] !== undefined);
  // Every backend with an override is in fromCluster, so an override naming no backend is reported here too.
  const urls = clusterBackendUrls(fromCluster, teamNamespace(spec), env.overrides, problems, "VMCP_BACKEND_URLS", env.clusterDomain);
  const launches: BackendLaunch[] = [];
  for (const b of spec.backends) {
    if (urls[b.name]) {
      launches.push({ name: b.name, url: urls[b.name] });
    } else if (fromCluster.includes(b)) {
      continue; // reported by clusterBackendUrls
    } else if (b.local?.url) {
      launches.push({ name: b.name, url: b.local.url });
    } else if (b.local?.command) {
      launches.push({ name: b.name, command: b.local.command, args: b.local.args ?? [], env: b.local.env });
    } else {
      problems.error("container.backend-no-local", `VMCP_BACKEND_SOURCE`, `backend ${b.name} has no local entry`, { value: b.name, fix: "use VMCP_BACKEND_SOURCE=cluster or auto, or add local.url to the backend" });
    }
  }
  if (problems.errors.length) throw new ConfigError(problems.items);
  return launches;
}
