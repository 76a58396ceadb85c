/**
 * Upstream tokens per session, the session being what the gateway's access token names in `tsid`
 * (pkg/authserver/server/session/session.go TokenSessionIDClaimKey). The row carries the upstream
 * subject and the gateway user id, and lives as long as the session may (ToolHive's
 * SessionExpiresAt = sign-in + refresh token lifespan, handlers/callback.go).
 *
 * `valid()` is ToolHive's InProcessService.GetAllUpstreamCredentials for our single upstream
 * (pkg/auth/upstreamtoken/service.go): a live token is returned as is; an expired one is refreshed
 * once per session at a time (refresher.go uses singleflight), the new refresh token replacing the
 * old only when one came back and the old id_token kept when none did; a refresh that is impossible
 * or fails is `refresh_failed`, which the gateway answers with 401 so the client signs in again.
 */
import type { KeyValueStore } from "./store";
import type { Upstream } from "./upstream";

export interface UpstreamSession {
  providerId: string;
  accessToken: string;
  refreshToken?: string;
  idToken?: string;
  /** Epoch ms; 0 = no asserted expiry. */
  expiresAt: number;
  /** Epoch ms: the session ends here whatever happens. */
  sessionExpiresAt: number;
  /** The gateway's user id (its tokens' `sub`). */
  userId: string;
  upstreamSubject: string;
  clientId: string;
  name?: string;
  email?: string;
}

export class UpstreamSessionError extends Error {
  constructor(
    readonly reason: "session_not_found" | "refresh_failed",
    message: string,
  ) {
    super(message);
  }
}

const key = (tsid: string) => `session:${tsid}`;

export class UpstreamSessions {
  private readonly inFlight = new Map<string, Promise<UpstreamSession>>();

  constructor(
    private readonly store: KeyValueStore,
    private readonly upstream: Upstream,
    /** Called after a failed refresh, to end the session everywhere (the gateway revokes the grant). */
    private readonly onDead: (tsid: string) => Promise<void>,
    private readonly log: (line: Record<string, unknown>) => void = () => {},
  ) {}

  async save(tsid: string, s: UpstreamSession): Promise<void> {
    const ttl = Math.ceil((s.sessionExpiresAt - Date.now()) / 1000);
    if (ttl <= 0) return;
    await this.store.set(key(tsid), s, ttl);
  }

  get(tsid: string): Promise<UpstreamSession | undefined> {
    return this.store.get<UpstreamSession>(key(tsid));
  }

  delete(tsid: string): Promise<void> {
    return this.store.del(key(tsid));
  }

  async valid(tsid: string, now = Date.now()): Promise<UpstreamSession> {
    const s = await this.get(tsid);
    if (!s) throw new UpstreamSessionError("session_not_found", "the sign-in session has ended; sign in again");
    if (s.expiresAt === 0 || s.expiresAt > now) return s;
    let p = this.inFlight.get(tsid);
    if (!p) {
      p = this.refresh(tsid, s).finally(() => this.inFlight.delete(tsid));
      this.inFlight.set(tsid, p);
    }
    return p;
  }

  private async refresh(tsid: string, expired: UpstreamSession): Promise<UpstreamSession> {
    try {
      if (!expired.refreshToken) throw new Error("no upstream refresh token");
      const t = await this.upstream.refresh(expired.refreshToken, expired.upstreamSubject);
      const next: UpstreamSession = {
        ...expired,
        accessToken: t.accessToken,
        refreshToken: t.refreshToken ?? expired.refreshToken,
        idToken: t.idToken ?? expired.idToken,
        expiresAt: t.expiresAt,
      };
      await this.save(tsid, next);
      this.log({ level: "info", msg: "authserver.upstream_refreshed", provider: expired.providerId, rotated: !!t.refreshToken && t.refreshToken !== expired.refreshToken });
      return next;
    } catch (e) {
      this.log({ level: "warn", msg: "authserver.upstream_refresh_failed", provider: expired.providerId, error: (e as Error).message });
      await this.delete(tsid);
      await this.onDead(tsid).catch(() => {});
      throw new UpstreamSessionError("refresh_failed", "upstream token is no longer valid; re-authentication required");
    }
  }
}

/**
 * The gateway's stable user id for an upstream identity, as ToolHive's UserResolver keys users by
 * (provider, upstream subject) (handlers/user.go): created on first sign-in, then reused.
 */
export async function resolveUserId(store: KeyValueStore, provider: string, subject: string, ttlSeconds: number): Promise<string> {
  const k = `user:${provider}:${subject}`;
  const existing = await store.get<string>(k);
  const id = existing ?? crypto.randomUUID();
  await store.set(k, id, ttlSeconds);
  return id;
}
