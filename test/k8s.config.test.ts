/**
 * Bad configuration fails before any resource is declared: each case runs the stack program from
 * Pulumi config (as `index.ts` does) under the mock engine, expects a ConfigError carrying the code
 * and config path, and checks that the engine saw no resource at all.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ConfigError, formatProblem } from "../components/errors";
import { validateKubernetes, DEFAULT_SIGNING_KEYS } from "../components/kubernetes/config";
import { ProblemList } from "../components/errors";
import { compileTeam } from "../components/compile";
import { engineeringTeam, quiesce, runStackFromConfig, SECRET_CONFIG } from "./k8s.fixture";

const R = "vmcp-okta:team";
const KR = `${R}.kubernetes`;
const GH = `${R}.backends.github-backend`;

type Team = Record<string, any>;
const withK8s = (k: Record<string, unknown>, over: Record<string, unknown> = {}) => engineeringTeam(over, { namespace: "vmcp-engineering", ...k });
const editGithub = (f: (b: Team) => void): Team => {
  const t = engineeringTeam() as Team;
  f(t.backends["github-backend"]);
  return t;
};

interface Case {
  name: string;
  team: Team;
  secrets?: Record<string, string>;
  /** Config keys set in plain text (not secrets). */
  plain?: Record<string, string>;
  code: string;
  path: string;
}

const CASES: Case[] = [
  // --- endpoint ---------------------------------------------------------------------------------
  { name: "http endpoint in production", team: engineeringTeam({ endpoint: "http://vmcp.example.com" }), code: "endpoint.not-https", path: `${R}.endpoint` },
  { name: "endpoint with a trailing slash", team: engineeringTeam({ endpoint: "https://vmcp.example.com/" }), code: "endpoint.trailing-slash", path: `${R}.endpoint` },
  { name: "endpoint with a path", team: engineeringTeam({ endpoint: "https://vmcp.example.com/mcp" }), code: "endpoint.path", path: `${R}.endpoint` },
  { name: "endpoint that is not a URL", team: engineeringTeam({ endpoint: "vmcp.example.com" }), code: "endpoint.invalid", path: `${R}.endpoint` },
  // --- backends and their secrets ----------------------------------------------------------------
  { name: "github backend without the github-pat secret (the guide's omission)", team: editGithub((b) => delete b.secrets), code: "backend.secret-required", path: `${GH}.secrets` },
  { name: "backend secret whose config key is not set", team: engineeringTeam(), secrets: {}, code: "secret.missing", path: `${GH}.secrets[0].valueFrom` },
  { name: "backend secret from a plaintext config value", team: engineeringTeam(), secrets: { "okta:apiToken": "t" }, plain: { "vmcp-okta:githubPat": "ghp_plain" }, code: "secret.plaintext", path: `${GH}.secrets[0].valueFrom` },
  { name: "backend secret valueFrom that is not a config key", team: editGithub((b) => (b.secrets[0].valueFrom = "github pat")), code: "secret.config-key", path: `${GH}.secrets[0].valueFrom` },
  { name: "backend name that is not a DNS label", team: engineeringTeam({ backends: { GitHub: { image: "ghcr.io/x/y:1" } } }), code: "backend.name", path: `${R}.backends.GitHub` },
  { name: "env var set in plain text and from a secret", team: editGithub((b) => (b.env = { GITHUB_PERSONAL_ACCESS_TOKEN: "x" })), code: "backend.env-secret-clash", path: `${GH}.env.GITHUB_PERSONAL_ACCESS_TOKEN` },
  { name: "backend Secret named like the stack's own", team: editGithub((b) => (b.secrets[0].name = "engineering-tools-idp-client-secret")), code: "backend.secret-name-reserved", path: `${GH}.secrets[0].name` },
  {
    name: "one Secret key filled from two config keys",
    team: engineeringTeam({
      backends: {
        ...(engineeringTeam().backends as object),
        "kubernetes-backend": { image: "ghcr.io/x/k:1", secrets: [{ name: "github-pat", key: "token", valueFrom: "otherPat" }] },
      },
    }),
    secrets: { ...SECRET_CONFIG, "vmcp-okta:otherPat": "x" },
    code: "backend.secret-conflict",
    path: `${R}.backends.kubernetes-backend.secrets[0].valueFrom`,
  },
  { name: "Secret data key with a space", team: editGithub((b) => (b.secrets[0].key = "to ken")), code: "backend.secret-key", path: `${GH}.secrets[0].key` },
  { name: "targetEnvName that is not an env var name", team: editGithub((b) => (b.secrets[0].targetEnvName = "1TOKEN")), code: "backend.secret-env", path: `${GH}.secrets[0].targetEnvName` },
  { name: "two entries for one Secret in a backend", team: editGithub((b) => b.secrets.push({ name: "github-pat", key: "other", valueFrom: "githubPat" })), code: "backend.secret-duplicate", path: `${GH}.secrets[1].name` },
  // --- keys ----------------------------------------------------------------------------------------
  { name: "six signing key generations", team: withK8s({ signingKeys: ["6", "5", "4", "3", "2", "1"].map((generation) => ({ generation })) }), code: "kubernetes.signing-keys-too-many", path: `${KR}.signingKeys` },
  { name: "no signing key generation", team: withK8s({ signingKeys: [] }), code: "kubernetes.signing-keys-empty", path: `${KR}.signingKeys` },
  { name: "a signing key generation listed twice", team: withK8s({ signingKeys: [{ generation: "1" }, { generation: "1" }] }), code: "kubernetes.generation-duplicate", path: `${KR}.signingKeys[1].generation` },
  { name: "a generation id that cannot name a Secret", team: withK8s({ hmacSecrets: [{ generation: "Gen_1" }] }), code: "kubernetes.generation-name", path: `${KR}.hmacSecrets[0].generation` },
  { name: "RSA key below 2048 bits", team: withK8s({ signingKeys: [{ generation: "1", algorithm: "RS256", rsaBits: 1024 }] }), code: "kubernetes.rsa-bits", path: `${KR}.signingKeys[0].rsaBits` },
  { name: "rsaBits on an ES256 key", team: withK8s({ signingKeys: [{ generation: "1", rsaBits: 4096 }] }), code: "kubernetes.rsa-bits-ec", path: `${KR}.signingKeys[0].rsaBits` },
  { name: "HMAC secret shorter than 32 bytes", team: withK8s({ hmacSecrets: [{ generation: "1", bytes: 16 }] }), code: "kubernetes.hmac-bytes", path: `${KR}.hmacSecrets[0].bytes` },
  { name: "unsupported signing algorithm", team: withK8s({ signingKeys: [{ generation: "1", algorithm: "HS256" }] }), code: "kubernetes.invalid", path: `${KR}.signingKeys[0].algorithm` },
  { name: "no HMAC secret generation", team: withK8s({ hmacSecrets: [] }), code: "kubernetes.hmac-empty", path: `${KR}.hmacSecrets` },
  // --- development-only flags -------------------------------------------------------------------------
  { name: "insecureAllowHTTP in production", team: withK8s({ insecureAllowHTTP: true }), code: "kubernetes.dev-only-flag", path: `${KR}.insecureAllowHTTP` },
  { name: "jwksAllowPrivateIP in production", team: withK8s({ jwksAllowPrivateIP: true }), code: "kubernetes.dev-only-flag", path: `${KR}.jwksAllowPrivateIP` },
  // --- replicas, storage, lifespans ---------------------------------------------------------------------
  { name: "replicas > 1 without Redis sessions", team: withK8s({ replicas: 3 }), code: "kubernetes.replicas-session-storage", path: `${KR}.sessionStorage` },
  {
    name: "replicas > 1 without Redis auth-server storage",
    team: withK8s({ replicas: 2, sessionStorage: { provider: "redis", address: "redis:6379" } }),
    code: "kubernetes.replicas-auth-storage",
    path: `${KR}.authServerStorage`,
  },
  { name: "Redis auth-server storage without a password", team: withK8s({ authServerStorage: { type: "redis", addr: "redis:6379" } }), code: "kubernetes.auth-storage-password", path: `${KR}.authServerStorage.passwordFrom` },
  { name: "Redis sessions without an address", team: withK8s({ sessionStorage: { provider: "redis" } }), code: "kubernetes.session-storage-address", path: `${KR}.sessionStorage.address` },
  { name: "Redis password from a missing config key", team: withK8s({ sessionStorage: { provider: "redis", address: "r:6379", passwordFrom: "nope" } }), code: "secret.missing", path: `${KR}.sessionStorage.passwordFrom` },
  { name: "lifespan in days (not a Go duration)", team: withK8s({ tokenLifespans: { refreshToken: "7d" } }), code: "kubernetes.lifespan-format", path: `${KR}.tokenLifespans.refreshToken` },
  { name: "refresh lifespan above 720h", team: withK8s({ tokenLifespans: { refreshToken: "1000h" } }), code: "kubernetes.lifespan-bounds", path: `${KR}.tokenLifespans.refreshToken` },
  { name: "auth code lifespan below 30s", team: withK8s({ tokenLifespans: { authCode: "20s" } }), code: "kubernetes.lifespan-bounds", path: `${KR}.tokenLifespans.authCode` },
  { name: "refresh token shorter than the access token", team: withK8s({ tokenLifespans: { accessToken: "2h", refreshToken: "1h" } }), code: "kubernetes.lifespan-order", path: `${KR}.tokenLifespans.refreshToken` },
  // --- namespace, operator, shape -----------------------------------------------------------------------
  { name: "a system namespace", team: withK8s({ namespace: "kube-system" }), code: "kubernetes.namespace-reserved", path: `${KR}.namespace` },
  { name: "a namespace that is not a DNS label", team: withK8s({ namespace: "Team_NS" }), code: "kubernetes.namespace", path: `${KR}.namespace` },
  { name: "operator chart at another version", team: withK8s({ operator: { install: true, version: "0.43.0" } }), code: "kubernetes.operator-version", path: `${KR}.operator.version` },
  { name: "misspelled key", team: withK8s({ signingkeys: [] }), code: "kubernetes.unknown-key", path: `${KR}.signingkeys` },
  { name: "negative replicas", team: withK8s({ replicas: -1 }), code: "kubernetes.replicas", path: `${KR}.replicas` },
];

test(`at least 25 bad-configuration cases (${CASES.length})`, () => assert.ok(CASES.length >= 25));

for (const c of CASES) {
  test(`rejected before any resource: ${c.name}`, async () => {
    const secrets = c.secrets ?? SECRET_CONFIG;
    const { harness, run } = await runStackFromConfig(c.team, secrets, c.plain ?? {});
    let error: unknown;
    try {
      run();
    } catch (e) {
      error = e;
    }
    await quiesce(harness);
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    const found = error.problems.find((p) => p.severity === "error" && p.code === c.code && p.path === c.path);
    assert.ok(found, `expected ${c.code} @ ${c.path}, got:\n${error.message}`);
    assert.ok(found.fix, `${c.code} has a fix`);
    assert.ok(error.message.includes(c.path), "the message names the config path");
    assert.equal(harness.resources.length, 0, `declared before failing: ${harness.resources.map((r) => r.name).join(", ")}`);
  });
}

test("control: the same program with a good config does declare resources", async () => {
  const { harness, run } = await runStackFromConfig(engineeringTeam());
  run();
  await quiesce(harness);
  assert.ok(harness.resources.length > 20);
});

test("a missing team config is a ConfigError too", async () => {
  const { harness } = await runStackFromConfig(engineeringTeam());
  const pulumi = await import("@pulumi/pulumi");
  pulumi.runtime.setAllConfig({}, []);
  const { vmcpOktaStack } = await import("../components/stackProgram");
  assert.throws(() => vmcpOktaStack(), (e: unknown) => e instanceof ConfigError && e.problems[0].code === "stack.no-team");
  assert.equal(harness.resources.length, 0);
});

test("defaults: one ES256 key and one 32-byte HMAC secret, team namespace; secret config keys collected", () => {
  const { spec } = compileTeam(engineeringTeam({}, {}));
  const problems = new ProblemList();
  const k8s = validateKubernetes(spec, problems, R, { has: () => true, isSecret: () => true })!;
  assert.deepEqual(problems.errors.map(formatProblem), []);
  assert.deepEqual(k8s.signingKeys, DEFAULT_SIGNING_KEYS);
  assert.deepEqual(k8s.hmacSecrets, [{ generation: "1", bytes: 32 }]);
  assert.equal(k8s.namespace, "vmcp-engineering");
  assert.equal(k8s.createNamespace, true);
  assert.deepEqual(k8s.secretConfigKeys.map((r) => r.configKey), ["vmcp-okta:githubPat"]);
});

test("development relaxes the flags and the known-image secret rule to a warning", () => {
  const team = engineeringTeam({ environment: "development", endpoint: "http://localhost:8080" }, {}) as Team;
  delete team.backends["github-backend"].secrets;
  const { spec } = compileTeam(team);
  const problems = new ProblemList();
  (spec.raw as Record<string, unknown>).kubernetes = { insecureAllowHTTP: true, jwksAllowPrivateIP: true };
  const k8s = validateKubernetes(spec, problems, R);
  assert.deepEqual(problems.errors, []);
  assert.deepEqual(problems.warnings.map((w) => w.code), ["backend.secret-required"]);
  assert.equal(k8s?.insecureAllowHTTP, true);
});
