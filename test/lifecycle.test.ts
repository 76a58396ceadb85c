/**
 * Day 2, as plans: each scenario is the previous run's state plus one config change, run through the
 * stack program under the mock engine (test/helpers/pulumiMocks.ts matches resources by URN and
 * alias, honours ignoreChanges and classifies steps as the engine does). Asserted: which resources
 * are kept, updated, replaced, created or deleted, and with which options.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ConfigError } from "../components/errors";
import { loadTeam } from "../components/loadStack";
import { sharedPolicyPriority } from "../components/okta/config";
import { MockHarness, valueOf, type PlanStep, type StateEntry } from "./helpers/pulumiMocks";
import { changes, runLifecycle, step, type LifecycleRun } from "./lifecycle.fixture";
import { configView, engineeringTeam, salesTeam, SECRET_CONFIG } from "./k8s.fixture";
import type { FakeOrg } from "./okta.fixture";

const VMCP = "k8s.VirtualMCPServer";
const VMCP_NAME = "engineering-k8s-virtualmcpserver-engineering-tools";

/** engineeringTeam() with its groups and grants replaced. */
function withGroups(groups: Record<string, unknown>, grants: Record<string, unknown>, over: Record<string, unknown> = {}): Record<string, unknown> {
  return engineeringTeam({ groups, grants, ...over });
}

const GROUPS = {
  developers: { description: "Engineers who use the MCP tools day to day", members: ["alice@example.com"] },
  platform: { description: "Platform engineers, including destructive cluster tools", members: ["bob@example.com"] },
  admin: { description: "Escape hatch with full access", members: ["carol@example.com"] },
};
const GRANTS = { developers: { allow: "*", deny: ["kubernetes-backend/delete_namespace"] }, platform: { allow: "*" }, admin: { allow: "*" } };

/** The group rename's config: `developers` is now `devs`. */
const RENAMED = {
  groups: { devs: GROUPS.developers, platform: GROUPS.platform, admin: GROUPS.admin },
  grants: { devs: GRANTS.developers, platform: GRANTS.platform, admin: GRANTS.admin },
};

function idOf(run: LifecycleRun, type: string, name: string): string {
  const s = step(run.plan, type, name);
  return run.state.get(s.urn)!.id;
}

function noErrors(run: LifecycleRun): void {
  assert.deepEqual(run.errors, [], "the program raised no error");
}

let first: LifecycleRun;
let renamedGroup: LifecycleRun;
let addedRemoved: LifecycleRun;
let prefixed: LifecycleRun;
let rotated: LifecycleRun;

test("first up: everything is created, with the options that protect a team's objects", async () => {
  first = await runLifecycle(engineeringTeam());
  noErrors(first);
  assert.ok(first.plan.every((s) => s.op === "create" || s.op === "read"), "a fresh stack only creates (and reads the CRDs)");
  const key = step(first.plan, "tls.Key", "engineering-k8s-signing-key-1");
  assert.equal(key.options.protect, true, "production key material is protected");
  assert.deepEqual(key.options.ignoreChanges, ["algorithm", "rsaBits", "ecdsaCurve"]);
  const hmac = step(first.plan, "random.Bytes", "engineering-k8s-hmac-1");
  assert.equal(hmac.options.protect, true);
  assert.deepEqual(hmac.options.ignoreChanges, ["length"]);
  assert.equal(step(first.plan, "k8s.Namespace", "engineering-k8s-namespace").options.retainOnDelete, true, "the namespace is never deleted by the stack");
  for (const g of ["developers", "platform", "admin"]) {
    assert.equal(step(first.plan, "okta.Group", `engineering-okta-group-${g}`).options.retainOnDelete, true, `group ${g} is retained (production)`);
    assert.equal(step(first.plan, "okta.Members", `engineering-okta-members-${g}`).options.retainOnDelete, true, `members of ${g} are retained`);
  }
  // The CRD preflight: one read per kind the stack declares, named after the chart that provides it.
  assert.deepEqual(
    first.plan.filter((s) => s.op === "read").map((s) => s.name).sort(),
    ["mcpgroups", "mcpoidcconfigs", "mcpservers", "virtualmcpservers"].map((p) => `engineering-k8s-needs-toolhive-operator-crds-0.44.0-${p}`),
  );
  // `up` waits for the operator's verdict.
  const vmcp = first.state.get(step(first.plan, VMCP, VMCP_NAME).urn)!;
  assert.deepEqual((vmcp.inputs.metadata as { annotations: Record<string, string> }).annotations, { "pulumi.com/waitFor": "condition=Ready" });
  // A second run on that state changes nothing.
  const again = await runLifecycle(engineeringTeam(), { prior: first.state });
  noErrors(again);
  assert.deepEqual(changes(again.plan), []);
});

test("rename a group: with renames.groups the Okta group is kept and renamed in place", async () => {
  renamedGroup = await runLifecycle(withGroups(RENAMED.groups, RENAMED.grants), { prior: first.state, renames: { groups: { devs: "developers" } } });
  noErrors(renamedGroup);
  assert.deepEqual(changes(renamedGroup.plan), [`update ${VMCP} ${VMCP_NAME}`, "update okta.Group engineering-okta-group-devs"]);
  const group = step(renamedGroup.plan, "okta.Group", "engineering-okta-group-devs");
  assert.deepEqual(group.changed, ["name"]);
  assert.match(group.aliasedFrom!, /::engineering-okta-group-developers$/);
  assert.equal(idOf(renamedGroup, "okta.Group", "engineering-okta-group-devs"), idOf(first, "okta.Group", "engineering-okta-group-developers"), "same Okta group id");
  for (const kind of ["okta.Members", "okta.Assign"]) {
    const s = step(renamedGroup.plan, kind, `engineering-okta-${kind === "okta.Members" ? "members" : "assign"}-devs`);
    assert.equal(s.op, "same", `${kind} kept`);
    assert.ok(s.aliasedFrom, `${kind} matched through its alias`);
  }
  // Without the renames entry the same edit would drop the group: retained in Okta, but a new one made.
  const unsaid = await runLifecycle(withGroups(RENAMED.groups, RENAMED.grants), { prior: first.state });
  assert.ok(changes(unsaid.plan).includes("create okta.Group engineering-okta-group-devs"));
  assert.ok(changes(unsaid.plan).includes("delete okta.Group engineering-okta-group-developers (retained)"));
  assert.ok(changes(unsaid.plan).includes("delete okta.Members engineering-okta-members-developers (retained)"), "members are not removed from the old group");
});

test("rename the team: every Okta object, the namespace and all key material kept; Kubernetes objects named after the team get new names, created before the old ones go", async () => {
  const team = withGroups(RENAMED.groups, RENAMED.grants, { team: "platform" });
  const run = await runLifecycle(team, { prior: renamedGroup.state, renames: { team: ["engineering"], groups: { devs: "developers" } } });
  noErrors(run);
  const okta = run.plan.filter((s) => s.type.startsWith("okta:"));
  assert.ok(okta.every((s) => s.op === "same" || s.op === "update"), `Okta: only updates, got ${changes(okta).join(", ")}`);
  assert.deepEqual(step(run.plan, "okta.Server", "platform-okta-auth-server").changed, ["description", "name"]);
  assert.deepEqual(step(run.plan, "okta.App", "platform-okta-app").changed, ["label"]);
  assert.equal(idOf(run, "okta.App", "platform-okta-app"), idOf(renamedGroup, "okta.App", "engineering-okta-app"), "same Okta app (client id and secret stay)");
  for (const [type, name] of [["tls.Key", "platform-k8s-signing-key-1"], ["random.Bytes", "platform-k8s-hmac-1"]]) {
    const s = step(run.plan, type, name);
    assert.equal(s.op, "same", `${type} kept: tokens stay valid`);
    assert.ok(s.aliasedFrom);
  }
  assert.equal(step(run.plan, "k8s.Namespace", "platform-k8s-namespace").op, "update", "the namespace stays (labels change)");
  // Secrets named <team>-tools-…: replaced (same Pulumi resource, new name, same key material).
  const replaced = run.plan.filter((s) => s.op === "replace");
  assert.deepEqual(replaced.map((s) => s.name).sort(), ["platform-k8s-hmac-1", "platform-k8s-idp-client-secret", "platform-k8s-signing-key-1"]);
  assert.ok(replaced.every((s) => s.changed.includes("metadata.name") && s.options.deleteBeforeReplace !== true && !s.blocked), "replacements create first, then delete");
  // The three custom resources named <team>-tools: new objects; the engine deletes the old ones last.
  const kinds = (op: string) => run.plan.filter((s) => s.op === op).map((s) => s.type.split(":").pop()).sort();
  assert.deepEqual(kinds("create"), ["MCPGroup", "MCPOIDCConfig", "VirtualMCPServer"]);
  assert.deepEqual(kinds("delete"), ["MCPGroup", "MCPOIDCConfig", "VirtualMCPServer"]);
  // The rename has to keep the namespace explicitly.
  assert.throws(
    () => loadTeam(withGroups(GROUPS, GRANTS, { team: "platform", kubernetes: {} }), configView(), undefined, { renames: { team: ["engineering"] } }),
    (e: unknown) => e instanceof ConfigError && e.problems.some((p) => p.code === "renames.namespace" && /vmcp-engineering/.test(p.fix ?? "")),
  );
});

test("add and remove a group: the new one is created; the removed one stays in Okta with its members", async () => {
  const groups = { ...RENAMED.groups, oncall: { description: "On-call engineers", members: ["dave@example.com"] } } as Record<string, unknown>;
  const grants = { ...RENAMED.grants, oncall: { allow: ["kubernetes-backend/get_pods"] } } as Record<string, unknown>;
  delete groups.admin;
  delete grants.admin;
  addedRemoved = await runLifecycle(withGroups(groups, grants), { prior: renamedGroup.state, renames: { groups: { devs: "developers" } } });
  noErrors(addedRemoved);
  assert.deepEqual(changes(addedRemoved.plan), [
    "create okta.Assign engineering-okta-assign-oncall",
    "create okta.Group engineering-okta-group-oncall",
    "create okta.Members engineering-okta-members-oncall",
    "delete okta.Assign engineering-okta-assign-admin",
    "delete okta.Group engineering-okta-group-admin (retained)",
    "delete okta.Members engineering-okta-members-admin (retained)",
    `update ${VMCP} ${VMCP_NAME}`,
  ]);
});

test("change the prefix: groups and the claim filter are updated in place, nothing is replaced", async () => {
  const groups = { ...RENAMED.groups, oncall: { description: "On-call engineers", members: ["dave@example.com"] } } as Record<string, unknown>;
  const grants = { ...RENAMED.grants, oncall: { allow: ["kubernetes-backend/get_pods"] } } as Record<string, unknown>;
  delete groups.admin;
  delete grants.admin;
  prefixed = await runLifecycle(withGroups(groups, grants, { groupPrefix: "eng-mcp-" }), { prior: addedRemoved.state, renames: { groups: { devs: "developers" } } });
  noErrors(prefixed);
  assert.deepEqual(changes(prefixed.plan), [
    `update ${VMCP} ${VMCP_NAME}`,
    "update okta.Claim engineering-okta-groups-claim",
    "update okta.Group engineering-okta-group-devs",
    "update okta.Group engineering-okta-group-oncall",
    "update okta.Group engineering-okta-group-platform",
  ]);
  assert.deepEqual(step(prefixed.plan, "okta.Claim", "engineering-okta-groups-claim").changed, ["value"]);
});

/** The config after the prefix change, with a kubernetes section. */
function afterPrefix(kubernetes: Record<string, unknown>): Record<string, unknown> {
  const groups = { ...RENAMED.groups, oncall: { description: "On-call engineers", members: ["dave@example.com"] } } as Record<string, unknown>;
  const grants = { ...RENAMED.grants, oncall: { allow: ["kubernetes-backend/get_pods"] } } as Record<string, unknown>;
  delete groups.admin;
  delete grants.admin;
  return withGroups(groups, grants, { groupPrefix: "eng-mcp-", kubernetes: { namespace: "vmcp-engineering", ...kubernetes } });
}
const KEEP = { renames: { groups: { devs: "developers" } } };

test("add a key generation: one key and one Secret are created, the old generation keeps verifying", async () => {
  const kidsBefore = await valueOf(prefixed.outputs!.signingKeyIds);
  rotated = await runLifecycle(afterPrefix({ signingKeys: [{ generation: "2" }, { generation: "1" }] }), { prior: prefixed.state, ...KEEP });
  noErrors(rotated);
  assert.deepEqual(changes(rotated.plan), ["create k8s.Secret engineering-k8s-signing-key-2", "create tls.Key engineering-k8s-signing-key-2", `update ${VMCP} ${VMCP_NAME}`]);
  assert.deepEqual(step(rotated.plan, VMCP, VMCP_NAME).changed.filter((p) => p.includes("signingKey")), ["spec.authServerConfig.signingKeySecretRefs"]);
  const kids = await valueOf(rotated.outputs!.signingKeyIds);
  assert.equal(kids["1"], kidsBefore["1"], "generation 1 is the same key");
  assert.notEqual(kids["2"], kids["1"]);
  const jwks = await valueOf(rotated.outputs!.jwks);
  assert.deepEqual(jwks.keys.map((k) => k.kid), [kids["2"], kids["1"]], "the new generation signs; the old one still verifies");
});

test("change an existing generation's algorithm or size: refused with the fix, and the key is not replaced", async () => {
  const run = await runLifecycle(afterPrefix({ signingKeys: [{ generation: "2" }, { generation: "1", algorithm: "RS256" }] }), { prior: rotated.state, ...KEEP });
  const text = run.errors.join("\n");
  assert.match(text, /\[kubernetes\.signing-key-changed\] vmcp-okta:team\.kubernetes\.signingKeys\[1\]: signing key generation 1 already exists and it is an ES256 \(P-256\) key, not RS256/);
  assert.match(text, /fix: put the old algorithm back on generation 1, and add a new generation first in the list \(e\.g\. \{generation: "3", algorithm: RS256\}\)/);
  assert.equal(step(run.plan, "tls.Key", "engineering-k8s-signing-key-1").op, "same", "ignoreChanges: the key is never replaced");
  assert.ok(!run.plan.some((s) => s.op === "replace" || s.op === "delete"), changes(run.plan).join("\n"));
  const hmac = await runLifecycle(afterPrefix({ signingKeys: [{ generation: "2" }, { generation: "1" }], hmacSecrets: [{ generation: "1", bytes: 64 }] }), { prior: rotated.state, ...KEEP });
  assert.match(hmac.errors.join("\n"), /\[kubernetes\.hmac-changed\] vmcp-okta:team\.kubernetes\.hmacSecrets\[0\]\.bytes: HMAC generation 1 already exists with 32 bytes, not 64/);
  assert.equal(step(hmac.plan, "random.Bytes", "engineering-k8s-hmac-1").op, "same");
});

test("retire the old generation: protected in production until it is deliberately unprotected", async () => {
  const config = afterPrefix({ signingKeys: [{ generation: "2" }] });
  const run = await runLifecycle(config, { prior: rotated.state, ...KEEP });
  noErrors(run);
  assert.ok(changes(run.plan).includes("delete tls.Key engineering-k8s-signing-key-1 (blocked: protected)"), changes(run.plan).join("\n"));
  assert.equal(step(run.plan, "tls.Key", "engineering-k8s-signing-key-2").op, "same");
  assert.ok(run.state.has(step(rotated.plan, "tls.Key", "engineering-k8s-signing-key-1").urn), "the refused delete leaves the key in state");
  // After `pulumi state unprotect <urn>` the same edit deletes it.
  const unprotected = new Map(rotated.state);
  const urn = step(rotated.plan, "tls.Key", "engineering-k8s-signing-key-1").urn;
  unprotected.set(urn, { ...unprotected.get(urn)!, options: { ...unprotected.get(urn)!.options, protect: false } });
  const after = await runLifecycle(config, { prior: unprotected, ...KEEP });
  assert.deepEqual(changes(after.plan), ["delete k8s.Secret engineering-k8s-signing-key-1", "delete tls.Key engineering-k8s-signing-key-1", `update ${VMCP} ${VMCP_NAME}`]);
});

test("change a backend secret: the Secret is updated in place, never deleted and re-created", async () => {
  const config = afterPrefix({ signingKeys: [{ generation: "2" }, { generation: "1" }] });
  const secrets = { ...SECRET_CONFIG, "vmcp-okta:githubPat": "ghp_rotated_value" };
  const run = await runLifecycle(config, { prior: rotated.state, secrets, ...KEEP });
  noErrors(run);
  assert.deepEqual(changes(run.plan), ["update k8s.Secret engineering-k8s-backend-secret-github-pat"]);
  assert.deepEqual(step(run.plan, "k8s.Secret", "engineering-k8s-backend-secret-github-pat").changed, ["stringData.token"]);
  // What the provider does without enableSecretMutable (its default, e.g. an explicit provider that
  // does not set it): a replacement of a fixed name. Hence a production stack without the setting is
  // refused before anything is declared.
  const immutable = await runLifecycle(config, { prior: rotated.state, secrets, secretMutable: false, ...KEEP });
  assert.deepEqual(changes(immutable.plan), ["replace k8s.Secret engineering-k8s-backend-secret-github-pat"]);
  const view = { has: (k: string) => k in SECRET_CONFIG, isSecret: () => true, get: () => undefined };
  assert.throws(
    () => loadTeam(config, view),
    (e: unknown) => e instanceof ConfigError && e.problems.some((p) => p.code === "kubernetes.secret-mutable" && /pulumi config set kubernetes:enableSecretMutable true/.test(p.fix ?? "")),
  );
});

const SHARED_ORG: FakeOrg = {
  servers: { "mcp-shared": { id: "aus1shared" } },
  scopes: { aus1shared: [{ id: "scp1", name: "groups" }] },
  // The server owner's claim lets every team prefix through (engineering's mcp-, sales' sales-mcp-).
  claims: { aus1shared: [{ name: "groups", claimType: "RESOURCE", valueType: "GROUPS", value: "(mcp-|sales-mcp-).*" }] },
};
const SHARED = { authServer: { mode: "existing", id: "aus1shared", name: "mcp-shared", shared: true } };

test("a second team on a shared server: only its own objects; a derived policy priority that Okta may renumber", async () => {
  const sales = { ...salesTeam(), okta: SHARED };
  const run = await runLifecycle(sales, { org: SHARED_ORG });
  noErrors(run);
  const created = new Set(run.plan.filter((s) => s.op === "create" && s.type.startsWith("okta:")).map((s) => s.type));
  assert.deepEqual([...created].sort(), ["okta:app/groupAssignment:GroupAssignment", "okta:app/oAuth:OAuth", "okta:auth/serverPolicy:ServerPolicy", "okta:auth/serverPolicyRule:ServerPolicyRule", "okta:group/group:Group", "okta:index/groupMemberships:GroupMemberships"]);
  const policy = step(run.plan, "okta.Policy", "sales-okta-policy");
  const priority = run.state.get(policy.urn)!.inputs.priority as number;
  assert.equal(priority, sharedPolicyPriority("sales"));
  assert.notEqual(priority, 1, "priority 1 is left to the server owner");
  assert.notEqual(sharedPolicyPriority("sales"), sharedPolicyPriority("engineering"), "two teams do not fight over one priority");
  assert.equal(sharedPolicyPriority("sales"), sharedPolicyPriority("sales"), "deterministic");
  assert.deepEqual(policy.options.ignoreChanges, ["priority"]);
  // Okta renumbered the policy (another team came or went): the next run leaves it alone.
  const renumbered = new Map<string, StateEntry>(run.state);
  const entry = renumbered.get(policy.urn)!;
  renumbered.set(policy.urn, { ...entry, inputs: { ...entry.inputs, priority: 3 } });
  const next = await runLifecycle(sales, { org: SHARED_ORG, prior: renumbered });
  noErrors(next);
  assert.deepEqual(changes(next.plan), []);
});

const EXISTING_ORG: FakeOrg = {
  servers: { default: { id: "default" } },
  scopes: { default: [{ id: "scp-groups", name: "groups", description: "made by hand", consent: "REQUIRED", metadataPublish: "NO_CLIENTS" } as never] },
  groups: [
    { id: "00g-dev", name: "mcp-developers", description: "made by hand" },
    { id: "00g-plat", name: "mcp-platform", description: "Platform engineers, including destructive cluster tools" },
  ],
};

test("adopt existing groups, scope and namespace: imported, retained on delete, stable on the next run", async () => {
  const team = engineeringTeam(
    { okta: { authServer: { mode: "existing", id: "default" }, groupsScope: "import", adoptGroups: ["developers", "platform"] } },
    { namespace: "vmcp-engineering", createNamespace: "adopt" },
  );
  const run = await runLifecycle(team, { org: EXISTING_ORG });
  noErrors(run);
  const dev = step(run.plan, "okta.Group", "engineering-okta-group-developers");
  assert.equal(dev.op, "import");
  assert.equal(dev.options.import, "00g-dev");
  assert.equal(dev.options.retainOnDelete, true);
  assert.equal(step(run.plan, "okta.Group", "engineering-okta-group-platform").options.import, "00g-plat");
  assert.equal(step(run.plan, "okta.Group", "engineering-okta-group-admin").op, "create");
  const scope = step(run.plan, "okta.Scope", "engineering-okta-groups-scope");
  assert.equal(scope.options.import, "default/scp-groups");
  assert.equal(scope.options.retainOnDelete, true);
  const scopeInputs = run.state.get(scope.urn)!.inputs;
  assert.equal(scopeInputs.consent, "REQUIRED", "import inputs copied from the lookup");
  assert.equal(scopeInputs.metadataPublish, "NO_CLIENTS");
  const ns = step(run.plan, "k8s.Namespace", "engineering-k8s-namespace");
  assert.equal(ns.op, "import");
  assert.equal(ns.options.import, "vmcp-engineering");
  assert.equal(ns.options.retainOnDelete, true);
  // One lookup for the groups, by prefix.
  assert.deepEqual(run.harness.calls.filter((c) => c.token === "okta:index/getGroups:getGroups").map((c) => c.inputs), [{ q: "mcp-", limit: 10000 }]);
  // Next run: same import ids, nothing to do.
  const again = await runLifecycle(team, { org: EXISTING_ORG, prior: run.state });
  noErrors(again);
  assert.deepEqual(changes(again.plan), []);
  // A group that is not there to adopt fails with the fix.
  const missing = await runLifecycle(engineeringTeam({ okta: { adoptGroups: ["admin"] } }), { org: EXISTING_ORG });
  assert.match(missing.errors.join("\n"), /\[okta\.adopt-groups\.missing\] vmcp-okta:team\.okta\.adoptGroups: no Okta group named mcp-admin exists to adopt/);
});

test("destroy: what is deleted, what stays, what is refused", () => {
  const destroy = new MockHarness({ prior: rotated.state }).plan();
  const by = (op: (s: PlanStep) => boolean) => [...new Set(destroy.filter(op).map((s) => s.type))].sort();
  assert.ok(destroy.every((s) => s.op === "delete"));
  assert.deepEqual(by((s) => !!s.blocked), ["random:index/randomBytes:RandomBytes", "tls:index/privateKey:PrivateKey"], "key material is protected in production");
  assert.deepEqual(by((s) => !!s.retained && !s.blocked), ["kubernetes:core/v1:Namespace", "okta:group/group:Group", "okta:index/groupMemberships:GroupMemberships"]);
  const deleted = by((s) => !s.retained && !s.blocked);
  for (const t of ["okta:auth/server:Server", "okta:app/oAuth:OAuth", "okta:app/groupAssignment:GroupAssignment", "kubernetes:core/v1:Secret", "kubernetes:toolhive.stacklok.dev/v1beta1:VirtualMCPServer"]) assert.ok(deleted.includes(t), t);
});

test("scale-out at preview: replicas above 1 need Redis sessions and Redis auth-server storage", () => {
  assert.throws(
    () => loadTeam(afterPrefix({ replicas: 3 }), configView()),
    (e: unknown) => e instanceof ConfigError && ["kubernetes.replicas-session-storage", "kubernetes.replicas-auth-storage"].every((c) => e.problems.some((p) => p.code === c)),
  );
  assert.doesNotThrow(() => loadTeam(salesTeam(), configView()), "sales: 2 replicas with both Redis stores");
});

test("cluster preflight: an old CRD fails before any Kubernetes object is declared, naming the chart", async () => {
  const run = await runLifecycle(engineeringTeam(), { served: { "virtualmcpservers.toolhive.stacklok.dev": ["v1alpha1"] } });
  assert.match(run.errors.join("\n"), /\[kubernetes\.crd-version\] virtualmcpservers\.toolhive\.stacklok\.dev: the cluster's ToolHive CRD serves v1alpha1, not v1beta1[\s\S]*toolhive-operator-crds oci:\/\/ghcr\.io\/stacklok\/toolhive\/toolhive-operator-crds --version 0\.44\.0/);
  const declared = run.plan.filter((s) => s.type.startsWith("kubernetes:") && s.op !== "read");
  assert.deepEqual(declared, [], "no Namespace, Secret or custom resource before the CRDs are right");
});
