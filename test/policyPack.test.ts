/**
 * The CrossGuard policy pack (policy-pack/): each policy's validator called with arguments shaped as
 * the engine passes them (props behind @pulumi/policy's own unknown-checking proxy, engine URNs,
 * stack tags, policy config, resolved dependencies), one passing and one failing resource per policy.
 * The passing resources are what the engineering stack declares (the core's own builders); then the
 * regex-all claim filter once more through the analyzer's RPC handler, as `pulumi preview` calls it.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import type { PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { loadStackFile } from "../components/stackConfig";
import { loadTeam, stackFileConfigView } from "../components/loadStack";
import { toolhiveObjects, type KubeObject } from "../components/kubernetes/objects";
import type { KubernetesSpec } from "../components/kubernetes/config";
import {
  TYPES,
  ENVIRONMENT_TAG,
  policies,
  noRegexAllClaimFilter,
  noDevOnlyFlags,
  noOrgAuthorizationServer,
  persistentKeys,
  oneAppPerVirtualMcpServer,
  grantedGroupsAssigned,
  grantedGroups,
} from "../policy-pack/policies";

/* eslint-disable @typescript-eslint/no-require-imports */
// The engine-side pieces of @pulumi/policy (not in its typings): the proxy that throws on values
// unknown during preview, its sentinel for an unknown string, and the analyzer's RPC handlers.
const proxy = require("@pulumi/policy/proxy") as { unknownCheckingProxy<T>(o: T): T; unknownStringValue: string };
const server = require("@pulumi/policy/server") as {
  makeAnalyzeRpcFun(name: string, version: string, level: string, policies: unknown[]): (call: { request: unknown }, cb: (err: unknown, resp: any) => void) => Promise<void>;
};
const analyzerpb = require("@pulumi/pulumi/proto/analyzer_pb");
const { Struct } = require("google-protobuf/google/protobuf/struct_pb");
/* eslint-enable @typescript-eslint/no-require-imports */

const ROOT = path.resolve(__dirname, "..");
const UNKNOWN = proxy.unknownStringValue;
const PROJECT = "vmcp-okta";
type Obj = Record<string, any>;

const urn = (stack: string, type: string, name: string) => `urn:pulumi:${stack}::${PROJECT}::vmcp-okta:index:VmcpTeam$${type}::${name}`;

/** What the engineering stack declares, from the core's builders; Okta's values unknown, as in a first preview. */
function engineering(edit: (k8s: KubernetesSpec) => void = () => {}): { objects: KubeObject[]; okta: ReturnType<typeof loadTeam>["okta"]; groups: { name: string }[] } {
  const file = loadStackFile("engineering", ROOT);
  const loaded = loadTeam(file.team, stackFileConfigView(file.config));
  const k8s: KubernetesSpec = { ...loaded.kubernetes, signingKeys: [...loaded.kubernetes.signingKeys], hmacSecrets: [...loaded.kubernetes.hmacSecrets] };
  edit(k8s);
  const objects = toolhiveObjects(loaded.compiled.spec, k8s, loaded.policies, { oktaIssuer: UNKNOWN, clientId: UNKNOWN, redirectUri: loaded.okta.app.redirectUri, scopes: loaded.okta.scopes });
  return { objects, okta: loaded.okta, groups: loaded.compiled.spec.groups };
}

const k8sProps = (o: KubeObject): Obj => ({ apiVersion: o.apiVersion, kind: o.kind, metadata: o.metadata, spec: o.spec });
const find = (objects: KubeObject[], kind: string) => objects.find((o) => o.kind === kind)!;

interface Call {
  type: string;
  props: Obj;
  stack?: string;
  tags?: Record<string, string>;
  config?: Obj;
}

/** Runs a resource policy as the analyzer does; returns the violations reported. */
async function validate(policy: ResourceValidationPolicy, c: Call): Promise<string[]> {
  const violations: string[] = [];
  const stack = c.stack ?? "engineering";
  const name = `r-${c.type.split(":").pop()}`;
  const args = {
    type: c.type,
    props: proxy.unknownCheckingProxy(structuredClone(c.props)),
    urn: urn(stack, c.type, name),
    name,
    opts: { protect: false, ignoreChanges: [], aliases: [], customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 }, additionalSecretOutputs: [] },
    stackTags: new Map(Object.entries(c.tags ?? {})),
    isType: () => false,
    asType: () => undefined,
    getConfig: () => c.config ?? {},
    notApplicable: () => {
      throw new Error("not applicable");
    },
  };
  const fns = Array.isArray(policy.validateResource) ? policy.validateResource : [policy.validateResource!];
  for (const fn of fns) await fn(args as never, (m: string) => void violations.push(m));
  return violations;
}

interface StackResource {
  type: string;
  name: string;
  props: Obj;
  /** Property name → names of the resources it depends on. */
  deps?: Record<string, string[]>;
}

/** Runs a stack policy as the analyzer does: resources with resolved dependencies. */
async function validateStack(policy: StackValidationPolicy, list: StackResource[], stack = "engineering"): Promise<{ message: string; urn?: string }[]> {
  const resources: PolicyResource[] = list.map((r) => ({
    type: r.type,
    name: r.name,
    urn: urn(stack, r.type, r.name),
    props: proxy.unknownCheckingProxy(structuredClone(r.props)),
    opts: { protect: false, ignoreChanges: [], aliases: [], customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 }, additionalSecretOutputs: [] },
    dependencies: [],
    propertyDependencies: {},
    isType: () => false,
    asType: () => undefined,
  }));
  const byName = new Map(resources.map((r) => [r.name, r]));
  list.forEach((r, i) => {
    for (const [prop, names] of Object.entries(r.deps ?? {})) {
      resources[i].propertyDependencies[prop] = names.map((n) => byName.get(n)!);
      resources[i].dependencies.push(...names.map((n) => byName.get(n)!));
    }
  });
  const out: { message: string; urn?: string }[] = [];
  await policy.validateStack({ resources, stackTags: new Map(), getConfig: () => ({}) } as never, (message: string, u?: string) => void out.push({ message, urn: u }));
  return out;
}

const claim = (filter: { type: string; value: string }) => ({
  authServerId: UNKNOWN,
  name: "groups",
  claimType: "RESOURCE",
  valueType: "GROUPS",
  groupFilterType: filter.type,
  value: filter.value,
  alwaysIncludeInToken: true,
  status: "ACTIVE",
});

test("policy names are unique and every policy blocks by default", () => {
  assert.equal(new Set(policies.map((p) => p.name)).size, policies.length);
  for (const p of policies) assert.equal(p.enforcementLevel, "mandatory", p.name);
});

test("no regex-all claim filter in production", async () => {
  const { okta } = engineering();
  assert.deepEqual(await validate(noRegexAllClaimFilter, { type: TYPES.serverClaim, props: claim(okta.claim.filter) }), [], "the stack's Starts with mcp- passes");
  const regexAll = { type: TYPES.serverClaim, props: claim({ type: "REGEX", value: ".*" }) };
  const [v] = await validate(noRegexAllClaimFilter, regexAll);
  assert.match(v, /Matches regex "\.\*"/);
  assert.equal((await validate(noRegexAllClaimFilter, { ...regexAll, props: claim({ type: "REGEX", value: "(mcp-|Every).*" }) })).length, 1, "a regex that lets Everyone in");
  assert.deepEqual(await validate(noRegexAllClaimFilter, { ...regexAll, props: claim({ type: "REGEX", value: "mcp-.*" }) }), [], "a regex limited to the team's groups");
  // Development: by stack tag, or by the policy's config.
  assert.deepEqual(await validate(noRegexAllClaimFilter, { ...regexAll, tags: { [ENVIRONMENT_TAG]: "development" } }), []);
  assert.deepEqual(await validate(noRegexAllClaimFilter, { ...regexAll, stack: "dev", config: { developmentStacks: ["dev"] } }), []);
  assert.equal((await validate(noRegexAllClaimFilter, { ...regexAll, stack: "engineering", config: { developmentStacks: ["dev"] } })).length, 1);
});

test("no dev-only flags in production", async () => {
  const ok = engineering();
  for (const kind of ["MCPOIDCConfig", "VirtualMCPServer"]) {
    assert.deepEqual(await validate(noDevOnlyFlags, { type: `kubernetes:toolhive.stacklok.dev/v1beta1:${kind}`, props: k8sProps(find(ok.objects, kind)) }), [], kind);
  }
  // The core's builders emit the flags exactly where vMCP reads them.
  const bad = engineering((k) => ((k.insecureAllowHTTP = true), (k.jwksAllowPrivateIP = true)));
  const oidc = await validate(noDevOnlyFlags, { type: TYPES.mcpOidcConfig, props: k8sProps(find(bad.objects, "MCPOIDCConfig")) });
  assert.deepEqual(oidc.map((m) => m.split(" ")[0]), ["spec.inline.insecureAllowHTTP", "spec.inline.jwksAllowPrivateIP"]);
  const vmcp = await validate(noDevOnlyFlags, { type: TYPES.virtualMcpServer, props: k8sProps(find(bad.objects, "VirtualMCPServer")) });
  assert.deepEqual(vmcp.map((m) => m.split(" ")[0]), ["spec.authServerConfig.insecureAllowHTTP"]);
  assert.deepEqual(await validate(noDevOnlyFlags, { type: TYPES.mcpOidcConfig, props: k8sProps(find(bad.objects, "MCPOIDCConfig")), tags: { [ENVIRONMENT_TAG]: "development" } }), []);
});

test("never the Org authorization server", async () => {
  const policy = { name: "vmcp-engineering", priority: 1, status: "ACTIVE", clientWhitelists: ["ALL_CLIENTS"] };
  assert.deepEqual(await validate(noOrgAuthorizationServer, { type: TYPES.serverPolicy, props: { ...policy, authServerId: UNKNOWN } }), [], "a server the stack creates (id unknown in preview)");
  assert.deepEqual(await validate(noOrgAuthorizationServer, { type: TYPES.serverPolicy, props: { ...policy, authServerId: "default" } }), [], "the pre-built custom server");
  const [v] = await validate(noOrgAuthorizationServer, { type: TYPES.serverPolicy, props: { ...policy, authServerId: "org" } });
  assert.match(v, /Org authorization server/);
  const vmcp = k8sProps(find(engineering().objects, "VirtualMCPServer"));
  assert.deepEqual(await validate(noOrgAuthorizationServer, { type: TYPES.virtualMcpServer, props: vmcp }), []);
  const orgIssuer = structuredClone(vmcp);
  orgIssuer.spec.authServerConfig.upstreamProviders[0].oidcConfig.issuerUrl = "https://dev-123456.okta.com";
  assert.match((await validate(noOrgAuthorizationServer, { type: TYPES.virtualMcpServer, props: orgIssuer }))[0], /upstreamProviders\[0\]\.oidcConfig\.issuerUrl/);
  const custom = structuredClone(vmcp);
  custom.spec.authServerConfig.upstreamProviders[0].oidcConfig.issuerUrl = "https://dev-123456.okta.com/oauth2/aus1a2b3c";
  assert.deepEqual(await validate(noOrgAuthorizationServer, { type: TYPES.virtualMcpServer, props: custom }), []);
});

test("persistent vMCP keys", async () => {
  assert.deepEqual(await validate(persistentKeys, { type: TYPES.virtualMcpServer, props: k8sProps(find(engineering().objects, "VirtualMCPServer")) }), []);
  const ephemeral = engineering((k) => ((k.signingKeys = []), (k.hmacSecrets = [])));
  const v = await validate(persistentKeys, { type: TYPES.virtualMcpServer, props: k8sProps(find(ephemeral.objects, "VirtualMCPServer")) });
  assert.equal(v.length, 2);
  assert.match(v[0], /signingKeySecretRefs: without persistent signing keys/);
  assert.match(v[1], /hmacSecretRefs: without persistent HMAC secrets/);
});

/** The Okta and Kubernetes resources of one team, linked as the stack links them. */
function teamResources(prefix: string, opts: { omitAssignment?: string; appName?: string } = {}): StackResource[] {
  const { objects, okta, groups } = engineering();
  const vmcp = structuredClone(k8sProps(find(objects, "VirtualMCPServer")));
  vmcp.metadata.name = `${prefix}-tools`;
  const app = opts.appName ?? `${prefix}-okta-app`;
  const out: StackResource[] = [
    { type: TYPES.app, name: `${prefix}-okta-app`, props: { label: okta.app.label, type: "web", redirectUris: [okta.app.redirectUri], clientId: UNKNOWN } },
    ...groups.map((g) => ({ type: TYPES.group, name: `${prefix}-okta-group-${g.name}`, props: { name: g.name, description: "" } })),
    ...groups
      .filter((g) => g.name !== opts.omitAssignment)
      .map((g) => ({ type: TYPES.groupAssignment, name: `${prefix}-okta-assign-${g.name}`, props: { appId: UNKNOWN, groupId: UNKNOWN }, deps: { appId: [app], groupId: [`${prefix}-okta-group-${g.name}`] } })),
    { type: TYPES.virtualMcpServer, name: `${prefix}-virtualmcpserver`, props: vmcp, deps: { spec: [app] } },
  ];
  return out;
}

test("one Okta app per VirtualMCPServer (stack policy)", async () => {
  assert.deepEqual(await validateStack(oneAppPerVirtualMcpServer, teamResources("engineering")), []);
  // A second vMCP that reuses the first one's app (same redirect URI and client id dependency).
  const second = teamResources("engineering", { appName: "engineering-okta-app" }).filter((r) => r.type === TYPES.virtualMcpServer);
  second[0].name = "other-virtualmcpserver";
  const shared = await validateStack(oneAppPerVirtualMcpServer, [...teamResources("engineering"), ...second]);
  assert.equal(shared.length, 1);
  assert.match(shared[0].message, /shared by the VirtualMCPServers engineering-virtualmcpserver, other-virtualmcpserver/);
  // A vMCP without an app of its own in the stack.
  const noApp = teamResources("engineering")
    .filter((r) => r.type !== TYPES.app)
    .map((r) => ({ ...r, deps: Object.fromEntries(Object.entries(r.deps ?? {}).filter(([prop]) => prop === "groupId")) }));
  const [v] = await validateStack(oneAppPerVirtualMcpServer, noApp);
  assert.match(v.message, /VirtualMCPServer engineering-virtualmcpserver uses 0 Okta apps/);
});

test("every granted group is assigned to the app (stack policy)", async () => {
  const ok = teamResources("engineering");
  assert.deepEqual(grantedGroups(ok.find((r) => r.type === TYPES.virtualMcpServer)!.props), ["mcp-developers", "mcp-platform", "mcp-admin"]);
  assert.deepEqual(await validateStack(grantedGroupsAssigned, ok), []);
  const missing = await validateStack(grantedGroupsAssigned, teamResources("engineering", { omitAssignment: "mcp-platform" }));
  assert.equal(missing.length, 1);
  assert.match(missing[0].message, /group mcp-platform is granted .* not assigned to its Okta app engineering-okta-app/);
  assert.equal(missing[0].urn, urn("engineering", TYPES.group, "engineering-okta-group-mcp-platform"));
  const undeclared = await validateStack(grantedGroupsAssigned, ok.filter((r) => !(r.type === TYPES.group && r.props.name === "mcp-admin")));
  assert.match(undeclared[0].message, /grants group mcp-admin, but the stack declares no Okta group/);
});

/** The analyzer's `analyze` RPC, as `pulumi preview --policy-pack` calls it for one resource. */
async function analyzeRpc(type: string, props: Obj, stack = "engineering"): Promise<{ policy: string; level: number; message: string }[]> {
  const req = new analyzerpb.AnalyzeRequest();
  req.setType(type);
  req.setName("engineering-okta-groups-claim");
  req.setUrn(urn(stack, type, "engineering-okta-groups-claim"));
  req.setProperties(Struct.fromJavaScript(props));
  req.setOptions(new analyzerpb.AnalyzerResourceOptions());
  const handler = server.makeAnalyzeRpcFun("vmcp-okta", "0.1.0", "mandatory", policies);
  const resp = await new Promise<any>((resolve, reject) => void handler({ request: req }, (err, r) => (err ? reject(err) : resolve(r))));
  return resp.getDiagnosticsList().map((d: any) => ({ policy: d.getPolicyname(), level: d.getEnforcementlevel(), message: d.getMessage() }));
}

test("through the analyzer RPC: a production regex-all claim filter is a mandatory violation (preview fails)", async () => {
  const diags = await analyzeRpc(TYPES.serverClaim, claim({ type: "REGEX", value: ".*" }));
  assert.deepEqual(diags.map((d) => [d.policy, d.level]), [["vmcp-no-regex-all-claim-filter", analyzerpb.EnforcementLevel.MANDATORY]]);
  // The authServerId is unknown in this preview; no policy is reduced to "can't run during preview".
  assert.deepEqual(await analyzeRpc(TYPES.serverClaim, claim({ type: "STARTS_WITH", value: "mcp-" })), []);
});

test("a team that declares itself development gets a regex claim filter past check, not past the pack", async () => {
  const file = loadStackFile("engineering", ROOT);
  const team = structuredClone(file.team) as Obj;
  team.environment = "development";
  team.okta = { ...(team.okta ?? {}), claimFilter: "regexAll" };
  const loaded = loadTeam(team, stackFileConfigView(file.config)); // accepted, with a warning
  assert.ok(loaded.warnings.some((w) => w.code === "okta.claim-filter.regex-dev"));
  assert.deepEqual(loaded.okta.claim.filter, { type: "REGEX", value: ".*" });
  const diags = await analyzeRpc(TYPES.serverClaim, claim(loaded.okta.claim.filter));
  assert.deepEqual(diags.map((d) => [d.policy, d.level]), [["vmcp-no-regex-all-claim-filter", analyzerpb.EnforcementLevel.MANDATORY]]);
});
