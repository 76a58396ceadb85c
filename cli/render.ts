import type { Command } from "commander";

export function registerRender(program: Command): void {
  program
    .command("render")
    .description("write what the stack would declare (Kubernetes YAML, Okta objects, access matrix) without Okta, a cluster or the Pulumi CLI")
    .requiredOption("--stack <name>", "stack name (Pulumi.<name>.yaml)")
    .requiredOption("--out <dir>", "output directory")
    .action(() => {
      process.stderr.write("render: not yet available\n");
      process.exitCode = 2;
    });
}
