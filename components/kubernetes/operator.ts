/**
 * Optional install of the ToolHive operator and its CRDs from the upstream OCI Helm charts, pinned to
 * the version whose CRDs the emitted objects are validated against. For clusters that lack them; one
 * stack per cluster should own this (two stacks installing the same release would fight).
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import type { OperatorSpec } from "./config";

export const OPERATOR_CHARTS = {
  crds: { release: "toolhive-operator-crds", chart: "oci://ghcr.io/stacklok/toolhive/toolhive-operator-crds" },
  operator: { release: "toolhive-operator", chart: "oci://ghcr.io/stacklok/toolhive/toolhive-operator" },
} as const;

/** The two releases, CRDs first; team objects should depend on the second. */
export function toolhiveOperatorReleases(name: string, op: OperatorSpec, opts: pulumi.CustomResourceOptions): k8s.helm.v3.Release[] {
  const common = { version: op.version, namespace: op.namespace, createNamespace: true };
  const crds = new k8s.helm.v3.Release(
    `${name}-${OPERATOR_CHARTS.crds.release}`,
    // Fixed release names (no Pulumi suffix) so the releases match the documented helm install.
    { ...common, name: OPERATOR_CHARTS.crds.release, chart: OPERATOR_CHARTS.crds.chart },
    opts,
  );
  const operator = new k8s.helm.v3.Release(
    `${name}-${OPERATOR_CHARTS.operator.release}`,
    { ...common, name: OPERATOR_CHARTS.operator.release, chart: OPERATOR_CHARTS.operator.chart },
    { ...opts, dependsOn: [crds] },
  );
  return [crds, operator];
}
