/**
 * What the container image runs: the gateway for one team's stack file, validating bearer tokens from
 * a real issuer (an Okta custom authorization server). Configured by the environment only:
 *
 *   VMCP_STACK_FILE    path of the mounted `Pulumi.<stack>.yaml` (default /config/Pulumi.stack.yaml)
 *   VMCP_ISSUER        the issuer, exactly as in the tokens' `iss` (required), e.g.
 *                      https://example.okta.com/oauth2/aus123; keys are found by OIDC discovery
 *   VMCP_RESOURCE_URL  the gateway's public URL, RFC 9728 resource (default: the stack's endpoint)
 *   VMCP_AUDIENCE      the tokens' expected `aud` (default: the resource URL)
 *   HOST, PORT         listen address (default 0.0.0.0:8080 in the image, 127.0.0.1:8080 otherwise)
 *
 * No development identity provider and no anonymous mode here. Logs are JSON lines on stdout; SIGTERM
 * and SIGINT shut down cleanly.
 */
import * as path from "node:path";
import { ConfigError, type Problem } from "../../components/errors";
import { compileTeam, type CompiledTeam } from "../../components/compile";
import { loadStackFile } from "../../components/stackConfig";
import { startGateway } from "../server";

export interface ContainerConfig {
  stackFile: string;
  issuer: string;
  resourceUrl?: string;
  audience?: string;
  host: string;
  port: number;
}

function problem(code: string, p: string, message: string, fix: string, value?: unknown): Problem {
  return { code, path: p, message, fix, value, severity: "error" };
}

/** Reads and checks the environment; throws a ConfigError listing every problem. */
export function containerConfig(env: NodeJS.ProcessEnv): ContainerConfig {
  const problems: Problem[] = [];
  const stackFile = env.VMCP_STACK_FILE || "/config/Pulumi.stack.yaml";
  if (!/^Pulumi\.[A-Za-z0-9._-]+\.yaml$/.test(path.basename(stackFile))) {
    problems.push(problem("container.stack-file", "VMCP_STACK_FILE", "the stack file must be named Pulumi.<stack>.yaml", "mount it under its own name, e.g. /config/Pulumi.engineering.yaml", stackFile));
  }
  const issuer = env.VMCP_ISSUER ?? "";
  if (!issuer) {
    problems.push(problem("container.issuer-missing", "VMCP_ISSUER", "no issuer: the gateway validates tokens from exactly one issuer", "set VMCP_ISSUER to your Okta authorization server's issuer, e.g. https://example.okta.com/oauth2/aus123"));
  } else {
    try {
      const u = new URL(issuer);
      if (u.protocol !== "https:" && !["localhost", "127.0.0.1", "[::1]"].includes(u.hostname)) {
        problems.push(problem("container.issuer-https", "VMCP_ISSUER", "the issuer must use https", "use the https issuer your authorization server announces", issuer));
      }
    } catch {
      problems.push(problem("container.issuer-invalid", "VMCP_ISSUER", "not a URL", "use the issuer URL exactly as it appears in the tokens' iss claim", issuer));
    }
  }
  const port = env.PORT === undefined || env.PORT === "" ? 8080 : Number(env.PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) problems.push(problem("container.port", "PORT", "not a TCP port", "use e.g. 8080", env.PORT));
  if (problems.length) throw new ConfigError(problems);
  return {
    stackFile,
    issuer,
    resourceUrl: env.VMCP_RESOURCE_URL || undefined,
    audience: env.VMCP_AUDIENCE || undefined,
    host: env.HOST || "127.0.0.1",
    port,
  };
}

export function loadContainerStack(stackFile: string): CompiledTeam {
  const base = path.basename(stackFile);
  const stack = base.slice("Pulumi.".length, -".yaml".length);
  return compileTeam(loadStackFile(stack, path.dirname(path.resolve(stackFile))).team);
}

async function main(): Promise<void> {
  const log = (line: object) => process.stdout.write(JSON.stringify({ time: new Date().toISOString(), ...line }) + "\n");
  let cfg: ContainerConfig;
  let compiled: CompiledTeam;
  try {
    cfg = containerConfig(process.env);
    compiled = loadContainerStack(cfg.stackFile);
  } catch (e) {
    process.stderr.write((e as Error).message + "\n");
    process.exit(1);
  }
  for (const w of compiled.warnings) log({ level: "warn", msg: "config warning", code: w.code, path: w.path, message: w.message });
  const resourceUrl = cfg.resourceUrl ?? compiled.spec.endpoint;
  const gateway = await startGateway({
    compiled,
    host: cfg.host,
    port: cfg.port,
    resourceUrl,
    issuer: cfg.issuer,
    audience: cfg.audience ?? resourceUrl,
    handleSignals: false,
    logger: log,
  });
  log({ level: "info", msg: "gateway listening", team: compiled.spec.team, url: gateway.url, mcp: gateway.mcpUrl, resource: resourceUrl, issuer: cfg.issuer });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log({ level: "info", msg: "shutting down", signal });
    gateway.close().then(
      () => process.exit(0),
      (e: Error) => {
        log({ level: "error", msg: "shutdown failed", error: e.message });
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
  gateway.ready.then(
    () => log({ level: "info", msg: "ready" }),
    (e: Error) => log({ level: "warn", msg: "not every backend is ready", error: e.message }),
  );
}

if (require.main === module) {
  main().catch((e: Error) => {
    process.stderr.write(`error: ${e.message}\n`);
    process.exit(1);
  });
}
