/**
 * `vmcp-okta dev` end to end, as a user runs it (a real CLI process): it prints a short banner (the
 * MCP URL, how to add it to Claude Code, VS Code and Cursor, the users, the `dev token` command);
 * tokens from the printed `dev token` command (a second process) work with the official MCP SDK
 * client and the Cedar decisions of the stack; SIGTERM shuts everything down cleanly.
 * The stack's backend is our Streamable HTTP conformance server, so this needs no demo backend.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { UnauthorizedError, type OAuthClientProvider } from "@modelcontextprotocol/sdk/client/auth.js";
import type { OAuthClientInformationMixed, OAuthClientMetadata, OAuthTokens } from "@modelcontextprotocol/sdk/shared/auth.js";
import type { TeamInput } from "../components/spec/types";
import { startEverythingServer, type EverythingServer } from "../gateway/conformance/everythingServer";
import { BIN, runCli, tempStacks } from "./fixtures/cli";
import { HostCookieBrowser } from "./helpers/authServerFlow";
import { freePort } from "./helpers/net";

let backend: EverythingServer;
let dir: string;
let port: number;
let idpPort: number;
let child: ChildProcessWithoutNullStreams;
let stdout = "";
let stderr = "";
let exitResolve!: (code: number | null) => void;
const exited = new Promise<number | null>((resolve) => (exitResolve = resolve));

function team(backendUrl: string): TeamInput {
  return {
    team: "laptop",
    environment: "development",
    endpoint: `http://localhost:${port}`,
    groupPrefix: "mcp-",
    groups: {
      developers: { description: "Developers", members: ["alice@example.com"] },
      platform: { description: "Platform", members: ["bob@example.com"] },
    },
    grants: {
      developers: { allow: "*", deny: ["everything/test_error_handling"] },
      platform: { allow: "*" },
    },
    backends: {
      everything: { image: "local/everything", transport: "streamable-http", tools: ["test_simple_text", "test_error_handling"], local: { url: backendUrl } },
    },
    dev: { extraUsers: ["eve@example.com"], idpPort },
  };
}

before(async () => {
  backend = await startEverythingServer();
  [port, idpPort] = [await freePort(), await freePort()];
  dir = tempStacks({ laptop: team(backend.url) });
  child = spawn(process.execPath, [BIN, "dev", "--stack", "laptop"], { cwd: dir, stdio: ["pipe", "pipe", "pipe"] });
  child.on("close", (code) => exitResolve(code));
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no banner after 30 s\nstdout: ${stdout}\nstderr: ${stderr}`)), 30_000);
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      stdout += d;
      if (stdout.includes("Stop: Ctrl+C")) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on("close", (code) => reject(new Error(`dev exited early (${code})\nstdout: ${stdout}\nstderr: ${stderr}`)));
  });
});

after(async () => {
  if (child.exitCode === null) child.kill("SIGKILL");
  await backend.close();
});

/** The banner's `dev token` command, run as printed (another process), for `login`. */
async function tokenFor(login: string): Promise<string> {
  const line = stdout.split("\n").find((l) => l.includes("vmcp-okta dev token"));
  assert.ok(line, "the banner names the dev token command");
  const args = line.slice(line.indexOf("vmcp-okta dev token") + "vmcp-okta ".length).trim().split(/\s+/);
  args[args.indexOf("--user") + 1] = login;
  const r = await runCli(args, { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  const token = r.stdout.trim();
  assert.match(token, /^eyJ[\w-]+\.[\w-]+\.[\w-]+$/);
  return token;
}

async function connect(token: string): Promise<Client> {
  const client = new Client({ name: "dev-e2e", version: "1" });
  await client.connect(new StreamableHTTPClientTransport(new URL(`http://localhost:${port}/mcp`), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
  return client;
}

test("the banner is short: the MCP URL, the clients, the matrix page, the users, the token command", () => {
  const mcp = `http://localhost:${port}/mcp`;
  assert.match(stdout, new RegExp(`MCP URL +${mcp}`));
  assert.match(stdout, new RegExp(`Access matrix +http://localhost:${port}/`));
  assert.ok(stdout.includes(`claude mcp add --transport http vmcp-laptop ${mcp}`), stdout);
  assert.ok(stdout.includes(`.vscode/mcp.json   {"servers": {"vmcp-laptop": {"type": "http", "url": "${mcp}"}}}`), stdout);
  assert.ok(stdout.includes(`~/.cursor/mcp.json {"mcpServers": {"vmcp-laptop": {"url": "${mcp}"}}}`), stdout);
  assert.match(stdout, /alice@example\.com +mcp-developers/);
  assert.match(stdout, /bob@example\.com +mcp-platform/);
  assert.match(stdout, /eve@example\.com +no team group/);
  assert.match(stdout, /vmcp-okta dev token --stack laptop --user alice@example\.com/);
  assert.doesNotMatch(stdout, /eyJ[\w-]{20,}\./, "no token in the banner");
  assert.doesNotMatch(stderr, /eyJ[\w-]{20,}\./, "no token in the logs");
  assert.ok(stdout.split("\n").length <= 25, `short: ${stdout.split("\n").length} lines`);
  // One URL everywhere: the status page names the same MCP URL, whose origin is the RFC 9728 resource.
  return Promise.all([fetch(`http://127.0.0.1:${port}/`).then((r) => r.text()), fetch(`http://127.0.0.1:${port}/.well-known/oauth-protected-resource`).then((r) => r.json())]).then(([html, prm]) => {
    assert.ok((html as string).includes(`<code>${mcp}</code>`), "the status page shows the public MCP URL");
    assert.equal((prm as { resource: string }).resource, new URL(mcp).origin);
  });
});

test("tokens from the printed dev token command work with the MCP SDK client, with the stack's decisions", async () => {
  const alice = await connect(await tokenFor("alice@example.com"));
  try {
    // allow "*" is every tool the backend lists (declared or not), minus the denied one.
    const names = (await alice.listTools()).tools.map((t) => t.name);
    assert.ok(names.includes("everything_test_simple_text"));
    assert.ok(!names.includes("everything_test_error_handling"), names.join(", "));
    const ok = await alice.callTool({ name: "everything_test_simple_text", arguments: {} });
    assert.equal((ok.content as Array<{ text: string }>)[0].text, "This is a simple text response for testing.");
    await assert.rejects(alice.callTool({ name: "everything_test_error_handling", arguments: {} }), /denied/i);
  } finally {
    await alice.close();
  }
  const bob = await connect(await tokenFor("bob@example.com"));
  try {
    const names = (await bob.listTools()).tools.map((t) => t.name);
    assert.ok(names.includes("everything_test_error_handling") && names.includes("everything_test_simple_text"), names.join(", "));
  } finally {
    await bob.close();
  }
  const eve = await connect(await tokenFor("eve@example.com"));
  try {
    assert.deepEqual((await eve.listTools()).tools, []);
  } finally {
    await eve.close();
  }
});

test("a token from `dev token` in another process is accepted by the running gateway", async () => {
  const r = await runCli(["dev", "token", "--stack", "laptop", "--user", "bob@example.com"], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  const bob = await connect(r.stdout.trim());
  try {
    const res = await bob.callTool({ name: "everything_test_error_handling", arguments: {} });
    assert.equal(res.isError, true, "bob may call it (the tool itself reports an error)");
  } finally {
    await bob.close();
  }
  const bad = await fetch(`http://localhost:${port}/mcp`, { method: "POST", headers: { authorization: "Bearer nope", "content-type": "application/json", accept: "application/json, text/event-stream" }, body: "{}" });
  assert.equal(bad.status, 401);
});

/** An MCP client's OAuth state, in memory; the "browser" is driven by the test. */
class MemoryOAuthProvider implements OAuthClientProvider {
  authorizationUrl?: URL;
  private info?: OAuthClientInformationMixed;
  private saved?: OAuthTokens;
  private verifier = "";
  readonly redirectUrl = "http://127.0.0.1:33419/callback";
  get clientMetadata(): OAuthClientMetadata {
    return { client_name: "dev e2e MCP client", redirect_uris: [this.redirectUrl], grant_types: ["authorization_code", "refresh_token"], response_types: ["code"], token_endpoint_auth_method: "none" };
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
  redirectToAuthorization(url: URL) {
    this.authorizationUrl = url;
  }
  saveCodeVerifier(v: string) {
    this.verifier = v;
  }
  codeVerifier() {
    return this.verifier;
  }
}

test("an MCP client with no token signs in through the gateway's 401, the dev IdP's page and PKCE", async () => {
  const url = new URL(`http://localhost:${port}/mcp`);
  const provider = new MemoryOAuthProvider();
  const first = new Client({ name: "oauth-e2e", version: "1" });
  const transport = new StreamableHTTPClientTransport(url, { authProvider: provider });
  // 401 + WWW-Authenticate → protected-resource metadata → the dev IdP's metadata → registration.
  await assert.rejects(first.connect(transport), UnauthorizedError);
  assert.ok(provider.authorizationUrl, "the client was sent to the authorization endpoint");
  // The gateway's own authorization server (as vMCP's authServerConfig); it sends the browser on to the dev IdP.
  assert.ok(provider.authorizationUrl.href.startsWith(`http://localhost:${port}/oauth/authorize`), provider.authorizationUrl.href);
  assert.equal(provider.authorizationUrl.searchParams.get("resource")?.replace(/\/mcp$/, "").replace(/\/$/, ""), `http://localhost:${port}`);

  // Cookies by host, as a browser keeps them: the gateway and the dev IdP use the same cookie names.
  const browser = new HostCookieBrowser();
  const page = await browser.go(provider.authorizationUrl.href);
  assert.ok(page.url.startsWith(`http://127.0.0.1:${idpPort}/oauth2/default/`), page.url);
  assert.match(page.body, /bob@example\.com/);
  const back = new URL((await browser.signInAs(page, "bob@example.com", { stopAt: [String(provider.redirectUrl)] })).url);
  const code = back.searchParams.get("code");
  assert.ok(code, `${back.href}\n${provider.authorizationUrl.href}\n${stderr.split("\n").filter((l) => l.includes("dev-idp")).join("\n")}`);
  await transport.finishAuth(code);
  // The client holds the gateway's token (and a refresh token: the metadata lists offline_access).
  const saved = provider.tokens()!;
  assert.equal(JSON.parse(Buffer.from(saved.access_token.split(".")[1], "base64url").toString()).iss, `http://localhost:${port}`);
  assert.ok(saved.refresh_token, "a refresh token");

  const client = new Client({ name: "oauth-e2e", version: "1" });
  await client.connect(new StreamableHTTPClientTransport(url, { authProvider: provider }));
  try {
    const names = (await client.listTools()).tools.map((t) => t.name);
    assert.ok(names.includes("everything_test_error_handling"), `bob (mcp-platform) sees it: ${names.join(", ")}`);
  } finally {
    await client.close();
  }
});

test("SIGTERM shuts the gateway and the IdP down cleanly", async () => {
  child.kill("SIGTERM");
  const code = await Promise.race([exited, new Promise<string>((r) => setTimeout(() => r("timeout"), 15_000))]);
  assert.equal(code, 0, stderr);
  for (const p of [port, idpPort]) {
    await assert.rejects(fetch(`http://127.0.0.1:${p}/`), `port ${p} is closed`);
  }
});
