/**
 * What Cedar reads for a gateway-issued token, as vMCP's authorizer resolves it with
 * `primaryUpstreamProvider` set (pkg/authz/authorizers/cedar/core.go resolveClaims and
 * supplementProfileClaims):
 *
 * - the upstream access token's claims (decoded, not verified: it came from the upstream token
 *   endpoint over the back channel and is re-read from storage, not from the client);
 * - `name` and `email` filled in from the same upstream's id_token when the access token lacks them
 *   (an access-token value always wins; nothing else is taken from the id_token, never `sub`);
 * - an opaque (non-JWT) upstream access token falls back to the gateway token's own claims; a
 *   JWT-shaped one that does not parse is an error (denies), so a tampered token cannot bypass policy.
 */
import { decodeJwt } from "jose";

export const PROFILE_CLAIMS_FROM_ID_TOKEN = ["name", "email"] as const;

export type ClaimSet = Record<string, unknown>;

export function looksLikeJwt(token: string): boolean {
  return token.split(".").length === 3;
}

export function supplementProfileClaims(accessTokenClaims: ClaimSet, idTokenClaims: ClaimSet | undefined): ClaimSet {
  const merged: ClaimSet = { ...accessTokenClaims };
  if (!idTokenClaims) return merged;
  for (const name of PROFILE_CLAIMS_FROM_ID_TOKEN) {
    if (name in merged) continue;
    if (name in idTokenClaims) merged[name] = idTokenClaims[name];
  }
  return merged;
}

/** Throws when the upstream access token is JWT-shaped but unreadable. */
export function cedarClaims(upstreamAccessToken: string, upstreamIdToken: string | undefined, requestClaims: ClaimSet): ClaimSet {
  if (!looksLikeJwt(upstreamAccessToken)) return requestClaims;
  let accessClaims: ClaimSet;
  try {
    accessClaims = decodeJwt(upstreamAccessToken) as ClaimSet;
  } catch {
    throw new Error("the upstream access token is not a readable JWT");
  }
  let idClaims: ClaimSet | undefined;
  if (upstreamIdToken) {
    try {
      idClaims = decodeJwt(upstreamIdToken) as ClaimSet;
    } catch {
      idClaims = undefined; // no supplement; policies needing it deny
    }
  }
  return supplementProfileClaims(accessClaims, idClaims);
}
