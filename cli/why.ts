import * as fs from "node:fs";
import type { Command } from "commander";
import { decodeJwt } from "jose";
import { explainDecision } from "../components/cedar/explain";
import type { CedarAction } from "../components/cedar/authorizer";
import { loadCompiledStack } from "./output";

/** A compact JWS (`header.payload.signature`), optionally after `Bearer `. */
const JWT = /^(?:Bearer\s+)?([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)$/i;

/**
 * `--claims`: inline JSON, `null`, a raw access token (its payload is read, not verified: `why`
 * explains a decision, it does not authenticate), or a file holding any of these.
 */
export function readClaims(arg: string): Record<string, unknown> | null {
  const inline = arg.trim();
  const looksInline = inline.startsWith("{") || inline === "null" || (JWT.test(inline) && !fs.existsSync(arg));
  let text = inline;
  if (!looksInline) {
    try {
      text = fs.readFileSync(arg, "utf8").trim();
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
      throw new Error(`--claims: not inline JSON, a JWT, or a readable file (${code})`);
    }
  }
  const jwt = JWT.exec(text);
  if (jwt) {
    try {
      return decodeJwt(jwt[1]) as Record<string, unknown>;
    } catch (e) {
      throw new Error(`--claims: not a readable JWT (${(e as Error).message})`);
    }
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new Error(`--claims: not JSON, a JWT or a file holding either (${(e as Error).message})`);
  }
  if (parsed !== null && (typeof parsed !== "object" || Array.isArray(parsed))) throw new Error("--claims must be a JSON object (or null for no identity)");
  return parsed as Record<string, unknown> | null;
}

export function registerWhy(program: Command): void {
  program
    .command("why")
    .description("explain one authorization decision in words")
    .requiredOption("--stack <name>", "stack name (Pulumi.<name>.yaml)")
    .requiredOption("--claims <file|json|jwt>", "token claims: inline JSON, a raw access token (payload read, not verified), or a file holding either")
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
      // 0 allowed, 3 denied, 4 allowed by policy but not a name this team's vMCP advertises.
      process.exitCode = !explanation.decision.allowed ? 3 : explanation.notAdvertised ? 4 : 0;
    });
}
