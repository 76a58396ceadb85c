/**
 * The development IdP's sign-in pages, built on oidc-provider's interaction API
 * (`interactionDetails` / `interactionFinished`) instead of its bundled `devInteractions`, which
 * accept any user name. Here the page lists the stack's development users (with the groups their
 * token will carry) and shows which client, redirect and resource the token is for; choosing a user
 * signs in and approves in one click. Consent for an already signed-in user asks explicitly, so a
 * page that starts an authorization request in the background cannot get a token silently.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type Provider from "oidc-provider";
import type { InteractionResults } from "oidc-provider";
import { findDevUser, type DevUser } from "../../components/dev/config";

const MAX_FORM_BYTES = 16 * 1024;

function esc(s: unknown): string {
  return String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] as string);
}

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<meta name="viewport" content="width=device-width,initial-scale=1">
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#222}
.note{background:#fff4d6;border:1px solid #e6c45a;padding:.5rem .75rem;border-radius:4px;font-size:.9rem}
button{font:inherit;padding:.4rem .8rem;margin:.2rem 0;cursor:pointer}
table{border-collapse:collapse;width:100%}td{padding:.3rem .4rem;border-bottom:1px solid #ddd;vertical-align:top}
code{background:#f3f3f3;padding:0 .2rem}</style></head><body>${body}</body></html>`;
}

/**
 * No scripts, no subresources but inline style, never framed (a one-click sign-in must not be
 * clickjacked). No `form-action`: browsers check it against every hop of the redirect chain that
 * follows a form post (Chromium reports "Sending form data to '…/login' violates … form-action
 * 'self'"), and after a sign-in that chain ends at the client's redirect URI (a loopback port, or
 * `cursor://…`), and behind the gateway's authorization server at *its* client's redirect URI, which
 * this page cannot know. Every value on the page is escaped, so there is no injected form to stop.
 */
export const SIGN_IN_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'";

function send(res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, {
    "content-type": "text/html; charset=utf-8",
    "cache-control": "no-store",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "content-security-policy": SIGN_IN_CSP,
  });
  res.end(html);
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_FORM_BYTES) throw new Error("form too large");
    chunks.push(chunk as Buffer);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
}

function requestSummary(params: Record<string, unknown>, clientName: string | undefined): string {
  let redirect = String(params.redirect_uri ?? "");
  try {
    redirect = new URL(redirect).origin;
  } catch {
    /* shown as given */
  }
  return `<table>
<tr><td>Client</td><td><code>${esc(clientName ?? params.client_id)}</code>${clientName ? ` (<code>${esc(params.client_id)}</code>)` : ""}</td></tr>
<tr><td>Returns to</td><td><code>${esc(redirect)}</code></td></tr>
<tr><td>For</td><td><code>${esc(params.resource ?? "")}</code></td></tr>
<tr><td>Scopes</td><td><code>${esc(params.scope ?? "")}</code></td></tr></table>`;
}

/** One user on the sign-in page: the button signs in as them; their groups as the token will carry them. */
function userRow(u: DevUser, action: string): string {
  const codes = (gs: readonly string[]) => gs.map((g) => `<code>${esc(g)}</code>`).join(" ");
  const dropped = u.oktaGroups.filter((g) => !u.tokenGroups.includes(g));
  return `<tr><td><form method="post" action="${esc(action)}"><input type="hidden" name="login" value="${esc(u.login)}">
<button type="submit" data-login="${esc(u.login)}">${esc(u.login)}</button></form></td>
<td>${u.tokenGroups.length ? codes(u.tokenGroups) : "<em>no team group: every call is denied</em>"}</td><td>${codes(dropped)}</td></tr>`;
}

export interface InteractionHandlerOptions {
  provider: Provider;
  users: readonly DevUser[];
  /** Path prefix of the interaction routes, e.g. `/oauth2/default/interaction`. */
  basePath: string;
  logger?: (line: object) => void;
}

/** Returns a request handler for `<basePath>/<uid>[/login|/confirm|/abort]`; false when the path is not its own. */
export function interactionHandler(o: InteractionHandlerOptions): (req: IncomingMessage, res: ServerResponse) => Promise<boolean> {
  const { provider, users, basePath } = o;

  async function finish(req: IncomingMessage, res: ServerResponse, result: InteractionResults, merge: boolean): Promise<void> {
    await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: merge });
  }

  async function approve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const details = await provider.interactionDetails(req, res);
    const accountId = details.session?.accountId;
    if (!accountId) throw new Error("no signed-in user for this request");
    const d = details.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[]; missingResourceScopes?: Record<string, string[]> };
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId, clientId: String(details.params.client_id) });
    if (!grant) throw new Error("grant not found");
    if (d.missingOIDCScope) grant.addOIDCScope(d.missingOIDCScope.join(" "));
    if (d.missingOIDCClaims) grant.addOIDCClaims(d.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(d.missingResourceScopes ?? {})) grant.addResourceScope(indicator, scopes.join(" "));
    const grantId = await grant.save();
    o.logger?.({ level: "info", msg: "dev-idp consent", sub: accountId, client: details.params.client_id });
    await finish(req, res, { consent: details.grantId ? {} : { grantId } }, true);
  }

  return async (req, res) => {
    const url = new URL(req.url ?? "/", "http://idp.invalid");
    if (!url.pathname.startsWith(basePath + "/")) return false;
    const [uid, action] = url.pathname.slice(basePath.length + 1).split("/");
    if (!uid) return false;
    try {
      if (req.method === "GET" && action === undefined) {
        const details = await provider.interactionDetails(req, res);
        if (details.uid !== uid) throw new Error("interaction mismatch");
        const client = await provider.Client.find(String(details.params.client_id));
        const clientName = client?.clientName;
        const summary = requestSummary(details.params, clientName);
        if (details.prompt.name === "login") {
          const rows = users.map((u) => userRow(u, `${basePath}/${uid}/login`)).join("\n");
          send(
            res,
            200,
            page(
              "Sign in: vmcp-okta development IdP",
              `<h1>Sign in as a development user</h1>
<p class="note">This is the vmcp-okta <strong>development</strong> identity provider: no passwords, users from the stack file. Never use it outside a laptop.</p>
${summary}<h2>Users</h2><table><tr><td><strong>User</strong></td><td><strong>Groups in the token</strong></td><td><strong>Other Okta groups</strong> (dropped by the claim filter)</td></tr>${rows}</table>
<form method="post" action="${esc(`${basePath}/${uid}/abort`)}"><button type="submit">Cancel</button></form>`,
            ),
          );
          return true;
        }
        if (details.prompt.name === "consent") {
          // The user picked an identity on the sign-in page of this very request: that was the consent.
          if (details.lastSubmission?.login) {
            await approve(req, res);
            return true;
          }
          send(
            res,
            200,
            page(
              "Allow access: vmcp-okta development IdP",
              `<h1>Allow access?</h1><p>Signed in as <code>${esc(details.session?.accountId ?? "")}</code>.</p>${summary}
<form method="post" action="${esc(`${basePath}/${uid}/confirm`)}"><button type="submit">Allow</button></form>
<form method="post" action="${esc(`${basePath}/${uid}/abort`)}"><button type="submit">Deny</button></form>`,
            ),
          );
          return true;
        }
        throw new Error(`unsupported prompt ${details.prompt.name}`);
      }
      if (req.method === "POST" && action === "login") {
        const form = await readForm(req);
        const user = findDevUser(users, form.get("login") ?? "");
        if (!user) {
          send(res, 400, page("Unknown user", `<p>Unknown development user.</p>`));
          return true;
        }
        o.logger?.({ level: "info", msg: "dev-idp sign-in", sub: user.login });
        await finish(req, res, { login: { accountId: user.login, remember: false } }, false);
        return true;
      }
      if (req.method === "POST" && action === "confirm") {
        await approve(req, res);
        return true;
      }
      if (req.method === "POST" && action === "abort") {
        await finish(req, res, { error: "access_denied", error_description: "the user cancelled the sign-in" }, false);
        return true;
      }
      send(res, 405, page("Not allowed", "<p>Method not allowed.</p>"));
      return true;
    } catch (e) {
      o.logger?.({ level: "warn", msg: "dev-idp interaction failed", error: (e as Error).message });
      if (!res.headersSent) send(res, 400, page("Sign-in failed", `<p>${esc((e as Error).message)}</p><p>Start again from your MCP client.</p>`));
      return true;
    }
  };
}
