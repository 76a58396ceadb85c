/**
 * MCP sessions shared by several gateway replicas through Redis (optional; without it sessions live
 * in one process's memory). What a later request on another replica needs is written on
 * `initialize`: the id, the owning subject, the protocol version, the client's capabilities and the
 * log level. A replica that receives an unknown session id loads the record and rebuilds the session
 * locally; the owner check is the caller's, exactly as for a local session.
 *
 * Follows ToolHive's session data storage (pkg/transport/session/session_data_storage_redis.go):
 * one JSON value per session at `<keyPrefix><id>`, a sliding TTL refreshed on use, created with
 * SET NX, updated with SET XX (an update never resurrects a session deleted on another pod), and a
 * key prefix that must end with ':' (pkg/transport/session/storage_redis.go validateSessionInvariants).
 * The owner is stored as the token's `sub` and compared with the current request's freshly verified
 * token, as ToolHive does with its identity binding (pkg/vmcp/session/binding/binding.go stores
 * iss + NUL + sub; one gateway trusts exactly one issuer, so `sub` alone identifies the owner).
 * The password comes from THV_SESSION_REDIS_PASSWORD as vMCP reads it (pkg/vmcp/config/config.go).
 *
 * The per-subject session cap is kept across replicas with one sorted set per subject
 * (`<keyPrefix>sub:<sub>`: member = session id, score = its expiry), checked and added in one Lua
 * script so two replicas cannot both admit the last slot.
 */
import type Redis from "ioredis";
import { redisClient, redisReady, type RedisStoreOptions } from "../authServer/store";

/** What another replica needs to continue a session. */
export interface SessionRecord {
  id: string;
  sub: string;
  protocolVersion: string;
  clientCapabilities: Record<string, unknown>;
  logLevel?: string;
}

export interface SharedSessionOptions {
  /** `host:port` (the stack's `kubernetes.sessionStorage.address`). */
  address: string;
  db?: number;
  /** Must end with ':' (default `vmcp-okta:session:`). */
  keyPrefix?: string;
  password?: string;
  username?: string;
  /** Extra ioredis options (TLS, timeouts). */
  redis?: RedisStoreOptions["redis"];
}

export const DEFAULT_SESSION_KEY_PREFIX = "vmcp-okta:session:";

/** Checks the options; throws a message naming the bad setting. */
export function checkSharedSessionOptions(o: SharedSessionOptions): void {
  if (!/^(\[[^\]]+\]|[^:]+):\d{1,5}$/.test(o.address)) throw new Error(`sessionStorage.address ${JSON.stringify(o.address)} is not host:port (e.g. redis.platform.svc:6379)`);
  const prefix = o.keyPrefix ?? DEFAULT_SESSION_KEY_PREFIX;
  if (!prefix.endsWith(":")) throw new Error(`sessionStorage.keyPrefix ${JSON.stringify(prefix)} must end with ':' to avoid key collisions (e.g. "vmcp-okta:session:")`);
  if (o.db !== undefined && (!Number.isInteger(o.db) || o.db < 0 || o.db > 15)) throw new Error(`sessionStorage.db must be an integer from 0 to 15, got ${JSON.stringify(o.db)}`);
}

/**
 * KEYS[1] the subject's set, KEYS[2] the session record; ARGV: now ms, expiry ms, limit, id, record,
 * ttl ms. Drops expired members, refuses when the subject is at the limit (returns -count), otherwise
 * stores the record (NX) and adds the member (returns the new count).
 */
const OPEN_SCRIPT = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
local n = redis.call('ZCARD', KEYS[1])
if n >= tonumber(ARGV[3]) then return -n end
if not redis.call('SET', KEYS[2], ARGV[5], 'PX', ARGV[6], 'NX') then return 0 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[6])
return n + 1
`;

/** Redis did not answer: the request gets 503, never a 500 (mcpEndpoint.ts). */
export class SessionStorageError extends Error {}

async function guarded<T>(what: string, op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (e) {
    throw new SessionStorageError(`session storage (Redis) failed to ${what}: ${(e as Error).message}`);
  }
}

export type OpenOutcome = { opened: true } | { opened: false; open: number };

export class SharedSessions {
  private readonly redis: Redis;

  constructor(
    o: SharedSessionOptions,
    /** The idle timeout: every record and set expires this long after its last use. */
    private readonly ttlMs: number,
  ) {
    checkSharedSessionOptions(o);
    this.redis = redisClient({ addr: o.address, username: o.username, password: o.password, keyPrefix: o.keyPrefix ?? DEFAULT_SESSION_KEY_PREFIX, redis: { db: o.db ?? 0, ...o.redis } });
    this.redis.defineCommand("openSession", { numberOfKeys: 2, lua: OPEN_SCRIPT });
  }

  ready(): Promise<void> {
    return redisReady(this.redis);
  }

  private static subKey(sub: string): string {
    return `sub:${sub}`;
  }

  /** Stores a new session unless its subject already holds `limit` live sessions on any replica. */
  async open(record: SessionRecord, limit: number): Promise<OpenOutcome> {
    const now = Date.now();
    const run = (this.redis as unknown as Record<string, (...a: (string | number)[]) => Promise<number>>).openSession;
    const n = await guarded("open a session", () => run.call(this.redis, SharedSessions.subKey(record.sub), record.id, now, now + this.ttlMs, limit, record.id, JSON.stringify(record), this.ttlMs));
    if (n < 0) return { opened: false, open: -n };
    if (n === 0) throw new Error("session id collision in Redis");
    return { opened: true };
  }

  /** The record of `id`, or undefined when it is gone (the caller checks the owner, then `touch`es). */
  async load(id: string): Promise<SessionRecord | undefined> {
    const raw = await guarded("load a session", () => this.redis.get(id));
    if (raw === null) return undefined;
    const rec = parseRecord(raw);
    return rec && rec.id === id ? rec : undefined;
  }

  /**
   * Marks a use: refreshes the record's and the subject set's TTL. False when the session no longer
   * exists (deleted on another replica, or expired): the caller drops its local copy.
   */
  async touch(id: string, sub: string): Promise<boolean> {
    const res = await guarded("refresh a session", () =>
      this.redis
        .multi()
        .pexpire(id, this.ttlMs)
        .zadd(SharedSessions.subKey(sub), "XX", Date.now() + this.ttlMs, id)
        .pexpire(SharedSessions.subKey(sub), this.ttlMs)
        .exec(),
    );
    return res?.[0]?.[1] === 1;
  }

  /** Rewrites a record that still exists (SET XX: never resurrects a deleted session). */
  async update(record: SessionRecord): Promise<boolean> {
    return (await guarded("update a session", () => this.redis.set(record.id, JSON.stringify(record), "PX", this.ttlMs, "XX"))) === "OK";
  }

  /** Removes the session for every replica. */
  async delete(id: string, sub: string): Promise<void> {
    await guarded("delete a session", () => this.redis.multi().del(id).zrem(SharedSessions.subKey(sub), id).exec());
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

/** A stored record, checked field by field (Redis is shared; treat what it holds as untrusted). */
function parseRecord(raw: string): SessionRecord | undefined {
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (typeof v !== "object" || v === null) return undefined;
  const r = v as Record<string, unknown>;
  if (typeof r.id !== "string" || typeof r.sub !== "string" || typeof r.protocolVersion !== "string") return undefined;
  if (typeof r.clientCapabilities !== "object" || r.clientCapabilities === null || Array.isArray(r.clientCapabilities)) return undefined;
  if (r.logLevel !== undefined && typeof r.logLevel !== "string") return undefined;
  return { id: r.id, sub: r.sub, protocolVersion: r.protocolVersion, clientCapabilities: r.clientCapabilities as Record<string, unknown>, logLevel: r.logLevel as string | undefined };
}
