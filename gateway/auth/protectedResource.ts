/**
 * The gateway as an OAuth protected resource: RFC 9728 metadata and the RFC 6750 challenge that
 * points clients at it.
 */
export interface ProtectedResourceMetadata {
  resource: string;
  authorization_servers: string[];
  bearer_methods_supported: string[];
  resource_name?: string;
  /** What clients should ask for (vMCP: oidcConfigRef.scopes, default ["openid"]; pkg/auth/token.go RFC9728AuthInfo). */
  scopes_supported?: string[];
}

/** RFC 9728 §3.1: the well-known segment goes between the host and the resource's path. */
export function metadataPath(resourceUrl: string): string {
  const path = new URL(resourceUrl).pathname.replace(/\/+$/, "");
  return `/.well-known/oauth-protected-resource${path}`;
}

export function metadataUrl(resourceUrl: string): string {
  return new URL(metadataPath(resourceUrl), resourceUrl).href;
}

export function protectedResourceMetadata(resourceUrl: string, issuer: string, name?: string, scopes?: readonly string[]): ProtectedResourceMetadata {
  return {
    resource: resourceUrl,
    authorization_servers: [issuer],
    bearer_methods_supported: ["header"],
    ...(name ? { resource_name: name } : {}),
    ...(scopes?.length ? { scopes_supported: [...scopes] } : {}),
  };
}

function quoted(s: string): string {
  return `"${s.replace(/[\\"]/g, "\\$&")}"`;
}

export function bearerChallenge(resourceMetadataUrl: string, error: string, description: string): string {
  return `Bearer resource_metadata=${quoted(resourceMetadataUrl)}, error=${quoted(error)}, error_description=${quoted(description)}`;
}
