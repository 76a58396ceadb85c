/**
 * Token lifespans from the stack's `kubernetes.tokenLifespans` (Go durations, validated by
 * components/kubernetes/config.ts against ToolHive's bounds), with the operator's defaults when a
 * field is absent: access 1h, refresh 168h, authorization code 10m (reference §4.2).
 */
import type { TokenLifespansSpec } from "../../components/kubernetes/config";
import { parseGoDuration } from "../../components/kubernetes/duration";

export interface Lifespans {
  accessTokenSeconds: number;
  refreshTokenSeconds: number;
  authCodeSeconds: number;
}

export const DEFAULT_LIFESPANS: Lifespans = { accessTokenSeconds: 3600, refreshTokenSeconds: 168 * 3600, authCodeSeconds: 600 };

export function lifespansFrom(spec: TokenLifespansSpec | undefined): Lifespans {
  const seconds = (v: string | undefined, fallback: number): number => {
    if (v === undefined) return fallback;
    const ms = parseGoDuration(v);
    if (ms === undefined) throw new Error(`token lifespan ${JSON.stringify(v)} is not a Go duration`);
    return Math.max(1, Math.round(ms / 1000));
  };
  return {
    accessTokenSeconds: seconds(spec?.accessToken, DEFAULT_LIFESPANS.accessTokenSeconds),
    refreshTokenSeconds: seconds(spec?.refreshToken, DEFAULT_LIFESPANS.refreshTokenSeconds),
    authCodeSeconds: seconds(spec?.authCode, DEFAULT_LIFESPANS.authCodeSeconds),
  };
}
