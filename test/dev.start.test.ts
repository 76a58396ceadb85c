/**
 * `npm start` on the repository's dev stack, with no network: the whole check runs inside a fresh
 * network namespace that has only a loopback interface (`unshare -n`, available to root; elsewhere it
 * runs with the machine's network and says so). Inside, it starts `npm start` (on spare ports), gets
 * tokens with the `dev token` command the banner prints, and with the official MCP SDK client checks
 * the guide's team: alice
 * (mcp-developers) does not see `kubernetes-backend_delete_namespace` and is refused calling it, carol
 * (mcp-admin) may call it, eve (no group) sees nothing. Then Ctrl+C (SIGINT to the process group, as a
 * terminal sends it) stops everything.
 *
 * The same file is the checker: run with VMCP_DEV_START_CHECK=1 it performs the check and prints JSON.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { join, resolve } from "node:path";
import { freePort } from "./helpers/net";

const REPO = resolve(__dirname, "..");

interface CheckResult {
  offline: boolean;
  /** Whether the outside world answered from where npm start ran (it must not, in the namespace). */
  networkReachable: boolean;
  banner: boolean;
  aliceTools: string[];
  aliceDeleteRefused: string;
  carolDelete: string;
  eveTools: string[];
  exitedAfterCtrlC: boolean;
  portsClosed: boolean;
}

async function check(): Promise<CheckResult> {
  const { Client } = await import("@modelcontextprotocol/sdk/client/index.js");
  const { StreamableHTTPClientTransport } = await import("@modelcontextprotocol/sdk/client/streamableHttp.js");
  const networkReachable = await fetch("https://registry.npmjs.org/", { signal: AbortSignal.timeout(3000) }).then(
    () => true,
    () => false,
  );
  const [port, idpPort] = [await freePort(), await freePort()];
  const child = spawn("npm", ["start", "--", "--port", String(port), "--idp-port", String(idpPort)], { cwd: REPO, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
  child.stderr.setEncoding("utf8").on("data", (d: string) => (err += d));
  const exited = new Promise<void>((r) => child.on("close", () => r()));
  try {
    await new Promise<void>((res, rej) => {
      const t = setTimeout(() => rej(new Error(`no banner\n${out}\n${err}`)), 60_000);
      const poll = setInterval(() => {
        if (out.includes("Stop: Ctrl+C") && err.includes('"dev.ready"')) {
          clearTimeout(t);
          clearInterval(poll);
          res();
        }
      }, 100);
      child.on("close", () => rej(new Error(`npm start exited\n${out}\n${err}`)));
    });
    // The banner's own command for scripts: under npm start, `npm run --silent cli -- dev token --stack dev … --user …`
    // (vmcp-okta is not on PATH in a checkout).
    const command = out.split("\n").find((l) => l.includes("npm run --silent cli -- dev token"))!;
    assert.ok(command, out);
    const tokenArgs = command.slice(command.indexOf("dev token")).trim().split(/\s+/);
    const token = (login: string) =>
      new Promise<string>((res, rej) => {
        const args = [...tokenArgs];
        args[args.indexOf("--user") + 1] = login;
        const c = spawn(process.execPath, [join(REPO, "bin", "vmcp-okta.js"), ...args], { cwd: REPO, stdio: ["ignore", "pipe", "inherit"] });
        let t = "";
        c.stdout.setEncoding("utf8").on("data", (d: string) => (t += d));
        c.on("close", (code) => (code === 0 ? res(t.trim()) : rej(new Error(`dev token exited ${code}`))));
      });
    const connect = async (login: string) => {
      const c = new Client({ name: "npm-start-check", version: "1" });
      await c.connect(new StreamableHTTPClientTransport(new URL(`http://localhost:${port}/mcp`), { requestInit: { headers: { authorization: `Bearer ${await token(login)}` } } }));
      return c;
    };
    const alice = await connect("alice@example.com");
    const aliceTools = (await alice.listTools()).tools.map((t) => t.name);
    const aliceDeleteRefused = await alice.callTool({ name: "kubernetes-backend_delete_namespace", arguments: { name: "demo" } }).then(
      () => "allowed",
      (e: Error) => e.message,
    );
    await alice.close();
    const carol = await connect("carol@example.com");
    const r = await carol.callTool({ name: "kubernetes-backend_delete_namespace", arguments: { name: "demo" } });
    const carolDelete = (r.content as Array<{ text?: string }>)[0]?.text ?? "";
    await carol.close();
    const eve = await connect("eve@example.com");
    const eveTools = (await eve.listTools()).tools.map((t) => t.name);
    await eve.close();

    process.kill(-child.pid!, "SIGINT"); // Ctrl+C in a terminal signals the whole foreground group
    const exitedAfterCtrlC = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 15_000))]);
    const closed = async (p: number) => fetch(`http://127.0.0.1:${p}/`).then(() => false, () => true);
    return {
      offline: false,
      networkReachable,
      banner: out.includes(`MCP URL        http://localhost:${port}/mcp`) && out.includes(`claude mcp add --transport http vmcp-engineering http://localhost:${port}/mcp`) && !/eyJ[\w-]{20,}\./.test(out),
      aliceTools,
      aliceDeleteRefused,
      carolDelete,
      eveTools,
      exitedAfterCtrlC,
      portsClosed: (await closed(port)) && (await closed(idpPort)),
    };
  } finally {
    if (child.exitCode === null) {
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        /* already gone */
      }
    }
  }
}

if (process.env.VMCP_DEV_START_CHECK === "1") {
  check().then(
    (r) => {
      process.stdout.write(JSON.stringify(r) + "\n");
      process.exit(0);
    },
    (e: Error) => {
      process.stderr.write(`${e.stack ?? e.message}\n`);
      process.exit(1);
    },
  );
} else {
  // Registered only when run as a test, so the checker above runs no test of its own.
  test("npm start works with no network: banner, dev token, decisions, Ctrl+C", async () => {
    const self = join(REPO, "test", "dev.start.test.ts");
    const inner = `ip link set lo up && VMCP_DEV_START_CHECK=1 exec "${process.execPath}" --import tsx "${self}"`;
    const probe = spawnSync("unshare", ["-n", "true"]);
    const offline = probe.status === 0;
    const cmd = offline ? ["unshare", ["-n", "bash", "-c", inner]] : [process.execPath, ["--import", "tsx", self]];
    const r = await new Promise<{ code: number | null; out: string; err: string }>((res, rej) => {
      const c = spawn(cmd[0] as string, cmd[1] as string[], { cwd: REPO, env: { ...process.env, VMCP_DEV_START_CHECK: "1" }, stdio: ["ignore", "pipe", "pipe"] });
      let out = "";
      let err = "";
      c.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
      c.stderr.setEncoding("utf8").on("data", (d: string) => (err += d));
      c.on("error", rej);
      c.on("close", (code) => res({ code, out, err }));
    });
    assert.equal(r.code, 0, r.err);
    const result = { ...(JSON.parse(r.out.trim().split("\n").pop()!) as CheckResult), offline };
    if (!offline) process.stderr.write("note: unshare -n is not available here, so npm start ran with the machine's network\n");
    if (offline) assert.equal(result.networkReachable, false, "the namespace really has no network");
    assert.ok(result.banner);
    assert.ok(result.aliceTools.includes("kubernetes-backend_get_pods"), result.aliceTools.join(", "));
    assert.ok(result.aliceTools.includes("github-backend_create_issue"));
    assert.ok(!result.aliceTools.includes("kubernetes-backend_delete_namespace"));
    assert.match(result.aliceDeleteRefused, /denied by authorization policy/);
    assert.doesNotMatch(result.carolDelete, /denied/);
    assert.deepEqual(result.eveTools, []);
    assert.ok(result.exitedAfterCtrlC, "npm start stops on Ctrl+C");
    assert.ok(result.portsClosed, "and frees its ports");
  });
}
