/**
 * `vmcp-okta render --stack NAME --out DIR`: runs the stack program offline, in process, with
 * Pulumi's mock runtime standing in for the engine (no Okta, no cluster, no Pulumi CLI), and writes
 * what it would declare: the Kubernetes objects (secret values redacted), the Okta objects, the Helm
 * releases, the stack outputs and the access matrix. Values only a deployment can know are named
 * placeholders such as `<okta:auth-server.issuer>`. Output is sorted, so two renders diff cleanly.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { stringify } from "yaml";
import type { Problem } from "../components/errors";
import { loadStackFile, isSecureValue } from "../components/stackConfig";
import { loadTeam, stackFileConfigView, type LoadedTeam } from "../components/loadStack";
import { vmcpOktaStack } from "../components/stackProgram";
import { matrixToMarkdown } from "../components/cedar/matrix";
import { placeholder } from "../components/kubernetes/placeholders";
import { TOOLHIVE_VERSION } from "../components/kubernetes/config";
import type { KubeObject } from "../components/kubernetes/objects";
import { devConfigFor, devEndpoints } from "../components/dev/config";
import { localBackendsFor, vmcpRenderFiles } from "../components/vmcp/runtimeConfig";

export const REDACTED = "<redacted>";

interface Recorded {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
}

interface RecordedInvoke {
  token: string;
  inputs: Record<string, unknown>;
}

/** Placeholder outputs per resource type: what the provider would compute at deployment. */
function computedOutputs(type: string, name: string, inputs: Record<string, unknown>): { id: string; outputs: Record<string, unknown> } {
  const own = (prop: string) => placeholder(`${type.split(":")[0]}:${name}.${prop}`);
  switch (type) {
    case "okta:auth/server:Server":
      return { id: placeholder("okta:auth-server.id"), outputs: { issuer: placeholder("okta:auth-server.issuer"), kid: placeholder("okta:auth-server.kid") } };
    case "okta:app/oAuth:OAuth":
      return { id: placeholder("okta:app.id"), outputs: { clientId: placeholder("okta:app.client-id"), clientSecret: secretWire(placeholder("okta:app.client-secret")) } };
    case "okta:group/group:Group":
      return { id: placeholder(`okta:group.${String(inputs.name)}.id`), outputs: {} };
    case "okta:auth/serverPolicy:ServerPolicy":
      return { id: placeholder("okta:policy.id"), outputs: {} };
    case "tls:index/privateKey:PrivateKey":
      return {
        id: own("id"),
        outputs: {
          privateKeyPem: secretWire(own("private-key-pem")),
          privateKeyPemPkcs8: secretWire(own("private-key-pem")),
          publicKeyPem: own("public-key-pem"),
        },
      };
    case "random:index/randomBytes:RandomBytes":
      return { id: own("id"), outputs: { base64: secretWire(own("base64")), hex: secretWire(own("hex")) } };
    default:
      // Kubernetes objects are identified by their metadata; others by a named placeholder.
      return { id: own("id"), outputs: {} };
  }
}

/** The engine stand-in: records every registration and answers with placeholders. */
class RenderMocks implements pulumi.runtime.Mocks {
  readonly resources: Recorded[] = [];
  readonly invokes: RecordedInvoke[] = [];
  constructor(private readonly loaded: LoadedTeam) {}

  newResource(args: pulumi.runtime.MockResourceArgs): { id: string; state: Record<string, unknown> } {
    this.resources.push({ type: args.type, name: args.name, inputs: args.inputs });
    const { id, outputs } = computedOutputs(args.type, args.name, args.inputs);
    return { id: args.id || id, state: { ...args.inputs, ...outputs } };
  }

  call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
    this.invokes.push({ token: args.token, inputs: args.inputs });
    const o = this.loaded.okta;
    const server = o.authServer;
    const serverId = server.mode === "existing" ? server.id : placeholder("okta:auth-server.id");
    switch (args.token) {
      case "okta:user/getUsers:getUsers": {
        // One search for every member (components/okta/lookups.ts lookupMembers): each login found, active.
        const expression = String((args.inputs.searches as { expression?: string }[] | undefined)?.[0]?.expression ?? "");
        const logins = [...expression.matchAll(/profile\.login eq "([^"]+)"/g)].map((m) => m[1]);
        return { id: placeholder("okta:users"), users: logins.map((login) => ({ id: placeholder(`okta:user.${login}.id`), login, status: "ACTIVE" })) };
      }
      case "okta:index/getGroups:getGroups":
        // Groups to adopt (okta.adoptGroups): each one found by name.
        return { id: placeholder("okta:groups"), groups: this.loaded.compiled.spec.groups.map((g) => ({ id: placeholder(`okta:group.${g.name}.id`), name: g.name, description: g.description, type: "OKTA_GROUP", source: "", customProfileAttributes: "{}" })) };
      case "okta:auth/getServer:getServer":
        // Stand-in for the lookup: the configured server, as a custom server.
        return { id: serverId, name: args.inputs.name, issuer: `https://${placeholder("okta:org-domain")}/oauth2/${serverId}`, audiences: [], status: "ACTIVE" };
      case "okta:auth/getServerScopes:getServerScopes":
        return { id: serverId, authServerId: serverId, scopes: [{ id: placeholder("okta:groups-scope.id"), name: "groups", system: false, description: "", displayName: "", consent: "IMPLICIT", default: false, metadataPublish: "ALL_CLIENTS", optional: false }] };
      case "okta:index/getAuthServerClaims:getAuthServerClaims":
        // Assumes the shared server's owner configured the claim as the team needs it.
        return {
          id: serverId,
          authServerId: serverId,
          claims: [{ id: placeholder("okta:claim.id"), name: o.claim.name, claimType: "RESOURCE", valueType: "GROUPS", value: o.claim.filter.value, status: "ACTIVE", scopes: [], alwaysIncludeInToken: true, groupFilterType: o.claim.filter.type }],
        };
      default:
        throw new Error(`render: no offline stand-in for the lookup ${args.token}`);
    }
  }
}

/** A secret in the engine's wire form: mock state carries secrets this way. */
function secretWire(value: string): Record<string, unknown> {
  return { [pulumi.runtime.specialSigKey]: pulumi.runtime.specialSecretSig, value };
}

/** Replaces secret values (Pulumi's secret wire form) with `<redacted>`, keeping map keys. */
export function redact(v: unknown): unknown {
  if (pulumi.runtime.isRpcSecret(v)) {
    const inner = pulumi.runtime.unwrapRpcSecret(v);
    if (inner && typeof inner === "object" && !Array.isArray(inner)) return Object.fromEntries(Object.keys(inner).sort().map((k) => [k, REDACTED]));
    return REDACTED;
  }
  if (Array.isArray(v)) return v.map(redact);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, redact(x)]));
  return v;
}

const TOP_ORDER = ["apiVersion", "kind", "metadata", "type", "data", "stringData", "spec"];

/** Sorts map keys (known top-level keys first) so output does not depend on registration order. */
function sortKeys(v: unknown, top = false): unknown {
  if (Array.isArray(v)) return v.map((x) => sortKeys(x));
  if (!v || typeof v !== "object") return v;
  const keys = Object.keys(v).sort((a, b) => {
    const ra = top ? TOP_ORDER.indexOf(a) : -1;
    const rb = top ? TOP_ORDER.indexOf(b) : -1;
    if (ra !== rb) return (ra < 0 ? 99 : ra) - (rb < 0 ? 99 : rb);
    return a < b ? -1 : a > b ? 1 : 0;
  });
  return Object.fromEntries(keys.map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]));
}

const K8S_ORDER = ["Namespace", "Secret", "ConfigMap", "MCPGroup", "MCPServer", "MCPOIDCConfig", "VirtualMCPServer", "Deployment", "Service", "PodDisruptionBudget", "HorizontalPodAutoscaler"];
const OKTA_ORDER = [
  "okta:auth/server:Server",
  "okta:app/oAuth:OAuth",
  "okta:auth/serverScope:ServerScope",
  "okta:auth/serverClaim:ServerClaim",
  "okta:group/group:Group",
  "okta:index/groupMemberships:GroupMemberships",
  "okta:app/groupAssignment:GroupAssignment",
  "okta:auth/serverPolicy:ServerPolicy",
  "okta:auth/serverPolicyRule:ServerPolicyRule",
];
const rank = (order: string[], x: string) => (order.indexOf(x) < 0 ? order.length : order.indexOf(x));
const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export interface RenderResult {
  /** Relative file name → content. */
  files: Record<string, string>;
  warnings: Problem[];
}

function header(stack: string, what: string): string {
  return (
    `# vmcp-okta render --stack ${stack}: ${what}.\n` +
    `# Values in <angle brackets> exist only after deployment; secret values are ${REDACTED}.\n`
  );
}

function yamlDocs(docs: unknown[]): string {
  return docs.map((d) => "---\n" + stringify(d, { lineWidth: 0 })).join("");
}

/** Resolves every (nested) Output in a value. */
async function resolveAll(v: unknown): Promise<unknown> {
  if (pulumi.Output.isInstance(v)) {
    const secret = await pulumi.isSecret(v as pulumi.Output<unknown>);
    const inner = await new Promise<unknown>((resolve) => (v as pulumi.Output<unknown>).apply((x) => resolve(x)));
    return secret ? REDACTED : resolveAll(inner);
  }
  if (Array.isArray(v)) return Promise.all(v.map(resolveAll));
  if (v && typeof v === "object") return Object.fromEntries(await Promise.all(Object.entries(v).map(async ([k, x]) => [k, await resolveAll(x)])));
  return v;
}

/** Runs the stack program for `stack` (its `Pulumi.<stack>.yaml` in `dir`) and returns the files to write. */
export async function renderStack(stack: string, dir?: string): Promise<RenderResult> {
  const stackFile = loadStackFile(stack, dir);
  const loaded = loadTeam(stackFile.team, stackFileConfigView(stackFile.config));

  // The stack's config as the program sees it; secure values stay unreadable (named placeholders).
  const config: Record<string, string> = {};
  const secretKeys: string[] = [];
  for (const [k, v] of Object.entries(stackFile.config)) {
    if (isSecureValue(v)) {
      config[k] = placeholder(`secret:${k}`);
      secretKeys.push(k);
    } else config[k] = typeof v === "string" ? v : JSON.stringify(v);
  }
  pulumi.runtime.setAllConfig(config, secretKeys);
  const mocks = new RenderMocks(loaded);
  await pulumi.runtime.setMocks(mocks, "vmcp-okta", stack, false);

  const failures: unknown[] = [];
  const onRejection = (e: unknown) => failures.push(e);
  process.on("unhandledRejection", onRejection);
  let outputs: unknown;
  try {
    const { outputs: o } = vmcpOktaStack(loaded, { logWarnings: false, clusterPreflight: false });
    outputs = await resolveAll(o);
    await pulumi.runtime.disconnect(); // waits until every registration has reached the mocks
  } finally {
    process.off("unhandledRejection", onRejection);
  }
  if (failures.length > 0) throw failures[0] instanceof Error ? failures[0] : new Error(String(failures[0]));

  const k8sObjects = mocks.resources
    .filter((r) => r.type.startsWith("kubernetes:") && r.type !== "kubernetes:helm.sh/v3:Release")
    .map((r) => sortKeys(redact(r.inputs), true) as { kind: string; metadata: { name: string; namespace?: string } })
    .sort((a, b) => rank(K8S_ORDER, a.kind) - rank(K8S_ORDER, b.kind) || byName(a.metadata.namespace ?? "", b.metadata.namespace ?? "") || byName(a.metadata.name, b.metadata.name));
  const helm = mocks.resources
    .filter((r) => r.type === "kubernetes:helm.sh/v3:Release")
    .map((r) => sortKeys(redact(r.inputs)))
    // CRDs before the operator, as they are installed.
    .sort((a, b) => {
      const key = (r: unknown) => String((r as { name?: string }).name).replace(/^(.*)-crds$/, "0 $1").replace(/^(?!0 )/, "1 ");
      return byName(key(a), key(b));
    });
  const oktaObjects = mocks.resources
    .filter((r) => r.type.startsWith("okta:"))
    .sort((a, b) => rank(OKTA_ORDER, a.type) - rank(OKTA_ORDER, b.type) || byName(a.name, b.name))
    .map((r) => ({ type: r.type, name: r.name, properties: sortKeys(redact(r.inputs)) }));
  const lookups = mocks.invokes
    .map((c) => ({ lookup: c.token, inputs: sortKeys(redact(c.inputs)) }))
    .sort((a, b) => byName(a.lookup + JSON.stringify(a.inputs), b.lookup + JSON.stringify(b.inputs)));

  const { spec } = loaded.compiled;
  const files: Record<string, string> = {
    "kubernetes.yaml": header(stack, `Kubernetes objects in apply order (ToolHive ${TOOLHIVE_VERSION} CRDs)`) + yamlDocs(k8sObjects),
    "okta.yaml": header(stack, "Okta objects, by guide step") + stringify({ resources: oktaObjects, lookups }, { lineWidth: 0 }),
    "outputs.yaml": header(stack, "stack outputs") + stringify(sortKeys(outputs), { lineWidth: 0 }),
    "access-matrix.md": `# Access matrix: team ${spec.team} (${spec.serverName})\n\nWho may call which tool (\`call_tool\`), decided by the stack's Cedar policies.\n\n` + matrixToMarkdown(loaded.compiled.matrix),
  };
  Object.assign(files, vmcpFiles(stack, loaded, k8sObjects as unknown as KubeObject[]));
  if (helm.length) files["helm-releases.yaml"] = header(stack, "Helm releases (ToolHive operator and CRDs)") + yamlDocs(helm);
  return { files, warnings: loaded.warnings };
}

/** vMCP's runtime configuration (operator ConfigMap keys and the local variant), from the objects above. */
function vmcpFiles(stack: string, loaded: LoadedTeam, objects: KubeObject[]): Record<string, string> {
  const { spec } = loaded.compiled;
  const development = spec.environment === "development";
  const endpoints = development ? devEndpoints(spec, devConfigFor(spec).dev) : undefined;
  return vmcpRenderFiles(objects, stack, {
    backends: localBackendsFor(spec.backends),
    issuer: endpoints?.issuer ?? placeholder("dev:issuer"),
    audience: endpoints?.resourceUrl ?? spec.endpoint,
    insecureAllowHttp: development,
  });
}

/** Writes the rendered files into `outDir` (created if needed); returns the paths written. */
export function writeRender(result: RenderResult, outDir: string): string[] {
  fs.mkdirSync(outDir, { recursive: true });
  return Object.keys(result.files)
    .sort()
    .map((name) => {
      const file = path.join(outDir, name);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, result.files[name]);
      return file;
    });
}
