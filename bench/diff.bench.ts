/**
 * `vmcp-okta diff` on the example stacks: the goal is under 3 s per run, offline. Prints, per case,
 * the in-process time of `runDiff` (both renders and the comparison) and the wall time of the CLI as
 * a CI job runs it (a fresh Node process: startup, tsx, SDK loading included), and that process's CPU
 * time, which a loaded machine inflates less than wall time.
 *
 *   node --import tsx bench/diff.bench.ts [runs]
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { parse, stringify } from "yaml";
import { runDiff } from "../cli/diff";

const ROOT = path.resolve(__dirname, "..");
const RUNS = Number(process.argv[2] ?? 3);

/** A scratch copy of the project's stack file with `edit` applied to its team. */
function edited(stack: string, edit: (team: Record<string, any>) => void): string {
  const doc = parse(fs.readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), "utf8"));
  edit(doc.config["vmcp-okta:team"]);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vmcp-diff-bench-"));
  fs.writeFileSync(path.join(dir, `Pulumi.${stack}.yaml`), stringify(doc));
  return dir;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** CPU time (user + system, ms) of this process's reaped children (Linux /proc; 100 ticks per second). */
function childCpuMs(): number {
  const fields = fs.readFileSync("/proc/self/stat", "utf8").split(") ")[1].split(" ");
  return (Number(fields[13]) + Number(fields[14])) * 10; // cutime, cstime
}

async function main() {
  const cases = [
    { name: "engineering, unchanged", stack: "engineering", dir: ROOT },
    { name: "engineering, deny removed + prefix change", stack: "engineering", dir: edited("engineering", (t) => ((t.grants.developers.deny = undefined), (t.aggregation = { prefixFormat: "{workload}__" }))) },
    { name: "sales, unchanged", stack: "sales", dir: ROOT },
  ];
  console.log(`vmcp-okta diff benchmark, ${os.cpus().length} CPUs, load average ${os.loadavg().map((x) => x.toFixed(1)).join(" ")}, ${RUNS} runs each`);
  for (const c of cases) {
    const inProcess: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const t = performance.now();
      await runDiff({ stack: c.stack, base: path.join(ROOT, `Pulumi.${c.stack}.yaml`), dir: c.dir });
      inProcess.push(performance.now() - t);
    }
    const cli: number[] = [];
    const cpu: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const t = performance.now();
      const cpu0 = childCpuMs();
      const r = spawnSync(process.execPath, [path.join(ROOT, "bin/vmcp-okta.js"), "diff", "--stack", c.stack, "--base", path.join(ROOT, `Pulumi.${c.stack}.yaml`)], { cwd: c.dir, encoding: "utf8" });
      cli.push(performance.now() - t);
      cpu.push(childCpuMs() - cpu0);
      if (r.status !== 0) throw new Error(`diff failed: ${r.stderr}`);
    }
    console.log(
      `${c.name.padEnd(44)} in-process first ${inProcess[0].toFixed(0)} ms, median ${median(inProcess).toFixed(0)} ms | CLI wall median ${median(cli).toFixed(0)} ms, max ${Math.max(...cli).toFixed(0)} ms, CPU median ${median(cpu).toFixed(0)} ms`,
    );
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
