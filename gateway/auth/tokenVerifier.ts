/**
 * Bearer token validation with jose: keys from the issuer's JWKS (found by OIDC discovery), `iss`,
 * `aud`, `exp`/`nbf` with a small clock skew, an asymmetric-only algorithm allow-list and a
 * non-empty `sub`.
 *
 * Key handling (see ../shared/reference/runtime-probe.md §5): jose's remote set is built with
 * `cacheMaxAge: Infinity`, so a key, once fetched, never expires on its own and an outage of the
 * JWKS endpoint cannot invalidate it; a periodic `reload()` picks up rotations (a failed reload keeps
 * the last good keys); an unknown `kid` triggers a refetch at most once per cooldown (jose limits
 * from the last success, we also limit from the last attempt so an outage is not hammered).
 *
 * Verified tokens are cached for a short time (default 30 s, never past `exp`, dropped when their
 * key leaves the JWKS): signature checks are the largest CPU cost per call.
 */
import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from "jose";
import { discoverIssuer, type DiscoveredIssuer } from "./discovery";

/** Asymmetric algorithms only: no `none`, no HMAC (which a public key could be abused for). */
export const ALLOWED_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"];

export interface TokenVerifierOptions {
  issuer: string;
  audience: string;
  algorithms?: string[];
  /** Allowed clock skew for exp/nbf/iat, seconds (default 30). */
  clockToleranceSec?: number;
  /** Minimum time between JWKS refetches caused by an unknown kid, ms (default 30 000). */
  jwksCooldownMs?: number;
  /** Periodic JWKS reload, ms (default 600 000; 0 disables). */
  jwksRefreshMs?: number;
  /** Timeout of discovery and JWKS requests, ms (default 5 000). */
  fetchTimeoutMs?: number;
  /** How long a verified token is remembered, ms (default 30 000; 0 disables). */
  tokenCacheTtlMs?: number;
  log?: (line: Record<string, unknown>) => void;
}

export type Claims = JWTPayload & Record<string, unknown>;

/** Why a token was refused. `status` 401: the token; 503: the issuer could not be reached. */
export class TokenError extends Error {
  constructor(
    readonly status: 401 | 503,
    readonly description: string,
    readonly reason: string,
  ) {
    super(description);
  }
}

interface CachedToken {
  claims: Claims;
  kid: string | undefined;
  until: number;
}

const CACHE_MAX_ENTRIES = 10_000;

export class TokenVerifier {
  private readonly algorithms: string[];
  private readonly cooldownMs: number;
  private readonly fetchTimeoutMs: number;
  private readonly cacheTtlMs: number;
  private discovered?: DiscoveredIssuer;
  private discovering?: Promise<DiscoveredIssuer>;
  private lastDiscoveryFailure = 0;
  private remote?: ReturnType<typeof createRemoteJWKSet>;
  private resolver?: JWTVerifyGetKey;
  private lastKeyFetchAttempt = 0;
  private lastKeyFetchFailure = 0;
  private knownKids = new Set<string | undefined>();
  private keysMayHaveChanged = false;
  private readonly cache = new Map<string, CachedToken>();
  private refreshTimer?: NodeJS.Timeout;

  constructor(private readonly opts: TokenVerifierOptions) {
    this.algorithms = opts.algorithms ?? ALLOWED_ALGORITHMS;
    for (const a of this.algorithms) {
      if (a === "none" || a.startsWith("HS")) throw new Error(`algorithm ${a} is not allowed for bearer tokens`);
    }
    this.cooldownMs = opts.jwksCooldownMs ?? 30_000;
    this.fetchTimeoutMs = opts.fetchTimeoutMs ?? 5_000;
    this.cacheTtlMs = opts.tokenCacheTtlMs ?? 30_000;
    const refreshMs = opts.jwksRefreshMs ?? 600_000;
    if (refreshMs > 0) {
      this.refreshTimer = setInterval(() => void this.reloadKeys(), refreshMs);
      this.refreshTimer.unref();
    }
  }

  /** Starts discovery and the first key fetch in the background; failures are retried on demand. */
  warmUp(): void {
    this.keyResolver()
      .then(() => this.remote?.reload())
      .then(() => this.noteKeys())
      .catch((e) => this.opts.log?.({ level: "warn", msg: "auth.warmup_failed", error: (e as Error).message }));
  }

  close(): void {
    if (this.refreshTimer) clearInterval(this.refreshTimer);
    this.cache.clear();
  }

  /** True once the issuer's JWKS has given at least one key (the gateway's readiness). */
  hasKeys(): boolean {
    return this.knownKids.size > 0;
  }

  /** Current key ids (for tests and the status page). */
  keyIds(): string[] {
    return [...this.knownKids].filter((k): k is string => typeof k === "string");
  }

  async verify(token: string): Promise<Claims> {
    const now = Date.now();
    if (this.cacheTtlMs > 0) {
      const hit = this.cache.get(token);
      if (hit) {
        if (hit.until > now && this.knownKids.has(hit.kid)) return hit.claims;
        this.cache.delete(token);
      }
    }
    const resolver = await this.keyResolver();
    let payload: JWTPayload;
    let kid: string | undefined;
    try {
      const r = await jwtVerify(token, resolver, {
        issuer: this.opts.issuer,
        audience: this.opts.audience,
        algorithms: this.algorithms,
        clockTolerance: this.opts.clockToleranceSec ?? 30,
        requiredClaims: ["exp"],
      });
      payload = r.payload;
      kid = r.protectedHeader.kid;
    } catch (e) {
      throw toTokenError(e);
    } finally {
      if (this.keysMayHaveChanged) {
        this.keysMayHaveChanged = false;
        this.noteKeys();
      }
    }
    if (typeof payload.sub !== "string" || payload.sub === "") throw new TokenError(401, "the token has no subject (sub)", "missing_sub");
    const claims = payload as Claims;
    if (this.cacheTtlMs > 0) {
      if (this.cache.size >= CACHE_MAX_ENTRIES) this.cache.delete(this.cache.keys().next().value!);
      const exp = typeof payload.exp === "number" ? payload.exp * 1000 : now;
      this.cache.set(token, { claims, kid, until: Math.min(now + this.cacheTtlMs, exp) });
    }
    return claims;
  }

  /** Reloads the JWKS now; on failure the last good keys stay in use. */
  async reloadKeys(): Promise<void> {
    if (!this.remote) return;
    this.lastKeyFetchAttempt = Date.now();
    try {
      await this.remote.reload();
      this.noteKeys();
    } catch (e) {
      this.lastKeyFetchFailure = Date.now();
      this.opts.log?.({ level: "warn", msg: "auth.jwks_reload_failed", error: (e as Error).message, keptKeys: this.keyIds().length });
    }
  }

  private noteKeys(): void {
    const set = this.remote?.jwks();
    if (!set) return;
    const kids = new Set<string | undefined>(set.keys.map((k) => k.kid));
    if (kids.size !== this.knownKids.size || [...kids].some((k) => !this.knownKids.has(k))) {
      this.knownKids = kids;
      this.opts.log?.({ level: "info", msg: "auth.jwks_keys", kids: this.keyIds() });
    }
  }

  private async keyResolver(): Promise<JWTVerifyGetKey> {
    if (this.resolver) return this.resolver;
    const issuer = await this.discover();
    if (!this.remote) {
      this.remote = createRemoteJWKSet(issuer.jwksUri, { cacheMaxAge: Infinity, cooldownDuration: this.cooldownMs, timeoutDuration: this.fetchTimeoutMs });
      const remote = this.remote;
      this.resolver = async (header, token) => {
        const now = Date.now();
        const haveKeys = this.knownKids.size > 0;
        if (!haveKeys && now - this.lastKeyFetchFailure < Math.min(this.cooldownMs, 5_000)) {
          throw new TokenError(503, "the issuer's signing keys are unavailable", "jwks_unavailable");
        }
        if (haveKeys && !this.knownKids.has(header.kid)) {
          // Unknown kid: allow one refetch per cooldown, counted from the last attempt.
          if (now - this.lastKeyFetchAttempt < this.cooldownMs) throw new errors.JWKSNoMatchingKey();
          this.lastKeyFetchAttempt = now;
          this.keysMayHaveChanged = true;
        } else if (!haveKeys) {
          this.lastKeyFetchAttempt = now;
          this.keysMayHaveChanged = true;
        }
        try {
          return await remote(header, token);
        } catch (e) {
          if (isFetchFailure(e)) this.lastKeyFetchFailure = Date.now();
          throw e;
        }
      };
    }
    return this.resolver!;
  }

  private async discover(): Promise<DiscoveredIssuer> {
    if (this.discovered) return this.discovered;
    if (!this.discovering) {
      if (Date.now() - this.lastDiscoveryFailure < 2_000) {
        throw new TokenError(503, "the issuer's OIDC discovery document is unavailable", "discovery_unavailable");
      }
      this.discovering = discoverIssuer(this.opts.issuer, this.fetchTimeoutMs)
        .then((d) => {
          this.discovered = d;
          this.opts.log?.({ level: "info", msg: "auth.discovered", issuer: d.issuer, jwksUri: d.jwksUri.href });
          return d;
        })
        .catch((e) => {
          this.lastDiscoveryFailure = Date.now();
          this.opts.log?.({ level: "warn", msg: "auth.discovery_failed", issuer: this.opts.issuer, error: (e as Error).message });
          throw new TokenError(503, "the issuer's OIDC discovery document is unavailable", "discovery_unavailable");
        })
        .finally(() => {
          this.discovering = undefined;
        });
    }
    return this.discovering;
  }
}

function isFetchFailure(e: unknown): boolean {
  return e instanceof errors.JWKSTimeout || (e instanceof errors.JOSEError && e.code === "ERR_JOSE_GENERIC") || e instanceof TypeError;
}

/** Maps jose's errors to a safe description (never the token or claim values). */
export function toTokenError(e: unknown): TokenError {
  if (e instanceof TokenError) return e;
  if (e instanceof errors.JWTExpired) return new TokenError(401, "the token has expired", "expired");
  if (e instanceof errors.JWTClaimValidationFailed) {
    if (e.claim === "nbf") return new TokenError(401, "the token is not yet valid", "not_yet_valid");
    if (e.claim === "iss") return new TokenError(401, "the token was issued by another issuer", "wrong_issuer");
    if (e.claim === "aud") return new TokenError(401, "the token is for another audience", "wrong_audience");
    return new TokenError(401, `the token's "${e.claim}" claim is ${e.reason === "missing" ? "missing" : "invalid"}`, `claim_${e.claim}`);
  }
  if (e instanceof errors.JOSEAlgNotAllowed) return new TokenError(401, "the token's signing algorithm is not allowed", "alg_not_allowed");
  if (e instanceof errors.JWSSignatureVerificationFailed) return new TokenError(401, "the token's signature is invalid", "bad_signature");
  if (e instanceof errors.JWKSNoMatchingKey) return new TokenError(401, "no signing key of the issuer matches the token", "unknown_key");
  if (e instanceof errors.JWKSMultipleMatchingKeys) return new TokenError(401, "the token does not identify its signing key", "ambiguous_key");
  if (isFetchFailure(e)) return new TokenError(503, "the issuer's signing keys are unavailable", "jwks_unavailable");
  if (e instanceof errors.JOSEError) return new TokenError(401, "the token is malformed or unsupported", "malformed");
  return new TokenError(401, "the token could not be validated", "invalid");
}
