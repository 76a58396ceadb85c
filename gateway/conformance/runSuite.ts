/**
 * Runs the official MCP conformance suite (`@modelcontextprotocol/conformance` 0.1.13, the last
 * release that runs on Node 20) against a URL, as a child process, and reads its per-scenario
 * `checks.json` results. Used by test/conformance.test.ts to compare a backend reached directly and
 * through the gateway.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";

export interface ConformanceCheck {
  id: string;
  name: string;
  status: "SUCCESS" | "FAILURE" | "WARNING" | "INFO" | string;
  errorMessage?: string;
}

export interface ScenarioResult {
  scenario: string;
  passed: number;
  failed: number;
  warnings: number;
  /** `check id: message` of each failed check. */
  failures: string[];
  /** Every check's id and status, in the suite's order. */
  checks: Array<{ id: string; status: string }>;
}

export interface SuiteRun {
  url: string;
  exitCode: number | null;
  scenarios: ScenarioResult[];
  durationMs: number;
  output: string;
}

export function conformanceCli(): string {
  return require.resolve("@modelcontextprotocol/conformance/dist/index.js");
}

/** A scenario passes when it ran at least one check and none failed. */
export function scenarioPassed(s: ScenarioResult): boolean {
  return s.failed === 0 && s.passed > 0;
}

export function readResults(outDir: string): ScenarioResult[] {
  const out: ScenarioResult[] = [];
  for (const entry of readdirSync(outDir)) {
    const m = /^server-(.+)-\d{4}-\d{2}-\d{2}T[\d-]+Z$/.exec(entry);
    if (!m) continue;
    let checks: ConformanceCheck[];
    try {
      checks = JSON.parse(readFileSync(path.join(outDir, entry, "checks.json"), "utf8")) as ConformanceCheck[];
    } catch {
      continue;
    }
    out.push({
      scenario: m[1],
      passed: checks.filter((c) => c.status === "SUCCESS").length,
      failed: checks.filter((c) => c.status === "FAILURE").length,
      warnings: checks.filter((c) => c.status === "WARNING").length,
      failures: checks.filter((c) => c.status === "FAILURE").map((c) => `${c.id}: ${c.errorMessage ?? c.name}`),
      checks: checks.map((c) => ({ id: c.id, status: c.status })),
    });
  }
  return out.sort((a, b) => a.scenario.localeCompare(b.scenario));
}

/** Runs `conformance server --url <url>` (the active suite unless told otherwise). */
export async function runConformanceSuite(url: string, opts: { suite?: "active" | "all"; timeoutMs?: number } = {}): Promise<SuiteRun> {
  const outDir = mkdtempSync(path.join(tmpdir(), "vmcp-okta-conformance-"));
  const started = Date.now();
  const args = [conformanceCli(), "server", "--url", url, "--suite", opts.suite ?? "active", "-o", outDir];
  let output = "";
  const exitCode = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1" } });
    child.stdout.setEncoding("utf8").on("data", (d: string) => (output += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (output += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 60_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
  try {
    return { url, exitCode, scenarios: readResults(outDir), durationMs: Date.now() - started, output };
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}

export function summarize(run: SuiteRun): string {
  const passed = run.scenarios.reduce((n, s) => n + s.passed, 0);
  const failed = run.scenarios.reduce((n, s) => n + s.failed, 0);
  const ok = run.scenarios.filter(scenarioPassed).length;
  return `${run.url}: ${ok}/${run.scenarios.length} scenarios pass, ${passed} checks passed, ${failed} failed (${(run.durationMs / 1000).toFixed(1)} s)`;
}

/**
 * `node --import tsx gateway/conformance/runSuite.ts [--suite all]` (or `npm run conformance`):
 * the suite against the conformance backend directly, then through the gateway in anonymous
 * development mode, and the scenarios whose result differs.
 */
async function main(): Promise<void> {
  const suite = process.argv.includes("--suite") ? (process.argv[process.argv.indexOf("--suite") + 1] as "active" | "all") : "active";
  const { startEverythingServer } = await import("./everythingServer");
  const { conformanceTeam, CONFORMANCE_CALLER } = await import("./team");
  const { compileTeam } = await import("../../components/compile");
  const { startGateway } = await import("../server");
  const net = await import("node:net");
  const port = await new Promise<number>((resolve, reject) => {
    const s = net.createServer().once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const p = (s.address() as import("node:net").AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
  const backend = await startEverythingServer();
  const gateway = await startGateway({
    compiled: compileTeam(conformanceTeam(port, backend.url)),
    port,
    resourceUrl: `http://localhost:${port}`,
    issuer: "http://127.0.0.1:9/oauth2/default",
    anonymousDev: { claims: { ...CONFORMANCE_CALLER } },
    handleSignals: false,
    logger: () => {},
  });
  try {
    await gateway.ready;
    const direct = await runConformanceSuite(backend.url, { suite });
    const through = await runConformanceSuite(`http://localhost:${port}/mcp`, { suite });
    process.stdout.write(`direct:          ${summarize(direct)}\nthrough gateway: ${summarize(through)}\n`);
    const passed = (r: SuiteRun) => new Set(r.scenarios.filter(scenarioPassed).map((s) => s.scenario));
    const a = passed(direct);
    const b = passed(through);
    const diff = [...new Set([...a, ...b])].filter((s) => a.has(s) !== b.has(s));
    for (const s of diff) process.stdout.write(`differs: ${s} (direct ${a.has(s) ? "pass" : "fail"}, through gateway ${b.has(s) ? "pass" : "fail"})\n`);
    process.exitCode = diff.length ? 1 : 0;
  } finally {
    await gateway.close();
    await backend.close();
  }
}

if (require.main === module) {
  main().catch((e: Error) => {
    process.stderr.write(`${e.stack ?? e.message}\n`);
    process.exit(1);
  });
}
