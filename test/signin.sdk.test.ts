/**
 * The official MCP SDK client signs in through a real browser (Debian's Chromium via playwright-core):
 * the SDK's own OAuth flow (401 → protected-resource metadata → authorization server metadata →
 * dynamic registration → authorize with PKCE) sends the user to the development IdP's sign-in page,
 * the browser clicks the user and follows the redirects to the client's loopback callback, the SDK
 * exchanges the code. Then: alice, bob and eve see and may call exactly what the access matrix says;
 * an expired access token is refreshed without the browser; an upstream session that cannot be
 * refreshed sends the user back to sign in.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { UnauthorizedError } from "@modelcontextprotocol/sdk/client/auth.js";
import { findDevUser } from "../components/dev/config";
import { LoopbackCallback, SignInBrowser } from "./helpers/browserSignIn";
import { sdkSignIn } from "./helpers/signInClients";
import { assertMatchesMatrix } from "./helpers/signInChecks";
import { startContainerTarget, startDirectTarget, startEmbeddedTarget, type SignInTarget } from "./helpers/signInTargets";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function runSignInSuite(start: () => Promise<SignInTarget>): void {
  let target: SignInTarget;
  let browser: SignInBrowser;
  let callback: LoopbackCallback;
  before(async () => {
    browser = await SignInBrowser.launch();
    callback = await LoopbackCallback.start();
    target = await start();
  });
  after(async () => {
    await Promise.allSettled([target?.close(), browser?.close(), callback?.close()]);
  });

  for (const login of ["alice@example.com", "bob@example.com", "eve@example.com"]) {
    test(`${login} signs in through Chromium and sees exactly the matrix's tools`, async () => {
      const user = findDevUser(target.users, login)!;
      const s = await sdkSignIn(target.mcpUrl, browser, callback, login);
      try {
        const last = browser.history.at(-1)!;
        assert.equal(last.login, login);
        assert.ok(last.result.signInPageShown, "the IdP's sign-in page was shown and clicked");
        assert.equal(s.provider.authorizations, 1);
        assert.ok(s.provider.tokens()?.refresh_token, "offline_access brought a refresh token");
        await assertMatchesMatrix(s.client, target.compiled, user);
      } finally {
        await s.client.close();
      }
    });
  }

  test("an expired access token is refreshed without the browser", async () => {
    const s = await sdkSignIn(target.mcpUrl, browser, callback, "bob@example.com");
    try {
      const before = s.provider.tokens()!;
      await sleep((target.accessTtlSeconds + 1) * 1000);
      // The gateway answers 401 to the expired token; the SDK refreshes and retries the request.
      const listed = (await s.client.listTools()).tools.map((t) => t.name);
      assert.ok(listed.includes("kubernetes-backend_delete_namespace"), listed.join(", "));
      const afterRefresh = s.provider.tokens()!;
      if (target.clientTokensExpire) assert.notEqual(afterRefresh.access_token, before.access_token, "a new access token");
      assert.equal(s.provider.authorizations, 1, "no second sign-in");
      if (target.embedded) {
        // The upstream access token had expired too: the gateway refreshed it at the IdP for this call.
        assert.ok(target.logs.some((l) => (l as { msg?: string }).msg === "authserver.upstream_refreshed"), "the gateway refreshed the upstream token");
      }
    } finally {
      await s.client.close();
    }
  });

  test("an upstream session that cannot be refreshed forces a new sign-in", async () => {
    const login = "alice@example.com";
    const s = await sdkSignIn(target.mcpUrl, browser, callback, login);
    let again: Client | undefined;
    try {
      target.endUpstreamSession(login);
      await sleep((target.accessTtlSeconds + 1) * 1000);
      const signInsBefore = browser.history.length;
      // 401 → refresh refused (invalid_grant) → the SDK drops the tokens and sends the user to sign in.
      const failed = await s.client.listTools().then(
        () => undefined,
        (e: Error) => e,
      );
      assert.ok(failed, "the call after the upstream session ended is refused");
      let transport = s.transport;
      if (!(failed instanceof UnauthorizedError)) {
        // Behind the gateway's authorization server the client's own refresh still succeeds once
        // (vMCP's token endpoint does not look upstream: pkg/authserver/server/handlers/token.go); the
        // request with that token finds the upstream session dead and gets 401, and the gateway ends
        // the grant. The SDK transport then refuses to retry ("401 after successful authentication"),
        // so the client reconnects, as an MCP host does after a failed call; that refresh is refused.
        assert.match(failed.message, /401/);
        await s.client.close();
        transport = new StreamableHTTPClientTransport(new URL(target.mcpUrl), { authProvider: s.provider });
        await assert.rejects(new Client({ name: "signin-sdk", version: "1" }).connect(transport), UnauthorizedError);
      }
      assert.equal(s.provider.authorizations, 2, "the client asked the user to sign in again");
      await transport.finishAuth(await s.provider.nextCode());
      await s.provider.lastSignIn;
      assert.equal(browser.history.length, signInsBefore + 1);
      assert.ok(browser.history.at(-1)!.result.signInPageShown, "the sign-in page, not a silent redirect");
      again = new Client({ name: "signin-sdk", version: "1" });
      await again.connect(new StreamableHTTPClientTransport(new URL(target.mcpUrl), { authProvider: s.provider }));
      await assertMatchesMatrix(again, target.compiled, findDevUser(target.users, login)!);
    } finally {
      await s.client.close();
      await again?.close();
    }
  });
}

describe("MCP SDK client, npm start's chain (client ↔ gateway authorization server ↔ development IdP)", () => runSignInSuite(() => startEmbeddedTarget()));
describe("MCP SDK client, directly at the development IdP (client ↔ development IdP)", () => runSignInSuite(() => startDirectTarget()));
describe("MCP SDK client, the production container entry (gateway/container/main.ts) with the development IdP as Okta", () => runSignInSuite(() => startContainerTarget()));
