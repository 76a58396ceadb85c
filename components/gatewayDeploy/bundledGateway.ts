/**
 * The bundled gateway as Pulumi resources: the pure builders' objects (objects.ts) with the Okta
 * issuer filled in. The Deployment waits for the team's Secrets (signing keys, HMAC, Redis) and its
 * MCPServers, which the ToolHive component declares.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import type { TeamSpec } from "../spec/types";
import type { KubernetesSpec } from "../kubernetes/config";
import type { GatewaySpec } from "./config";
import { gatewayObjects } from "./objects";

export interface BundledGatewayArgs {
  spec: TeamSpec;
  kubernetes: KubernetesSpec;
  gateway: GatewaySpec;
  /** Cedar policies, one per string (the ConfigMap carries them for reading). */
  policies: readonly string[];
  /** The team's Okta authorization server's issuer. */
  issuer: pulumi.Input<string>;
  /** The team's Okta app's client id (the embedded authorization server's upstream client). */
  clientId: pulumi.Input<string>;
  provider?: k8s.Provider;
  /** What must exist first: the ToolHive component (namespace, Secrets, MCPServers). */
  dependsOn?: pulumi.Input<pulumi.Resource>[];
}

export class BundledGateway extends pulumi.ComponentResource {
  /** In-cluster URL of the gateway's MCP endpoint (point the Ingress or Gateway route here). */
  readonly serviceUrl: string;
  readonly serviceName: string;
  readonly deployment: k8s.apps.v1.Deployment;

  constructor(name: string, args: BundledGatewayArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("vmcp-okta:gateway:BundledGateway", name, {}, opts);
    const o = gatewayObjects(args.spec, args.kubernetes, args.gateway, args.policies, { issuer: pulumi.output(args.issuer), clientId: pulumi.output(args.clientId) });
    const base: pulumi.CustomResourceOptions = { parent: this, ...(args.provider ? { provider: args.provider } : {}), dependsOn: args.dependsOn ?? [] };
    const configMap = new k8s.core.v1.ConfigMap(`${name}-configmap`, o.configMap, base);
    this.deployment = new k8s.apps.v1.Deployment(`${name}-deployment`, o.deployment, { ...base, dependsOn: [...(args.dependsOn ?? []), configMap] });
    new k8s.core.v1.Service(`${name}-service`, o.service, base);
    new k8s.policy.v1.PodDisruptionBudget(`${name}-pdb`, o.podDisruptionBudget, base);
    if (o.horizontalPodAutoscaler) new k8s.autoscaling.v2.HorizontalPodAutoscaler(`${name}-hpa`, o.horizontalPodAutoscaler, { ...base, dependsOn: [...(args.dependsOn ?? []), this.deployment] });
    this.serviceName = o.service.metadata.name;
    this.serviceUrl = `http://${this.serviceName}.${args.kubernetes.namespace}.svc.${args.gateway.clusterDomain}:${args.gateway.port}/mcp`;
    this.registerOutputs({ serviceUrl: this.serviceUrl });
  }
}
