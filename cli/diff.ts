/**
 * `vmcp-okta diff --stack NAME --base <old stack file | git ref>`: what a change to a team stack does,
 * for the reviewer of a pull request. Both versions go through the same pipeline as `check` and
 * `render` (loadTeam, then the stack program under the mock runtime), so the diff shows exactly what
 * `pulumi up` would declare, offline. The comparison itself is `components/diff`.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { execFileSync } from "node:child_process";
import type { Command } from "commander";
import { ConfigError, formatProblem } from "../components/errors";
import type { DiffSide } from "../components/diff";
import { stackFilePath } from "../components/stackConfig";

export type DiffFormat = "markdown" | "json";
export type FailOn = "gain" | "any";

export interface DiffOptions {
  stack: string;
  base: string;
  format?: DiffFormat;
  failOn?: FailOn;
  /** Project directory holding `Pulumi.<stack>.yaml` (default: the working directory). */
  dir?: string;
}

/** Exit code when `--fail-on` trips (1 is a configuration error, 2 a usage error). */
export const GATE_EXIT_CODE = 3;

/**
 * The base version of the stack file: a file path as given, else `git show REF:<stack file>`.
 * Undefined when the ref exists but the stack file does not exist there (a new stack).
 */
export function readBaseStackFile(stack: string, base: string, dir = process.cwd()): string | undefined {
  const asFile = path.resolve(dir, base);
  if (fs.existsSync(asFile) && fs.statSync(asFile).isFile()) return fs.readFileSync(asFile, "utf8");
  const git = (args: string[]) => execFileSync("git", args, { cwd: dir, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  try {
    git(["rev-parse", "--verify", "--quiet", `${base}^{commit}`]);
  } catch {
    throw new ConfigError([
      { code: "diff.base", path: "--base", message: "neither a file nor a git revision", value: base, severity: "error", fix: "pass an old Pulumi.<stack>.yaml, or a ref such as origin/main (fetch it first in CI: fetch-depth 0)" },
    ]);
  }
  try {
    // `REF:./path` is relative to the working directory, so this works from any folder of the repository.
    return git(["show", `${base}:./${path.basename(stackFilePath(stack, dir))}`]);
  } catch {
    return undefined;
  }
}

/** Runs the whole comparison; returns the report text and the exit code. */
export async function runDiff(opts: DiffOptions): Promise<{ text: string; exitCode: number }> {
  // The Pulumi SDK records a full stack trace for every resource and promise; with tsx's source maps
  // on, each one is mapped, which cost about a tenth of a cold run in a profile. Nothing here reads them.
  const sourceMaps = process.sourceMapsEnabled;
  process.setSourceMapsEnabled(false);
  try {
    return await diffStacks(opts);
  } finally {
    process.setSourceMapsEnabled(sourceMaps);
  }
}

async function diffStacks(opts: DiffOptions): Promise<{ text: string; exitCode: number }> {
  const dir = opts.dir ?? process.cwd();
  // Loaded on use: the stack pipeline pulls in the Pulumi SDK, which `--help` does not need.
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { loadStackFile } = require("../components/stackConfig") as typeof import("../components/stackConfig");
  const { compileTeam } = require("../components/compile") as typeof import("../components/compile");
  const { loadTeam, stackFileConfigView } = require("../components/loadStack") as typeof import("../components/loadStack");
  const { renderStack } = require("./render") as typeof import("./render");
  const { diffTeams, diffToMarkdown, hasGain, renderedObjects } = require("../components/diff") as typeof import("../components/diff");
  const { RENAMES_CONFIG_KEY } = require("../components/renames") as typeof import("../components/renames");
  const { TEAM_CONFIG_KEY } = require("../components/spec/parse") as typeof import("../components/spec/parse");
  /* eslint-enable @typescript-eslint/no-require-imports */

  const side = async (stackDir: string): Promise<DiffSide> => {
    const file = loadStackFile(opts.stack, stackDir);
    // Renames are validated as the program validates them (loadTeamFromPulumiConfig).
    const loaded = loadTeam(file.team, stackFileConfigView(file.config), TEAM_CONFIG_KEY, { renames: file.config[RENAMES_CONFIG_KEY] });
    return { compiled: loaded.compiled, groupRenames: loaded.renames.groups, objects: renderedObjects((await renderStack(opts.stack, stackDir)).files) };
  };
  /** The base may predate a rule the current code adds: then compare its core (access), not its objects. */
  const baseSide = async (stackDir: string): Promise<DiffSide> => {
    try {
      return await side(stackDir);
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      const file = loadStackFile(opts.stack, stackDir);
      const problems = e.problems.filter((p) => p.severity === "error").map((p) => formatProblem(p).split(stackDir + path.sep).join(""));
      return { compiled: compileTeam(file.team), problems };
    }
  };

  const baseText = readBaseStackFile(opts.stack, opts.base, dir);
  const head = await side(dir);
  let base: DiffSide | undefined;
  if (baseText !== undefined && baseText === fs.readFileSync(stackFilePath(opts.stack, dir), "utf8")) {
    base = head; // the same file through the same code: nothing to render twice
  } else if (baseText !== undefined) {
    // The base goes through the same loader as the head, from a scratch project folder.
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "vmcp-okta-diff-"));
    try {
      fs.writeFileSync(path.join(scratch, `Pulumi.${opts.stack}.yaml`), baseText);
      base = await baseSide(scratch);
    } catch (e) {
      if (e instanceof ConfigError) throw new ConfigError(e.problems.map((p) => ({ ...p, path: `base ${opts.base}: ${p.path.replace(scratch + path.sep, "")}` })));
      throw e;
    } finally {
      fs.rmSync(scratch, { recursive: true, force: true });
    }
  }
  const diff = diffTeams(base, head, { stack: opts.stack, base: opts.base });
  const text = opts.format === "json" ? JSON.stringify(diff, null, 2) + "\n" : diffToMarkdown(diff);
  const tripped = opts.failOn === "any" ? diff.changed : opts.failOn === "gain" ? hasGain(diff, head.compiled) : false;
  return { text, exitCode: tripped ? GATE_EXIT_CODE : 0 };
}

export function registerDiff(program: Command): void {
  program
    .command("diff")
    .description("compare a stack with an older version (a stack file or a git ref): access gained and lost, members, policies, Okta and Kubernetes objects")
    .requiredOption("--stack <name>", "stack name (Pulumi.<name>.yaml)")
    .requiredOption("--base <file|ref>", "the old version: a stack file, or a git ref whose Pulumi.<name>.yaml is read")
    .option("--format <format>", "markdown (a pull-request comment) or json", "markdown")
    .option("--fail-on <what>", `exit ${GATE_EXIT_CODE} when a group gains access (gain) or anything changes (any)`)
    .action(async (opts: { stack: string; base: string; format: string; failOn?: string }) => {
      if (opts.format !== "markdown" && opts.format !== "json") throw usage("--format", opts.format, "use markdown or json");
      if (opts.failOn !== undefined && opts.failOn !== "gain" && opts.failOn !== "any") throw usage("--fail-on", opts.failOn, "use gain or any");
      const { text, exitCode } = await runDiff({ stack: opts.stack, base: opts.base, format: opts.format, failOn: opts.failOn as FailOn | undefined });
      process.stdout.write(text);
      process.exitCode = exitCode;
    });
}

function usage(option: string, value: string, fix: string): ConfigError {
  return new ConfigError([{ code: "diff.option", path: option, message: "invalid value", value, severity: "error", fix }]);
}
