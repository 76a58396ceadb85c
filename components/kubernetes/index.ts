/** The Kubernetes side of a team: config validation, pure object builders, reconcile checks, the component. */
export {
  validateKubernetes,
  qualifyConfigKey,
  TOOLHIVE_VERSION,
  MAX_SIGNING_KEYS,
  MIN_HMAC_BYTES,
  MIN_RSA_BITS,
  DEFAULT_SIGNING_KEYS,
  DEFAULT_HMAC_SECRETS,
  KNOWN_BACKEND_SECRETS,
  type KubernetesSpec,
  type SigningKeySpec,
  type SigningAlgorithm,
  type HmacSecretSpec,
  type SessionStorageSpec,
  type AuthServerStorageSpec,
  type TokenLifespansSpec,
  type OperatorSpec,
  type SecretValueRef,
  type StackConfigView,
  type ServiceType,
} from "./config";
export { toolhiveNames, type ToolhiveNames } from "./names";
export {
  mcpGroupObject,
  mcpServerObject,
  mcpOidcConfigObject,
  virtualMcpServerObject,
  aggregationConfig,
  toolhiveObjects,
  teamLabels,
  redirectUri,
  TOOLHIVE_API_VERSION,
  UPSTREAM_NAME,
  UPSTREAM_SCOPES,
  type KubeObject,
  type ObjectMeta,
  type UpstreamValues,
} from "./objects";
export { checkReconcileRules } from "./reconcile";
export { publicSigningKey, jwksOf, signingKeyMismatch, type PublicSigningKey } from "./keys";
export { parseGoDuration, LIFESPAN_BOUNDS } from "./duration";
export { toolhiveOperatorReleases, OPERATOR_CHARTS } from "./operator";
export { ToolhiveTeam, TOOLHIVE_TEAM_TYPE, REQUIRED_CRDS, VMCP_WAIT_FOR, VMCP_READY_TIMEOUT, type ToolhiveTeamArgs } from "./toolhiveTeam";
