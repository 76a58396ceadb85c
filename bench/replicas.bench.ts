/**
 * Two gateway replicas sharing MCP sessions through Redis, behind a round-robin, against one replica:
 * `tools/call` of an echo tool on a Streamable HTTP backend with 16 concurrent clients. Each replica
 * is its own process (gateway/testing/runGateway.ts) with Redis session storage (a redis-server
 * started here on a port in 28000-28999); the round-robin is in the client: every request goes to
 * the next replica (what a Service/ingress balancing per request does), so every session is served
 * by both replicas in turn and rehydrated from Redis on the first visit. Alternating rounds, median
 * reported.
 *
 *   node --import tsx bench/replicas.bench.ts
 *   BENCH_CONC_N=4000 BENCH_ROUNDS=3 node --import tsx bench/replicas.bench.ts
 *
 * Goal (issue 12): two replicas ≥ 1.8 × one replica's throughput. That needs a core per replica plus
 * the backend's, client's and Redis's; the core count is printed with the figures.
 */
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { spawn, type ChildProcess } from "node:child_process";
import { performance } from "node:perf_hooks";
import { LATEST_PROTOCOL_VERSION } from "@modelcontextprotocol/sdk/types.js";
import { TestIssuer } from "../gateway/testing/testIssuer";
import { REPO_ROOT } from "../gateway/testing/harness";
import { freePort } from "../test/helpers/net";

const CONC_N = Number(process.env.BENCH_CONC_N ?? 4000);
const CONCURRENCY = 16;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 1000);
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function post(url: URL, body: string, headers: Record<string, string>): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { hostname: url.hostname, port: url.port, path: url.pathname, method: "POST", agent, headers: { "content-type": "application/json", accept: "application/json, text/event-stream", "content-length": Buffer.byteLength(body), ...headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

function resultOf(a: Answer): Record<string, unknown> {
  const text = String(a.headers["content-type"] ?? "").startsWith("text/event-stream") ? (a.body.split("\n").filter((l) => l.startsWith("data: ")).map((l) => l.slice(6)).pop() ?? "") : a.body;
  const m = JSON.parse(text) as { result?: Record<string, unknown> };
  if (a.status !== 200 || !m.result) throw new Error(`HTTP ${a.status}: ${a.body.slice(0, 200)}`);
  return m.result;
}

/** One client session; each request goes to the next replica (the round-robin). */
class RoundRobinSession {
  private headers: Record<string, string>;
  private id = 1;
  private next = 0;
  constructor(
    private readonly urls: URL[],
    bearer: string,
  ) {
    this.headers = { authorization: `Bearer ${bearer}` };
  }
  private url(): URL {
    return this.urls[this.next++ % this.urls.length];
  }
  async open(): Promise<void> {
    const init = await post(this.url(), JSON.stringify({ jsonrpc: "2.0", id: 0, method: "initialize", params: { protocolVersion: LATEST_PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: "bench", version: "1" } } }), this.headers);
    resultOf(init);
    this.headers = { ...this.headers, "mcp-session-id": String(init.headers["mcp-session-id"]), "mcp-protocol-version": LATEST_PROTOCOL_VERSION };
    const note = await post(this.url(), JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }), this.headers);
    if (note.status !== 202) throw new Error(`initialized: HTTP ${note.status}`);
  }
  async call(): Promise<void> {
    const r = resultOf(await post(this.url(), JSON.stringify({ jsonrpc: "2.0", id: this.id++, method: "tools/call", params: { name: "echo_echo", arguments: { text: "hello" } } }), this.headers));
    if ((r.content as { text: string }[])[0].text !== "hello") throw new Error("wrong echo");
  }
}

async function throughput(sessions: RoundRobinSession[], n: number): Promise<number> {
  let left = n;
  const t0 = performance.now();
  await Promise.all(sessions.map(async (s) => {
    while (left-- > 0) await s.call();
  }));
  return (n / (performance.now() - t0)) * 1000;
}

function startChild(args: string[], label: string, children: ChildProcess[]): Promise<string> {
  const child = spawn(process.execPath, ["--import", "tsx", ...args], { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  child.stderr!.on("data", (c: Buffer) => process.stderr.write(c.toString().replace(/^(?=.)/gm, `[${label}] `)));
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (c: Buffer) => {
      out += c.toString();
      const nl = out.indexOf("\n");
      if (nl !== -1) resolve(out.slice(0, nl));
    });
    child.on("exit", (code) => reject(new Error(`${label} exited with ${code}`)));
  });
}

async function main(): Promise<void> {
  const children: ChildProcess[] = [];
  const issuer = await TestIssuer.start("http://localhost:8080");
  const redisPort = await freePort();
  const redis = spawn("/usr/bin/redis-server", ["--port", String(redisPort), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: "ignore" });
  try {
    await new Promise((r) => setTimeout(r, 300));
    const backendUrl = (await startChild([path.join(REPO_ROOT, "gateway/demo/echoBackend.ts"), "--http", "0"], "backend", children)).trim();
    const gwScript = path.join(REPO_ROOT, "gateway/testing/runGateway.ts");
    const gateway = async (label: string, shared = true) => {
      const sessionRedis = shared ? { address: `127.0.0.1:${redisPort}`, keyPrefix: "vmcp-bench:session:" } : undefined;
      const cfg = { backends: [{ name: "echo", url: backendUrl }], issuer: issuer.issuer, quiet: true, sessionRedis };
      return new URL(JSON.parse(await startChild([gwScript, JSON.stringify(cfg)], label, children)).mcpUrl as string);
    };
    const [a, b, memory] = await Promise.all([gateway("replica A"), gateway("replica B"), gateway("memory", false)]);
    const tokens = await Promise.all(Array.from({ length: CONCURRENCY }, (_, i) => issuer.userToken(`user${i}@example.com`, ["mcp-users"], { expiresIn: 3600 })));
    const setups: { name: string; urls: URL[] }[] = [
      { name: "1 replica", urls: [a] },
      { name: "2 replicas", urls: [a, b] },
      // Reference: one replica with in-memory sessions (the cost of the Redis round trip per request).
      { name: "1 in-memory", urls: [memory] },
    ];
    const results = new Map<string, number[]>(setups.map((s) => [s.name, []]));
    const sessions = new Map<string, RoundRobinSession[]>();
    for (const s of setups) {
      const ss = tokens.map((t) => new RoundRobinSession(s.urls, t));
      for (const x of ss) await x.open();
      await throughput(ss, WARMUP);
      sessions.set(s.name, ss);
    }
    for (let round = 0; round < ROUNDS; round++) {
      for (const s of setups) {
        const rps = await throughput(sessions.get(s.name)!, CONC_N);
        results.get(s.name)!.push(rps);
        console.log(`round ${round + 1}  ${s.name.padEnd(11)}  ${rps.toFixed(0)} calls/s`);
      }
    }
    const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
    const one = median(results.get("1 replica")!);
    const two = median(results.get("2 replicas")!);
    console.log(`\n${CONCURRENCY} concurrent clients, tools/call echo, Redis session storage, median of ${ROUNDS} rounds of ${CONC_N} calls`);
    console.log(`cores: ${os.cpus().length}  load average: ${os.loadavg().map((l) => l.toFixed(1)).join(" ")}`);
    console.log(`1 replica:  ${one.toFixed(0)} calls/s`);
    console.log(`2 replicas: ${two.toFixed(0)} calls/s (round-robin per request)`);
    console.log(`ratio: ${(two / one).toFixed(2)}x (goal >= 1.8x; needs a free core per replica)`);
    console.log(`reference, 1 replica with in-memory sessions: ${median(results.get("1 in-memory")!).toFixed(0)} calls/s`);
  } finally {
    for (const c of children) c.kill("SIGTERM");
    redis.kill("SIGKILL");
    await issuer.close();
    agent.destroy();
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
