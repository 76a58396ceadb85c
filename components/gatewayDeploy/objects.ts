/**
 * Pure builders of the bundled gateway's Kubernetes objects: ConfigMap (the team the container
 * compiles), Deployment, Service, PodDisruptionBudget and, with autoscaling, a HorizontalPodAutoscaler.
 * `S` is `string` in tests and `pulumi.Output<string>` in the component (the Okta issuer). The objects
 * are typed with @pulumi/kubernetes' input types (generated from the Kubernetes OpenAPI schema), so a
 * misspelled field does not compile; tests assert the rest.
 *
 * The container is started exactly as the image's ENTRYPOINT starts it (test/gatewayDeploy.process.test.ts
 * runs `GATEWAY_COMMAND` with `gatewayContainerEnv` as a process). With the embedded authorization
 * server, the key material is mounted from the Secrets the Kubernetes component writes
 * (components/kubernetes/toolhiveTeam.ts: PKCS#8 PEM under `signing-key.pem`, raw HMAC bytes under
 * `hmac`) where gateway/authServer reads it, the way the operator mounts it for vMCP:
 * `/etc/toolhive/authserver/keys/key-<i>.pem` and `.../hmac/hmac-<i>`, index 0 the newest generation
 * (ToolHive cmd/thv-operator/pkg/controllerutil/authserver.go). Redis passwords come by reference in
 * ToolHive's variables (THV_SESSION_REDIS_PASSWORD: pkg/vmcp/config/config.go;
 * TOOLHIVE_AUTH_SERVER_REDIS_USERNAME/_PASSWORD: pkg/authserver/runner/embeddedauthserver.go).
 */
import { createHash } from "node:crypto";
// The Kubernetes API's types as @pulumi/kubernetes generates them from the OpenAPI schema.
import type * as I from "@pulumi/kubernetes/types/input";
import type { Output } from "@pulumi/pulumi";
import { stringify } from "yaml";
import { TEAM_CONFIG_KEY } from "../spec/parse";
import type { TeamSpec } from "../spec/types";
import type { KubernetesSpec } from "../kubernetes/config";
import { teamLabels } from "../kubernetes/objects";
import type { GatewaySpec } from "./config";

/** The image's ENTRYPOINT (gateway/Dockerfile), run from its WORKDIR. */
export const GATEWAY_COMMAND = ["node", "--import", "tsx", "gateway/container/main.ts"];
export const GATEWAY_WORKDIR = "/app";
/** The image's non-root `node` user. */
export const GATEWAY_UID = 1000;
export const CONFIG_DIR = "/config";
export const AUTH_DIR = "/etc/toolhive/authserver";
export const KEYS_DIR = `${AUTH_DIR}/keys`;
export const HMAC_DIR = `${AUTH_DIR}/hmac`;
export const UPSTREAM_SECRET_FILE = `${AUTH_DIR}/upstream/client-secret`;

export interface GatewayNames {
  /** Deployment, Service, ConfigMap, PDB and HPA. */
  name: string;
  /** The file the ConfigMap holds and VMCP_STACK_FILE names (`Pulumi.<team>.yaml`). */
  stackFile: string;
  selector: Record<string, string>;
}

export function gatewayNames(spec: Pick<TeamSpec, "team" | "serverName">): GatewayNames {
  const name = `${spec.serverName}-gateway`;
  return { name, stackFile: `Pulumi.${spec.team}.yaml`, selector: { "app.kubernetes.io/name": "vmcp-okta-gateway", "app.kubernetes.io/instance": name } };
}

/** Values only a deployment knows (Outputs in the component). */
export interface GatewayValues<S extends string | Output<string>> {
  /** The team's Okta authorization server: the embedded server's upstream, or the issuer whose tokens the gateway accepts. */
  issuer: S;
  /** The team's Okta app (the embedded server signs users in through it). */
  clientId: S;
}

export interface GatewayObjects {
  configMap: I.core.v1.ConfigMap & { metadata: { name: string } };
  deployment: I.apps.v1.Deployment & { metadata: { name: string } };
  service: I.core.v1.Service & { metadata: { name: string } };
  podDisruptionBudget: I.policy.v1.PodDisruptionBudget & { metadata: { name: string } };
  horizontalPodAutoscaler?: I.autoscaling.v2.HorizontalPodAutoscaler & { metadata: { name: string } };
}

/**
 * The team as the gateway needs it: everything but the groups' members (Okta's business, not the
 * gateway's), so member logins are not copied into the cluster and a membership change does not
 * restart the pods.
 */
export function gatewayTeamInput(teamInput: unknown): unknown {
  const team = structuredClone(teamInput) as { groups?: Record<string, { members?: unknown }> };
  for (const g of Object.values(team.groups ?? {})) if (g && typeof g === "object") delete g.members;
  return team;
}

/** The ConfigMap's files: the team definition (what the container compiles) and its Cedar policies. */
export function gatewayConfigData(spec: TeamSpec, gw: GatewaySpec, policies: readonly string[]): Record<string, string> {
  const n = gatewayNames(spec);
  const head = `# The team of stack ${spec.team}, for the bundled gateway (written by vmcp-okta; edit the stack, not this).\n`;
  return {
    [n.stackFile]: head + stringify({ config: { [TEAM_CONFIG_KEY]: gatewayTeamInput(gw.teamInput) } }, { lineWidth: 0 }),
    "policies.cedar": policies.join("\n\n") + "\n",
  };
}


/** The container's environment, as the Deployment sets it. */
export function gatewayContainerEnv<S extends string | Output<string>>(spec: TeamSpec, k: KubernetesSpec, gw: GatewaySpec, values: GatewayValues<S>): { name: string; value?: S | string; valueFrom?: I.core.v1.EnvVarSource }[] {
  const n = gatewayNames(spec);
  const env: { name: string; value?: S | string; valueFrom?: I.core.v1.EnvVarSource }[] = [
    { name: "HOST", value: "0.0.0.0" },
    { name: "PORT", value: String(gw.port) },
    { name: "VMCP_STACK_FILE", value: `${CONFIG_DIR}/${n.stackFile}` },
    { name: "VMCP_ISSUER", value: values.issuer },
    { name: "VMCP_RESOURCE_URL", value: gw.resourceUrl },
    { name: "VMCP_BACKEND_SOURCE", value: "cluster" },
    { name: "VMCP_CLUSTER_DOMAIN", value: gw.clusterDomain },
    { name: "VMCP_DRAIN_SECONDS", value: String(gw.drainSeconds) },
  ];
  if (gw.authServer === "embedded") {
    // Sign-in through the team's Okta app; tokens the gateway issues itself (aud = its resource URL).
    env.push(
      { name: "VMCP_UPSTREAM_CLIENT_ID", value: values.clientId },
      { name: "VMCP_UPSTREAM_CLIENT_SECRET_FILE", value: UPSTREAM_SECRET_FILE },
      { name: "VMCP_AUTH_KEYS_DIR", value: KEYS_DIR },
      { name: "VMCP_AUTH_HMAC_DIR", value: HMAC_DIR },
    );
  } else {
    // Okta's access tokens as they are: its authorization server's one audience is the team's endpoint.
    env.push({ name: "VMCP_AUDIENCE", value: spec.endpoint });
  }
  if (Object.keys(gw.backendUrlOverrides).length) env.push({ name: "VMCP_BACKEND_URLS", value: JSON.stringify(gw.backendUrlOverrides) });
  // Addresses, databases and prefixes are in the stack (the ConfigMap); only credentials come from Secrets.
  const ss = k.sessionStorage;
  if (ss?.provider === "redis" && ss.passwordFrom) {
    env.push({ name: "THV_SESSION_REDIS_PASSWORD", valueFrom: { secretKeyRef: { name: k.names.redisSession.name, key: k.names.redisSession.key } } });
  }
  const as = k.authServerStorage;
  if (gw.authServer === "embedded" && as?.type === "redis") {
    const r = k.names.redisAuthServer;
    env.push({ name: "TOOLHIVE_AUTH_SERVER_REDIS_PASSWORD", valueFrom: { secretKeyRef: { name: r.name, key: r.passwordKey } } });
    if (as.usernameFrom) env.push({ name: "TOOLHIVE_AUTH_SERVER_REDIS_USERNAME", valueFrom: { secretKeyRef: { name: r.name, key: r.usernameKey } } });
  }
  return env;
}

function sha256(data: Record<string, string>): string {
  const h = createHash("sha256");
  for (const key of Object.keys(data).sort()) h.update(key).update("\0").update(data[key]).update("\0");
  return h.digest("hex");
}

export function gatewayObjects<S extends string | Output<string>>(spec: TeamSpec, k: KubernetesSpec, gw: GatewaySpec, policies: readonly string[], values: GatewayValues<S>): GatewayObjects {
  const n = gatewayNames(spec);
  const labels = { ...teamLabels(spec), ...n.selector };
  const meta = { name: n.name, namespace: k.namespace, labels };
  const data = gatewayConfigData(spec, gw, policies);

  const volumes: I.core.v1.Volume[] = [
    { name: "config", configMap: { name: n.name, defaultMode: 0o444 } },
    // A read-only root filesystem: tsx keeps its compile cache in the temp directory.
    { name: "tmp", emptyDir: { medium: "Memory", sizeLimit: "64Mi" } },
  ];
  const mounts: I.core.v1.VolumeMount[] = [
    { name: "config", mountPath: CONFIG_DIR, readOnly: true },
    { name: "tmp", mountPath: "/tmp" },
  ];
  if (gw.authServer === "embedded") {
    // One folder per kind, generation i (newest first) as key-<i>.pem / hmac-<i>, each from its own Secret.
    const projected = (name: string, sources: I.core.v1.VolumeProjection[]) => volumes.push({ name, projected: { sources, defaultMode: 0o440 } });
    projected("signing-keys", k.signingKeys.map((s, i) => ({ secret: { name: k.names.signingKey(s.generation).name, items: [{ key: k.names.signingKey(s.generation).key, path: `key-${i}.pem` }] } })));
    projected("hmac-secrets", k.hmacSecrets.map((h, i) => ({ secret: { name: k.names.hmacSecret(h.generation).name, items: [{ key: k.names.hmacSecret(h.generation).key, path: `hmac-${i}` }] } })));
    const idp = k.names.idpClientSecret;
    projected("upstream-client-secret", [{ secret: { name: idp.name, items: [{ key: idp.key, path: "client-secret" }] } }]);
    mounts.push(
      { name: "signing-keys", mountPath: KEYS_DIR, readOnly: true },
      { name: "hmac-secrets", mountPath: HMAC_DIR, readOnly: true },
      { name: "upstream-client-secret", mountPath: `${AUTH_DIR}/upstream`, readOnly: true },
    );
  }

  const probe = (path: string, periodSeconds: number, failureThreshold: number): I.core.v1.Probe => ({
    httpGet: { path, port: "http" },
    periodSeconds,
    timeoutSeconds: 3,
    failureThreshold,
  });
  const manyPods = (gw.autoscaling?.maxReplicas ?? gw.replicas ?? 1) > 1;

  const deployment: GatewayObjects["deployment"] = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: meta,
    spec: {
      ...(gw.replicas !== undefined && !gw.autoscaling ? { replicas: gw.replicas } : {}),
      selector: { matchLabels: n.selector },
      // Never below the wanted count during a rollout: a new pod is ready before an old one drains.
      strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      template: {
        metadata: { labels, annotations: { "vmcp-okta/config-sha256": sha256(data) } },
        spec: {
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          // Drain (readiness fails, requests still served), then calls in flight finish, then exit.
          terminationGracePeriodSeconds: 2 * gw.drainSeconds + 10,
          securityContext: { runAsNonRoot: true, runAsUser: GATEWAY_UID, runAsGroup: GATEWAY_UID, fsGroup: GATEWAY_UID, seccompProfile: { type: "RuntimeDefault" } },
          ...(gw.imagePullSecrets.length ? { imagePullSecrets: gw.imagePullSecrets.map((name) => ({ name })) } : {}),
          ...(manyPods
            ? { topologySpreadConstraints: [{ maxSkew: 1, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: n.selector } }] }
            : {}),
          containers: [
            {
              name: "gateway",
              image: gw.image,
              imagePullPolicy: gw.imagePullPolicy,
              command: [...GATEWAY_COMMAND],
              workingDir: GATEWAY_WORKDIR,
              ports: [{ name: "http", containerPort: gw.port, protocol: "TCP" }],
              env: gatewayContainerEnv(spec, k, gw, values),
              resources: { requests: { ...gw.resources.requests }, limits: { ...gw.resources.limits } },
              securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, privileged: false, capabilities: { drop: ["ALL"] } },
              // tsx compiles the sources at start: allow up to a minute before liveness counts.
              startupProbe: probe("/healthz", 2, 30),
              livenessProbe: probe("/healthz", 10, 3),
              // 503 until every backend answered initialize, and while draining.
              readinessProbe: probe("/readyz", 5, 2),
              volumeMounts: mounts,
            },
          ],
          volumes,
        },
      },
    },
  };

  const out: GatewayObjects = {
    configMap: { apiVersion: "v1", kind: "ConfigMap", metadata: meta, data },
    deployment,
    service: {
      apiVersion: "v1",
      kind: "Service",
      metadata: meta,
      spec: { type: gw.serviceType, selector: n.selector, ports: [{ name: "http", port: gw.port, targetPort: "http", protocol: "TCP" }] },
    },
    podDisruptionBudget: { apiVersion: "policy/v1", kind: "PodDisruptionBudget", metadata: meta, spec: { selector: { matchLabels: n.selector }, ...gw.disruptionBudget } },
  };
  if (gw.autoscaling) {
    out.horizontalPodAutoscaler = {
      apiVersion: "autoscaling/v2",
      kind: "HorizontalPodAutoscaler",
      metadata: meta,
      spec: {
        scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: n.name },
        minReplicas: gw.autoscaling.minReplicas,
        maxReplicas: gw.autoscaling.maxReplicas,
        metrics: [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: gw.autoscaling.targetCPUUtilizationPercentage } } }],
      },
    };
  }
  return out;
}
