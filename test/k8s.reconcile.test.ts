/**
 * The operator's reconcile-time rules, checked before deployment on the emitted objects: the stack's
 * objects pass, and each rule catches its own violation (objects the CRD schema and CEL accept).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { toolhiveObjects, type KubeObject } from "../components/kubernetes/objects";
import { checkReconcileRules } from "../components/kubernetes/reconcile";
import type { Environment } from "../components/spec/types";
import { engineeringTeam, load, salesTeam } from "./k8s.fixture";

const UPSTREAM = { oktaIssuer: "https://dev-123456.okta.com/oauth2/aus1", clientId: "0oa1" };

function objectsOf(input: Record<string, unknown>): KubeObject[] {
  const l = load(input);
  return toolhiveObjects(l.compiled.spec, l.kubernetes, l.policies, UPSTREAM);
}

function codes(objects: KubeObject[], env: Environment = "production"): string[] {
  return checkReconcileRules(objects, env).errors.map((p) => `${p.code} @ ${p.path}`);
}

test("the stacks' objects satisfy every reconcile rule", () => {
  assert.deepEqual(codes(objectsOf(engineeringTeam())), []);
  assert.deepEqual(codes(objectsOf(salesTeam())), []);
  const dev = engineeringTeam({ environment: "development", endpoint: "http://localhost:8080" }, { insecureAllowHTTP: true });
  assert.deepEqual(codes(objectsOf(dev), "development"), []);
});

test("issuer, audience and resource URL are the endpoint, byte for byte", () => {
  const objs = objectsOf(engineeringTeam());
  const vmcp = objs.find((o) => o.kind === "VirtualMCPServer")!.spec as any;
  const oidc = objs.find((o) => o.kind === "MCPOIDCConfig")!.spec as any;
  const endpoint = "https://vmcp-engineering.example.com";
  assert.equal(vmcp.authServerConfig.issuer, endpoint);
  assert.equal(oidc.inline.issuer, endpoint);
  assert.equal(vmcp.incomingAuth.oidcConfigRef.audience, endpoint);
  assert.equal(vmcp.incomingAuth.oidcConfigRef.resourceUrl, endpoint);
  assert.equal(vmcp.authServerConfig.upstreamProviders[0].oidcConfig.redirectUri, `${endpoint}/oauth/callback`);
});

function broken(f: (objs: Record<string, any>[]) => void, input = engineeringTeam()): KubeObject[] {
  const objs = structuredClone(objectsOf(input)) as unknown as Record<string, any>[];
  f(objs);
  return objs as unknown as KubeObject[];
}
const vmcpOf = (objs: Record<string, any>[]) => objs.find((o) => o.kind === "VirtualMCPServer")!.spec;
const oidcOf = (objs: Record<string, any>[]) => objs.find((o) => o.kind === "MCPOIDCConfig")!.spec;
const V = "VirtualMCPServer/engineering-tools.spec";

const CASES: { name: string; objs: () => KubeObject[]; env?: Environment; expect: string }[] = [
  { name: "MCPOIDCConfig issuer with a trailing slash (admission accepts it)", objs: () => broken((o) => (oidcOf(o).inline.issuer += "/")), expect: "reconcile.issuer-mismatch @ MCPOIDCConfig/engineering-tools-oidc.spec.inline.issuer" },
  { name: "audience differs from resourceUrl (the guide's two placeholders)", objs: () => broken((o) => (vmcpOf(o).incomingAuth.oidcConfigRef.audience = "https://vmcp-engineering.example.com/mcp")), expect: `reconcile.audience @ ${V}.incomingAuth.oidcConfigRef.audience` },
  { name: "resourceUrl omitted (operator default is an in-cluster URL)", objs: () => broken((o) => delete vmcpOf(o).incomingAuth.oidcConfigRef.resourceUrl), expect: `reconcile.resource-url @ ${V}.incomingAuth.oidcConfigRef.resourceUrl` },
  {
    name: "http issuer in production",
    objs: () => broken((o) => {
      vmcpOf(o).authServerConfig.issuer = "http://vmcp.example.com";
      oidcOf(o).inline.issuer = "http://vmcp.example.com";
    }),
    expect: `reconcile.issuer-http @ ${V}.authServerConfig.issuer`,
  },
  {
    name: "http non-localhost issuer in development without insecureAllowHTTP",
    env: "development",
    objs: () => broken((o) => {
      vmcpOf(o).authServerConfig.issuer = "http://vmcp.dev.internal";
      oidcOf(o).inline.issuer = "http://vmcp.dev.internal";
      vmcpOf(o).authServerConfig.upstreamProviders[0].oidcConfig.redirectUri = "http://vmcp.dev.internal/oauth/callback";
    }),
    expect: `reconcile.issuer-http @ ${V}.authServerConfig.issuer`,
  },
  { name: "upstream name is not a DNS label", objs: () => broken((o) => (vmcpOf(o).authServerConfig.upstreamProviders[0].name = "Okta")), expect: `reconcile.upstream-name @ ${V}.authServerConfig.upstreamProviders[0].name` },
  { name: "primary upstream names no upstream", objs: () => broken((o) => (vmcpOf(o).authServerConfig.primaryUpstreamProvider = "entra")), expect: `reconcile.primary-upstream @ ${V}.authServerConfig.primaryUpstreamProvider` },
  { name: "redirect URI on another host", objs: () => broken((o) => (vmcpOf(o).authServerConfig.upstreamProviders[0].oidcConfig.redirectUri = "https://other.example.com/oauth/callback")), expect: `reconcile.redirect-uri @ ${V}.authServerConfig.upstreamProviders[0].oidcConfig.redirectUri` },
  { name: "access token lifespan above 24h", objs: () => broken((o) => (vmcpOf(o).authServerConfig.tokenLifespans = { accessTokenLifespan: "48h" })), expect: `reconcile.lifespan @ ${V}.authServerConfig.tokenLifespans.accessTokenLifespan` },
  { name: "auth code lifespan below 30s", objs: () => broken((o) => (vmcpOf(o).authServerConfig.tokenLifespans = { authCodeLifespan: "10s" })), expect: `reconcile.lifespan @ ${V}.authServerConfig.tokenLifespans.authCodeLifespan` },
  { name: "replicas > 1 without Redis session storage", objs: () => broken((o) => (vmcpOf(o).replicas = 3)), expect: `reconcile.replicas-session @ ${V}.sessionStorage` },
  {
    name: "replicas > 1 with Redis sessions but in-memory auth-server storage",
    objs: () => broken((o) => Object.assign(vmcpOf(o), { replicas: 2, sessionStorage: { provider: "redis", address: "redis:6379" } })),
    expect: `reconcile.replicas-auth-storage @ ${V}.authServerConfig.storage`,
  },
  { name: "anonymous incoming auth with the embedded AS", objs: () => broken((o) => (vmcpOf(o).incomingAuth = { type: "anonymous" })), expect: `reconcile.incoming-oidc @ ${V}.incomingAuth.type` },
  { name: "no persistent signing keys (the guide's ephemeral key)", objs: () => broken((o) => delete vmcpOf(o).authServerConfig.signingKeySecretRefs), expect: `reconcile.ephemeral-signing-key @ ${V}.authServerConfig.signingKeySecretRefs` },
  { name: "no persistent HMAC secrets", objs: () => broken((o) => delete vmcpOf(o).authServerConfig.hmacSecretRefs), expect: `reconcile.ephemeral-hmac @ ${V}.authServerConfig.hmacSecretRefs` },
  { name: "oidcConfigRef names a missing MCPOIDCConfig", objs: () => broken((o) => (vmcpOf(o).incomingAuth.oidcConfigRef.name = "engineering-oidc")), expect: `reconcile.oidc-ref @ ${V}.incomingAuth.oidcConfigRef.name` },
  { name: "backend in another group", objs: () => broken((o) => (o.find((x) => x.kind === "MCPServer")!.spec.groupRef.name = "other-tools")), expect: "reconcile.server-group @ MCPServer/github-backend.spec.groupRef.name" },
  { name: "object in another namespace", objs: () => broken((o) => (o.find((x) => x.kind === "MCPGroup")!.metadata.namespace = "default")), expect: "reconcile.namespace @ MCPGroup/engineering-tools.metadata.namespace" },
];

for (const c of CASES) {
  test(`reconcile rule catches: ${c.name}`, () => {
    assert.ok(codes(c.objs(), c.env).includes(c.expect), `expected ${c.expect}, got ${JSON.stringify(codes(c.objs(), c.env))}`);
  });
}
