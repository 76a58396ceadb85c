/**
 * Where the embedded authorization server keeps its state: oidc-provider's artefacts (registered
 * clients, interactions, codes, grants, refresh tokens), the upstream tokens of each session, the
 * pending upstream authorizations and the user-id mapping.
 *
 * Two backends with one small interface, as ToolHive's `authServerConfig.storage` offers
 * (`memory` | `redis`, pkg/authserver/storage/memory.go and redis.go): memory for one process, Redis
 * (ioredis) when several gateway replicas must share sign-ins. Values are JSON; every key expires.
 */
import Redis, { type RedisOptions } from "ioredis";

export interface KeyValueStore {
  get<T>(key: string): Promise<T | undefined>;
  /** `ttlSeconds` > 0. */
  set(key: string, value: unknown, ttlSeconds: number): Promise<void>;
  /** Reads and deletes in one step (single-use values such as pending authorizations). */
  take<T>(key: string): Promise<T | undefined>;
  del(...keys: string[]): Promise<void>;
  /** Adds to a set that expires no earlier than `ttlSeconds` from now. */
  addToSet(key: string, member: string, ttlSeconds: number): Promise<void>;
  members(key: string): Promise<string[]>;
  close(): Promise<void>;
}

interface MemoryEntry {
  value: unknown;
  expiresAt: number;
}

export class MemoryStore implements KeyValueStore {
  private readonly map = new Map<string, MemoryEntry>();
  private readonly sweeper: NodeJS.Timeout;

  constructor() {
    this.sweeper = setInterval(() => {
      const now = Date.now();
      for (const [k, e] of this.map) if (e.expiresAt <= now) this.map.delete(k);
    }, 60_000);
    this.sweeper.unref();
  }

  private live(key: string): MemoryEntry | undefined {
    const e = this.map.get(key);
    if (!e) return undefined;
    if (e.expiresAt <= Date.now()) {
      this.map.delete(key);
      return undefined;
    }
    return e;
  }

  async get<T>(key: string): Promise<T | undefined> {
    const e = this.live(key);
    // A copy, so callers never mutate what is stored (as with Redis).
    return e ? (structuredClone(e.value) as T) : undefined;
  }

  async set(key: string, value: unknown, ttlSeconds: number): Promise<void> {
    this.map.set(key, { value: structuredClone(value), expiresAt: Date.now() + ttlSeconds * 1000 });
  }

  async take<T>(key: string): Promise<T | undefined> {
    const v = await this.get<T>(key);
    this.map.delete(key);
    return v;
  }

  async del(...keys: string[]): Promise<void> {
    for (const k of keys) this.map.delete(k);
  }

  async addToSet(key: string, member: string, ttlSeconds: number): Promise<void> {
    const e = this.live(key);
    const set = new Set<string>((e?.value as string[] | undefined) ?? []);
    set.add(member);
    const expiresAt = Math.max(e?.expiresAt ?? 0, Date.now() + ttlSeconds * 1000);
    this.map.set(key, { value: [...set], expiresAt });
  }

  async members(key: string): Promise<string[]> {
    return [...((this.live(key)?.value as string[] | undefined) ?? [])];
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    this.map.clear();
  }
}

export interface RedisStoreOptions {
  /** `host:port`, as ToolHive's `storage.redis.addr`. */
  addr: string;
  username?: string;
  password?: string;
  /** Prefix of every key (the auth-server store's default: `vmcp-okta:as:`), so teams can share a Redis. */
  keyPrefix?: string;
  /** Extra ioredis options (timeouts, TLS). */
  redis?: RedisOptions;
}

export class RedisStore implements KeyValueStore {
  private readonly redis: Redis;

  constructor(o: RedisStoreOptions) {
    this.redis = redisClient({ keyPrefix: "vmcp-okta:as:", ...o });
  }

  /** Resolves once connected (rejects on the first connection error). */
  ready(): Promise<void> {
    return redisReady(this.redis);
  }

  async get<T>(key: string): Promise<T | undefined> {
    const raw = await this.redis.get(key);
    return raw === null ? undefined : (JSON.parse(raw) as T);
  }

  async set(key: string, value: unknown, ttlSeconds: number): Promise<void> {
    await this.redis.set(key, JSON.stringify(value), "EX", Math.max(1, Math.ceil(ttlSeconds)));
  }

  async take<T>(key: string): Promise<T | undefined> {
    const raw = await this.redis.getdel(key);
    return raw === null ? undefined : (JSON.parse(raw) as T);
  }

  async del(...keys: string[]): Promise<void> {
    if (keys.length) await this.redis.del(...keys);
  }

  async addToSet(key: string, member: string, ttlSeconds: number): Promise<void> {
    const ttl = Math.max(1, Math.ceil(ttlSeconds));
    // GT: only ever extend the set's lifetime (Redis >= 7).
    await this.redis.multi().sadd(key, member).expire(key, ttl, "GT").expire(key, ttl, "NX").exec();
  }

  async members(key: string): Promise<string[]> {
    return this.redis.smembers(key);
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

/**
 * An ioredis client for `o`, with ToolHive's timeouts. Shared by this store and the gateway's MCP
 * session store (gateway/mcp/sharedSessions.ts), so both connect the same way.
 */
export function redisClient(o: RedisStoreOptions): Redis {
  const [host, port] = splitAddr(o.addr);
  const redis = new Redis({
    host,
    port,
    username: o.username,
    password: o.password,
    keyPrefix: o.keyPrefix,
    // ToolHive's defaults: dial 5 s, read/write 3 s (CRD storage.redis timeouts).
    connectTimeout: 5_000,
    commandTimeout: 3_000,
    maxRetriesPerRequest: 2,
    lazyConnect: false,
    ...o.redis,
  });
  // Connection errors surface on the commands that fail; do not crash on the event.
  redis.on("error", () => {});
  return redis;
}

/** Resolves once `redis` is connected (rejects on the first connection error). */
export async function redisReady(redis: Redis): Promise<void> {
  if (redis.status === "ready") return;
  await new Promise<void>((resolve, reject) => {
    const ok = () => {
      redis.off("error", bad);
      resolve();
    };
    const bad = (e: Error) => {
      redis.off("ready", ok);
      reject(new Error(`Redis at ${redis.options.host}:${redis.options.port} is unreachable: ${e.message}`));
    };
    redis.once("ready", ok);
    redis.once("error", bad);
  });
}

function splitAddr(addr: string): [string, number] {
  const m = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(addr);
  if (!m) throw new Error(`Redis address ${JSON.stringify(addr)} is not host:port`);
  return [m[1].replace(/^\[|\]$/g, ""), Number(m[2])];
}
