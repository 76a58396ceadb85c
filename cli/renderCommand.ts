import type { Command } from "commander";
import { formatProblem } from "../components/errors";

export function registerRender(program: Command): void {
  program
    .command("render")
    .description("write what the stack would declare (Kubernetes YAML, Okta objects, access matrix) and vMCP's runtime configuration (vmcp/, vmcp-local/) without Okta, a cluster or the Pulumi CLI")
    .requiredOption("--stack <name>", "stack name (Pulumi.<name>.yaml)")
    .requiredOption("--out <dir>", "output directory")
    .action(async (opts: { stack: string; out: string }) => {
      // Loaded on use: render pulls in the Pulumi SDK (~1.5 s), which the other commands do not need.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { renderStack, writeRender } = require("./render") as typeof import("./render");
      const result = await renderStack(opts.stack);
      for (const w of result.warnings) process.stderr.write(formatProblem(w) + "\n");
      for (const file of writeRender(result, opts.out)) process.stdout.write(`wrote ${file}\n`);
    });
}
