import type { Command } from "commander";

export function registerDev(program: Command): void {
  program
    .command("dev")
    .description("run the bundled MCP gateway with the embedded development identity provider")
    .option("--stack <name>", "stack name (Pulumi.<name>.yaml)", "dev")
    .action(() => {
      process.stderr.write("dev: the bundled gateway is not yet available (see issue 5); `vmcp-okta check --stack dev` works today\n");
      process.exitCode = 2;
    });
}
