/**
 * Bearer validation for tokens the gateway's embedded authorization server issued, as vMCP's
 * incoming auth does with its embedded AS (pkg/auth/token.go Middleware, pkg/vmcp/auth/factory/incoming.go):
 *
 * 1. the JWT is checked in process against the server's own keys — every generation, so a token
 *    signed by an older key still verifies (token.go getKeyFromLocalProvider), no JWKS fetch;
 * 2. its `tsid` names the sign-in session; the session's upstream tokens are loaded and refreshed
 *    when expired; a refresh that fails is 401 "re-authentication required", a store outage 503;
 * 3. Cedar gets the upstream access token's claims with name/email from the upstream id_token
 *    (authServer/claims.ts), so the principal is the upstream `sub` and groups are Okta's.
 *
 * A token from another issuer goes to `fallback` when one is set (development: the dev IdP's own
 * tokens for scripts, `vmcp-okta dev token`); otherwise it is refused as from another issuer.
 */
import { createLocalJWKSet, decodeJwt, jwtVerify, type JWK, type JWTVerifyGetKey } from "jose";
import { cedarClaims } from "../authServer/claims";
import { UpstreamSessionError, type UpstreamSessions } from "../authServer/sessions";
import type { EmbeddedAuthServer } from "../authServer/server";
import { TokenError, TokenVerifier, toTokenError, type Claims, type TokenVerifierOptions } from "./tokenVerifier";

/** What the gateway needs from any bearer verifier. */
export interface BearerVerifier {
  verify(token: string): Promise<Claims>;
  warmUp(): void;
  close(): void;
  /** Keys are known, tokens can be verified (readiness). */
  hasKeys(): boolean;
}

/**
 * The gateway's verifier: without an embedded authorization server, tokens of `issuer` (its JWKS by
 * discovery); with one, the server's own tokens, plus — when the server allows it (development) —
 * tokens of `issuer` itself for scripts.
 */
export function bearerVerifierFor(authServer: EmbeddedAuthServer | undefined, o: TokenVerifierOptions): BearerVerifier {
  const direct = () => new TokenVerifier(o);
  if (!authServer) return direct();
  return new AuthServerVerifier({
    issuer: authServer.issuer,
    audience: authServer.resourceUrl,
    publicKeys: authServer.keys.publicKeys.map((k) => k.jwk),
    sessions: authServer.sessions,
    clockToleranceSec: o.clockToleranceSec,
    ...(authServer.verifierCacheTtlMs !== undefined ? { cacheTtlMs: authServer.verifierCacheTtlMs } : {}),
    ...(authServer.acceptUpstreamTokens ? { fallback: direct() } : {}),
  });
}

export interface AuthServerVerifierOptions {
  issuer: string;
  audience: string;
  /** Public JWKs of every signing key generation. */
  publicKeys: readonly JWK[];
  sessions: UpstreamSessions;
  clockToleranceSec?: number;
  /** How long a resolved token is remembered (default 5 000 ms; never past its or the upstream token's expiry; 0 disables). */
  cacheTtlMs?: number;
  fallback?: BearerVerifier;
}

interface Cached {
  claims: Claims;
  until: number;
}

const CACHE_MAX_ENTRIES = 10_000;

export class AuthServerVerifier implements BearerVerifier {
  private readonly keys: JWTVerifyGetKey;
  private readonly algorithms: string[];
  private readonly cacheTtlMs: number;
  private readonly cache = new Map<string, Cached>();

  constructor(private readonly o: AuthServerVerifierOptions) {
    this.keys = createLocalJWKSet({ keys: [...o.publicKeys] });
    this.algorithms = [...new Set(o.publicKeys.map((k) => k.alg).filter((a): a is string => typeof a === "string"))];
    this.cacheTtlMs = o.cacheTtlMs ?? 5_000;
  }

  warmUp(): void {
    this.o.fallback?.warmUp();
  }

  hasKeys(): boolean {
    return true; // in process, like vMCP's key provider
  }

  close(): void {
    this.cache.clear();
    this.o.fallback?.close();
  }

  async verify(token: string): Promise<Claims> {
    const now = Date.now();
    const hit = this.cache.get(token);
    if (hit) {
      if (hit.until > now) return hit.claims;
      this.cache.delete(token);
    }
    let iss: unknown;
    try {
      iss = decodeJwt(token).iss;
    } catch {
      throw new TokenError(401, "the token is malformed or unsupported", "malformed");
    }
    if (iss !== this.o.issuer && this.o.fallback) return this.o.fallback.verify(token);

    let payload: Claims;
    try {
      const r = await jwtVerify(token, this.keys, {
        issuer: this.o.issuer,
        audience: this.o.audience,
        algorithms: this.algorithms,
        clockTolerance: this.o.clockToleranceSec ?? 30,
        requiredClaims: ["exp", "sub"],
      });
      payload = r.payload as Claims;
    } catch (e) {
      throw toTokenError(e);
    }
    const tsid = payload.tsid;
    if (typeof tsid !== "string" || tsid === "") throw new TokenError(401, "the token names no sign-in session", "missing_tsid");

    let session;
    try {
      session = await this.o.sessions.valid(tsid, now);
    } catch (e) {
      if (e instanceof UpstreamSessionError) throw new TokenError(401, e.message, e.reason);
      throw new TokenError(503, "the sign-in session store is unavailable", "session_store_unavailable");
    }
    let claims: Claims;
    try {
      claims = cedarClaims(session.accessToken, session.idToken, payload) as Claims;
    } catch (e) {
      throw new TokenError(401, (e as Error).message, "upstream_token_unreadable");
    }
    // ToolHive denies without a principal (ErrMissingPrincipal); so does the gateway, at the door.
    if (typeof claims.sub !== "string" || claims.sub === "") throw new TokenError(401, "the upstream token has no subject (sub)", "missing_sub");

    if (this.cacheTtlMs > 0) {
      if (this.cache.size >= CACHE_MAX_ENTRIES) this.cache.delete(this.cache.keys().next().value!);
      const limits = [now + this.cacheTtlMs, (payload.exp ?? 0) * 1000];
      if (session.expiresAt) limits.push(session.expiresAt);
      this.cache.set(token, { claims, until: Math.min(...limits) });
    }
    return claims;
  }
}
