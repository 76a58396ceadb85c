/**
 * The development IdP's sign-in page itself: it lists every development user with the groups their
 * token will carry and the Okta groups the claim filter drops, and its Content-Security-Policy lets
 * the browser follow the sign-in's redirect chain (no `form-action`: Chromium checks it against every
 * hop, and the chain ends at the client's redirect URI) while still allowing no script, no subresource
 * and no framing. The browser behaviour itself is what test/signin.*.test.ts drive in Chromium.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { discoverAuthorizationServerMetadata, registerClient, startAuthorization } from "@modelcontextprotocol/sdk/client/auth.js";
import { compileTeam } from "../components/compile";
import { ProblemList } from "../components/errors";
import { devUsers, parseDevConfig } from "../components/dev/config";
import { startDevIdp, type DevIdp } from "../gateway/devIdp";
import { SIGN_IN_CSP } from "../gateway/devIdp/interactions";
import { seedTeam } from "./fixtures/seed";

const RESOURCE = "http://localhost:18091";
const REDIRECT = "http://127.0.0.1:33421/callback";
let idp: DevIdp;
let stateDir: string;

before(async () => {
  const spec = compileTeam({
    ...seedTeam(),
    environment: "development",
    endpoint: RESOURCE,
    dev: { extraUsers: ["eve@example.com", { login: "dave@example.com", groups: ["Everyone-Contractors"] }] },
  }).spec;
  const dev = parseDevConfig(spec.raw.dev, spec, new ProblemList())!;
  stateDir = mkdtempSync(join(tmpdir(), "vmcp-okta-signin-page-"));
  idp = await startDevIdp({ spec, users: devUsers(spec, dev), resourceUrl: RESOURCE, port: 0, stateDir });
});
after(async () => {
  await idp.close();
  rmSync(stateDir, { recursive: true, force: true });
});

async function signInPage(): Promise<Response> {
  const metadata = (await discoverAuthorizationServerMetadata(idp.issuer))!;
  const client = await registerClient(idp.issuer, {
    metadata,
    clientMetadata: { client_name: "page test", redirect_uris: [REDIRECT], grant_types: ["authorization_code"], response_types: ["code"], token_endpoint_auth_method: "none" },
  });
  const { authorizationUrl } = await startAuthorization(idp.issuer, { metadata, clientInformation: client, redirectUrl: REDIRECT, scope: "openid groups", state: "s", resource: new URL(RESOURCE) });
  let url = authorizationUrl.href;
  let cookies = "";
  for (let i = 0; i < 5; i++) {
    const r = await fetch(url, { redirect: "manual", headers: { cookie: cookies } });
    cookies = [cookies, ...r.headers.getSetCookie().map((c) => c.split(";")[0])].filter(Boolean).join("; ");
    const loc = r.headers.get("location");
    if (!loc) return r;
    url = new URL(loc, url).href;
  }
  throw new Error("no sign-in page");
}

test("the sign-in page's CSP allows the redirect chain but no script, subresource or framing", async () => {
  const r = await signInPage();
  assert.equal(r.status, 200);
  const csp = r.headers.get("content-security-policy") ?? "";
  assert.equal(csp, SIGN_IN_CSP);
  assert.doesNotMatch(csp, /form-action/, "form-action would block the redirects to the client's callback");
  for (const d of ["default-src 'none'", "frame-ancestors 'none'", "base-uri 'none'"]) assert.ok(csp.includes(d), d);
  assert.doesNotMatch(csp, /script-src/, "no script source is allowed (default-src 'none')");
  assert.equal(r.headers.get("x-frame-options"), "DENY");
});

test("the sign-in page lists every user with the groups their token carries and those the filter drops", async () => {
  const html = await (await signInPage()).text();
  const row = (login: string) => {
    const i = html.indexOf(`data-login="${login}"`);
    assert.ok(i >= 0, `a button for ${login}`);
    return html.slice(i, html.indexOf("</tr>", i));
  };
  assert.match(row("alice@example.com"), /<code>mcp-developers<\/code><\/td><td><code>Everyone<\/code>/);
  assert.match(row("carol@example.com"), /<code>mcp-admin<\/code>/);
  assert.match(row("eve@example.com"), /no team group: every call is denied<\/em><\/td><td><code>Everyone<\/code>/);
  assert.match(row("dave@example.com"), /<code>Everyone-Contractors<\/code> <code>Everyone<\/code>/);
  assert.match(html, /Other Okta groups/);
});
