import * as fs from "node:fs";
import type { Command } from "commander";
import { explainDecision } from "../components/cedar/explain";
import type { CedarAction } from "../components/cedar/authorizer";
import { loadCompiledStack } from "./output";

function readClaims(arg: string): Record<string, unknown> | null {
  const text = arg.trim().startsWith("{") || arg.trim() === "null" ? arg : fs.readFileSync(arg, "utf8");
  const parsed = JSON.parse(text) as unknown;
  if (parsed !== null && (typeof parsed !== "object" || Array.isArray(parsed))) throw new Error("--claims must be a JSON object (or null for no identity)");
  return parsed as Record<string, unknown> | null;
}

export function registerWhy(program: Command): void {
  program
    .command("why")
    .description("explain one authorization decision in words")
    .requiredOption("--stack <name>", "stack name (Pulumi.<name>.yaml)")
    .requiredOption("--claims <file|json>", "token claims: a JSON file or inline JSON object")
    .option("--tool <name>", "advertised tool name (tools/call)")
    .option("--prompt <name>", "prompt name (prompts/get)")
    .option("--resource <uri>", "resource URI (resources/read)")
    .option("--arguments <json>", "tool arguments as a JSON object")
    .option("--json", "print the explanation as JSON")
    .action((opts: { stack: string; claims: string; tool?: string; prompt?: string; resource?: string; arguments?: string; json?: boolean }) => {
      const targets = [opts.tool, opts.prompt, opts.resource].filter((x) => x !== undefined);
      if (targets.length !== 1) throw new Error("give exactly one of --tool, --prompt, --resource");
      const action: CedarAction = opts.tool !== undefined ? "call_tool" : opts.prompt !== undefined ? "get_prompt" : "read_resource";
      const { compiled } = loadCompiledStack(opts.stack);
      const explanation = explainDecision(compiled, {
        claims: readClaims(opts.claims),
        action,
        resourceId: targets[0]!,
        arguments: opts.arguments ? (JSON.parse(opts.arguments) as Record<string, unknown>) : undefined,
      });
      if (opts.json) process.stdout.write(JSON.stringify(explanation, null, 2) + "\n");
      else process.stdout.write(explanation.text + "\n");
      process.exitCode = explanation.decision.allowed ? 0 : 3;
    });
}
