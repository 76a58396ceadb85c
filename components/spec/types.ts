/**
 * The team definition: what a platform engineer writes (in TypeScript or in Pulumi stack config) and
 * the validated, derived `TeamSpec` every other part consumes.
 */

export type Environment = "development" | "production";
export type ConflictResolution = "prefix" | "priority" | "manual";
export type Transport = "stdio" | "streamable-http" | "sse";

/** A tool reference in a grant: `"<backend>/<tool>"`, the tool being the backend's own name. */
export type ToolRefString<B extends string = string, T extends string = string> = `${B}/${T}`;

export interface GrantInput<Ref extends string = string> {
  /** `"*"`: every tool, prompt and resource (ToolHive's `permit(principal in G, action, resource)`). */
  allow?: "*" | Ref[];
  deny?: Ref[];
}

export interface GroupInput {
  description: string;
  /** Okta logins (usually e-mail addresses) that are members of the group. */
  members?: string[];
}

export interface BackendSecretInput {
  /** Kubernetes Secret name (created by the stack from `valueFrom`). */
  name: string;
  key: string;
  /** Env var the MCP server reads; ToolHive defaults it to `key`. */
  targetEnvName?: string;
  /** Name of a secret stack config key (`pulumi config set --secret <key> …`) holding the value. */
  valueFrom: string;
}

export interface LocalBackendInput {
  /** For local runs (gateway): a command started as a stdio MCP server, … */
  command?: string;
  args?: string[];
  env?: Record<string, string>;
  /** … or the URL of a Streamable HTTP MCP server. */
  url?: string;
}

export interface BackendInput {
  image: string;
  transport?: Transport;
  args?: string[];
  env?: Record<string, string>;
  secrets?: BackendSecretInput[];
  resources?: {
    limits?: { cpu?: string; memory?: string };
    requests?: { cpu?: string; memory?: string };
  };
  /** The tool names the backend exposes (its own names, before vMCP prefixes them). */
  tools?: readonly string[];
  /** Optional: the backend's prompt names (its own), so policies, `why` and `test` can check them. */
  prompts?: readonly string[];
  /** Optional: the resource URIs and URI templates (`{var}`) the backend lists (vMCP never renames them). */
  resourceUris?: readonly string[];
  local?: LocalBackendInput;
}

export interface AggregationInput {
  conflictResolution?: ConflictResolution;
  prefixFormat?: string;
  priorityOrder?: string[];
  /** Renames applied before conflict resolution: `{backend: {tool: newName}}`. */
  overrides?: Record<string, Record<string, string>>;
}

export interface RawPolicyInput {
  /** Policy id shown in decisions and the access matrix. */
  id: string;
  cedar: string;
}

export interface CedarInput {
  /** Extra policies for conditions (claims, arguments); checked against the group list and tool names. */
  policies?: RawPolicyInput[];
  entitiesJson?: string;
  groupClaimName?: string;
  roleClaimName?: string;
  groupEntityType?: string;
  /** Claims and arguments raw policies read, for schema validation: `{claims: {department: "String"}}`. */
  claims?: Record<string, CedarAttributeType>;
  arguments?: Record<string, CedarAttributeType>;
}

export type CedarAttributeType = "String" | "Bool" | "Long" | "decimal" | "Set<String>";

/** The whole team definition, as written. `okta`, `kubernetes` and `dev` are parsed by their own modules. */
export interface TeamInput {
  team: string;
  environment?: Environment;
  /** The team's vMCP endpoint: issuer, audience and resource URL. `https://host`, no path. */
  endpoint: string;
  groupPrefix?: string;
  groups: Record<string, GroupInput>;
  grants?: Record<string, GrantInput>;
  backends: Record<string, BackendInput>;
  aggregation?: AggregationInput;
  cedar?: CedarInput;
  okta?: Record<string, unknown>;
  kubernetes?: Record<string, unknown>;
  dev?: Record<string, unknown>;
  /** The bundled gateway's Deployment (components/gatewayDeploy). */
  gateway?: Record<string, unknown>;
}

// ---------------------------------------------------------------------------------------------
// Validated, derived form.

export interface ToolRef {
  backend: string;
  tool: string;
}

export interface GroupSpec {
  /** Short name as declared (`developers`). */
  shortName: string;
  /** Okta group name, Cedar `THVGroup` id and token claim value (`mcp-developers`). */
  name: string;
  description: string;
  members: string[];
  allowAll: boolean;
  allow: ToolRef[];
  deny: ToolRef[];
}

export interface BackendSpec {
  name: string;
  image: string;
  transport: Transport;
  args: string[];
  env: Record<string, string>;
  secrets: BackendSecretInput[];
  resources?: BackendInput["resources"];
  /** Declared tools, or undefined when the backend's list is not declared. */
  tools?: string[];
  /** Declared prompts and resource URIs, or undefined when not declared. */
  prompts?: string[];
  resourceUris?: string[];
  local?: LocalBackendInput;
}

export interface AggregationSpec {
  conflictResolution: ConflictResolution;
  prefixFormat: string;
  priorityOrder: string[];
  overrides: Record<string, Record<string, string>>;
}

export interface CedarSpec {
  rawPolicies: RawPolicyInput[];
  entitiesJson: string;
  groupClaimName?: string;
  roleClaimName?: string;
  groupEntityType: string;
  claims: Record<string, CedarAttributeType>;
  arguments: Record<string, CedarAttributeType>;
}

export interface AdvertisedTool {
  /** The name vMCP advertises and Cedar sees (`kubernetes-backend_delete_namespace`). */
  name: string;
  backend: string;
  tool: string;
}

export interface AdvertisedItem {
  /** The name (or URI) vMCP advertises and Cedar sees. */
  name: string;
  backend: string;
  /** The backend's own name (what a call is forwarded with). */
  original: string;
}

export interface TeamSpec {
  team: string;
  /** The VirtualMCPServer / MCPGroup name (`<team>-tools`); Cedar resources get parent `MCP::"<serverName>"`. */
  serverName: string;
  environment: Environment;
  endpoint: string;
  groupPrefix: string;
  /** The Okta claim filter: `STARTS_WITH <groupPrefix>`. */
  claimFilter: { type: "STARTS_WITH"; value: string };
  groups: GroupSpec[];
  backends: BackendSpec[];
  aggregation: AggregationSpec;
  cedar: CedarSpec;
  /** Every declared tool under its advertised name. */
  tools: AdvertisedTool[];
  /** Every declared prompt and resource under its advertised name (`original`: the backend's own). */
  prompts: AdvertisedItem[];
  resources: AdvertisedItem[];
  /** Sections owned by the Okta, Kubernetes and dev modules, kept raw here and parsed there. */
  raw: Pick<TeamInput, "okta" | "kubernetes" | "dev" | "gateway">;
}
