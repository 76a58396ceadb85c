/** `vmcp-okta` command line. Each command lives in its own module and registers itself here. */
import { Command } from "commander";
import { registerCheck } from "./check";
import { registerWhy } from "./why";
import { registerAuthz } from "./authz";
import { registerPolicyTest } from "./policyTest";
import { registerRender } from "./renderCommand";
import { registerDev } from "./dev";
import { registerDiff } from "./diff";
import { reportError } from "./output";

const program = new Command("vmcp-okta")
  .description("ToolHive vMCP behind Okta with group-based Cedar authorization")
  .showHelpAfterError()
  .exitOverride((err) => {
    process.exit(err.exitCode === 0 ? 0 : 2);
  });

registerCheck(program);
registerWhy(program);
registerAuthz(program);
registerPolicyTest(program);
registerRender(program);
registerDev(program);
registerDiff(program);

program.parseAsync(process.argv).catch((e: unknown) => {
  process.exitCode = reportError(e);
});
