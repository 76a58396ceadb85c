import * as fs from "node:fs";
import type { Command } from "commander";
import { parsePolicyTestFile, runPolicyTests } from "../components/cedar/policyTests";
import { loadCompiledStack } from "./output";

export function registerPolicyTest(program: Command): void {
  program
    .command("test")
    .description("run a policy-test file (expected decisions) through the authorizer")
    .argument("<file>", "YAML policy-test file")
    .option("--stack <name>", "stack name (overrides the file's stack:)")
    .action((file: string, opts: { stack?: string }) => {
      const tests = parsePolicyTestFile(fs.readFileSync(file, "utf8"), file);
      const stack = opts.stack ?? tests.stack;
      if (!stack) throw new Error(`${file}: name the stack with stack: in the file or --stack`);
      const { compiled } = loadCompiledStack(stack);
      const results = runPolicyTests(compiled, tests);
      for (const r of results) {
        process.stdout.write(`${r.passed ? "ok" : "not ok"} - ${r.name}: ${r.actual}${r.policies.length ? ` (${r.policies.join(", ")})` : ""}${r.detail ? `\n    ${r.detail}` : ""}\n`);
      }
      const failed = results.filter((r) => !r.passed).length;
      process.stdout.write(`${results.length - failed} passed, ${failed} failed\n`);
      process.exitCode = failed ? 1 : 0;
    });
}
