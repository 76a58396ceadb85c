/**
 * The vmcp-okta guardrails as CrossGuard policies, for `pulumi preview --policy-pack`. The rules are
 * the package's own: the claim filter, Org-server and redirect-URI derivations of components/okta,
 * the dev-only flags of the Kubernetes spec, and the operator's reconcile rules. What this file adds
 * is only how to find them in the resources the engine passes.
 *
 * Production: every stack, unless the stack carries the tag `vmcp-okta:environment=development`
 * (`pulumi stack tag set vmcp-okta:environment development`) or the policy's config lists it under
 * `developmentStacks`. Unknown values (computed only at deployment) never fail a policy here.
 */
import type { PolicyResource, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy, StackValidationArgs, StackValidationPolicy } from "@pulumi/policy";
import cedar from "../components/cedar/wasm";
import { claimFilterFor, filterMatches, pointsAtOrgServer, redirectUriFor } from "../components/okta/derive";
import type { ClaimFilter } from "../components/okta/types";
import type { KubernetesSpec } from "../components/kubernetes/config";
import { checkReconcileRules } from "../components/kubernetes/reconcile";
import { TOOLHIVE_API_VERSION, type KubeObject } from "../components/kubernetes/objects";

/** Resource types as the engine shows them (the SDKs' `__pulumiType`; CustomResource is `kubernetes:<apiVersion>:<kind>`). */
export const TYPES = {
  authServer: "okta:auth/server:Server",
  serverClaim: "okta:auth/serverClaim:ServerClaim",
  serverScope: "okta:auth/serverScope:ServerScope",
  serverPolicy: "okta:auth/serverPolicy:ServerPolicy",
  serverPolicyRule: "okta:auth/serverPolicyRule:ServerPolicyRule",
  app: "okta:app/oAuth:OAuth",
  group: "okta:group/group:Group",
  groupAssignment: "okta:app/groupAssignment:GroupAssignment",
  virtualMcpServer: `kubernetes:${TOOLHIVE_API_VERSION}:VirtualMCPServer`,
  mcpOidcConfig: `kubernetes:${TOOLHIVE_API_VERSION}:MCPOIDCConfig`,
} as const;

export const ENVIRONMENT_TAG = "vmcp-okta:environment";

/** Config every environment-dependent policy takes. */
export interface EnvironmentConfig {
  developmentStacks?: string[];
}

const environmentSchema = {
  properties: {
    developmentStacks: { type: "array" as const, items: { type: "string" as const }, default: [] as string[], description: "stacks treated as development (as if tagged vmcp-okta:environment=development)" },
  },
};

/** `urn:pulumi:<stack>::<project>::<type>::<name>` → `<stack>`. */
export function stackOfUrn(urn: string): string {
  return /^urn:pulumi:([^:]+)::/.exec(urn)?.[1] ?? "";
}

export function isProduction(urn: string, stackTags: ReadonlyMap<string, string>, config: EnvironmentConfig): boolean {
  if (stackTags.get(ENVIRONMENT_TAG) === "development") return false;
  return !(config.developmentStacks ?? []).includes(stackOfUrn(urn));
}

/** Stands in for a value the engine does not know during preview. */
export const UNKNOWN = "<unknown during preview>";
const isKnown = (v: unknown) => v !== undefined && v !== UNKNOWN;

/**
 * A plain copy of the engine's props. The engine's proxy throws on reading a value that is unknown
 * during preview (which would turn the policy into an advisory "can't run during preview"); here
 * such values become UNKNOWN, so a policy decides on what is known.
 */
export function plain(v: unknown): unknown {
  if (v === null || typeof v !== "object") return v;
  if (Array.isArray(v)) return Array.from({ length: v.length }, (_, i) => plain(read(v as unknown as Record<number, unknown>, i)));
  return Object.fromEntries(Object.keys(v).map((k) => [k, plain(read(v as Record<string, unknown>, k))]));
}

function read(o: Record<string | number, unknown>, k: string | number): unknown {
  try {
    return o[k];
  } catch (e) {
    if (/can't be known during preview/.test((e as Error)?.message ?? "")) return UNKNOWN;
    throw e;
  }
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v && typeof v === "object" && !Array.isArray(v) ? (v as Obj) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

// --- claim filter ----------------------------------------------------------------------------------

/** Groups every Okta user or admin has, which no team's prefix covers. */
const FOREIGN_GROUPS = ["Everyone", "Okta Administrators", "unrelated-team-group"];

/** The core's development-only filter (`Matches regex .*`), or any regex that lets foreign groups in. */
export function isRegexAll(filter: ClaimFilter): boolean {
  if (filter.type !== "REGEX") return false;
  const devOnly = claimFilterFor({ groupPrefix: "" }, true);
  return filter.value === devOnly.value || FOREIGN_GROUPS.some((g) => filterMatches(filter, g));
}

export const noRegexAllClaimFilter: ResourceValidationPolicy = {
  name: "vmcp-no-regex-all-claim-filter",
  description: "In production the groups claim filter is `Starts with <group prefix>`, never a regex that puts every group of a user into every token.",
  enforcementLevel: "mandatory",
  severity: "high",
  configSchema: environmentSchema,
  validateResource: (args, report) => {
    if (args.type !== TYPES.serverClaim || !isProduction(args.urn, args.stackTags, args.getConfig<EnvironmentConfig>())) return;
    const p = obj(plain(args.props));
    if (p.valueType !== "GROUPS" || !isKnown(p.groupFilterType) || !isKnown(p.value)) return;
    const filter = { type: p.groupFilterType, value: p.value } as ClaimFilter;
    if (isRegexAll(filter)) report(`claim ${String(p.name)}: filter Matches regex ${JSON.stringify(p.value)} lets groups that are not the team's into tokens; use Starts with the team's group prefix (remove okta.claimFilter)`);
  },
};

// --- dev-only flags --------------------------------------------------------------------------------

/** The guide's "Remove in production" flags, as the Kubernetes spec names them. */
export const DEV_ONLY_FLAGS = ["insecureAllowHTTP", "jwksAllowPrivateIP"] as const satisfies readonly (keyof KubernetesSpec)[];

export const noDevOnlyFlags: ResourceValidationPolicy = {
  name: "vmcp-no-dev-only-flags",
  description: "In production no MCPOIDCConfig or VirtualMCPServer sets insecureAllowHTTP or jwksAllowPrivateIP.",
  enforcementLevel: "mandatory",
  severity: "high",
  configSchema: environmentSchema,
  validateResource: (args, report) => {
    if (args.type !== TYPES.mcpOidcConfig && args.type !== TYPES.virtualMcpServer) return;
    if (!isProduction(args.urn, args.stackTags, args.getConfig<EnvironmentConfig>())) return;
    const spec = obj(obj(plain(args.props)).spec);
    const places = args.type === TYPES.mcpOidcConfig ? { "spec.inline": obj(spec.inline) } : { "spec.authServerConfig": obj(spec.authServerConfig) };
    for (const [where, section] of Object.entries(places)) {
      for (const flag of DEV_ONLY_FLAGS) {
        if (section[flag] === true) report(`${where}.${flag} is development only (it weakens token validation); remove kubernetes.${flag} or mark the stack as development`);
      }
    }
  },
};

// --- Org authorization server ----------------------------------------------------------------------

const ON_AUTH_SERVER = new Set<string>([TYPES.serverClaim, TYPES.serverScope, TYPES.serverPolicy, TYPES.serverPolicyRule]);

export const noOrgAuthorizationServer: ResourceValidationPolicy = {
  name: "vmcp-no-org-authorization-server",
  description: "Claims, scopes, policies and vMCP's upstream use a custom Okta authorization server, never the Org authorization server.",
  enforcementLevel: "mandatory",
  severity: "critical",
  validateResource: (args, report) => {
    const p = obj(plain(args.props));
    if (ON_AUTH_SERVER.has(args.type)) {
      if (typeof p.authServerId === "string" && isKnown(p.authServerId) && pointsAtOrgServer(p.authServerId)) {
        report(`authServerId ${JSON.stringify(p.authServerId)} is the Org authorization server, which cannot put a groups claim into access tokens; use a custom server`);
      }
    } else if (args.type === TYPES.virtualMcpServer) {
      arr(obj(obj(p.spec).authServerConfig).upstreamProviders).forEach((u, i) => {
        const issuer = obj(obj(u).oidcConfig).issuerUrl;
        if (typeof issuer === "string" && isKnown(issuer) && pointsAtOrgServer(issuer)) {
          report(`spec.authServerConfig.upstreamProviders[${i}].oidcConfig.issuerUrl ${JSON.stringify(issuer)} is the Org authorization server; use https://<org>/oauth2/<custom server id>`);
        }
      });
    }
  },
};

// --- persistent keys -------------------------------------------------------------------------------

/** The operator's reconcile rules on persistent key material (components/kubernetes/reconcile.ts). */
const KEY_RULES = new Set(["reconcile.ephemeral-signing-key", "reconcile.ephemeral-hmac"]);

function kubeObject(type: string, props: unknown): KubeObject {
  const p = obj(props);
  const m = obj(p.metadata);
  return {
    apiVersion: String(p.apiVersion ?? TOOLHIVE_API_VERSION),
    kind: type.split(":").pop()!,
    metadata: { name: String(m.name ?? ""), namespace: String(m.namespace ?? ""), labels: obj(m.labels) as Record<string, string> },
    spec: obj(p.spec),
  };
}

export const persistentKeys: ResourceValidationPolicy = {
  name: "vmcp-persistent-keys",
  description: "Every VirtualMCPServer with an embedded auth server has persistent signing keys and HMAC secrets (else tokens break on every restart and differ per replica).",
  enforcementLevel: "mandatory",
  severity: "high",
  validateResource: (args, report) => {
    if (args.type !== TYPES.virtualMcpServer) return;
    const vmcp = kubeObject(args.type, plain(args.props));
    // Only the key rules apply to a lone object; the others need the MCPGroup and MCPOIDCConfig too.
    for (const p of checkReconcileRules([vmcp], "production").errors) if (KEY_RULES.has(p.code)) report(`${p.path}: ${p.message}`);
  },
};

// --- stack policies: the app of each vMCP, and its group assignments ------------------------------

interface Linked {
  vmcp: PolicyResource;
  apps: PolicyResource[];
}

/** Each VirtualMCPServer with the Okta apps it uses: its spec depends on their client id, or they hold its redirect URI. */
export function appsOfVirtualMcpServers(resources: readonly PolicyResource[]): Linked[] {
  const apps = resources.filter((r) => r.type === TYPES.app);
  return resources
    .filter((r) => r.type === TYPES.virtualMcpServer)
    .map((vmcp) => {
      const spec = obj(obj(plain(vmcp.props)).spec);
      const as = obj(spec.authServerConfig);
      const redirects = new Set(arr(as.upstreamProviders).map((u) => obj(obj(u).oidcConfig).redirectUri).filter((x): x is string => typeof x === "string" && isKnown(x)));
      // The redirect URI derived from the vMCP issuer, as the stack derives the app's.
      if (typeof as.issuer === "string" && isKnown(as.issuer)) redirects.add(redirectUriFor(as.issuer));
      const deps = new Set([...(vmcp.propertyDependencies.spec ?? []), ...vmcp.dependencies].map((r) => r.urn));
      const linked = apps.filter((a) => deps.has(a.urn) || arr(obj(plain(a.props)).redirectUris).some((u) => typeof u === "string" && redirects.has(u)));
      return { vmcp, apps: linked };
    });
}

export const oneAppPerVirtualMcpServer: StackValidationPolicy = {
  name: "vmcp-one-okta-app-per-vmcp",
  description: "Each VirtualMCPServer has its own Okta OIDC app: exactly one app per vMCP, and no app shared by two.",
  enforcementLevel: "mandatory",
  severity: "high",
  validateStack: (args, report) => {
    const linked = appsOfVirtualMcpServers(args.resources);
    const users = new Map<string, string[]>();
    for (const { vmcp, apps } of linked) {
      if (apps.length !== 1) report(`VirtualMCPServer ${vmcp.name} uses ${apps.length} Okta apps (${apps.map((a) => a.name).join(", ") || "none in this stack"}); give it exactly one app of its own`, vmcp.urn);
      for (const a of apps) users.set(a.urn, [...(users.get(a.urn) ?? []), vmcp.name]);
    }
    for (const [urn, vmcps] of users) if (vmcps.length > 1) report(`Okta app ${urn} is shared by the VirtualMCPServers ${vmcps.join(", ")}; one app per vMCP`, urn);
  },
};

/** Groups a VirtualMCPServer's Cedar permits name as `principal in <GroupType>::"<name>"`. */
export function grantedGroups(vmcpProps: unknown): string[] {
  const authz = obj(obj(obj(obj(vmcpProps).spec).incomingAuth).authzConfig);
  const groupType = typeof authz.groupEntityType === "string" ? authz.groupEntityType : "THVGroup";
  const out = new Set<string>();
  for (const text of arr(obj(authz.inline).policies)) {
    if (typeof text !== "string") continue;
    const r = cedar.policyToJson(text);
    if (r.type !== "success") continue;
    const p = r.json as unknown as { effect: string; principal: { op: string; entity?: { type?: string; id?: string } } };
    if (p.effect === "permit" && p.principal.op === "in" && p.principal.entity?.type === groupType && typeof p.principal.entity.id === "string") out.add(p.principal.entity.id);
  }
  return [...out];
}

/** Whether `r`'s property `prop` is `target`: by dependency (preview, ids unknown) or by known id. */
function refersTo(r: PolicyResource, prop: string, target: PolicyResource): boolean {
  if ((r.propertyDependencies[prop] ?? []).some((d) => d.urn === target.urn)) return true;
  const v = obj(plain(r.props))[prop];
  const id = obj(plain(target.props)).id;
  return typeof v === "string" && isKnown(v) && v === id;
}

export const grantedGroupsAssigned: StackValidationPolicy = {
  name: "vmcp-granted-groups-assigned",
  description: "Every group the Cedar policies grant is an Okta group of the stack assigned to the vMCP's app (else its members cannot sign in, and the grant is dead).",
  enforcementLevel: "mandatory",
  severity: "medium",
  validateStack: (args, report) => {
    const groups = args.resources.filter((r) => r.type === TYPES.group);
    const assignments = args.resources.filter((r) => r.type === TYPES.groupAssignment);
    for (const { vmcp, apps } of appsOfVirtualMcpServers(args.resources)) {
      if (apps.length !== 1) continue; // vmcp-one-okta-app-per-vmcp reports it
      const [app] = apps;
      for (const name of grantedGroups(plain(vmcp.props))) {
        const group = groups.find((g) => obj(plain(g.props)).name === name);
        if (!group) {
          report(`VirtualMCPServer ${vmcp.name} grants group ${name}, but the stack declares no Okta group of that name`, vmcp.urn);
          continue;
        }
        if (!assignments.some((a) => refersTo(a, "groupId", group) && refersTo(a, "appId", app))) {
          report(`group ${name} is granted by VirtualMCPServer ${vmcp.name} but not assigned to its Okta app ${app.name}`, group.urn);
        }
      }
    }
  },
};

export const policies: (ResourceValidationPolicy | StackValidationPolicy)[] = [
  noRegexAllClaimFilter,
  noDevOnlyFlags,
  noOrgAuthorizationServer,
  persistentKeys,
  oneAppPerVirtualMcpServer,
  grantedGroupsAssigned,
];

export type { ReportViolation, ResourceValidationArgs, StackValidationArgs };
