/**
 * Remembers Cedar decisions per verified token, when that is exact.
 *
 * A decision is a pure function of the request entities (claims → principal, groups), the action,
 * the resource (name, annotations, `arg_*`), the context (claims and `arg_*`) and the fixed policy
 * set and entities. When no policy mentions `context` or `arg_`, arguments cannot change the
 * outcome, so for one token (one claims object, as the token cache hands out) the decision for an
 * action, a resource and its annotation hints never changes. Then the gateway asks Cedar once per
 * token and target instead of on every call; otherwise it asks every time.
 *
 * The cache is keyed by the claims object (a WeakMap), so it lives exactly as long as the token
 * cache keeps that token's claims.
 */
import type { Authorizer, AuthzRequest, Decision } from "../../components/cedar/authorizer";

const HINTS = ["readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint"] as const;
const MAX_PER_TOKEN = 2_000;

/** True when some policy could read arguments (or the whole context), so decisions depend on them. */
export function policiesReadArguments(authorizer: Authorizer): boolean {
  return Object.values(authorizer.policyTexts).some((t) => t.includes("arg_") || t.includes("context"));
}

function hintKey(a: AuthzRequest["annotations"]): string {
  if (!a) return "";
  let k = "";
  for (const h of HINTS) k += a[h] === true ? "1" : a[h] === false ? "0" : "-";
  return k;
}

/**
 * An authorizer that answers repeated requests from the cache. Returns the authorizer itself when
 * caching would not be exact.
 */
export function withDecisionCache(authorizer: Authorizer): Authorizer {
  if (policiesReadArguments(authorizer)) return authorizer;
  const byClaims = new WeakMap<object, Map<string, Decision>>();
  const cached = Object.create(authorizer) as Authorizer;
  cached.authorize = (req: AuthzRequest): Decision => {
    const claims = req.claims;
    if (!claims) return authorizer.authorize(req);
    let m = byClaims.get(claims);
    if (!m) {
      m = new Map();
      byClaims.set(claims, m);
    }
    const key = `${req.action}\u0000${req.resourceId}\u0000${hintKey(req.annotations)}`;
    let d = m.get(key);
    if (!d) {
      d = authorizer.authorize(req);
      if (m.size < MAX_PER_TOKEN) m.set(key, d);
    }
    return d;
  };
  return cached;
}
