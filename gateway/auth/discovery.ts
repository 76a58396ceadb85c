/**
 * OIDC discovery: the issuer's `/.well-known/openid-configuration` names its JWKS (Okta custom
 * authorization servers answer `{issuer}/v1/keys`). The document's `issuer` must equal ours.
 */
export interface DiscoveredIssuer {
  issuer: string;
  jwksUri: URL;
}

export function discoveryUrl(issuer: string): string {
  return `${issuer.replace(/\/+$/, "")}/.well-known/openid-configuration`;
}

export async function discoverIssuer(issuer: string, timeoutMs: number, fetchImpl: typeof fetch = fetch): Promise<DiscoveredIssuer> {
  const url = discoveryUrl(issuer);
  const res = await fetchImpl(url, { headers: { accept: "application/json" }, redirect: "error", signal: AbortSignal.timeout(timeoutMs) });
  if (res.status !== 200) throw new Error(`OIDC discovery at ${url} answered HTTP ${res.status}`);
  const doc = (await res.json()) as Record<string, unknown>;
  if (doc.issuer !== issuer) throw new Error(`OIDC discovery at ${url} names issuer ${JSON.stringify(doc.issuer)}, expected ${JSON.stringify(issuer)}`);
  if (typeof doc.jwks_uri !== "string") throw new Error(`OIDC discovery at ${url} has no jwks_uri`);
  const jwksUri = new URL(doc.jwks_uri);
  if (jwksUri.protocol !== "https:" && jwksUri.protocol !== "http:") throw new Error(`jwks_uri ${jwksUri.href} is not an http(s) URL`);
  return { issuer, jwksUri };
}
