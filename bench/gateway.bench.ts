/**
 * Gateway overhead: `tools/call` of an echo tool on a Streamable HTTP backend (the SDK's McpServer),
 * directly and through the gateway (bearer JWT validation, session, Cedar decision, routing, audit
 * log line), sequentially and with 16 concurrent clients. Backend and gateway each run in their own
 * process; the client is a lean keep-alive HTTP client so that its own cost does not hide the
 * gateway's. Paths are measured in alternating rounds and the median round is reported.
 *
 *   npm run bench:gateway
 *   BENCH_N=2000 BENCH_CONC_N=4000 BENCH_ROUNDS=3 BENCH_NO_CACHE=1 npm run bench:gateway
 *
 * A third path goes through a do-nothing node:http forwarder (no auth, no parsing, the answer piped
 * back): the floor of any proxy written in Node on this machine (BENCH_NO_FLOOR=1 skips it).
 * BENCH_NO_CACHE=1 adds a path: a gateway that verifies the JWT signature and evaluates
 * Cedar on every call (token cache and decision cache off).
 *
 * ToolHive's own vMCP (the pinned `vmcp` binary, scripts/install-vmcp.sh) runs in the same run, on
 * the same backend, with the same team's configuration (the local variant `render` writes) and the
 * same issuer's tokens; the summary puts ours and vMCP's added p50 latency and 16-concurrent
 * throughput side by side, with their ratios (goal: added-latency ratio <= 1.0, throughput >= 1.0).
 * Without the binary the benchmark fails with the install command (BENCH_NO_VMCP=1 leaves vMCP out).
 */
import * as http from "node:http";
import * as fs from "node:fs";
import * as path from "node:path";
import { spawn, type ChildProcess } from "node:child_process";
import { performance } from "node:perf_hooks";
import { LATEST_PROTOCOL_VERSION } from "@modelcontextprotocol/sdk/types.js";
import { TestIssuer } from "../gateway/testing/testIssuer";
import { ENDPOINT, REPO_ROOT, echoTeam } from "../gateway/testing/harness";
import { localVmcpConfigForTeam } from "../components/vmcp/runtimeConfig";
import { findVmcpBinary, runVmcp, type RunningVmcp } from "../components/vmcp/runVmcp";
import { freePort } from "../test/helpers/net";

const N = Number(process.env.BENCH_N ?? 2000);
const CONC_N = Number(process.env.BENCH_CONC_N ?? 4000);
const CONCURRENCY = 16;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const WARMUP = 300;

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function post(url: URL, body: string, headers: Record<string, string>, retry = true): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { hostname: url.hostname, port: url.port, path: url.pathname, method: "POST", agent, headers: { "content-type": "application/json", accept: "application/json, text/event-stream", "content-length": Buffer.byteLength(body), ...headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
      },
    );
    req.on("error", (e: NodeJS.ErrnoException) => {
      // A kept-alive socket the server closed while idle (between phases): send again on a new one.
      if (retry && req.reusedSocket && e.code === "ECONNRESET") post(url, body, headers, false).then(resolve, reject);
      else reject(e);
    });
    req.end(body);
  });
}

function resultOf(a: Answer): Record<string, unknown> {
  const text = String(a.headers["content-type"] ?? "").startsWith("text/event-stream")
    ? a.body
        .split("\n")
        .filter((l) => l.startsWith("data: "))
        .map((l) => l.slice(6))
        .pop() ?? ""
    : a.body;
  const m = JSON.parse(text) as { result?: Record<string, unknown>; error?: unknown };
  if (a.status !== 200 || !m.result) throw new Error(`HTTP ${a.status}: ${a.body.slice(0, 200)}`);
  return m.result;
}

/** One MCP session over the lean client. */
class Session {
  private headers: Record<string, string>;
  private id = 1;
  constructor(
    private readonly url: URL,
    bearer?: string,
  ) {
    this.headers = bearer ? { authorization: `Bearer ${bearer}` } : {};
  }
  async open(): Promise<void> {
    const init = await post(this.url, JSON.stringify({ jsonrpc: "2.0", id: 0, method: "initialize", params: { protocolVersion: LATEST_PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: "bench", version: "1" } } }), this.headers);
    resultOf(init);
    const sid = init.headers["mcp-session-id"];
    if (typeof sid !== "string") throw new Error("no session id");
    this.headers = { ...this.headers, "mcp-session-id": sid, "mcp-protocol-version": LATEST_PROTOCOL_VERSION };
    const note = await post(this.url, JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }), this.headers);
    if (note.status !== 202) throw new Error(`initialized: HTTP ${note.status}`);
  }
  async call(tool: string): Promise<void> {
    const r = resultOf(await post(this.url, JSON.stringify({ jsonrpc: "2.0", id: this.id++, method: "tools/call", params: { name: tool, arguments: { text: "hello" } } }), this.headers));
    const content = r.content as { text: string }[];
    if (content[0].text !== "hello") throw new Error("wrong echo");
  }
}

interface Figures {
  p50: number;
  p99: number;
  mean: number;
  rps: number;
}

function figures(lat: number[], wallMs: number): Figures {
  const s = [...lat].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { p50: q(0.5), p99: q(0.99), mean: s.reduce((a, b) => a + b, 0) / s.length, rps: (lat.length / wallMs) * 1000 };
}

async function sequential(s: Session, tool: string, n: number): Promise<Figures> {
  const lat: number[] = [];
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await s.call(tool);
    lat.push(performance.now() - t);
  }
  return figures(lat, performance.now() - t0);
}

async function concurrent(sessions: Session[], tool: string, n: number): Promise<Figures> {
  const lat: number[] = [];
  let left = n;
  const t0 = performance.now();
  await Promise.all(
    sessions.map(async (s) => {
      while (left-- > 0) {
        const t = performance.now();
        await s.call(tool);
        lat.push(performance.now() - t);
      }
    }),
  );
  return figures(lat, performance.now() - t0);
}

function startChild(args: string[], label: string): Promise<{ child: ChildProcess; line: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", ...args], { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"] });
  child.stderr!.on("data", (c: Buffer) => process.stderr.write(c.toString().replace(/^(?=.)/gm, `[${label}] `)));
  child.on("exit", (code, signal) => {
    if (code !== 0 && signal !== "SIGTERM") process.stderr.write(`[${label}] exited with ${code ?? signal}\n`);
  });
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (c: Buffer) => {
      out += c.toString();
      const nl = out.indexOf("\n");
      if (nl !== -1) resolve({ child, line: out.slice(0, nl) });
    });
    child.on("exit", (code) => reject(new Error(`${args.join(" ")} exited with ${code}`)));
  });
}

/** CPU time (user + system) a process has used so far, in ms (Linux /proc). */
function cpuMs(pid: number): number {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime, in clock ticks of 10 ms
  } catch {
    return NaN;
  }
}

function median(xs: Figures[]): Figures {
  const m = (k: keyof Figures) => [...xs.map((x) => x[k])].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  return { p50: m("p50"), p99: m("p99"), mean: m("mean"), rps: m("rps") };
}

const fmt = (f: Figures) => `p50 ${f.p50.toFixed(3)} ms  p99 ${f.p99.toFixed(3)} ms  mean ${f.mean.toFixed(3)} ms  ${f.rps.toFixed(0)} calls/s`;

async function main(): Promise<void> {
  const children: ChildProcess[] = [];
  const vmcpBinary = process.env.BENCH_NO_VMCP ? undefined : findVmcpBinary(); // fails first, with the install command
  let vmcp: RunningVmcp | undefined;
  const issuer = await TestIssuer.start(ENDPOINT);
  try {
    const backend = await startChild([path.join(REPO_ROOT, "gateway/demo/echoBackend.ts"), "--http", "0"], "backend");
    children.push(backend.child);
    const backendUrl = backend.line.trim();
    const gwScript = path.join(REPO_ROOT, "gateway/testing/runGateway.ts");
    const paths: { name: string; url: URL; tool: string; pid?: number; bearer: (i: number) => Promise<string | undefined> }[] = [
      { name: "direct", url: new URL(backendUrl), tool: "echo", bearer: async () => undefined },
    ];
    const gw = await startChild([gwScript, JSON.stringify({ backends: [{ name: "echo", url: backendUrl }], issuer: issuer.issuer, quiet: true })], "gateway");
    children.push(gw.child);
    paths.push({ name: "gateway", url: new URL(JSON.parse(gw.line).mcpUrl), tool: "echo_echo", pid: gw.child.pid, bearer: (i) => issuer.userToken(`user${i}@example.com`, ["mcp-users"], { expiresIn: 3600 }) });
    if (!process.env.BENCH_NO_FLOOR) {
      const raw = await startChild([__filename, "--raw-proxy", backendUrl], "raw proxy");
      children.push(raw.child);
      paths.push({ name: "raw proxy (floor)", url: new URL(JSON.parse(raw.line).mcpUrl), tool: "echo", pid: raw.child.pid, bearer: async () => undefined });
    }
    if (process.env.BENCH_NO_CACHE) {
      const gw2 = await startChild([gwScript, JSON.stringify({ backends: [{ name: "echo", url: backendUrl }], issuer: issuer.issuer, quiet: true, tokenCacheTtlMs: 0, decisionCache: false })], "gateway, no caches");
      children.push(gw2.child);
      paths.push({ name: "gateway, no caches", url: new URL(JSON.parse(gw2.line).mcpUrl), tool: "echo_echo", pid: gw2.child.pid, bearer: (i) => issuer.userToken(`user${i}@example.com`, ["mcp-users"], { expiresIn: 3600 }) });
    }

    if (vmcpBinary) {
      // The same team (echoTeam: mcp-users may call every tool), as vMCP's own configuration.
      const config = localVmcpConfigForTeam(echoTeam(), { backends: [{ name: "echo", url: backendUrl, transport: "streamable-http" }], issuer: issuer.issuer, audience: ENDPOINT, insecureAllowHttp: true });
      vmcp = await runVmcp({ config, binary: vmcpBinary, port: await freePort() });
      paths.push({ name: "vMCP (ToolHive)", url: new URL(vmcp.mcpUrl), tool: "echo_echo", pid: vmcp.pid, bearer: (i) => issuer.userToken(`user${i}@example.com`, ["mcp-users"], { expiresIn: 3600 }) });
    }

    const seq = new Map<string, Figures[]>();
    const conc = new Map<string, Figures[]>();
    const sessions = new Map<string, Session[]>();
    for (const p of paths) {
      const list: Session[] = [];
      for (let i = 0; i < CONCURRENCY; i++) {
        const s = new Session(p.url, await p.bearer(i));
        await s.open();
        list.push(s);
      }
      sessions.set(p.name, list);
      await sequential(list[0], p.tool, WARMUP);
      await concurrent(list, p.tool, WARMUP);
      seq.set(p.name, []);
      conc.set(p.name, []);
    }
    console.log(`gateway benchmark: tools/call echo, ${N} sequential + ${CONC_N} at ${CONCURRENCY} concurrent per round, ${ROUNDS} rounds, median round reported`);
    const cpu = new Map<string, { gateway: number; backend: number; client: number; calls: number }>(paths.map((p) => [p.name, { gateway: 0, backend: 0, client: 0, calls: 0 }]));
    const measure = async (p: (typeof paths)[number], run: () => Promise<Figures>) => {
      const g0 = p.pid ? cpuMs(p.pid) : 0;
      const b0 = cpuMs(backend.child.pid!);
      const c0 = process.cpuUsage();
      const f = await run();
      const cu = process.cpuUsage(c0);
      const c = cpu.get(p.name)!;
      c.client += (cu.user + cu.system) / 1000;
      c.gateway += p.pid ? cpuMs(p.pid) - g0 : 0;
      c.backend += cpuMs(backend.child.pid!) - b0;
      return f;
    };
    for (let r = 0; r < ROUNDS; r++) {
      for (const p of paths) seq.get(p.name)!.push(await measure(p, () => sequential(sessions.get(p.name)![0], p.tool, N)));
      for (const p of paths) conc.get(p.name)!.push(await measure(p, () => concurrent(sessions.get(p.name)!, p.tool, CONC_N)));
      for (const p of paths) cpu.get(p.name)!.calls += N + CONC_N;
    }
    const direct = { seq: median(seq.get("direct")!), conc: median(conc.get("direct")!) };
    console.log("\nsequential (1 client)");
    for (const p of paths) console.log(`  ${p.name.padEnd(24)} ${fmt(median(seq.get(p.name)!))}`);
    console.log(`\nconcurrent (${CONCURRENCY} clients)`);
    for (const p of paths) console.log(`  ${p.name.padEnd(24)} ${fmt(median(conc.get(p.name)!))}`);
    console.log("\nCPU time per call (from /proc, all rounds)");
    for (const p of paths) {
      const c = cpu.get(p.name)!;
      console.log(`  ${p.name.padEnd(24)} client ${(c.client / c.calls).toFixed(3)} ms  backend ${(c.backend / c.calls).toFixed(3)} ms` + (p.pid ? `  gateway ${(c.gateway / c.calls).toFixed(3)} ms` : ""));
    }
    console.log("\ngateway vs direct");
    for (const p of paths.slice(1)) {
      const s = median(seq.get(p.name)!);
      const c = median(conc.get(p.name)!);
      console.log(
        `  ${p.name.padEnd(24)} added p50 ${(s.p50 - direct.seq.p50).toFixed(3)} ms (goal < 1 ms)  ` +
          `sequential throughput ${((s.rps / direct.seq.rps) * 100).toFixed(0)}%  ` +
          `16-concurrent throughput ${((c.rps / direct.conc.rps) * 100).toFixed(0)}% (goal >= 80%)  ` +
          `16-concurrent added p50 ${(c.p50 - direct.conc.p50).toFixed(3)} ms`,
      );
    }
    if (vmcp) {
      // Side by side: what each engine adds on top of the direct path, and its ratio to vMCP's.
      const ours = { s: median(seq.get("gateway")!), c: median(conc.get("gateway")!) };
      const ref = { s: median(seq.get("vMCP (ToolHive)")!), c: median(conc.get("vMCP (ToolHive)")!) };
      const addedOurs = ours.s.p50 - direct.seq.p50;
      const addedRef = ref.s.p50 - direct.seq.p50;
      const g = cpu.get("gateway")!;
      const v = cpu.get("vMCP (ToolHive)")!;
      console.log("\nours vs ToolHive's vMCP (same backend, same team, same tokens)");
      console.log(`                           ours        vMCP        ratio ours/vMCP`);
      console.log(`  added p50 (sequential)   ${addedOurs.toFixed(3).padStart(7)} ms  ${addedRef.toFixed(3).padStart(7)} ms  ${(addedOurs / addedRef).toFixed(2)} (goal <= 1.0)`);
      console.log(`  16-concurrent calls/s    ${ours.c.rps.toFixed(0).padStart(7)}     ${ref.c.rps.toFixed(0).padStart(7)}     ${(ours.c.rps / ref.c.rps).toFixed(2)} (goal >= 1.0)`);
      console.log(`  16-concurrent p50        ${ours.c.p50.toFixed(3).padStart(7)} ms  ${ref.c.p50.toFixed(3).padStart(7)} ms  ${(ours.c.p50 / ref.c.p50).toFixed(2)}`);
      console.log(`  CPU per call (process)   ${(g.gateway / g.calls).toFixed(3).padStart(7)} ms  ${(v.gateway / v.calls).toFixed(3).padStart(7)} ms  ${(g.gateway / g.calls / (v.gateway / v.calls)).toFixed(2)}`);
    }
    const floor = paths.find((p) => p.name === "raw proxy (floor)");
    if (floor) {
      const g = cpu.get("gateway")!;
      const f = cpu.get(floor.name)!;
      console.log(
        `\ngateway vs the do-nothing proxy: +${(median(seq.get("gateway")!).p50 - median(seq.get(floor.name)!).p50).toFixed(3)} ms p50, ` +
          `+${(g.gateway / g.calls - f.gateway / f.calls).toFixed(3)} ms CPU per call (token, session, Cedar, routing, metrics, audit log)`,
      );
    }
  } finally {
    await vmcp?.close();
    for (const c of children) c.kill("SIGTERM");
    agent.destroy();
    await issuer.close();
  }
}

/** The floor: node:http server → keep-alive http.request → the answer piped back. */
function rawProxy(target: URL): void {
  const upstream = new http.Agent({ keepAlive: true });
  const server = http.createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const headers: Record<string, string> = { "content-type": "application/json", accept: String(req.headers.accept), "content-length": String(body.length) };
      for (const h of ["mcp-session-id", "mcp-protocol-version"]) if (req.headers[h]) headers[h] = String(req.headers[h]);
      const up = http.request({ hostname: target.hostname, port: target.port, path: target.pathname, method: "POST", agent: upstream, headers }, (ur) => {
        const out: Record<string, string> = { "content-type": String(ur.headers["content-type"] ?? "") };
        if (ur.headers["mcp-session-id"]) out["mcp-session-id"] = String(ur.headers["mcp-session-id"]);
        res.writeHead(ur.statusCode ?? 502, out);
        ur.pipe(res);
      });
      up.end(body);
    });
  });
  server.listen(0, "127.0.0.1", () => process.stdout.write(JSON.stringify({ mcpUrl: `http://127.0.0.1:${(server.address() as { port: number }).port}/mcp` }) + "\n"));
}

if (process.argv[2] === "--raw-proxy") {
  rawProxy(new URL(process.argv[3]));
} else {
  main()
    // Then the time of one browser sign-in, authorize to token (bench/signin.bench.ts; BENCH_NO_SIGNIN=1 skips it).
    .then(async () => {
      if (process.env.BENCH_NO_SIGNIN !== "1") await (await import("./signin.bench")).signInBench(Number(process.env.BENCH_SIGNIN_N ?? 5));
    })
    .catch((e) => {
      console.error(e);
      process.exit(1);
    });
}
