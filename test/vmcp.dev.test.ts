/**
 * `vmcp-okta dev --engine vmcp` on the repository's dev stack: ToolHive's real `vmcp serve` with the
 * stack's configuration, the development identity provider, and the demo backends (stdio commands,
 * served over Streamable HTTP for vMCP). The guide's decisions hold through vMCP itself; SIGTERM
 * stops everything; a missing binary is a clear error with the install command.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as net from "node:net";
import { BIN, REPO } from "./fixtures/cli";
import { findVmcpBinary, VMCP_INSTALL_COMMAND } from "../components/vmcp/runVmcp";
import { connect, rawPost, rawSession } from "../gateway/testing/harness";
import { freePort } from "./helpers/net";

function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: REPO, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  const io = { out: "", err: "" };
  child.stdout.setEncoding("utf8").on("data", (d: string) => (io.out += d));
  child.stderr.setEncoding("utf8").on("data", (d: string) => (io.err += d));
  const closed = new Promise<number | null>((r) => child.on("close", (code) => r(code)));
  return { child, io, closed };
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, "127.0.0.1");
    s.once("connect", () => (s.destroy(), resolve(true)));
    s.once("error", () => resolve(false));
  });
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test("dev --engine vmcp without the vmcp binary: a clear error with the install command, nothing started", async () => {
  const [port, idpPort] = [await freePort(), await freePort()];
  const r = run(["dev", "--stack", "dev", "--engine", "vmcp", "--port", String(port), "--idp-port", String(idpPort)], { VMCP_BIN: "/nonexistent/vmcp" });
  const code = await r.closed;
  assert.notEqual(code, 0);
  assert.ok(r.io.err.includes(VMCP_INSTALL_COMMAND), r.io.err);
  assert.equal(await portOpen(idpPort), false, "the identity provider was not left running");
});

test("dev --engine vmcp: the dev stack's decisions, made by ToolHive's vmcp, then a clean stop", { timeout: 120_000 }, async () => {
  findVmcpBinary(); // fails (never skips) without the reference binary
  const [port, idpPort] = [await freePort(), await freePort()];
  const r = run(["dev", "--stack", "dev", "--engine", "vmcp", "--port", String(port), "--idp-port", String(idpPort)]);
  try {
    const started = await new Promise<{ pid: number }>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`vmcp did not start\n${r.io.out}\n${r.io.err.slice(-3000)}`)), 90_000);
      const poll = setInterval(() => {
        const line = r.io.err.split("\n").find((l) => l.includes('"dev.vmcp_started"'));
        if (line && r.io.out.includes("MCP URL")) {
          clearTimeout(t);
          clearInterval(poll);
          resolve(JSON.parse(line) as { pid: number });
        }
      }, 100);
      void r.closed.then(() => reject(new Error(`dev exited\n${r.io.out}\n${r.io.err.slice(-3000)}`)));
    });
    assert.match(r.io.out, /Engine: ToolHive vMCP/);
    const token = async (user: string) => {
      const t = run(["dev", "token", "--stack", "dev", "--port", String(port), "--idp-port", String(idpPort), "--user", user]);
      assert.equal(await t.closed, 0, t.io.err);
      return t.io.out.trim();
    };
    const mcpUrl = `http://127.0.0.1:${port}/mcp`;
    const alice = await connect(mcpUrl, await token("alice@example.com"));
    const names = (await alice.listTools()).tools.map((t) => t.name).sort();
    assert.deepEqual(names, ["github-backend_create_issue", "github-backend_get_file_contents", "github-backend_list_issues", "kubernetes-backend_get_pods", "kubernetes-backend_list_namespaces"]);
    const pods = await alice.callTool({ name: "kubernetes-backend_get_pods", arguments: { namespace: "payments" } });
    assert.match(JSON.stringify(pods.content), /api-5c6d7-fghij/, "the stdio demo backend answered through vMCP");
    await alice.close();

    const aliceToken = await token("alice@example.com");
    const sid = await rawSession(mcpUrl, aliceToken);
    const denied = await rawPost(mcpUrl, { jsonrpc: "2.0", id: 5, method: "tools/call", params: { name: "kubernetes-backend_delete_namespace", arguments: { namespace: "x" } } }, { authorization: `Bearer ${aliceToken}`, "mcp-session-id": sid });
    assert.equal(denied.status, 403);
    assert.deepEqual((denied.body as { error: unknown }).error, { code: 403, message: "call denied by authorization policy" });

    const carol = await connect(mcpUrl, await token("carol@example.com"));
    const del = await carol.callTool({ name: "kubernetes-backend_delete_namespace", arguments: { namespace: "nope" } });
    assert.match(JSON.stringify(del.content), /deleted/);
    await carol.close();

    const eve = await connect(mcpUrl, await token("eve@example.com"));
    assert.deepEqual((await eve.listTools()).tools, []);
    await eve.close();

    r.child.kill("SIGTERM");
    assert.equal(await r.closed, 0);
    assert.equal(pidAlive(started.pid), false, "vmcp stopped with the command");
    assert.equal(await portOpen(port), false);
    assert.equal(await portOpen(idpPort), false);
  } finally {
    if (r.child.exitCode === null) r.child.kill("SIGKILL");
  }
});
