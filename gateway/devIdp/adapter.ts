/**
 * An in-memory storage adapter for oidc-provider (its documented Adapter interface). Only short-lived
 * artefacts live here (sessions, interactions, codes, grants, registered clients); access tokens are
 * self-contained JWTs signed with the persisted key, so they outlive a restart without storage.
 * One store per IdP instance, so tests running several IdPs do not share state.
 */
import type { Adapter, AdapterPayload } from "oidc-provider";

interface Entry {
  payload: AdapterPayload;
  expiresAt?: number;
}

export interface MemoryAdapterFactory {
  (name: string): Adapter;
  /**
   * Ends everything a user holds: browser sessions, grants and the refresh tokens issued under
   * them (Okta: `DELETE /api/v1/users/{id}/sessions?oauthTokens=true`). Returns how many grants ended.
   */
  endAccount(accountId: string): number;
}

export function memoryAdapterFactory(): MemoryAdapterFactory {
  const store = new Map<string, Entry>();
  const index = new Map<string, string>(); // "uid:<uid>" / "userCode:<code>" / "grant:<grantId>" → keys
  const grants = new Map<string, Set<string>>();

  const live = (key: string): Entry | undefined => {
    const e = store.get(key);
    if (!e) return undefined;
    if (e.expiresAt !== undefined && e.expiresAt <= Date.now()) {
      store.delete(key);
      return undefined;
    }
    return e;
  };

  const endAccount = (accountId: string): number => {
    const mine = (p: AdapterPayload) => typeof p.accountId === "string" && p.accountId.toLowerCase() === accountId.toLowerCase();
    let ended = 0;
    for (const [key, e] of [...store]) {
      if (!mine(e.payload)) continue;
      if (key.startsWith("Grant:")) {
        for (const k of grants.get(key.slice("Grant:".length)) ?? []) store.delete(k);
        grants.delete(key.slice("Grant:".length));
        ended++;
      }
      store.delete(key);
    }
    return ended;
  };

  const factory = (name: string): Adapter => {
    const k = (id: string) => `${name}:${id}`;
    return {
      async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
        const key = k(id);
        store.set(key, { payload, expiresAt: expiresIn ? Date.now() + expiresIn * 1000 : undefined });
        if (payload.uid) index.set(`uid:${name}:${payload.uid}`, key);
        if (payload.userCode) index.set(`userCode:${name}:${payload.userCode}`, key);
        if (payload.grantId) {
          const set = grants.get(payload.grantId) ?? new Set<string>();
          set.add(key);
          grants.set(payload.grantId, set);
        }
      },
      async find(id: string): Promise<AdapterPayload | undefined> {
        return live(k(id))?.payload;
      },
      async findByUid(uid: string): Promise<AdapterPayload | undefined> {
        const key = index.get(`uid:${name}:${uid}`);
        return key ? live(key)?.payload : undefined;
      },
      async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
        const key = index.get(`userCode:${name}:${userCode}`);
        return key ? live(key)?.payload : undefined;
      },
      async consume(id: string): Promise<void> {
        const e = live(k(id));
        if (e) e.payload.consumed = Math.floor(Date.now() / 1000);
      },
      async destroy(id: string): Promise<void> {
        store.delete(k(id));
      },
      async revokeByGrantId(grantId: string): Promise<void> {
        for (const key of grants.get(grantId) ?? []) store.delete(key);
        grants.delete(grantId);
      },
    };
  };
  return Object.assign(factory, { endAccount });
}
