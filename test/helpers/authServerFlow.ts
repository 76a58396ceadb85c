/**
 * Plain-HTTP drivers for the embedded authorization server's tests: a cookie jar keyed by host (as
 * browsers key cookies: the port does not separate them), manual redirects, the development IdP's
 * sign-in page, client registration and the PKCE authorization request.
 */
import { createHash, randomBytes } from "node:crypto";

export class HostCookieBrowser {
  private readonly jar = new Map<string, Map<string, string>>();

  /** `headersFor` adds request headers per URL (e.g. X-Forwarded-Proto behind a stand-in TLS proxy). */
  constructor(private readonly headersFor: (url: string) => Record<string, string> = () => ({})) {}

  private cookiesFor(url: string): string {
    const host = new URL(url).hostname;
    return [...(this.jar.get(host) ?? [])].map(([k, v]) => `${k}=${v}`).join("; ");
  }

  private store(url: string, r: Response): void {
    const host = new URL(url).hostname;
    const m = this.jar.get(host) ?? new Map<string, string>();
    for (const c of r.headers.getSetCookie()) {
      const [pair] = c.split(";");
      const i = pair.indexOf("=");
      const name = pair.slice(0, i).trim();
      const value = pair.slice(i + 1);
      if (/expires=Thu, 01 Jan 1970/i.test(c) || value === "") m.delete(name);
      else m.set(name, value);
    }
    this.jar.set(host, m);
  }

  /**
   * GET (or POST a form) and follow redirects until a URL starting with one of `stopAt` (returned,
   * not loaded) or a non-redirect answer. `rewrite` may send a hop elsewhere (another replica).
   */
  async go(url: string, o: { form?: Record<string, string>; stopAt?: string[]; rewrite?: (url: string) => string } = {}): Promise<{ url: string; status: number; body: string }> {
    let method = o.form ? "POST" : "GET";
    let body: URLSearchParams | undefined = o.form ? new URLSearchParams(o.form) : undefined;
    for (let hops = 0; hops < 25; hops++) {
      if (o.rewrite) url = o.rewrite(url);
      if (o.stopAt?.some((s) => url.startsWith(s))) return { url, status: 0, body: "" };
      const headers: Record<string, string> = { cookie: this.cookiesFor(url), ...this.headersFor(url) };
      if (body) headers["content-type"] = "application/x-www-form-urlencoded";
      const r = await fetch(url, { method, body, redirect: "manual", headers });
      this.store(url, r);
      const location = r.headers.get("location");
      if (r.status >= 300 && r.status < 400 && location) {
        url = new URL(location, url).href;
        method = "GET";
        body = undefined;
        continue;
      }
      return { url, status: r.status, body: await r.text() };
    }
    throw new Error("too many redirects");
  }

  /** On the development IdP's sign-in page: picks `login`, then follows on. */
  async signInAs(page: { url: string; body: string }, login: string, o: { stopAt?: string[]; rewrite?: (url: string) => string } = {}) {
    const action = /action="([^"]+\/login)"/.exec(page.body)?.[1];
    if (!action) throw new Error(`not a sign-in page (${page.url}): ${page.body.slice(0, 300)}`);
    return this.go(new URL(action.replace(/&amp;/g, "&"), page.url).href, { ...o, form: { login } });
  }
}

export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString("base64url");
  return { verifier, challenge: createHash("sha256").update(verifier).digest("base64url") };
}

export async function registerClient(issuer: string, redirectUri: string, extra: Record<string, unknown> = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const r = await fetch(`${issuer}/oauth/register`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ client_name: "authserver test", redirect_uris: [redirectUri], ...extra }),
  });
  return { status: r.status, body: (await r.json().catch(() => ({}))) as Record<string, unknown> };
}

export function authorizeUrl(issuer: string, p: Record<string, string | undefined>): string {
  const u = new URL(`${issuer}/oauth/authorize`);
  for (const [k, v] of Object.entries(p)) if (v !== undefined) u.searchParams.set(k, v);
  return u.href;
}

export async function tokenRequest(issuer: string, form: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }> {
  const r = await fetch(`${issuer}/oauth/token`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams(form) });
  return { status: r.status, body: (await r.json().catch(() => ({}))) as Record<string, unknown> };
}
