/**
 * The platform stack example (examples/platform): once per cluster, before any team previews, the
 * ToolHive operator and CRDs at the pinned version; optionally cert-manager with Let's Encrypt
 * issuers and Traefik. Run under Pulumi mocks; bad settings are refused with code and path.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { ConfigError } from "../components/errors";
import { TOOLHIVE_VERSION } from "../components/kubernetes/config";
import { OPERATOR_CHARTS } from "../components/kubernetes/operator";
import { CHARTS, declarePlatform, platformSettings } from "../examples/platform/platform";
import { MockHarness, useHarness, valueOf } from "./helpers/pulumiMocks";
import { quiesce } from "./k8s.fixture";

const RELEASE = "kubernetes:helm.sh/v3:Release";
const settingsOf = (values: Record<string, string>) => platformSettings((k) => values[k]);

test("platform stack program: the ToolHive operator and CRDs at the pinned version, and nothing else by default", async () => {
  pulumi.runtime.setAllConfig({}, []);
  const harness = new MockHarness();
  await useHarness(harness, { project: "vmcp-okta-platform", stack: "cluster-a" });
  const stack = (await import("../examples/platform/index")) as Record<string, unknown>;
  await quiesce(harness);
  assert.equal(stack.toolhiveVersion, TOOLHIVE_VERSION);
  assert.equal(stack.operatorNamespace, "toolhive-system");
  assert.deepEqual(stack.clusterIssuers, []);
  const releases = harness.ofType(RELEASE).map((r) => r.inputs as Record<string, unknown>);
  assert.deepEqual(
    releases.map((r) => [r.name, r.chart, r.version, r.namespace]),
    [
      [OPERATOR_CHARTS.crds.release, OPERATOR_CHARTS.crds.chart, TOOLHIVE_VERSION, "toolhive-system"],
      [OPERATOR_CHARTS.operator.release, OPERATOR_CHARTS.operator.chart, TOOLHIVE_VERSION, "toolhive-system"],
    ],
  );
  assert.equal(harness.ofType("kubernetes:cert-manager.io/v1:ClusterIssuer").length, 0);
});

test("platform with cert-manager, Let's Encrypt issuers and Traefik", async () => {
  const harness = new MockHarness();
  await useHarness(harness, { project: "vmcp-okta-platform", stack: "cluster-b" });
  const p = declarePlatform(settingsOf({ certManager: "true", acmeEmail: "platform@example.com", ingressController: "traefik", operatorNamespace: "toolhive" }));
  await valueOf(p.operatorReleases[1].urn);
  await quiesce(harness);
  const byName = Object.fromEntries(harness.ofType(RELEASE).map((r) => [String(r.inputs.name), r.inputs as Record<string, any>]));
  assert.deepEqual(Object.keys(byName).sort(), ["cert-manager", "toolhive-operator", "toolhive-operator-crds", "traefik"]);
  assert.equal(byName["toolhive-operator"].namespace, "toolhive");
  assert.equal(byName["cert-manager"].version, CHARTS.certManager.version);
  assert.deepEqual(byName["cert-manager"].values, { crds: { enabled: true } }, "cert-manager's own CRDs come with it");
  assert.equal(byName["cert-manager"].repositoryOpts.repo, CHARTS.certManager.repo);
  assert.equal(byName.traefik.version, CHARTS.traefik.version);
  const issuers = harness.ofType("kubernetes:cert-manager.io/v1:ClusterIssuer").map((r) => r.inputs as Record<string, any>);
  assert.deepEqual(issuers.map((i) => i.metadata.name).sort(), ["letsencrypt", "letsencrypt-staging"]);
  for (const i of issuers) {
    assert.equal(i.spec.acme.email, "platform@example.com");
    assert.equal(i.spec.acme.solvers[0].http01.ingress.ingressClassName, "traefik");
  }
  assert.deepEqual(p.clusterIssuers, ["letsencrypt", "letsencrypt-staging"]);
  assert.equal(p.ingressClass, "traefik");
});

test("platform settings: contradictory or malformed values are refused with code and path", () => {
  const refused = (values: Record<string, string>, code: string, path: string) => {
    assert.throws(() => settingsOf(values), (e: unknown) => e instanceof ConfigError && e.problems.some((p) => p.code === code && p.path === path && !!p.fix), `${code} at ${path}`);
  };
  refused({ acmeEmail: "platform@example.com" }, "platform.acme-without-cert-manager", "vmcp-okta-platform:acmeEmail");
  refused({ certManager: "yes" }, "platform.not-boolean", "vmcp-okta-platform:certManager");
  refused({ ingressController: "nginx" }, "platform.ingress-controller", "vmcp-okta-platform:ingressController");
  refused({ operatorNamespace: "Toolhive_System" }, "platform.namespace", "vmcp-okta-platform:operatorNamespace");
  refused({ certManager: "true", acmeEmail: "not-an-address" }, "platform.acme-email", "vmcp-okta-platform:acmeEmail");
  assert.equal(settingsOf({}).ingressController, "none");
});
