/**
 * `npm start` itself (the real `vmcp-okta dev` process on the repository's dev stack): the MCP SDK
 * client and `mcp-remote`, given the URL the banner prints, sign in through headless Chromium and see
 * exactly their group's tools; the status page and the protected-resource metadata name the same URL.
 * (test/signin.sdk.test.ts and test/signin.mcpRemote.test.ts run the same chain in process, with
 * short token lifespans for the refresh cases.)
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { LoopbackCallback, SignInBrowser } from "./helpers/browserSignIn";
import { sdkSignIn, startMcpRemote } from "./helpers/signInClients";
import { assertMatchesMatrix } from "./helpers/signInChecks";
import { freePort } from "./helpers/net";
import { devStack, REPO } from "./helpers/signInTargets";
import { devConfigFor, devUsers, findDevUser } from "../components/dev/config";

let child: ChildProcess;
let out = "";
let mcpUrl: string;
let browser: SignInBrowser;
let callback: LoopbackCallback;
const compiled = devStack();
const users = devUsers(compiled.spec, devConfigFor(compiled.spec).dev);

before(async () => {
  const [port, idpPort] = [await freePort(), await freePort()];
  child = spawn(process.execPath, [join(REPO, "bin", "vmcp-okta.js"), "dev", "--stack", "dev", "--port", String(port), "--idp-port", String(idpPort)], { cwd: REPO, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout!.setEncoding("utf8").on("data", (d: string) => (out += d));
  let err = "";
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (err += d));
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`not ready after 60 s\n${out}\n${err}`)), 60_000);
    const poll = setInterval(() => {
      if (out.includes("Stop: Ctrl+C") && err.includes('"dev.ready"')) {
        clearTimeout(t);
        clearInterval(poll);
        resolve();
      }
    }, 100);
    child.on("close", (code) => reject(new Error(`vmcp-okta dev exited (${code})\n${out}\n${err}`)));
  });
  mcpUrl = /MCP URL +(\S+)/.exec(out)![1];
  browser = await SignInBrowser.launch();
  callback = await LoopbackCallback.start();
});

after(async () => {
  await Promise.allSettled([browser?.close(), callback?.close()]);
  if (child.exitCode === null) {
    const exited = new Promise((r) => child.once("close", r));
    child.kill("SIGTERM");
    await exited;
  }
});

test("the banner's URL is the one the status page and the protected-resource metadata name", async () => {
  const origin = new URL(mcpUrl).origin;
  assert.equal(mcpUrl, `${origin}/mcp`);
  assert.match(origin, /^http:\/\/localhost:\d+$/, "the stack endpoint's host, not the listen address");
  const prm = (await (await fetch(`${origin}/.well-known/oauth-protected-resource`)).json()) as { resource: string; authorization_servers: string[] };
  assert.equal(prm.resource, origin);
  const page = await (await fetch(`${origin}/`)).text();
  assert.ok(page.includes(`<code>${mcpUrl}</code>`), "the status page shows the banner's URL");
});

test("the MCP SDK client signs in to npm start as carol through Chromium", async () => {
  const s = await sdkSignIn(mcpUrl, browser, callback, "carol@example.com");
  try {
    assert.ok(browser.history.at(-1)!.result.signInPageShown);
    assert.ok(s.provider.lastAuthorizationUrl!.href.startsWith(`${new URL(mcpUrl).origin}/oauth/authorize`), "the client signs in at the gateway, as with vMCP");
    await assertMatchesMatrix(s.client, compiled, findDevUser(users, "carol@example.com")!);
  } finally {
    await s.client.close();
  }
});

test("mcp-remote signs in to npm start as alice through Chromium", async () => {
  const r = await startMcpRemote(mcpUrl, browser, "alice@example.com");
  try {
    assert.equal(r.opened.length, 1, r.stderr());
    await assertMatchesMatrix(r.client, compiled, findDevUser(users, "alice@example.com")!);
  } finally {
    await r.close();
  }
});
