/**
 * Reads a stack file (`Pulumi.<stack>.yaml`) the way the Pulumi program sees its config, for the
 * offline commands (`check`, `why`, `render`, `dev`). Secure values stay encrypted: offline commands
 * only need to know that they are set.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { ConfigError } from "./errors";
import { TEAM_CONFIG_KEY } from "./spec/parse";

export interface StackFile {
  stack: string;
  file: string;
  /** Every `config:` entry, keys as written (`vmcp-okta:team`, `okta:orgName`, …). */
  config: Record<string, unknown>;
  /** The team definition (`vmcp-okta:team`). */
  team: unknown;
}

export function stackFilePath(stack: string, dir = process.cwd()): string {
  return path.resolve(dir, `Pulumi.${stack}.yaml`);
}

/** True for a Pulumi encrypted value (`{secure: "…"}`) left in place of a secret. */
export function isSecureValue(v: unknown): boolean {
  return typeof v === "object" && v !== null && typeof (v as Record<string, unknown>).secure === "string";
}

export function loadStackFile(stack: string, dir = process.cwd()): StackFile {
  const file = stackFilePath(stack, dir);
  if (!/^[A-Za-z0-9._-]+$/.test(stack)) {
    throw new ConfigError([{ code: "stack.name", path: "--stack", message: "invalid stack name", value: stack, severity: "error", fix: "use the name of a Pulumi.<stack>.yaml file" }]);
  }
  if (!fs.existsSync(file)) {
    const available = fs.readdirSync(path.dirname(file)).filter((f) => /^Pulumi\..+\.yaml$/.test(f)).map((f) => f.slice(7, -5));
    throw new ConfigError([
      {
        code: "stack.missing",
        path: file,
        message: `no stack file for stack ${stack}`,
        severity: "error",
        fix: available.length ? `use one of: ${available.join(", ")}` : "create it by copying an example stack file",
      },
    ]);
  }
  let doc: unknown;
  try {
    doc = parse(fs.readFileSync(file, "utf8"));
  } catch (e) {
    throw new ConfigError([{ code: "stack.yaml", path: file, message: `not valid YAML: ${(e as Error).message}`, severity: "error", fix: "correct the YAML syntax" }]);
  }
  const config = ((doc as Record<string, unknown> | null)?.config ?? {}) as Record<string, unknown>;
  if (!(TEAM_CONFIG_KEY in config)) {
    throw new ConfigError([
      { code: "stack.no-team", path: `${file}: config.${TEAM_CONFIG_KEY}`, message: "the stack has no team definition", severity: "error", fix: `add config.${TEAM_CONFIG_KEY} (see Pulumi.engineering.yaml)` },
    ]);
  }
  return { stack, file, config, team: config[TEAM_CONFIG_KEY] };
}
