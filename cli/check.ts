import type { Command } from "commander";
import { matrixToMarkdown } from "../components/cedar/matrix";
import { loadWholeStack, printWarnings } from "./output";

export function registerCheck(program: Command): void {
  program
    .command("check")
    .description("validate a stack's config and policies; print the generated Cedar and the access matrix")
    .option("--stack <name>", "stack name (Pulumi.<name>.yaml)", "dev")
    .option("--json", "print the result as JSON")
    .action(async (opts: { stack: string; json?: boolean }) => {
      const { stackFile, loaded } = await loadWholeStack(opts.stack);
      const { compiled } = loaded;
      printWarnings(loaded.warnings);
      if (opts.json) {
        process.stdout.write(
          JSON.stringify({ stack: opts.stack, policies: compiled.policies, matrix: compiled.matrix, warnings: loaded.warnings }, null, 2) + "\n",
        );
        return;
      }
      const { spec } = compiled;
      const out: string[] = [];
      out.push(`# Stack ${opts.stack} (${stackFile.file})`, "");
      out.push(`team ${spec.team}, ${spec.environment}, endpoint ${spec.endpoint}`);
      out.push(`Okta claim filter: ${spec.claimFilter.type} "${spec.claimFilter.value}"`);
      out.push(`groups: ${spec.groups.map((g) => g.name).join(", ")}`, "");
      out.push("## Cedar policies", "");
      for (const p of compiled.policies) out.push("```cedar", p.text, "```");
      out.push("", "## Access matrix (call_tool)", "", matrixToMarkdown(compiled.matrix));
      out.push(`ok: ${compiled.policies.length} policies, ${spec.tools.length} tools, ${loaded.warnings.length} warning(s)`);
      process.stdout.write(out.join("\n") + "\n");
    });
}
