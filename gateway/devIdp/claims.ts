/**
 * The shape of an access token from an Okta custom authorization server, as the development IdP
 * reproduces it. Okta's access tokens are RS256 JWTs whose header carries only `kid` and `alg` (no
 * `typ: at+jwt`) and whose payload is
 *
 * ```json
 * {"ver":1,"jti":"AT.…","iss":"https://org.okta.com/oauth2/<id>","aud":"<audience>","iat":…,"exp":…,
 *  "cid":"<client id>","uid":"00u…","scp":["openid","groups"],"auth_time":…,"sub":"alice@example.com",
 *  "email":"alice@example.com","groups":["mcp-developers"]}
 * ```
 *
 * where `groups` is the team's Groups claim after its "Starts with <prefix>" filter, and is left out
 * when no group matches (Okta omits empty claims).
 */
import type { DevUser } from "../../components/dev/config";

/** Scopes the development authorization server knows (the guide's rule allows these). */
export const DEV_SCOPES = ["openid", "profile", "email", "groups", "offline_access"] as const;
/** What a token carries when the caller asks for no particular scope. */
export const DEFAULT_TOKEN_SCOPES = ["openid", "profile", "email", "groups"] as const;

export interface OktaAccessTokenInput {
  issuer: string;
  audience: string;
  clientId: string;
  jti: string;
  iat: number;
  exp: number;
  authTime?: number;
  scopes: string[];
  user: DevUser;
  /** The team's group claim name (`cedar.groupClaimName`), `groups` by default. */
  groupClaimName?: string;
}

export function oktaAccessTokenClaims(i: OktaAccessTokenInput): Record<string, unknown> {
  const claims: Record<string, unknown> = {
    ver: 1,
    jti: i.jti.startsWith("AT.") ? i.jti : `AT.${i.jti}`,
    iss: i.issuer,
    aud: i.audience,
    iat: i.iat,
    exp: i.exp,
    cid: i.clientId,
    uid: i.user.uid,
    scp: i.scopes,
    auth_time: i.authTime ?? i.iat,
    sub: i.user.login,
  };
  if (i.user.login.includes("@")) claims.email = i.user.login;
  if (i.user.tokenGroups.length > 0) claims[i.groupClaimName ?? "groups"] = [...i.user.tokenGroups];
  return claims;
}
