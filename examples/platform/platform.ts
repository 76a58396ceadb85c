/**
 * The platform stack: cluster-wide parts that team stacks need before their first preview, owned by
 * one stack per cluster (two owners of the same Helm release would fight):
 *  - the ToolHive operator and its CRDs, from the upstream OCI charts, pinned to TOOLHIVE_VERSION
 *    (components/kubernetes/operator.ts: the same releases a team stack would otherwise install);
 *  - optionally cert-manager (with its CRDs) and a Let's Encrypt ClusterIssuer for the teams' TLS;
 *  - optionally an ingress controller (Traefik, which also serves Gateway API routes).
 * Settings are validated first (ConfigError with path, value and fix), like a team stack's.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { ProblemList } from "../../components/errors";
import { TOOLHIVE_VERSION } from "../../components/kubernetes/config";
import { toolhiveOperatorReleases } from "../../components/kubernetes/operator";

/** Chart pins (override per stack); the ToolHive pin is not configurable: team objects are validated against it. */
export const CHARTS = {
  certManager: { repo: "https://charts.jetstack.io", chart: "cert-manager", version: "v1.16.2" },
  traefik: { repo: "https://traefik.github.io/charts", chart: "traefik", version: "33.0.0" },
} as const;

export interface PlatformSettings {
  operatorNamespace: string;
  certManager: boolean;
  certManagerVersion: string;
  /** E-mail for Let's Encrypt; with it, ClusterIssuers `letsencrypt` and `letsencrypt-staging` are declared. */
  acmeEmail?: string;
  ingressController: "none" | "traefik";
  traefikVersion: string;
}

const DNS_LABEL = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
const NS = "vmcp-okta-platform";

/** Reads `vmcp-okta-platform:*`; throws one ConfigError listing every problem. */
export function platformSettings(get: (key: string) => string | undefined): PlatformSettings {
  const problems = new ProblemList();
  const bool = (key: string): boolean => {
    const v = get(key);
    if (v === undefined || v === "false") return false;
    if (v === "true") return true;
    problems.error("platform.not-boolean", `${NS}:${key}`, "expected true or false", { value: v, fix: `pulumi config set ${key} true` });
    return false;
  };
  const operatorNamespace = get("operatorNamespace") ?? "toolhive-system";
  if (!DNS_LABEL.test(operatorNamespace)) problems.error("platform.namespace", `${NS}:operatorNamespace`, "not a namespace name", { value: operatorNamespace, fix: "use toolhive-system" });
  const certManager = bool("certManager");
  const acmeEmail = get("acmeEmail");
  if (acmeEmail !== undefined && !certManager) {
    problems.error("platform.acme-without-cert-manager", `${NS}:acmeEmail`, "a Let's Encrypt issuer needs cert-manager", { value: acmeEmail, fix: "pulumi config set certManager true, or remove acmeEmail" });
  }
  if (acmeEmail !== undefined && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(acmeEmail)) problems.error("platform.acme-email", `${NS}:acmeEmail`, "not an e-mail address", { value: acmeEmail, fix: "use the address Let's Encrypt should warn about expiring certificates" });
  const ingressController = (get("ingressController") ?? "none") as PlatformSettings["ingressController"];
  if (!["none", "traefik"].includes(ingressController)) problems.error("platform.ingress-controller", `${NS}:ingressController`, "unknown ingress controller", { value: ingressController, fix: "use traefik, or none when the cluster has one" });
  problems.throwIfErrors();
  return {
    operatorNamespace,
    certManager,
    certManagerVersion: get("certManagerVersion") ?? CHARTS.certManager.version,
    ...(acmeEmail ? { acmeEmail } : {}),
    ingressController,
    traefikVersion: get("traefikVersion") ?? CHARTS.traefik.version,
  };
}

export interface Platform {
  toolhiveVersion: string;
  operatorNamespace: string;
  /** The releases team stacks wait for (CRDs first). */
  operatorReleases: k8s.helm.v3.Release[];
  clusterIssuers: string[];
  ingressClass?: string;
}

export function declarePlatform(s: PlatformSettings, opts: pulumi.CustomResourceOptions = {}): Platform {
  const operatorReleases = toolhiveOperatorReleases("platform", { install: true, version: TOOLHIVE_VERSION, namespace: s.operatorNamespace }, opts);
  const clusterIssuers: string[] = [];
  if (s.certManager) {
    const cm = new k8s.helm.v3.Release(
      "platform-cert-manager",
      {
        name: "cert-manager",
        chart: CHARTS.certManager.chart,
        version: s.certManagerVersion,
        repositoryOpts: { repo: CHARTS.certManager.repo },
        namespace: "cert-manager",
        createNamespace: true,
        values: { crds: { enabled: true } },
      },
      opts,
    );
    if (s.acmeEmail) {
      for (const [name, server] of [
        ["letsencrypt", "https://acme-v02.api.letsencrypt.org/directory"],
        ["letsencrypt-staging", "https://acme-staging-v02.api.letsencrypt.org/directory"],
      ]) {
        new k8s.apiextensions.CustomResource(
          `platform-clusterissuer-${name}`,
          {
            apiVersion: "cert-manager.io/v1",
            kind: "ClusterIssuer",
            metadata: { name },
            spec: {
              acme: {
                server,
                email: s.acmeEmail,
                privateKeySecretRef: { name: `${name}-account-key` },
                solvers: [{ http01: { ingress: { ingressClassName: s.ingressController === "traefik" ? "traefik" : "nginx" } } }],
              },
            },
          },
          { ...opts, dependsOn: [cm] },
        );
        clusterIssuers.push(name);
      }
    }
  }
  let ingressClass: string | undefined;
  if (s.ingressController === "traefik") {
    new k8s.helm.v3.Release(
      "platform-traefik",
      {
        name: "traefik",
        chart: CHARTS.traefik.chart,
        version: s.traefikVersion,
        repositoryOpts: { repo: CHARTS.traefik.repo },
        namespace: "traefik",
        createNamespace: true,
        values: { ingressClass: { enabled: true, isDefaultClass: false }, providers: { kubernetesGateway: { enabled: true } } },
      },
      opts,
    );
    ingressClass = "traefik";
  }
  return { toolhiveVersion: TOOLHIVE_VERSION, operatorNamespace: s.operatorNamespace, operatorReleases, clusterIssuers, ...(ingressClass ? { ingressClass } : {}) };
}
