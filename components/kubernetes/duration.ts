/** Go durations as the CRD and the embedded auth server read them (`1h30m`, `168h`; no `d`). */

/** The CRD's pattern for `tokenLifespans.*`. */
export const GO_DURATION = /^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$/;

const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, "µs": 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds, or undefined when `s` is not a Go duration. */
export function parseGoDuration(s: string): number | undefined {
  if (!GO_DURATION.test(s)) return undefined;
  let total = 0;
  for (const m of s.matchAll(/([0-9]+(?:\.[0-9]+)?)(ns|us|µs|ms|s|m|h)/g)) total += Number(m[1]) * UNIT_MS[m[2]];
  return total;
}

export function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return `${ms / 1000}s`;
}

/** Runtime bounds (pkg/authserver/server/provider.go), in ms: [min, max]. */
export const LIFESPAN_BOUNDS = {
  accessToken: [60_000, 24 * 3_600_000],
  refreshToken: [3_600_000, 720 * 3_600_000],
  authCode: [30_000, 600_000],
} as const satisfies Record<string, readonly [number, number]>;

/** CRD field name for each lifespan. */
export const LIFESPAN_FIELDS = {
  accessToken: "accessTokenLifespan",
  refreshToken: "refreshTokenLifespan",
  authCode: "authCodeLifespan",
} as const;
