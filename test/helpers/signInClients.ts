/**
 * The two real MCP clients the sign-in tests drive, each signing in through `SignInBrowser`:
 *
 * - `sdkSignIn`: the official MCP SDK client with `BrowserOAuthProvider` (the SDK's OAuth flow).
 * - `startMcpRemote`: `mcp-remote` as its own process with a fresh config folder
 *   (MCP_REMOTE_CONFIG_DIR), opening the browser the way it does on a Linux desktop (the `open`
 *   package → xdg-open → `$BROWSER`, here `browserHook`), with an SDK client on its stdio.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { UnauthorizedError } from "@modelcontextprotocol/sdk/client/auth.js";
import { BrowserOAuthProvider, browserHook, type LoopbackCallback, type SignInBrowser } from "./browserSignIn";
import { freePort } from "./net";
import { REPO } from "./signInTargets";

/** Okta (and the dev IdP) issue refresh tokens only for offline_access; asked for when the metadata lists no scopes. */
export const SCOPE = "openid profile email groups offline_access";

export interface SignedIn {
  client: Client;
  transport: StreamableHTTPClientTransport;
  provider: BrowserOAuthProvider;
}

export async function sdkSignIn(mcpUrl: string, browser: SignInBrowser, callback: LoopbackCallback, login: string): Promise<SignedIn> {
  const url = new URL(mcpUrl);
  const provider = new BrowserOAuthProvider(browser, callback, login, { scope: SCOPE });
  const first = new Client({ name: "signin-sdk", version: "1" });
  const firstTransport = new StreamableHTTPClientTransport(url, { authProvider: provider });
  await assert.rejects(first.connect(firstTransport), UnauthorizedError, "no token yet: the SDK sends the user to sign in");
  await firstTransport.finishAuth(await provider.nextCode());
  await provider.lastSignIn; // recorded in browser.history
  const client = new Client({ name: "signin-sdk", version: "1" });
  const transport = new StreamableHTTPClientTransport(url, { authProvider: provider });
  await client.connect(transport);
  return { client, transport, provider };
}

const MCP_REMOTE = join(REPO, "node_modules", "mcp-remote", "dist", "proxy.js");

export interface McpRemote {
  client: Client;
  /** URLs mcp-remote opened in the "browser". */
  opened: string[];
  configDir: string;
  stderr: () => string;
  /** Resolves when every browser sign-in so far has finished (and is in the browser's history). */
  signedIn(): Promise<unknown>;
  /** The stored OAuth state (tokens and the registered client). */
  stored(): { refreshToken?: string; accessToken?: string; clientId?: string };
  close(): Promise<void>;
}

export async function startMcpRemote(mcpUrl: string, browser: SignInBrowser, login: string): Promise<McpRemote> {
  const callbackPort = await freePort();
  const configDir = mkdtempSync(join(tmpdir(), "vmcp-okta-mcp-remote-"));
  const opened: string[] = [];
  const signIns: Promise<unknown>[] = [];
  const hook = await browserHook((url) => {
    opened.push(url);
    const p = browser.signIn(url, login, { done: (u) => u.port === String(callbackPort) && u.pathname === "/oauth/callback" });
    p.catch(() => {}); // a failed sign-in shows up as a client error below
    signIns.push(p);
  });
  let stderr = "";
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [MCP_REMOTE, mcpUrl, String(callbackPort), "--transport", "http-only"],
    env: { ...(process.env as Record<string, string>), ...hook.env, MCP_REMOTE_CONFIG_DIR: configDir },
    stderr: "pipe",
  });
  transport.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
  const client = new Client({ name: "signin-mcp-remote", version: "1" });
  try {
    await client.connect(transport);
  } catch (e) {
    await hook.close();
    throw new Error(`mcp-remote did not connect: ${(e as Error).message}\n${stderr}`);
  }
  const file = (suffix: string) => {
    const dir = join(configDir, readdirSync(configDir).find((d) => d.startsWith("mcp-remote"))!);
    const name = readdirSync(dir).find((f) => f.endsWith(suffix));
    return name ? JSON.parse(readFileSync(join(dir, name), "utf8")) : undefined;
  };
  return {
    client,
    opened,
    configDir,
    stderr: () => stderr,
    signedIn: () => Promise.all(signIns),
    stored() {
      const t = file("_tokens.json");
      const c = file("_client_info.json");
      return { refreshToken: t?.refresh_token, accessToken: t?.access_token, clientId: c?.client_id };
    },
    async close() {
      await client.close();
      await Promise.allSettled(signIns);
      await hook.close();
      rmSync(configDir, { recursive: true, force: true });
    },
  };
}

