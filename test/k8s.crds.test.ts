/**
 * Every custom resource the stack emits passes admission against the real ToolHive v1beta1 CRDs:
 * OpenAPI schema (unknown fields are errors, not silently pruned) and every CEL rule, evaluated with
 * a CEL library. Negative controls prove the checker rejects what the API server would.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { parse as celParse } from "@marcbachmann/cel-js";
import { parseAllDocuments } from "yaml";
import { toolhiveObjects, type KubeObject } from "../components/kubernetes/objects";
import { admit, loadCrds, SKIP_REASON } from "./helpers/k8sCrds";
import { engineeringTeam, load, salesTeam } from "./k8s.fixture";

const UPSTREAM = { oktaIssuer: "https://dev-123456.okta.com/oauth2/aus1abcdEFGH", clientId: "0oa1clientid" };

function objectsOf(input: Record<string, unknown>): KubeObject[] {
  const loaded = load(input);
  return toolhiveObjects(loaded.compiled.spec, loaded.kubernetes, loaded.policies, { ...UPSTREAM, redirectUri: loaded.okta.app.redirectUri, scopes: loaded.okta.scopes });
}

function assertAdmitted(o: { kind: string; apiVersion: string; metadata?: { name?: string } }): void {
  const r = admit(o);
  assert.deepEqual(r.schemaErrors, [], `${o.kind}/${o.metadata?.name}: schema`);
  assert.deepEqual(r.celErrors, [], `${o.kind}/${o.metadata?.name}: CEL`);
}

const CONFIGS: Record<string, Record<string, unknown>> = {
  "engineering (the guide's team)": engineeringTeam(),
  "sales (replicas, Redis, RS256 + ES256 rotation, lifespans, custom prefix and entity type)": salesTeam(),
  "development (http localhost endpoint, insecure flags)": engineeringTeam(
    { environment: "development", endpoint: "http://localhost:8080" },
    { namespace: "vmcp-dev", insecureAllowHTTP: true, jwksAllowPrivateIP: true, operator: { install: true } },
  ),
  "priority aggregation with overrides and Cedar options": engineeringTeam({
    aggregation: { conflictResolution: "priority", priorityOrder: ["kubernetes-backend", "github-backend"], overrides: { "github-backend": { list_issues: "gh_list_issues" } } },
    cedar: { roleClaimName: "roles", groupClaimName: "groups", entitiesJson: "[]" },
  }),
};

test("every CEL rule of the four CRDs parses with the CEL library", { skip: SKIP_REASON }, () => {
  const counts: Record<string, number> = {};
  for (const [kind, crd] of loadCrds()) {
    counts[kind] = crd.rules.length;
    for (const r of crd.rules) assert.doesNotThrow(() => celParse(r.rule), `${kind} ${r.path}: ${r.rule}`);
  }
  // The reference lists 0 + 9 + 2 + 32 rules.
  assert.deepEqual(counts, { MCPGroup: 0, MCPServer: 9, MCPOIDCConfig: 2, VirtualMCPServer: 32 });
});

for (const [name, input] of Object.entries(CONFIGS)) {
  test(`emitted objects are admitted by schema and CEL: ${name}`, { skip: SKIP_REASON }, () => {
    const objects = objectsOf(input);
    assert.deepEqual(
      objects.map((o) => o.kind),
      ["MCPGroup", ...Object.keys(input.backends as object).map(() => "MCPServer"), "MCPOIDCConfig", "VirtualMCPServer"],
    );
    for (const o of objects) assertAdmitted(o);
    // CEL really ran on the present nodes (not vacuously true).
    const vmcp = admit(objects.find((o) => o.kind === "VirtualMCPServer")!);
    const at = new Set(vmcp.celEvaluated.map((e) => e.at));
    for (const p of ["spec", "spec.incomingAuth", "spec.incomingAuth.authzConfig", "spec.authServerConfig", "spec.authServerConfig.upstreamProviders[0]"]) assert.ok(at.has(p), `no CEL rule evaluated at ${p}`);
    const oidc = admit(objects.find((o) => o.kind === "MCPOIDCConfig")!);
    assert.equal(oidc.celEvaluated.length, 2);
  });
}

test("sales: Redis storage and sessionStorage reach the CEL rules that guard them", { skip: SKIP_REASON }, () => {
  const vmcp = objectsOf(salesTeam()).find((o) => o.kind === "VirtualMCPServer")!;
  const evaluated = admit(vmcp).celEvaluated.map((e) => e.at);
  assert.ok(evaluated.includes("spec.sessionStorage"));
  assert.ok(evaluated.includes("spec.authServerConfig.storage.redis"));
});

/** The guide's YAML as written (placeholders filled): reference §13 says admission accepts it. */
const GUIDE_YAML = `
apiVersion: toolhive.stacklok.dev/v1beta1
kind: MCPGroup
metadata: {name: engineering-tools}
spec: {description: 'Engineering team MCP tools'}
---
apiVersion: toolhive.stacklok.dev/v1beta1
kind: MCPServer
metadata: {name: github-backend}
spec:
  groupRef: {name: engineering-tools}
  image: ghcr.io/github/github-mcp-server:latest
  transport: stdio
  secrets: [{name: github-pat, key: token, targetEnvName: GITHUB_PERSONAL_ACCESS_TOKEN}]
---
apiVersion: toolhive.stacklok.dev/v1beta1
kind: MCPOIDCConfig
metadata: {name: engineering-tools-oidc}
spec:
  type: inline
  inline: {issuer: 'https://vmcp.example.com', insecureAllowHTTP: true, jwksAllowPrivateIP: true}
---
apiVersion: toolhive.stacklok.dev/v1beta1
kind: VirtualMCPServer
metadata: {name: engineering-tools}
spec:
  groupRef: {name: engineering-tools}
  authServerConfig:
    issuer: 'https://vmcp.example.com'
    upstreamProviders:
      - name: okta
        type: oidc
        oidcConfig:
          issuerUrl: 'https://dev-123456.okta.com/oauth2/aus1'
          clientId: '0oa1'
          clientSecretRef: {name: idp-client-secret, key: client-secret}
          redirectUri: 'https://vmcp.example.com/oauth/callback'
          scopes: [openid, profile, groups, offline_access]
  incomingAuth:
    type: oidc
    oidcConfigRef: {name: engineering-tools-oidc, audience: 'https://vmcp.example.com', resourceUrl: 'https://vmcp.example.com'}
    authzConfig:
      type: inline
      inline:
        policies: ['permit(principal in THVGroup::"mcp-admin", action, resource);']
  outgoingAuth: {source: discovered}
`;

test("the checker agrees with the reference: the guide's own objects are admitted", { skip: SKIP_REASON }, () => {
  for (const doc of parseAllDocuments(GUIDE_YAML)) assertAdmitted(doc.toJS() as KubeObject);
});

// --- negative controls: each must be rejected, by the schema or by the named CEL rule --------------

function mutate(kind: string, f: (o: Record<string, any>) => void): KubeObject {
  const o = structuredClone(objectsOf(engineeringTeam()).find((x) => x.kind === kind)!) as unknown as Record<string, any>;
  f(o);
  return o as unknown as KubeObject;
}

const NEGATIVE: { name: string; obj: () => KubeObject; schema?: RegExp; cel?: RegExp }[] = [
  { name: "audience inside MCPOIDCConfig (no such field)", obj: () => mutate("MCPOIDCConfig", (o) => (o.spec.inline.audience = "x")), schema: /audience/ },
  { name: "MCPServer without image", obj: () => mutate("MCPServer", (o) => delete o.spec.image), schema: /image/ },
  { name: "two secrets entries with one Secret name (list-map key)", obj: () => mutate("MCPServer", (o) => (o.spec.secrets = [{ name: "a", key: "x" }, { name: "a", key: "y" }])), schema: /x-kubernetes-list-type/ },
  { name: "issuer with a trailing slash", obj: () => mutate("VirtualMCPServer", (o) => (o.spec.authServerConfig.issuer += "/")), schema: /pattern/ },
  { name: "upstream issuerUrl over http", obj: () => mutate("VirtualMCPServer", (o) => (o.spec.authServerConfig.upstreamProviders[0].oidcConfig.issuerUrl = "http://okta")), schema: /pattern/ },
  { name: "six signing keys", obj: () => mutate("VirtualMCPServer", (o) => (o.spec.authServerConfig.signingKeySecretRefs = Array.from({ length: 6 }, (_, i) => ({ name: `k${i}`, key: "k" })))), schema: /must NOT have more than 5 items/ },
  { name: "transport not in the enum", obj: () => mutate("MCPServer", (o) => (o.spec.transport = "http")), schema: /allowed values/ },
  { name: "oidc incoming auth without oidcConfigRef", obj: () => mutate("VirtualMCPServer", (o) => delete o.spec.incomingAuth.oidcConfigRef), cel: /oidcConfigRef is required when type is oidc/ },
  { name: "inline authz without inline policies object", obj: () => mutate("VirtualMCPServer", (o) => delete o.spec.incomingAuth.authzConfig.inline), cel: /inline must be set when type is 'inline'/ },
  { name: "MCPOIDCConfig type inline without inline", obj: () => mutate("MCPOIDCConfig", (o) => delete o.spec.inline), cel: /inline must be set/ },
  { name: "confidential registration with insecure HTTP", obj: () => mutate("VirtualMCPServer", (o) => Object.assign(o.spec.authServerConfig, { allowConfidentialClientRegistration: true, insecureAllowHTTP: true })), cel: /cleartext/ },
  { name: "Redis session storage without address", obj: () => mutate("VirtualMCPServer", (o) => (o.spec.sessionStorage = { provider: "redis" })), cel: /address is required/ },
  { name: "Redis AS storage with neither addr nor sentinel", obj: () => mutate("VirtualMCPServer", (o) => (o.spec.authServerConfig.storage = { type: "redis", redis: { aclUserConfig: { passwordSecretRef: { name: "r", key: "p" } } } })), cel: /exactly one of addr or sentinelConfig/ },
  { name: "oidc upstream carrying oauth2Config", obj: () => mutate("VirtualMCPServer", (o) => (o.spec.authServerConfig.upstreamProviders[0].oauth2Config = { authorizationEndpoint: "https://a", tokenEndpoint: "https://t", clientId: "c" })), cel: /oidcConfig must be set when type is 'oidc'/ },
];

for (const n of NEGATIVE) {
  test(`negative control rejected: ${n.name}`, { skip: SKIP_REASON }, () => {
    const r = admit(n.obj());
    if (n.schema) assert.match(r.schemaErrors.join("\n"), n.schema);
    if (n.cel) {
      assert.deepEqual(r.schemaErrors, [], "schema-valid, so only CEL can catch it");
      assert.match(r.celErrors.join("\n"), n.cel);
    }
  });
}
