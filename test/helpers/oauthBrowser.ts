/**
 * A minimal scripted browser for OAuth sign-in pages: follows redirects by hand, keeps cookies by
 * name, and stops when it reaches the client's redirect URI. Used with the development IdP's sign-in
 * page (pick a user = submit its form).
 */
export class OAuthBrowser {
  readonly cookies = new Map<string, string>();
  constructor(private readonly redirectUri: string) {}

  private store(r: Response): void {
    for (const c of r.headers.getSetCookie()) {
      const [pair] = c.split(";");
      const i = pair.indexOf("=");
      const name = pair.slice(0, i).trim();
      const value = pair.slice(i + 1);
      if (/expires=Thu, 01 Jan 1970/i.test(c) || value === "") this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  /** Loads `url` (GET, or POST with a form) and follows redirects; returns the final URL and body. */
  async go(url: string, form?: Record<string, string>): Promise<{ url: string; status: number; body: string }> {
    let method = form ? "POST" : "GET";
    let body: URLSearchParams | undefined = form ? new URLSearchParams(form) : undefined;
    for (let hops = 0; hops < 20; hops++) {
      if (url.startsWith(this.redirectUri)) return { url, status: 0, body: "" };
      const headers: Record<string, string> = { cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ") };
      if (body) headers["content-type"] = "application/x-www-form-urlencoded";
      const r = await fetch(url, { method, body, redirect: "manual", headers });
      this.store(r);
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

  /** On a development IdP sign-in page: signs in as `login`; returns where the browser ends up. */
  async signInAs(page: { url: string; body: string }, login: string): Promise<{ url: string; status: number; body: string }> {
    const action = /action="([^"]+\/login)"/.exec(page.body)?.[1];
    if (!action) throw new Error(`not a sign-in page: ${page.body.slice(0, 200)}`);
    return this.go(new URL(action, page.url).href, { login });
  }
}
