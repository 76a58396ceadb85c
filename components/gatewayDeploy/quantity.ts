/**
 * Kubernetes resource quantities (`100m`, `1.5`, `512Mi`, `1G`, `2e3`) as numbers, to compare a
 * request with its limit before the API server does. The grammar of k8s.io/apimachinery
 * pkg/api/resource/quantity.go: a signed decimal, then a binary (Ki…Ei), decimal (n u m k M G T P E)
 * or exponent suffix.
 */
const QUANTITY = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?\d+)?$/;

const FACTOR: Record<string, number> = {
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  "": 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
};

/** The quantity's value in base units, or undefined when it is not a quantity. */
export function parseQuantity(q: string): number | undefined {
  const m = QUANTITY.exec(q.trim() === q ? q : "");
  if (!m) return undefined;
  const suffix = m[2] ?? "";
  const factor = /^[eE]/.test(suffix) ? 10 ** Number(suffix.slice(1)) : FACTOR[suffix];
  const value = Number(m[1]) * factor;
  return value < 0 ? undefined : value;
}
