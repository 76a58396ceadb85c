/**
 * The Pulumi stack program: one stack is one team (`Pulumi.<team>.yaml`, config key `vmcp-okta:team`).
 * It validates the whole config first (a ConfigError names every bad path and its fix), then declares
 * the team's Okta objects and its ToolHive objects on Kubernetes.
 */
// First: refuses an unsupported Node before any dependency is loaded.
import "./components/nodeGuard";
import { vmcpOktaStack } from "./components/stackProgram";

const { outputs } = vmcpOktaStack();

/** Where MCP clients connect. */
export const mcpUrl = outputs.mcpUrl;
/** vMCP's issuer; also the audience and the resource URL. */
export const issuer = outputs.issuer;
/** The Okta authorization server's issuer (vMCP's upstream). */
export const oktaIssuer = outputs.oktaIssuer;
export const clientId = outputs.clientId;
export const namespace = outputs.namespace;
/** Okta group names, claim filter and Cedar groups, side by side (member counts, no logins). */
export const consistencyReport = outputs.consistencyReport;
/**
 * Public keys of every signing generation, newest first. vMCP v0.44 publishes only the newest at
 * `<issuer>/.well-known/jwks.json` (ToolHive pkg/authserver/server/provider.go: SigningJWKS holds the
 * signing key alone) and verifies older generations in process; the bundled gateway publishes all.
 */
export const jwks = outputs.jwks;
export const signingKeyIds = outputs.signingKeyIds;
/** `{group: {tool: "allow" | "deny"}}`: in `pulumi preview --diff` a grant change is one line. */
export const accessMatrix = outputs.accessMatrix;
/** The bundled gateway's in-cluster Service URL, when the stack's `gateway` section deploys it. */
export const gatewayServiceUrl = outputs.gatewayServiceUrl;
