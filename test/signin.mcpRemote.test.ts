/**
 * `mcp-remote` (the stdio ↔ remote OAuth proxy that Claude Desktop-style clients use) signs in through
 * a real browser: it is run as its own process with a fresh config folder (MCP_REMOTE_CONFIG_DIR) and
 * opens the browser the way it does on a Linux desktop (the `open` package → xdg-open → `$BROWSER`),
 * here a hook that hands the URL to headless Chromium, which signs in as the test's user. An MCP SDK
 * client talks to mcp-remote over stdio, as a desktop client would. Checked: alice, bob and eve see
 * exactly the matrix's tools; an expired access token is refreshed without a browser; an upstream
 * session that cannot be refreshed makes mcp-remote open the browser again.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { findDevUser } from "../components/dev/config";
import { SignInBrowser } from "./helpers/browserSignIn";
import { startMcpRemote } from "./helpers/signInClients";
import { assertMatchesMatrix } from "./helpers/signInChecks";
import { startContainerTarget, startEmbeddedTarget, type SignInTarget } from "./helpers/signInTargets";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function runMcpRemoteSuite(start: () => Promise<SignInTarget>): void {
  let target: SignInTarget;
  let browser: SignInBrowser;
  before(async () => {
    browser = await SignInBrowser.launch();
    target = await start();
  });
  after(async () => {
    await Promise.allSettled([target?.close(), browser?.close()]);
  });

  for (const login of ["alice@example.com", "bob@example.com", "eve@example.com"]) {
    test(`mcp-remote signs ${login} in through Chromium; lists and calls match the matrix`, async () => {
      const r = await startMcpRemote(target.mcpUrl, browser, login);
      try {
        assert.equal(r.opened.length, 1, `mcp-remote opened the browser once\n${r.stderr()}`);
        await r.signedIn();
        assert.equal(browser.history.at(-1)!.login, login);
        assert.ok(browser.history.at(-1)!.result.signInPageShown);
        await assertMatchesMatrix(r.client, target.compiled, findDevUser(target.users, login)!);
      } finally {
        await r.close();
      }
    });
  }

  test("mcp-remote refreshes an expired access token without opening the browser", async () => {
    const r = await startMcpRemote(target.mcpUrl, browser, "bob@example.com");
    try {
      const before = r.stored();
      assert.ok(before.refreshToken, `mcp-remote asked for offline_access and stored a refresh token\n${r.stderr()}`);
      await sleep((target.accessTtlSeconds + 1) * 1000);
      const listed = (await r.client.listTools()).tools.map((t) => t.name);
      assert.ok(listed.includes("kubernetes-backend_delete_namespace"), listed.join(", "));
      if (target.clientTokensExpire) assert.notEqual(r.stored().accessToken, before.accessToken, "a refreshed access token was stored");
      assert.equal(r.opened.length, 1, "no second browser sign-in");
      if (target.embedded) assert.ok(target.logs.some((l) => (l as { msg?: string }).msg === "authserver.upstream_refreshed"), "the gateway refreshed the upstream token");
    } finally {
      await r.close();
    }
  });

  test("an upstream session that cannot be refreshed makes mcp-remote open the browser again", async () => {
    const r = await startMcpRemote(target.mcpUrl, browser, "alice@example.com");
    try {
      target.endUpstreamSession("alice@example.com");
      await sleep((target.accessTtlSeconds + 1) * 1000);
      // 401 → refresh refused → mcp-remote signs in again in the browser, then carries on.
      const listed = await r.client.listTools().catch(async () => r.client.listTools());
      assert.equal(r.opened.length, 2, `a second browser sign-in\n${r.stderr()}`);
      await r.signedIn();
      assert.ok(browser.history.at(-1)!.result.signInPageShown);
      assert.ok(!listed.tools.some((t) => t.name === "kubernetes-backend_delete_namespace"));
      await assertMatchesMatrix(r.client, target.compiled, findDevUser(target.users, "alice@example.com")!);
    } finally {
      await r.close();
    }
  });
}

describe("mcp-remote, npm start's chain (client ↔ gateway authorization server ↔ development IdP)", () => runMcpRemoteSuite(() => startEmbeddedTarget()));
describe("mcp-remote, the production container entry (gateway/container/main.ts) with the development IdP as Okta", () => runMcpRemoteSuite(() => startContainerTarget()));
