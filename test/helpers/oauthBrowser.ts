import { HostCookieBrowser } from "./authServerFlow";

/**
 * A scripted browser for OAuth sign-in pages that stops when it reaches the client's redirect URI
 * (returned, not loaded): HostCookieBrowser with that stop fixed. Used with the development IdP's
 * sign-in page (pick a user = submit its form).
 */
export class OAuthBrowser {
  private readonly browser = new HostCookieBrowser();
  constructor(private readonly redirectUri: string) {}

  /** Loads `url` (GET, or POST with a form) and follows redirects; returns the final URL and body. */
  go(url: string, form?: Record<string, string>): Promise<{ url: string; status: number; body: string }> {
    return this.browser.go(url, { form, stopAt: [this.redirectUri] });
  }

  /** On a development IdP sign-in page: signs in as `login`; returns where the browser ends up. */
  signInAs(page: { url: string; body: string }, login: string): Promise<{ url: string; status: number; body: string }> {
    return this.browser.signInAs(page, login, { stopAt: [this.redirectUri] });
  }
}
