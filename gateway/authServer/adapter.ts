/**
 * oidc-provider's storage Adapter (its documented interface) over a KeyValueStore, so the same code
 * keeps clients, codes, grants and refresh tokens in memory or in Redis. Follows the shape of
 * oidc-provider's example Redis adapter: one key per artefact, a uid index for sessions and
 * interactions, and a set of artefact keys per grant for `revokeByGrantId`.
 */
import type { Adapter, AdapterPayload } from "oidc-provider";
import type { KeyValueStore } from "./store";

/** Registered clients live this long without expiring on their own (ToolHive: DCR client TTL 30 days). */
const CLIENT_TTL_SECONDS = 30 * 24 * 3600;

export function kvAdapterFactory(store: KeyValueStore, onGrantRevoked?: (grantId: string) => Promise<void>): (name: string) => Adapter {
  return (name: string): Adapter => {
    const key = (id: string) => `op:${name}:${id}`;
    return {
      async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
        const ttl = expiresIn > 0 ? expiresIn : CLIENT_TTL_SECONDS;
        await store.set(key(id), payload, ttl);
        if (payload.uid) await store.set(`op:uid:${name}:${payload.uid}`, id, ttl);
        if (payload.userCode) await store.set(`op:usercode:${payload.userCode}`, id, ttl);
        if (payload.grantId) await store.addToSet(`op:grant:${payload.grantId}`, key(id), ttl);
      },
      async find(id: string): Promise<AdapterPayload | undefined> {
        return store.get<AdapterPayload>(key(id));
      },
      async findByUid(uid: string): Promise<AdapterPayload | undefined> {
        const id = await store.get<string>(`op:uid:${name}:${uid}`);
        return id ? store.get<AdapterPayload>(key(id)) : undefined;
      },
      async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
        const id = await store.get<string>(`op:usercode:${userCode}`);
        return id ? store.get<AdapterPayload>(key(id)) : undefined;
      },
      async consume(id: string): Promise<void> {
        const payload = await store.get<AdapterPayload>(key(id));
        if (!payload) return;
        payload.consumed = Math.floor(Date.now() / 1000);
        const remaining = typeof payload.exp === "number" ? payload.exp - Math.floor(Date.now() / 1000) : CLIENT_TTL_SECONDS;
        await store.set(key(id), payload, Math.max(1, remaining));
      },
      async destroy(id: string): Promise<void> {
        await store.del(key(id));
      },
      async revokeByGrantId(grantId: string): Promise<void> {
        const keys = await store.members(`op:grant:${grantId}`);
        await store.del(...keys, `op:grant:${grantId}`);
        await onGrantRevoked?.(grantId);
      },
    };
  };
}
