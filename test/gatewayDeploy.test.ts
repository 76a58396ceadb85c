/**
 * The bundled gateway's Deployment (`gateway:` section): contradictory settings are refused with a
 * code and a config path before any resource exists; the declared objects (under Pulumi mocks) run
 * non-root on a read-only root filesystem with limits and probes, mount exactly the Secrets the
 * Kubernetes component writes, and come with a Service, a PodDisruptionBudget and an autoscaler.
 * (`render` of them: gatewayDeploy.render.test.ts, in its own process.) The in-cluster backend URLs follow the ToolHive operator's Service naming.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { ConfigError, ProblemList, type Problem } from "../components/errors";
import { compileTeam } from "../components/compile";
import { loadTeam } from "../components/loadStack";
import { clusterBackendUrls, mcpServerServiceUrl } from "../components/gatewayDeploy/backendUrls";
import { GATEWAY_COMMAND, gatewayObjects } from "../components/gatewayDeploy/objects";
import { parseQuantity } from "../components/gatewayDeploy/quantity";
import { productionBackends } from "../gateway/container/productionBackends";
import { containerConfig } from "../gateway/container/main";
import { configView, engineeringTeam, plain, quiesce, runStackFromConfig, salesTeam } from "./k8s.fixture";
import { valueOf } from "./helpers/pulumiMocks";
import { KubeSchemas } from "./helpers/k8sOpenApi";

const ROOT = path.resolve(__dirname, "..");
type Obj = Record<string, any>;

const IMAGE = "ghcr.io/acme/vmcp-okta-gateway:0.1.0";
const REDIS = {
  namespace: "vmcp-engineering",
  sessionStorage: { provider: "redis", address: "redis.redis.svc:6379", passwordFrom: "redisPassword" },
  authServerStorage: { type: "redis", addr: "redis.redis.svc:6379", passwordFrom: "redisPassword" },
};

function problemsOf(team: Record<string, unknown>): Problem[] {
  try {
    loadTeam(team, configView());
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e.problems.filter((p) => p.severity === "error");
  }
  assert.fail("expected a ConfigError");
}

const G = "vmcp-okta:team.gateway";
const refusals: { name: string; gateway: Record<string, unknown>; kubernetes?: Record<string, unknown>; code: string; path: string }[] = [
  { name: "two replicas without Redis sessions", gateway: { image: IMAGE, replicas: 2 }, code: "gateway.replicas-session-storage", path: "vmcp-okta:team.kubernetes.sessionStorage" },
  { name: "two replicas without Redis auth-server state", gateway: { image: IMAGE, replicas: 2 }, code: "gateway.replicas-auth-storage", path: "vmcp-okta:team.kubernetes.authServerStorage" },
  { name: "an autoscaler that may add pods, without Redis", gateway: { image: IMAGE, autoscaling: { maxReplicas: 3 } }, code: "gateway.replicas-session-storage", path: "vmcp-okta:team.kubernetes.sessionStorage" },
  { name: "replicas and an autoscaler", gateway: { image: IMAGE, replicas: 2, autoscaling: { minReplicas: 2, maxReplicas: 4 } }, kubernetes: REDIS, code: "gateway.replicas-and-autoscaling", path: `${G}.replicas` },
  { name: "minReplicas above maxReplicas", gateway: { image: IMAGE, autoscaling: { minReplicas: 5, maxReplicas: 2 } }, kubernetes: REDIS, code: "gateway.autoscaling-range", path: `${G}.autoscaling` },
  { name: "a disabled gateway with settings", gateway: { enabled: false, image: IMAGE }, code: "gateway.disabled-with-settings", path: G },
  { name: "a budget that blocks every eviction", gateway: { image: IMAGE, replicas: 2, disruptionBudget: { minAvailable: 2 } }, kubernetes: REDIS, code: "gateway.pdb-blocks-eviction", path: `${G}.disruptionBudget.minAvailable` },
  { name: "minAvailable and maxUnavailable", gateway: { image: IMAGE, disruptionBudget: { minAvailable: 0, maxUnavailable: 1 } }, code: "gateway.pdb-both", path: `${G}.disruptionBudget` },
  { name: "no image", gateway: { replicas: 1 }, code: "gateway.image-missing", path: `${G}.image` },
  { name: "an untagged image", gateway: { image: "ghcr.io/acme/vmcp-okta-gateway" }, code: "gateway.image-untagged", path: `${G}.image` },
  { name: "a registry port mistaken for a tag", gateway: { image: "registry.example:5000/vmcp-okta-gateway" }, code: "gateway.image-untagged", path: `${G}.image` },
  { name: "a malformed image reference", gateway: { image: "acme//gateway:1" }, code: "gateway.image-ref", path: `${G}.image` },
  { name: ":latest in production", gateway: { image: "ghcr.io/acme/vmcp-okta-gateway:latest" }, code: "gateway.image-latest", path: `${G}.image` },
  { name: "an image to build (no @pulumi/docker-build)", gateway: { image: { build: { context: "." } } }, code: "gateway.image-build-unavailable", path: `${G}.image.build` },
  { name: "a request over its limit", gateway: { image: IMAGE, resources: { requests: { memory: "1Gi" }, limits: { memory: "512Mi" } } }, code: "gateway.resource-request-over-limit", path: `${G}.resources.requests.memory` },
  { name: "a quantity that is not one", gateway: { image: IMAGE, resources: { limits: { cpu: "two" } } }, code: "gateway.resource-quantity", path: `${G}.resources.limits.cpu` },
  { name: "a privileged port for a non-root process", gateway: { image: IMAGE, port: 80 }, code: "gateway.port", path: `${G}.port` },
  { name: "a URL for an undeclared backend", gateway: { image: IMAGE, backendUrls: { "gitlab-backend": "http://x/mcp" } }, code: "gateway.backend-url-unknown", path: `${G}.backendUrls.gitlab-backend` },
  { name: "a backend URL that is not http(s)", gateway: { image: IMAGE, backendUrls: { "github-backend": "ftp://x/mcp" } }, code: "gateway.backend-url-invalid", path: `${G}.backendUrls.github-backend` },
  { name: "an endpoint with a path", gateway: { image: IMAGE, authServer: "none", endpoint: "https://gw.example.com/mcp" }, code: "gateway.endpoint", path: `${G}.endpoint` },
  { name: "sign-in at an endpoint Okta has no redirect URI for", gateway: { image: IMAGE, endpoint: "https://gw.example.com" }, code: "gateway.redirect-mismatch", path: `${G}.endpoint` },
  { name: "an unknown key", gateway: { image: IMAGE, replica: 2 }, code: "gateway.unknown-key", path: `${G}.replica` },
];

for (const r of refusals) {
  test(`gateway config refuses ${r.name} (${r.code})`, () => {
    const problems = problemsOf(engineeringTeam({ gateway: r.gateway }, r.kubernetes ?? { namespace: "vmcp-engineering" }));
    assert.ok(
      problems.some((p) => p.code === r.code && p.path === r.path),
      `expected ${r.code} at ${r.path}, got: ${problems.map((p) => `${p.code} ${p.path}`).join("; ")}`,
    );
    for (const p of problems) assert.ok(p.fix, `${p.code} has a fix`);
  });
}

test("gateway config: an SSE backend needs an explicit URL; absent or disabled means no gateway; :latest only warns in development", () => {
  const team = engineeringTeam({ gateway: { image: IMAGE } });
  (team.backends as Obj)["kubernetes-backend"].transport = "sse";
  assert.ok(problemsOf(team).some((p) => p.code === "gateway.backend-sse" && p.path === `${G}.backendUrls.kubernetes-backend`));
  (team.gateway as Obj).backendUrls = { "kubernetes-backend": "http://yardstick.tools.svc:8080/mcp" };
  assert.equal(loadTeam(team, configView()).gateway?.backendUrls["kubernetes-backend"], "http://yardstick.tools.svc:8080/mcp");

  for (const image of ["node:20", "registry.example:5000/team/gw:1.2", `ghcr.io/acme/gw@sha256:${"a".repeat(64)}`]) assert.equal(loadTeam(engineeringTeam({ gateway: { image } }), configView()).gateway?.image, image);
  assert.equal(loadTeam(engineeringTeam(), configView()).gateway, undefined);
  assert.equal(loadTeam(engineeringTeam({ gateway: { enabled: false } }), configView()).gateway, undefined);
  const dev = loadTeam(engineeringTeam({ environment: "development", gateway: { image: "vmcp-okta-gateway:latest" } }), configView());
  assert.ok(dev.gateway);
  assert.ok(dev.warnings.some((w) => w.code === "gateway.image-latest"));
});

test("backend URLs follow the operator's MCPServer Service (mcp-<name>-proxy, port 8080, /mcp) and overrides win", () => {
  assert.equal(mcpServerServiceUrl("github-backend", "vmcp-engineering"), "http://mcp-github-backend-proxy.vmcp-engineering.svc.cluster.local:8080/mcp");
  const problems = new ProblemList();
  const urls = clusterBackendUrls(
    [
      { name: "a", transport: "stdio" },
      { name: "b", transport: "streamable-http" },
      { name: "c", transport: "sse" },
    ],
    "ns",
    { c: "http://c.example:9000/mcp" },
    problems,
    "p",
    "corp.internal",
  );
  assert.deepEqual(urls, { a: "http://mcp-a-proxy.ns.svc.corp.internal:8080/mcp", b: "http://mcp-b-proxy.ns.svc.corp.internal:8080/mcp", c: "http://c.example:9000/mcp" });
  assert.equal(problems.items.length, 0);

  // The container derives the same URLs from the shipped production stack (which declares no `local`).
  const eng = compileTeam(parse(fs.readFileSync(path.join(ROOT, "Pulumi.engineering.yaml"), "utf8")).config["vmcp-okta:team"]).spec;
  assert.deepEqual(productionBackends(eng, { source: "auto", overrides: {}, clusterDomain: "cluster.local" }), [
    { name: "github-backend", url: "http://mcp-github-backend-proxy.vmcp-engineering.svc.cluster.local:8080/mcp" },
    { name: "kubernetes-backend", url: "http://mcp-kubernetes-backend-proxy.vmcp-engineering.svc.cluster.local:8080/mcp" },
  ]);
  // The dev stack's local commands are ignored in the cluster, used on a laptop.
  const dev = compileTeam(parse(fs.readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8")).config["vmcp-okta:team"]).spec;
  assert.ok(productionBackends(dev, { source: "cluster", overrides: {}, clusterDomain: "cluster.local" }).every((l) => l.url?.includes(".svc.cluster.local:8080/mcp")));
  assert.ok(productionBackends(dev, { source: "auto", overrides: {}, clusterDomain: "cluster.local" }).every((l) => l.command));
  assert.throws(() => productionBackends(eng, { source: "local", overrides: {}, clusterDomain: "cluster.local" }), (e: unknown) => e instanceof ConfigError && e.problems.some((p) => p.code === "container.backend-no-local"));
});

test("Kubernetes quantities: parsed like the API server, so a request over its limit is caught", () => {
  assert.equal(parseQuantity("100m"), 0.1);
  assert.equal(parseQuantity("1"), 1);
  assert.equal(parseQuantity("512Mi"), 512 * 2 ** 20);
  assert.equal(parseQuantity("1G"), 1e9);
  assert.equal(parseQuantity("2e3"), 2000);
  assert.ok(parseQuantity("1Gi")! > parseQuantity("1G")!);
  for (const bad of ["", "two", "1 Gi", "1GB", "-1", " 1"]) assert.equal(parseQuantity(bad), undefined, bad);
});

test("the declared gateway: non-root, read-only root, limits, probes, the team's Secrets mounted, Service, PDB, HPA", async () => {
  const kubernetes = { ...REDIS, signingKeys: [{ generation: "2" }, { generation: "1", algorithm: "RS256" }], hmacSecrets: [{ generation: "2" }, { generation: "1" }] };
  const gateway = { image: IMAGE, autoscaling: { minReplicas: 2, maxReplicas: 6 }, disruptionBudget: { minAvailable: 1 } };
  const { harness, run } = await runStackFromConfig(engineeringTeam({ gateway }, kubernetes));
  const { outputs, team } = run();
  const oktaIssuer = await valueOf(team.oktaIssuer);
  const clientId = await valueOf(team.clientId);
  await quiesce(harness);
  assert.equal(outputs.gatewayServiceUrl, "http://engineering-tools-gateway.vmcp-engineering.svc.cluster.local:8080/mcp");

  const one = (type: string) => plain(harness.one(type)) as Obj;
  const d = one("kubernetes:apps/v1:Deployment");
  assert.equal(d.metadata.name, "engineering-tools-gateway");
  assert.equal(d.metadata.namespace, "vmcp-engineering");
  assert.equal(d.spec.replicas, undefined, "the autoscaler owns the replica count");
  const pod = d.spec.template.spec;
  assert.deepEqual(pod.securityContext, { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000, seccompProfile: { type: "RuntimeDefault" } });
  assert.equal(pod.automountServiceAccountToken, false);
  assert.ok(pod.terminationGracePeriodSeconds > 2 * 5, "grace covers the drain and the calls in flight");
  const [c] = pod.containers;
  assert.equal(c.image, IMAGE);
  assert.deepEqual(c.command, GATEWAY_COMMAND);
  assert.deepEqual(c.securityContext, { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, privileged: false, capabilities: { drop: ["ALL"] } });
  assert.deepEqual(c.resources, { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "1", memory: "512Mi" } });
  assert.equal(c.livenessProbe.httpGet.path, "/healthz");
  assert.equal(c.readinessProbe.httpGet.path, "/readyz");
  assert.equal(c.startupProbe.httpGet.path, "/healthz");
  assert.ok(c.volumeMounts.every((m: Obj) => m.readOnly || m.mountPath === "/tmp"), "only /tmp is writable");
  assert.ok(pod.volumes.some((v: Obj) => v.name === "tmp" && v.emptyDir), "a writable /tmp on a read-only root (tsx's cache)");

  // The embedded authorization server's key material: every generation from the Secret the Kubernetes
  // component declared, under the key it wrote, as key-<i>.pem / hmac-<i> with 0 the newest.
  const secrets = new Map(harness.ofType("kubernetes:core/v1:Secret").map((r) => plain(r) as Obj).map((s) => [s.metadata.name, s]));
  const sources = (volume: string) => pod.volumes.find((v: Obj) => v.name === volume).projected.sources.map((p: Obj) => p.secret);
  assert.deepEqual(sources("signing-keys"), [
    { name: "engineering-tools-signing-key-2", items: [{ key: "signing-key.pem", path: "key-0.pem" }] },
    { name: "engineering-tools-signing-key-1", items: [{ key: "signing-key.pem", path: "key-1.pem" }] },
  ]);
  assert.deepEqual(sources("hmac-secrets"), [
    { name: "engineering-tools-hmac-2", items: [{ key: "hmac", path: "hmac-0" }] },
    { name: "engineering-tools-hmac-1", items: [{ key: "hmac", path: "hmac-1" }] },
  ]);
  assert.deepEqual(sources("upstream-client-secret"), [{ name: "engineering-tools-idp-client-secret", items: [{ key: "client-secret", path: "client-secret" }] }]);
  for (const v of ["signing-keys", "hmac-secrets", "upstream-client-secret"]) {
    for (const src of sources(v)) {
      const declared = secrets.get(src.name);
      assert.ok(declared, `Secret ${src.name} is declared by the stack`);
      assert.ok(src.items[0].key in (declared.stringData ?? declared.data), `${src.name} holds ${src.items[0].key}`);
    }
  }
  const mountOf = (name: string) => c.volumeMounts.find((m: Obj) => m.name === name).mountPath;
  const env = Object.fromEntries(c.env.map((e: Obj) => [e.name, e.value ?? e.valueFrom]));
  assert.equal(env.VMCP_AUTH_KEYS_DIR, mountOf("signing-keys"));
  assert.equal(env.VMCP_AUTH_HMAC_DIR, mountOf("hmac-secrets"));
  assert.equal(env.VMCP_UPSTREAM_CLIENT_SECRET_FILE, `${mountOf("upstream-client-secret")}/client-secret`);
  assert.equal(env.VMCP_UPSTREAM_CLIENT_ID, clientId, "signs users in through the team's Okta app");
  assert.equal(env.VMCP_ISSUER, oktaIssuer, "the team's Okta authorization server upstream");
  assert.equal(env.VMCP_AUDIENCE, undefined, "its own tokens' audience is its resource URL");
  assert.equal(env.VMCP_RESOURCE_URL, "https://vmcp-engineering.example.com");
  assert.equal(env.VMCP_BACKEND_SOURCE, "cluster");
  assert.equal(env.VMCP_STACK_FILE, "/config/Pulumi.engineering.yaml");
  assert.deepEqual(env.THV_SESSION_REDIS_PASSWORD, { secretKeyRef: { name: "engineering-tools-redis-session", key: "password" } }, "the password by reference, never in the pod spec");
  assert.deepEqual(env.TOOLHIVE_AUTH_SERVER_REDIS_PASSWORD, { secretKeyRef: { name: "engineering-tools-redis-auth-server", key: "password" } });
  assert.ok(!JSON.stringify(d).includes("redis-test-password"));

  // The ConfigMap carries the team; compiled again (as the container does), it yields the same policies.
  const cm = one("kubernetes:core/v1:ConfigMap");
  const teamAgain = parse(cm.data["Pulumi.engineering.yaml"]).config["vmcp-okta:team"];
  const loaded = loadTeam(engineeringTeam({ gateway }, kubernetes), configView());
  assert.deepEqual(compileTeam(teamAgain).policies.map((p) => p.text), loaded.policies);
  assert.ok(!cm.data["Pulumi.engineering.yaml"].includes("alice@example.com"), "member logins stay in Okta, not in the cluster");
  assert.equal(cm.data["policies.cedar"], loaded.policies.join("\n\n") + "\n");
  assert.match(d.spec.template.metadata.annotations["vmcp-okta/config-sha256"], /^[0-9a-f]{64}$/, "a config change rolls the pods");
  assert.ok(pod.volumes.some((v: Obj) => v.configMap?.name === cm.metadata.name));

  const svc = one("kubernetes:core/v1:Service");
  assert.deepEqual(svc.spec.selector, d.spec.selector.matchLabels);
  assert.deepEqual(svc.spec.ports, [{ name: "http", port: 8080, targetPort: "http", protocol: "TCP" }]);
  const pdb = one("kubernetes:policy/v1:PodDisruptionBudget");
  assert.deepEqual(pdb.spec, { selector: { matchLabels: d.spec.selector.matchLabels }, minAvailable: 1 });
  const hpa = one("kubernetes:autoscaling/v2:HorizontalPodAutoscaler");
  assert.deepEqual(hpa.spec.scaleTargetRef, { apiVersion: "apps/v1", kind: "Deployment", name: "engineering-tools-gateway" });
  assert.equal(hpa.spec.minReplicas, 2);
  assert.equal(hpa.spec.maxReplicas, 6);
  assert.equal(hpa.spec.metrics[0].resource.name, "cpu");
  assert.ok(pod.topologySpreadConstraints, "pods spread over nodes");
});

test("one fixed replica, Okta's tokens directly at a second endpoint: no autoscaler, no key material, a budget that still allows evictions", async () => {
  const { harness, run } = await runStackFromConfig(engineeringTeam({ gateway: { image: IMAGE, authServer: "none", endpoint: "https://mcp-gateway.example.com" } }));
  run();
  await quiesce(harness);
  const pod = (plain(harness.one("kubernetes:apps/v1:Deployment")) as Obj).spec.template.spec;
  assert.deepEqual(pod.volumes.map((v: Obj) => v.name), ["config", "tmp"], "no keys or client secret where they are not used");
  const env = Object.fromEntries(pod.containers[0].env.map((e: Obj) => [e.name, e.value]));
  assert.equal(env.VMCP_RESOURCE_URL, "https://mcp-gateway.example.com");
  assert.equal(env.VMCP_AUDIENCE, "https://vmcp-engineering.example.com", "the Okta server's one audience");
  assert.equal(env.VMCP_UPSTREAM_CLIENT_ID, undefined);
  assert.equal(harness.ofType("kubernetes:autoscaling/v2:HorizontalPodAutoscaler").length, 0);
  assert.deepEqual((plain(harness.one("kubernetes:policy/v1:PodDisruptionBudget")) as Obj).spec.maxUnavailable, 1);
  const d = plain(harness.one("kubernetes:apps/v1:Deployment")) as Obj;
  assert.equal(d.spec.replicas, undefined);
  assert.deepEqual(d.spec.strategy.rollingUpdate, { maxUnavailable: 0, maxSurge: 1 });
});

test("the sales team (Redis, two replicas) can run the gateway at two fixed replicas", () => {
  const loaded = loadTeam({ ...salesTeam(), gateway: { image: IMAGE, replicas: 2 } }, configView());
  assert.equal(loaded.gateway?.replicas, 2);
});

test("the Deployment, Service and ConfigMap pass the Kubernetes API's OpenAPI schemas (strict: no unknown field)", () => {
  const schemas = new KubeSchemas();
  const variants = [
    loadTeam(engineeringTeam({ gateway: { image: IMAGE, autoscaling: { minReplicas: 2, maxReplicas: 4 }, imagePullSecrets: ["ghcr"] } }, REDIS), configView()),
    loadTeam(engineeringTeam({ gateway: { image: IMAGE, authServer: "none", endpoint: "https://gw.example.com", serviceType: "LoadBalancer" } }), configView()),
  ];
  for (const l of variants) {
    const o = gatewayObjects(l.compiled.spec, l.kubernetes, l.gateway!, l.policies, { issuer: "https://dev-123456.okta.com/oauth2/aus1", clientId: "0oa1" });
    for (const obj of [o.deployment, o.service, o.configMap]) assert.deepEqual(schemas.errors(obj as { apiVersion: string; kind: string }), [], `${obj.kind}`);
  }
  // Control: the check does see a misspelled or mistyped field.
  const o = gatewayObjects(variants[0].compiled.spec, variants[0].kubernetes, variants[0].gateway!, variants[0].policies, { issuer: "https://x", clientId: "c" });
  const bad = structuredClone(o.deployment) as Obj;
  bad.spec.template.spec.containers[0].securityContext.readOnlyRootFileSystem = true;
  bad.spec.replicas = "2";
  const errors = schemas.errors(bad as { apiVersion: string; kind: string });
  assert.ok(errors.some((e) => e.includes("readOnlyRootFileSystem")), errors.join("; "));
  assert.ok(errors.some((e) => e.startsWith("/spec/replicas")), errors.join("; "));
});

test("the container's backend and drain variables are parsed once, each problem naming its variable", () => {
  const base = { VMCP_ISSUER: "https://dev-123456.okta.com/oauth2/aus1", VMCP_STACK_FILE: "/config/Pulumi.engineering.yaml" };
  const ok = containerConfig({ ...base, VMCP_BACKEND_SOURCE: "cluster", VMCP_BACKEND_URLS: '{"github-backend":"http://gh:8080/mcp"}', VMCP_DRAIN_SECONDS: "2" });
  assert.deepEqual(ok.backends, { source: "cluster", overrides: { "github-backend": "http://gh:8080/mcp" }, clusterDomain: "cluster.local" });
  assert.equal(ok.drainMs, 2000);
  assert.equal(containerConfig(base).drainMs, 5000);
  try {
    containerConfig({ ...base, VMCP_BACKEND_SOURCE: "everywhere", VMCP_BACKEND_URLS: '["http://x"]', VMCP_CLUSTER_DOMAIN: "Cluster Local", VMCP_DRAIN_SECONDS: "-1" });
    assert.fail("expected a ConfigError");
  } catch (e) {
    assert.ok(e instanceof ConfigError);
    assert.deepEqual(
      e.problems.map((p) => `${p.code} ${p.path}`).sort(),
      ["container.backend-source VMCP_BACKEND_SOURCE", "container.backend-urls VMCP_BACKEND_URLS", "container.cluster-domain VMCP_CLUSTER_DOMAIN", "container.drain-seconds VMCP_DRAIN_SECONDS"],
    );
  }
});
