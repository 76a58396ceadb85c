/**
 * `npm run bench`: the Cedar core's cost on this machine, in one run.
 *
 *  1. Decisions: our `Authorizer.authorize` next to cedar-wasm's own pre-parsed
 *     `statefulIsAuthorized` on the same requests (the exact principal/action/resource/context/
 *     entities our authorizer builds, captured once and replayed), for the seed's 3-group team and
 *     for generated teams of 20 groups × 300 tools and 50 groups × 500 tools. The two variants run
 *     interleaved in blocks of 50 decisions, so load from other processes hits both alike.
 *  2. Compile: validate the team, generate its policies, parse and schema-validate them, build the
 *     authorizer, compute the access matrix; each phase timed, for both generated sizes.
 *
 * Goals (issue 2): our decision p50 within 1.3× of cedar-wasm's own; 20 × 300 compiled, validated
 * and its matrix computed in under 2 s; cost growing linearly.
 *
 * Options (env): BENCH_ROUNDS (default 5), BENCH_PER_ROUND (default 2000 decisions per variant
 * per round), BENCH_COMPILE_REPEAT (default 3; the median is reported).
 */
import { performance } from "node:perf_hooks";
import { cpus, loadavg } from "node:os";
import cedar from "../components/cedar/wasm";
import { Authorizer, type AuthzRequest } from "../components/cedar/authorizer";
import { accessMatrix } from "../components/cedar/matrix";
import { checkPolicies, teamPolicies } from "../components/cedar/policies";
import { compileTeam, authorizerFor } from "../components/compile";
import { ProblemList } from "../components/errors";
import { TEAM_CONFIG_KEY, validateTeam } from "../components/spec/parse";
import type { TeamInput } from "../components/spec/types";
import { generatedTeam, rng } from "../test/fixtures/generatedTeam";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const PER_ROUND = Number(process.env.BENCH_PER_ROUND ?? 2000);
const COMPILE_REPEAT = Number(process.env.BENCH_COMPILE_REPEAT ?? 3);
/** BENCH_UNSLICED=1: also time the matrix decided by the full policy set (no per-row slices), once. */
const UNSLICED = process.env.BENCH_UNSLICED === "1";

// ---------------------------------------------------------------------------------------------
// Teams

function seedTeam(): TeamInput {
  return {
    team: "engineering",
    endpoint: "https://vmcp.example.com",
    groups: {
      developers: { description: "Engineers" },
      platform: { description: "Platform engineers" },
      admin: { description: "Escape hatch" },
    },
    grants: {
      developers: { allow: "*", deny: ["kubernetes-backend/delete_namespace"] },
      platform: { allow: "*" },
      admin: { allow: "*" },
    },
    backends: {
      "github-backend": { image: "ghcr.io/github/github-mcp-server:latest", tools: ["create_issue", "list_issues", "get_file_contents"] },
      "kubernetes-backend": { image: "ghcr.io/stackloklabs/yardstick/yardstick-server:1.1.1", tools: ["list_namespaces", "get_pods", "delete_namespace"] },
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Measurement helpers

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

interface Series {
  samples: number[]; // µs per decision
  totalMs: number;
  cpuMs: number;
  decisions: number;
}
const newSeries = (): Series => ({ samples: [], totalMs: 0, cpuMs: 0, decisions: 0 });

function summarize(s: Series) {
  const sorted = Float64Array.from(s.samples).sort();
  return { perSec: (s.decisions / s.totalMs) * 1000, p50: percentile(sorted, 50), p99: percentile(sorted, 99), cpuUs: (s.cpuMs * 1000) / s.decisions };
}

function timeLoop(s: Series, n: number, fn: (i: number) => void, offset: number): void {
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    fn(offset + i);
    s.samples.push((performance.now() - t0) * 1000);
  }
  s.totalMs += performance.now() - start;
  const cpu = process.cpuUsage(cpu0);
  s.cpuMs += (cpu.user + cpu.system) / 1000;
  s.decisions += n;
}

const fmt = (n: number, digits = 0) => n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });

// ---------------------------------------------------------------------------------------------
// 1. Decisions

type StatefulCall = Parameters<typeof cedar.statefulIsAuthorized>[0];

/**
 * Realistic requests for a team: an Okta access token's claims (13, five of them numbers, which
 * ToolHive's model turns into decimals, on the principal and again in the context), members of one
 * or two groups, mostly call_tool, half with arguments and annotations.
 */
function requestsFor(groupNames: string[], tools: string[], count: number, seed = 7): AuthzRequest[] {
  const rand = rng(seed);
  const out: AuthzRequest[] = [];
  for (let i = 0; i < count; i++) {
    const groups = [groupNames[Math.floor(rand() * groupNames.length)]];
    if (rand() < 0.3) groups.push(groupNames[Math.floor(rand() * groupNames.length)]);
    if (rand() < 0.1) groups.push("Everyone-mcp-unrelated");
    const claims = {
      sub: `00u${(1000 + i).toString(36)}`,
      email: `user${i}@example.com`,
      groups,
      iss: "https://vmcp.example.com",
      aud: "https://vmcp.example.com",
      cid: "0oa1client",
      uid: `00u${i}`,
      scp: ["openid", "profile", "groups", "offline_access"],
      ver: 1,
      iat: 1767225600,
      exp: 1767229200,
      auth_time: 1767225000,
      jti: `AT.${i}`,
      ...(rand() < 0.2 ? { department: "sre" } : {}),
    };
    const r = rand();
    if (r < 0.85) {
      out.push({
        claims,
        action: "call_tool",
        resourceId: tools[Math.floor(rand() * tools.length)],
        arguments: rand() < 0.5 ? { namespace: rand() < 0.2 ? "prod" : "dev", limit: 50, options: { dryRun: true } } : undefined,
        annotations: rand() < 0.5 ? { readOnlyHint: true, destructiveHint: false } : undefined,
      });
    } else if (r < 0.93) out.push({ claims, action: "get_prompt", resourceId: "summarize" });
    else out.push({ claims, action: "read_resource", resourceId: `repo://engineering/docs/${i}.md` });
  }
  return out;
}

/** Captures what the authorizer hands to cedar-wasm for each request, so the baseline replays it. */
function captureCalls(authorizer: Authorizer, requests: AuthzRequest[]): StatefulCall[] {
  const calls: StatefulCall[] = [];
  const mod = cedar as unknown as Record<string, unknown>;
  const original = cedar.statefulIsAuthorized;
  mod.statefulIsAuthorized = (call: StatefulCall) => {
    calls.push(call);
    return original(call);
  };
  try {
    for (const r of requests) authorizer.authorize(r);
  } finally {
    mod.statefulIsAuthorized = original;
  }
  if (calls.length !== requests.length) throw new Error("every request must reach cedar-wasm once");
  return calls;
}

interface DecisionResult {
  label: string;
  policies: number;
  ours: ReturnType<typeof summarize>;
  raw: ReturnType<typeof summarize>;
  agree: boolean;
}

function benchDecisions(label: string, authorizer: Authorizer, requests: AuthzRequest[]): DecisionResult {
  const calls = captureCalls(authorizer, requests);
  // Same answers from both paths (ToolHive's rule: errors deny).
  let agree = true;
  for (let i = 0; i < requests.length; i++) {
    const d = authorizer.authorize(requests[i]);
    const r = cedar.statefulIsAuthorized(calls[i]);
    const rawAllowed = r.type === "success" && r.response.decision === "allow" && r.response.diagnostics.errors.length === 0;
    if (rawAllowed !== d.allowed) agree = false;
  }
  const n = requests.length;
  const ours = newSeries();
  const raw = newSeries();
  // Warm-up both.
  timeLoop(newSeries(), Math.min(500, PER_ROUND), (i) => authorizer.authorize(requests[i % n]), 0);
  timeLoop(newSeries(), Math.min(500, PER_ROUND), (i) => cedar.statefulIsAuthorized(calls[i % n]), 0);
  // Short alternating blocks (order flipped every block), so both variants see the same machine:
  // other processes' load changes over seconds, not over a block of 50 decisions.
  const BLOCK = 50;
  for (let offset = 0; offset < ROUNDS * PER_ROUND; offset += BLOCK) {
    const ourBlock = () => timeLoop(ours, BLOCK, (i) => authorizer.authorize(requests[i % n]), offset);
    const rawBlock = () => timeLoop(raw, BLOCK, (i) => cedar.statefulIsAuthorized(calls[i % n]), offset);
    if ((offset / BLOCK) % 2 === 0) {
      ourBlock();
      rawBlock();
    } else {
      rawBlock();
      ourBlock();
    }
  }
  return { label, policies: authorizer.policyIds.length, ours: summarize(ours), raw: summarize(raw), agree };
}

// ---------------------------------------------------------------------------------------------
// 2. Compile

interface CompileResult {
  label: string;
  groups: number;
  tools: number;
  policies: number;
  policyChars: number;
  cells: number;
  validateMs: number;
  generateMs: number;
  checkMs: number;
  authorizerMs: number;
  matrixMs: number;
  /** The matrix decided by the full policy set (BENCH_UNSLICED=1), or NaN. */
  unslicedMs: number;
  phasesMs: number;
  compileTeamMs: number;
  /** CPU time of this process during compileTeam(): what it costs on an idle machine, near enough. */
  compileTeamCpuMs: number;
  authorizer: Authorizer;
  groupNames: string[];
  toolNames: string[];
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function benchCompile(label: string, input: TeamInput): CompileResult {
  const runs: Omit<CompileResult, "label" | "authorizer" | "groupNames" | "toolNames">[] = [];
  let authorizer!: Authorizer;
  let groupNames: string[] = [];
  let toolNames: string[] = [];
  for (let i = 0; i < COMPILE_REPEAT; i++) {
    const t0 = performance.now();
    const problems = new ProblemList();
    const spec = validateTeam(structuredClone(input), TEAM_CONFIG_KEY, problems)!;
    const t1 = performance.now();
    const policies = teamPolicies(spec);
    const t2 = performance.now();
    checkPolicies(spec, policies, problems);
    const t3 = performance.now();
    if (problems.errors.length) throw new Error(`generated team is invalid:\n${problems.errors.map((p) => `${p.code} ${p.path} ${p.message}`).join("\n")}`);
    authorizer = authorizerFor(spec, policies);
    const t4 = performance.now();
    const matrix = accessMatrix(spec, authorizer, policies);
    const t5 = performance.now();
    let unslicedMs = NaN;
    if (UNSLICED && i === 0) {
      const u0 = performance.now();
      const full = accessMatrix(spec, authorizer);
      unslicedMs = performance.now() - u0;
      if (JSON.stringify(full) !== JSON.stringify(matrix)) throw new Error("sliced and full matrices differ");
    }
    const clone = structuredClone(input);
    const cpu0 = process.cpuUsage();
    const c0 = performance.now();
    compileTeam(clone);
    const c1 = performance.now();
    const cpu = process.cpuUsage(cpu0);
    groupNames = spec.groups.map((g) => g.name);
    toolNames = spec.tools.map((t) => t.name);
    runs.push({
      groups: spec.groups.length,
      tools: spec.tools.length,
      policies: policies.length,
      policyChars: policies.reduce((n, p) => n + p.text.length, 0),
      cells: matrix.groups.length * matrix.tools.length,
      validateMs: t1 - t0,
      generateMs: t2 - t1,
      checkMs: t3 - t2,
      authorizerMs: t4 - t3,
      matrixMs: t5 - t4,
      unslicedMs,
      phasesMs: t5 - t0,
      compileTeamMs: c1 - c0,
      compileTeamCpuMs: (cpu.user + cpu.system) / 1000,
    });
  }
  const pickMedian = (k: keyof (typeof runs)[number]) => median(runs.map((r) => r[k]));
  return {
    label,
    groups: runs[0].groups,
    tools: runs[0].tools,
    policies: runs[0].policies,
    policyChars: runs[0].policyChars,
    cells: runs[0].cells,
    validateMs: pickMedian("validateMs"),
    generateMs: pickMedian("generateMs"),
    checkMs: pickMedian("checkMs"),
    authorizerMs: pickMedian("authorizerMs"),
    matrixMs: pickMedian("matrixMs"),
    unslicedMs: runs[0].unslicedMs,
    phasesMs: pickMedian("phasesMs"),
    compileTeamMs: pickMedian("compileTeamMs"),
    compileTeamCpuMs: pickMedian("compileTeamCpuMs"),
    authorizer,
    groupNames,
    toolNames,
  };
}

// ---------------------------------------------------------------------------------------------

function main(): void {
  console.log(`# vmcp-okta authorizer benchmark`);
  console.log(`node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, load average ${loadavg().map((l) => l.toFixed(2)).join(" ")}`);
  console.log(`${fmt(ROUNDS * PER_ROUND)} decisions per variant, interleaved in blocks of 50; compile figures are the median of ${COMPILE_REPEAT}\n`);

  // Seed team (warms up cedar-wasm too).
  const seed = compileTeam(seedTeam());
  const seedRequests = requestsFor(seed.spec.groups.map((g) => g.name), seed.spec.tools.map((t) => t.name), 400);

  const small = benchCompile("20 groups × 300 tools", generatedTeam(20, 15));
  const large = benchCompile("50 groups × 500 tools", generatedTeam(50, 25));

  console.log("## Compile, validate and access matrix\n");
  console.log("| team | policies (chars) | validate team | generate | parse + refs + schema | build authorizer | matrix (cells) | total | compileTeam() wall | compileTeam() CPU |");
  console.log("|---|---|---|---|---|---|---|---|---|---|");
  for (const c of [small, large]) {
    console.log(
      `| ${c.label} | ${c.policies} (${fmt(c.policyChars)}) | ${fmt(c.validateMs, 1)} ms | ${fmt(c.generateMs, 1)} ms | ${fmt(c.checkMs, 1)} ms | ${fmt(c.authorizerMs, 1)} ms | ${fmt(c.matrixMs, 1)} ms (${fmt(c.cells)}) | ${fmt(c.phasesMs, 1)} ms | ${fmt(c.compileTeamMs, 1)} ms | ${fmt(c.compileTeamCpuMs, 1)} ms |`,
    );
  }
  if (UNSLICED) {
    for (const c of [small, large]) console.log(`\n${c.label}: matrix decided by the full policy set (no per-row slices): ${fmt(c.unslicedMs, 1)} ms, same cells`);
  }
  const goalCompile = small.compileTeamMs < 2000;
  console.log(
    `\ngoal: 20 × 300 compiled, validated and matrix computed in < 2 s: ${fmt(small.compileTeamMs)} ms wall (${fmt(small.compileTeamCpuMs)} ms CPU) → ${goalCompile ? "MET" : "MISSED"}${!goalCompile && small.compileTeamCpuMs < 2000 ? " on the wall clock, met in CPU time (the machine is loaded; see the load average above)" : ""}`,
  );

  const size = (c: CompileResult) => c.groups * c.tools;
  const growth = (k: "checkMs" | "matrixMs" | "compileTeamMs" | "validateMs", unit: (c: CompileResult) => number, unitName: string) => {
    const a = small[k] / unit(small);
    const b = large[k] / unit(large);
    return `${k}: ${fmt(a * 1000, 2)} → ${fmt(b * 1000, 2)} µs per ${unitName} (×${fmt(b / a, 2)})`;
  };
  console.log(`\ngrowth from 20 × 300 to 50 × 500 (size ×${fmt(size(large) / size(small), 2)}, policies ×${fmt(large.policies / small.policies, 2)}, policy text ×${fmt(large.policyChars / small.policyChars, 2)}):`);
  console.log(`  ${growth("validateMs", (c) => c.tools + c.groups, "group or tool")}`);
  console.log(`  ${growth("checkMs", (c) => c.policyChars, "policy character")}`);
  console.log(`  ${growth("matrixMs", (c) => c.cells, "matrix cell")}`);
  console.log(`  ${growth("compileTeamMs", size, "group × tool")}`);
  const cellCostRatio = large.matrixMs / large.cells / (small.matrixMs / small.cells);
  const policyCostRatio = large.checkMs / large.policyChars / (small.checkMs / small.policyChars);
  const linear = (r: number) => r < 1.5;
  console.log(
    `  linear? validation per policy character ${linear(policyCostRatio) ? "yes" : "no"} (×${fmt(policyCostRatio, 2)}); matrix per cell ${linear(cellCostRatio) ? "yes" : "no"} (×${fmt(cellCostRatio, 2)}; each row is decided by its group's policies and the raw ones only)`,
  );

  console.log("\n## Decisions: Authorizer.authorize vs cedar-wasm statefulIsAuthorized (same requests, same entities)\n");
  console.log("| policy set | policies | ours: decisions/s | ours p50 | ours p99 | ours CPU/decision | cedar-wasm: decisions/s | cedar-wasm p50 | cedar-wasm p99 | cedar-wasm CPU/decision | p50 ratio | same answers |");
  console.log("|---|---|---|---|---|---|---|---|---|---|---|---|");
  // The same tools with a minimal token ({sub, groups}, no arguments): what the request model costs.
  const minimal = seedRequests.map((r) => ({ claims: { sub: String(r.claims!.sub), groups: r.claims!.groups as string[] }, action: r.action, resourceId: r.resourceId }));
  const results = [
    benchDecisions("seed, 3 groups, minimal token", seed.authorizer, minimal),
    benchDecisions("seed, 3 groups", seed.authorizer, seedRequests),
    benchDecisions(small.label, small.authorizer, requestsFor(small.groupNames, small.toolNames, 400)),
    benchDecisions(large.label, large.authorizer, requestsFor(large.groupNames, large.toolNames, 400)),
  ];
  for (const r of results) {
    console.log(
      `| ${r.label} | ${r.policies} | ${fmt(r.ours.perSec)} | ${fmt(r.ours.p50, 1)} µs | ${fmt(r.ours.p99, 1)} µs | ${fmt(r.ours.cpuUs, 1)} µs | ${fmt(r.raw.perSec)} | ${fmt(r.raw.p50, 1)} µs | ${fmt(r.raw.p99, 1)} µs | ${fmt(r.raw.cpuUs, 1)} µs | ${fmt(r.ours.p50 / r.raw.p50, 2)}× | ${r.agree ? "yes" : "NO"} |`,
    );
  }
  const worst = Math.max(...results.map((r) => r.ours.p50 / r.raw.p50));
  console.log(`\ngoal: our decision p50 within 1.3× of cedar-wasm's own: worst ${fmt(worst, 2)}× → ${worst <= 1.3 ? "MET" : "MISSED"}`);
  const perPolicy = (r: DecisionResult) => r.raw.p50 / r.policies;
  console.log(`cedar-wasm p50 per policy: ${results.map((r) => `${fmt(perPolicy(r), 2)} µs (${r.policies})`).join(", ")}`);
}

main();
