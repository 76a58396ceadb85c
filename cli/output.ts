/** Shared CLI plumbing: loading a stack and printing configuration errors. */
import { ConfigError, formatProblem, type Problem } from "../components/errors";
import { compileTeam, type CompiledTeam } from "../components/compile";
import { loadStackFile, type StackFile } from "../components/stackConfig";

/** Prints an error the way every command does; returns the exit code. */
export function reportError(e: unknown): number {
  if (e instanceof ConfigError) {
    process.stderr.write(e.message + "\n");
    // Warnings too, so one run shows everything there is to fix.
    printWarnings(e.problems.filter((p) => p.severity === "warning"));
    return 1;
  }
  process.stderr.write(`error: ${(e as Error)?.message ?? String(e)}\n`);
  return 1;
}

export function printWarnings(warnings: Problem[]): void {
  for (const w of warnings) process.stderr.write(formatProblem(w) + "\n");
}

/** The whole stack, every section validated (team, Okta, Kubernetes, reconcile rules), as preview would. */
export async function loadWholeStack(stack: string, dir?: string) {
  const stackFile = loadStackFile(stack, dir);
  // Loaded lazily: it pulls in the Pulumi SDK, which the core-only commands do not need.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { loadTeam, stackFileConfigView } = require("../components/loadStack") as typeof import("../components/loadStack");
  // As preview would: a placeholder ciphertext (the examples' `secure: v1:REPLACE-ME…`) is an error.
  return { stackFile, loaded: loadTeam(stackFile.team, stackFileConfigView(stackFile.config, { placeholders: "refuse" })) };
}

/** The team's core only (groups, grants, policies): enough for why, test and authz. */
export function loadCompiledStack(stack: string, dir?: string): { stackFile: StackFile; compiled: CompiledTeam } {
  const stackFile = loadStackFile(stack, dir);
  const compiled = compileTeam(stackFile.team);
  return { stackFile, compiled };
}
