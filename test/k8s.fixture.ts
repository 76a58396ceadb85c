/**
 * Fixtures for the Kubernetes-side tests: the guide's team with its backend secret declared, a second
 * team, a harness whose tls/random "providers" produce real key material (node:crypto), and a helper
 * that runs the whole team component (Okta + Kubernetes) under it.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { CRD_DIR } from "./helpers/k8sCrds";
import * as pulumi from "@pulumi/pulumi";
import { loadTeam, type LoadedTeam } from "../components/loadStack";
import type { StackConfigView } from "../components/kubernetes/config";
import { VmcpTeam } from "../components/team";
import { vmcpOktaStack } from "../components/stackProgram";
import { MockHarness, settle, unwrapAll, useHarness, valueOf, type HarnessOptions, type RecordedResource } from "./helpers/pulumiMocks";
import { oktaHarnessOptions } from "./okta.fixture";

export const GITHUB_PAT = "ghp_test_token_value_0123456789";
export const REDIS_PASSWORD = "redis-test-password";

export const K = {
  namespace: "kubernetes:core/v1:Namespace",
  secret: "kubernetes:core/v1:Secret",
  mcpGroup: "kubernetes:toolhive.stacklok.dev/v1beta1:MCPGroup",
  mcpServer: "kubernetes:toolhive.stacklok.dev/v1beta1:MCPServer",
  oidc: "kubernetes:toolhive.stacklok.dev/v1beta1:MCPOIDCConfig",
  vmcp: "kubernetes:toolhive.stacklok.dev/v1beta1:VirtualMCPServer",
  release: "kubernetes:helm.sh/v3:Release",
  tlsKey: "tls:index/privateKey:PrivateKey",
  bytes: "random:index/randomBytes:RandomBytes",
} as const;

/** The guide's team (engineering), corrected: github-pat declared, persistent keys by default. */
export function engineeringTeam(over: Record<string, unknown> = {}, kubernetes: Record<string, unknown> = { namespace: "vmcp-engineering" }): Record<string, unknown> {
  return {
    team: "engineering",
    environment: "production",
    endpoint: "https://vmcp-engineering.example.com",
    groupPrefix: "mcp-",
    groups: {
      developers: { description: "Engineers who use the MCP tools day to day", members: ["alice@example.com"] },
      platform: { description: "Platform engineers, including destructive cluster tools", members: ["bob@example.com"] },
      admin: { description: "Escape hatch with full access", members: ["carol@example.com"] },
    },
    grants: {
      developers: { allow: "*", deny: ["kubernetes-backend/delete_namespace"] },
      platform: { allow: "*" },
      admin: { allow: "*" },
    },
    backends: {
      "github-backend": {
        image: "ghcr.io/github/github-mcp-server:latest",
        secrets: [{ name: "github-pat", key: "token", targetEnvName: "GITHUB_PERSONAL_ACCESS_TOKEN", valueFrom: "githubPat" }],
        tools: ["create_issue", "list_issues", "get_file_contents"],
      },
      "kubernetes-backend": { image: "ghcr.io/stackloklabs/yardstick/yardstick-server:1.1.1", tools: ["list_namespaces", "get_pods", "delete_namespace"] },
    },
    kubernetes,
    ...over,
  };
}

/** A second team on the same org and cluster: HA with Redis, RSA + EC keys mid-rotation. */
export function salesTeam(kubernetes: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    team: "sales",
    environment: "production",
    endpoint: "https://vmcp-sales.example.com",
    groupPrefix: "sales-mcp-",
    groups: {
      reps: { description: "Account executives", members: ["dana@example.com"] },
      managers: { description: "Sales managers", members: ["frank@example.com"] },
    },
    grants: { reps: { allow: ["crm-backend/search_accounts"] }, managers: { allow: "*" } },
    backends: {
      "crm-backend": {
        image: "ghcr.io/stackloklabs/yardstick/yardstick-server:1.1.1",
        env: { CRM_REGION: "eu" },
        secrets: [{ name: "crm-api-token", key: "token", targetEnvName: "CRM_API_TOKEN", valueFrom: "crmApiToken" }],
        tools: ["search_accounts", "update_opportunity"],
      },
    },
    aggregation: { prefixFormat: "{workload}." },
    cedar: { groupEntityType: "SalesGroup", groupClaimName: "groups" },
    kubernetes: {
      namespace: "vmcp-sales",
      replicas: 2,
      serviceType: "ClusterIP",
      sessionStorage: { provider: "redis", address: "redis.redis.svc:6379", keyPrefix: "sales:", db: 1, passwordFrom: "redisPassword" },
      authServerStorage: { type: "redis", addr: "redis.redis.svc:6379", passwordFrom: "redisPassword", usernameFrom: "redisUser" },
      tokenLifespans: { accessToken: "30m", refreshToken: "168h", authCode: "5m" },
      signingKeys: [{ generation: "2", algorithm: "RS256", rsaBits: 2048 }, { generation: "1" }],
      hmacSecrets: [{ generation: "2", bytes: 64 }, { generation: "1" }],
      ...kubernetes,
    },
  };
}

/** Secret config values the fixtures use (all set as secrets). */
export const SECRET_CONFIG: Record<string, string> = {
  "vmcp-okta:githubPat": GITHUB_PAT,
  "vmcp-okta:crmApiToken": "crm-token-value",
  "vmcp-okta:redisPassword": REDIS_PASSWORD,
  "vmcp-okta:redisUser": "vmcp",
};

export function configView(values: Record<string, string> = SECRET_CONFIG, secret = true): StackConfigView {
  return { has: (k) => k in values, isSecret: () => secret };
}

export function load(input: Record<string, unknown>, view: StackConfigView = configView()): LoadedTeam {
  return loadTeam(input, view);
}

/** tls/random outputs made of real key material, generated with node:crypto. */
export function keyMaterialOutputs(counter: { keys: number; bytes: number } = { keys: 0, bytes: 0 }): HarnessOptions["outputs"] {
  return {
    [K.tlsKey]: (inputs) => {
      counter.keys++;
      const { privateKey, publicKey } =
        inputs.algorithm === "RSA"
          ? crypto.generateKeyPairSync("rsa", { modulusLength: Number(inputs.rsaBits ?? 2048) })
          : crypto.generateKeyPairSync("ec", { namedCurve: inputs.ecdsaCurve === "P256" ? "prime256v1" : "secp224r1" });
      return {
        privateKeyPem: privateKey.export({ format: "pem", type: inputs.algorithm === "RSA" ? "pkcs1" : "sec1" }).toString(),
        privateKeyPemPkcs8: privateKey.export({ format: "pem", type: "pkcs8" }).toString(),
        publicKeyPem: publicKey.export({ format: "pem", type: "spki" }).toString(),
      };
    },
    [K.bytes]: (inputs) => {
      counter.bytes++;
      const raw = crypto.randomBytes(Number(inputs.length));
      return { base64: raw.toString("base64"), hex: raw.toString("hex") };
    },
  };
}

export const CRD_TYPE = "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition";

/**
 * The cluster's CRDs as a read returns them: the real ToolHive CRD files (`../shared/toolhive-crds`),
 * or `served` overrides per CRD name (e.g. an old operator serving only v1alpha1).
 */
export function clusterOutputs(served: Record<string, string[]> = {}): HarnessOptions["outputs"] {
  return {
    [CRD_TYPE]: (_inputs, _name, id) => {
      if (served[id]) return { spec: { group: "toolhive.stacklok.dev", versions: served[id].map((name) => ({ name, served: true, storage: true })) } };
      const file = path.join(CRD_DIR, `toolhive.stacklok.dev_${id.split(".")[0]}.yaml`);
      const doc = parse(fs.readFileSync(file, "utf8")) as { spec: { group: string; versions: { name: string; served: boolean; storage: boolean }[] } };
      return { spec: { group: doc.spec.group, versions: doc.spec.versions.map(({ name, served: s, storage }) => ({ name, served: s, storage })) } };
    },
  };
}

export function harnessOptions(counter?: { keys: number; bytes: number }, priorState?: Map<string, RecordedResource>): HarnessOptions {
  const okta = oktaHarnessOptions();
  return { outputs: { ...okta.outputs, ...keyMaterialOutputs(counter), ...clusterOutputs() }, calls: okta.calls, priorState };
}

export interface TeamRun {
  harness: MockHarness;
  team: VmcpTeam;
  loaded: LoadedTeam;
  counter: { keys: number; bytes: number };
}

/** Declares a VmcpTeam (secret values as Pulumi secrets) and waits until everything settled. */
export async function runTeam(loaded: LoadedTeam, priorState?: Map<string, RecordedResource>, name = loaded.compiled.spec.team): Promise<TeamRun> {
  const counter = { keys: 0, bytes: 0 };
  const harness = new MockHarness(harnessOptions(counter, priorState));
  await useHarness(harness);
  const secretValues = Object.fromEntries(loaded.kubernetes.secretConfigKeys.map((r) => [r.configKey, pulumi.secret(SECRET_CONFIG[r.configKey])]));
  const team = new VmcpTeam(name, { compiled: loaded.compiled, okta: loaded.okta, kubernetes: loaded.kubernetes, secretValues });
  await Promise.all([team.jwks, team.oktaIssuer, team.clientId, team.consistencyReport, team.toolhive.virtualMcpServer.urn].map((o) => valueOf<unknown>(o)));
  await quiesce(harness);
  return { harness, team, loaded, counter };
}

/** Waits until no new resource registers for a few turns of the event loop. */
export async function quiesce(harness: MockHarness): Promise<void> {
  let last = -1;
  while (last !== harness.resources.length) {
    last = harness.resources.length;
    await settle();
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A recorded resource's inputs with secrets unwrapped. */
export function plain(r: RecordedResource): Record<string, unknown> {
  return unwrapAll(r.inputs) as Record<string, unknown>;
}

/** Runs the stack program the way `index.ts` does, from Pulumi config. */
export async function runStackFromConfig(team: Record<string, unknown>, secrets: Record<string, string> = SECRET_CONFIG, extra: Record<string, string> = {}) {
  const counter = { keys: 0, bytes: 0 };
  const harness = new MockHarness(harnessOptions(counter));
  pulumi.runtime.setAllConfig({ "vmcp-okta:team": JSON.stringify(team), "kubernetes:enableSecretMutable": "true", ...secrets, ...extra }, Object.keys(secrets));
  await useHarness(harness);
  return { harness, run: () => vmcpOktaStack() };
}
