/**
 * Real-browser sign-in for tests and benchmarks: Debian's Chromium driven by playwright-core completes
 * the development IdP's sign-in page as a given user, exactly as a person would (load the
 * authorization URL, click the user's button, follow every redirect to the client's callback).
 *
 * - `SignInBrowser`: one headless Chromium; each sign-in runs in a fresh browser context (no cookies),
 *   so every sign-in shows the sign-in page, as a new browser would.
 * - `LoopbackCallback`: the loopback redirect URI a native MCP client listens on (RFC 8252 §7.3).
 * - `BrowserOAuthProvider`: the official MCP SDK's `OAuthClientProvider` whose
 *   `redirectToAuthorization` signs in through the browser and collects the code at the callback.
 * - `browserHook`: a `BROWSER` program for tools that open a browser themselves (mcp-remote, via the
 *   `open` package's xdg-open, which runs `$BROWSER <url>` when there is no desktop): it hands each
 *   URL to the test, which signs in with `SignInBrowser`.
 */
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import type { AddressInfo } from "node:net";
import { chromium, type Browser, type Page } from "playwright-core";
import type { OAuthClientProvider } from "@modelcontextprotocol/sdk/client/auth.js";
import type { OAuthClientInformationMixed, OAuthClientMetadata, OAuthTokens } from "@modelcontextprotocol/sdk/shared/auth.js";

export const CHROMIUM = process.env.VMCP_CHROMIUM ?? "/usr/bin/chromium";
// playwright-core adds --user-data-dir with a fresh mkdtemp folder of its own (and removes it on close).
const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic", "--no-first-run", "--disable-component-update", "--disable-sync"];

export interface SignInResult {
  /** Where the browser ended: the client's redirect URI with `code` and `state`. */
  finalUrl: URL;
  /** Whether the IdP showed its sign-in page (false when an existing session skipped it). */
  signInPageShown: boolean;
  /** Authorization URL loaded → callback reached, in milliseconds. */
  ms: number;
}

export interface SignInOptions {
  /** True once the browser reached the client's callback. */
  done: (url: URL) => boolean;
  timeoutMs?: number;
}

export class SignInBrowser {
  /** Every sign-in, in order. */
  readonly history: Array<{ login: string; authorizationUrl: string; result: SignInResult }> = [];
  private constructor(private readonly browser: Browser) {}

  static async launch(): Promise<SignInBrowser> {
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    return new SignInBrowser(browser);
  }

  /** Loads `authorizationUrl` in a fresh context and signs in as `login` on the dev IdP's page. */
  async signIn(authorizationUrl: string, login: string, o: SignInOptions): Promise<SignInResult> {
    const context = await this.browser.newContext();
    const page = await context.newPage();
    const console: string[] = [];
    page.on("console", (m) => console.push(m.text()));
    const started = performance.now();
    try {
      const result = await drive(page, authorizationUrl, login, o, console);
      result.ms = performance.now() - started;
      this.history.push({ login, authorizationUrl, result });
      return result;
    } finally {
      await context.close();
    }
  }

  async close(): Promise<void> {
    await this.browser.close();
  }
}

async function drive(page: Page, authorizationUrl: string, login: string, o: SignInOptions, console: string[]): Promise<SignInResult> {
  const deadline = Date.now() + (o.timeoutMs ?? 20_000);
  const stuck = async (why: string) => {
    const text = await page.locator("body").innerText().catch(() => "");
    return new Error(`sign-in as ${login} ${why} at ${page.url()}\npage: ${text.slice(0, 500)}\nconsole: ${console.join("\n")}`);
  };
  let signInPageShown = false;
  let clicked = 0;
  await page.goto(authorizationUrl, { waitUntil: "commit" });
  for (;;) {
    if (o.done(new URL(page.url()))) return { finalUrl: new URL(page.url()), signInPageShown, ms: 0 };
    if (Date.now() > deadline) throw await stuck("did not reach the callback");
    await page.waitForLoadState("domcontentloaded").catch(() => {});
    if (o.done(new URL(page.url()))) continue;
    const user = page.locator(`button[data-login="${login}"]`);
    const allow = page.getByRole("button", { name: "Allow" });
    if (await user.count()) {
      signInPageShown = true;
      await user.click({ noWaitAfter: true });
    } else if (await allow.count()) {
      await allow.click({ noWaitAfter: true });
    } else if (/error|failed|unknown/i.test(await page.title().catch(() => ""))) {
      throw await stuck("failed");
    } else {
      await page.waitForTimeout(50);
      continue;
    }
    if (++clicked > 4) throw await stuck("kept showing pages");
    // Wait until this page is gone (a form post and its redirect chain), or the chain was blocked.
    const before = page.url();
    await page.waitForURL((u) => u.href !== before || o.done(u), { waitUntil: "commit", timeout: Math.max(1, deadline - Date.now()) }).catch(async () => {
      throw await stuck("stayed on the page after the click (blocked by the page's Content-Security-Policy?)");
    });
  }
}

/** A loopback HTTP server standing for a native client's redirect URI; resolves each code it receives. */
export class LoopbackCallback {
  private waiters: Array<(u: URL) => void> = [];
  private received: URL[] = [];
  private constructor(private readonly server: http.Server, readonly redirectUrl: string) {}

  static async start(host = "127.0.0.1", port = 0, pathname = "/callback"): Promise<LoopbackCallback> {
    let self: LoopbackCallback | undefined;
    const server = http.createServer((req, res) => {
      const u = new URL(req.url ?? "/", `http://${req.headers.host}`);
      if (u.pathname !== pathname) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { "content-type": "text/plain" }).end("Signed in. You can close this window.\n");
      self!.deliver(u);
    });
    await new Promise<void>((resolve) => server.listen(port, host, () => resolve()));
    const bound = (server.address() as AddressInfo).port;
    self = new LoopbackCallback(server, `http://${host}:${bound}${pathname}`);
    return self;
  }

  private deliver(u: URL): void {
    const w = this.waiters.shift();
    if (w) w(u);
    else this.received.push(u);
  }

  /** The next callback request's URL (with `code`, `state`, or `error`). */
  next(): Promise<URL> {
    const r = this.received.shift();
    if (r) return Promise.resolve(r);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  isCallback(u: URL): boolean {
    return u.href.startsWith(this.redirectUrl);
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}

/**
 * The MCP SDK client's OAuth state in memory, with a real browser behind `redirectToAuthorization`:
 * each time the SDK sends the user to the authorization server, `login` signs in in Chromium and the
 * code arrives at the loopback callback. `nextCode()` hands it to the test for `transport.finishAuth`.
 */
export class BrowserOAuthProvider implements OAuthClientProvider {
  /** How many times the SDK sent the user to sign in. */
  authorizations = 0;
  lastAuthorizationUrl?: URL;
  /** performance.now() when the SDK last sent the user to the authorization endpoint. */
  authorizationStartedAt = 0;
  /** The browser side of the last sign-in (settles once its browser context is closed). */
  lastSignIn?: Promise<SignInResult>;
  private info?: OAuthClientInformationMixed;
  private saved?: OAuthTokens;
  private verifier = "";
  private pending?: Promise<string>;

  constructor(
    private readonly browser: SignInBrowser,
    private readonly callback: LoopbackCallback,
    public login: string,
    private readonly extra: Partial<OAuthClientMetadata> = {},
  ) {}

  get redirectUrl(): string {
    return this.callback.redirectUrl;
  }
  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: `browser sign-in test (${this.login})`,
      redirect_uris: [this.redirectUrl],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: "none",
      ...this.extra,
    };
  }
  clientInformation() {
    return this.info;
  }
  saveClientInformation(info: OAuthClientInformationMixed) {
    this.info = info;
  }
  tokens() {
    return this.saved;
  }
  saveTokens(t: OAuthTokens) {
    this.saved = t;
  }
  saveCodeVerifier(v: string) {
    this.verifier = v;
  }
  codeVerifier() {
    return this.verifier;
  }
  invalidateCredentials(scope: "all" | "client" | "tokens" | "verifier" | "discovery") {
    if (scope === "all" || scope === "tokens") this.saved = undefined;
    if (scope === "all" || scope === "client") this.info = undefined;
  }
  redirectToAuthorization(url: URL) {
    this.authorizations++;
    this.lastAuthorizationUrl = url;
    this.authorizationStartedAt = performance.now();
    const landed = this.callback.next();
    const signedIn = this.browser.signIn(url.href, this.login, { done: (u) => this.callback.isCallback(u) });
    this.lastSignIn = signedIn;
    signedIn.catch(() => {}); // surfaced by nextCode()
    // The code is ready when the callback is hit (the browser context closes after); a failed
    // sign-in rejects.
    this.pending = Promise.race([landed, signedIn.then(() => landed)]).then((u) => {
      const code = u.searchParams.get("code");
      if (!code) throw new Error(`the callback carried no code: ${u.href}`);
      return code;
    });
    this.pending.catch(() => {}); // surfaced by nextCode()
  }
  /** The code of the sign-in the last `redirectToAuthorization` started. */
  nextCode(): Promise<string> {
    if (!this.pending) throw new Error("the client never asked to sign in");
    const p = this.pending;
    this.pending = undefined;
    return p;
  }
  /** Replaces the stored access token (e.g. with an expired or foreign one) to test refresh. */
  setTokens(t: OAuthTokens | undefined) {
    this.saved = t;
  }
}

/**
 * A `BROWSER` program (xdg-open runs `$BROWSER <url>` when no desktop is detected) that posts the URL
 * to `onUrl`. Returns the env to pass to the tool and a close function.
 */
export async function browserHook(onUrl: (url: string) => void): Promise<{ env: Record<string, string>; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8").on("data", (d: string) => (body += d));
    req.on("end", () => {
      res.writeHead(204).end();
      onUrl(body.trim());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const port = (server.address() as AddressInfo).port;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vmcp-okta-browser-hook-"));
  const script = path.join(dir, "open-in-test-browser");
  // Plain POSIX shell + node's fetch would be slow; curl may be absent: use node itself, once.
  fs.writeFileSync(
    script,
    `#!/bin/sh\nexec "${process.execPath}" -e 'fetch("http://127.0.0.1:${port}/", {method: "POST", body: process.argv[1]}).then(() => process.exit(0), () => process.exit(1))' "$1"\n`,
    { mode: 0o755 },
  );
  return {
    // No DISPLAY/WAYLAND_DISPLAY: xdg-open's generic path, which uses $BROWSER.
    env: { BROWSER: script, DISPLAY: "", WAYLAND_DISPLAY: "", XDG_CURRENT_DESKTOP: "" },
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
