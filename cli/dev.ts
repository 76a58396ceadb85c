/**
 * `vmcp-okta dev`: the bundled gateway on a laptop, with the embedded development identity provider,
 * for a stack marked `environment: development`. `vmcp-okta dev token`: one access token for scripts.
 */
import * as path from "node:path";
import type { Command } from "commander";
import { ConfigError, didYouMean } from "../components/errors";
import type { CompiledTeam } from "../components/compile";
import { devConfigFor, devEndpoints, devUsers, findDevUser, type DevConfig, type DevEndpoints, type DevUser } from "../components/dev/config";
import type { StackFile } from "../components/stackConfig";
import { defaultStateDir, startDevIdp, type DevIdp } from "../gateway/devIdp";
import { loadCompiledStack, printWarnings } from "./output";

interface DevOptions {
  stack: string;
  host?: string;
  port?: number;
  idpPort?: number;
  /** `gateway` (the bundled gateway) or `vmcp` (ToolHive's vmcp binary, cli/devVmcp.ts). */
  engine?: string;
}

export interface DevContext {
  stackFile: StackFile;
  compiled: CompiledTeam;
  dev: DevConfig;
  users: DevUser[];
  endpoints: DevEndpoints;
  stateDir: string;
}

function parsePort(flag: string): (v: string) => number {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1 || n > 65535) {
      throw new ConfigError([{ code: "dev.flag-port", path: flag, message: "not a TCP port", value: v, severity: "error", fix: "use a number between 1 and 65535" }]);
    }
    return n;
  };
}

/** The message every refusal uses: the dev IdP hands out tokens for any listed user, no password. */
export function assertDevelopmentStack(compiled: CompiledTeam, stack: string): void {
  if (compiled.spec.environment !== "development") {
    throw new ConfigError([
      {
        code: "dev.not-development",
        path: "vmcp-okta:team.environment",
        message: `vmcp-okta dev runs only on stacks marked environment: development, and stack ${stack} is ${compiled.spec.environment}: its identity provider gives anyone a token for any listed user, without a password`,
        value: compiled.spec.environment,
        severity: "error",
        fix: "use a development stack (npm start uses Pulumi.dev.yaml), or run the gateway image against your real issuer (README: The bundled gateway)",
      },
    ]);
  }
}

/** Loads, compiles and checks a stack for the dev commands. */
export function loadDevContext(opts: DevOptions, dir?: string): DevContext {
  const { stackFile, compiled } = loadCompiledStack(opts.stack, dir);
  assertDevelopmentStack(compiled, opts.stack);
  const { dev, problems } = devConfigFor(compiled.spec);
  printWarnings([...compiled.warnings, ...problems.warnings]);
  const endpoints = devEndpoints(compiled.spec, dev, { host: opts.host, port: opts.port, idpPort: opts.idpPort });
  if (endpoints.idpPort === endpoints.port) {
    throw new ConfigError([
      { code: "dev.port-clash", path: "--idp-port", message: "the identity provider and the gateway cannot share a port", value: endpoints.idpPort, severity: "error", fix: "pick another --idp-port" },
    ]);
  }
  return { stackFile, compiled, dev, users: devUsers(compiled.spec, dev), endpoints, stateDir: defaultStateDir(path.dirname(stackFile.file)) };
}

function userOrThrow(users: DevUser[], login: string): DevUser {
  const user = findDevUser(users, login);
  if (user) return user;
  const logins = users.map((u) => u.login);
  throw new ConfigError([
    {
      code: "dev.unknown-user",
      path: "--user",
      message: "not a development user of this stack (group members and dev.extraUsers)",
      value: login,
      severity: "error",
      fix: didYouMean(login, logins) ?? `use one of: ${logins.join(", ")}`,
    },
  ]);
}

/**
 * Mints one token for `login` with the persisted key and the issuer the running `dev` command uses,
 * from an IdP started on a free port for the occasion.
 */
export async function mintDevToken(ctx: DevContext, login: string, scopes?: string[]): Promise<string> {
  const user = userOrThrow(ctx.users, login);
  const idp = await startDevIdp({
    spec: ctx.compiled.spec,
    users: ctx.users,
    resourceUrl: ctx.endpoints.resourceUrl,
    host: "127.0.0.1",
    port: 0,
    issuer: ctx.endpoints.issuer,
    stateDir: ctx.stateDir,
    tokenTtlSeconds: ctx.dev.tokenTtlSeconds,
  });
  try {
    return await idp.mintToken(user.login, { scopes });
  } finally {
    await idp.close();
  }
}

type GatewayModule = typeof import("../gateway/server");
type GatewayHandle = Awaited<ReturnType<GatewayModule["startGateway"]>>;

export interface StartedDev {
  idp: DevIdp;
  /** The gateway's embedded authorization server (vMCP's authServerConfig), upstream = the dev IdP. */
  authServer: import("../gateway/authServer").EmbeddedAuthServer;
  gateway: GatewayHandle;
  close(): Promise<void>;
}

function loadStartGateway(): GatewayModule["startGateway"] {
  // Loaded on demand: `dev token` needs neither the gateway nor the MCP SDK.
  return (require("../gateway/server") as GatewayModule).startGateway;
}

function portInUse(e: unknown, what: string, port: number, flag: string): Error {
  if ((e as NodeJS.ErrnoException)?.code === "EADDRINUSE") {
    return new Error(`port ${port} (${what}) is already in use: is vmcp-okta dev already running? Stop it, or pick another port with ${flag}`);
  }
  return e as Error;
}

/** Starts the IdP and the gateway. */
export async function startDev(ctx: DevContext, logger: (line: object) => void): Promise<StartedDev> {
  const { endpoints } = ctx;
  const idp = await startDevIdp({
    spec: ctx.compiled.spec,
    users: ctx.users,
    resourceUrl: endpoints.resourceUrl,
    host: endpoints.idpHost,
    port: endpoints.idpPort,
    issuer: endpoints.issuer,
    stateDir: ctx.stateDir,
    tokenTtlSeconds: ctx.dev.tokenTtlSeconds,
    logger,
  }).catch((e: unknown) => {
    throw portInUse(e, "development identity provider", endpoints.idpPort, "--idp-port");
  });
  let gateway: GatewayHandle;
  let authServer: StartedDev["authServer"];
  try {
    // Clients sign in to the gateway as they do to vMCP; the gateway signs them in at the dev IdP.
    const { devAuthServer } = require("../gateway/authServer") as typeof import("../gateway/authServer");
    authServer = await devAuthServer({
      compiled: ctx.compiled,
      resourceUrl: endpoints.resourceUrl,
      upstreamIssuer: idp.issuer,
      keyDir: path.join(path.dirname(ctx.stateDir), "auth-server"),
      log: logger,
    });
  } catch (e) {
    await idp.close();
    throw e;
  }
  try {
    gateway = await loadStartGateway()({
      authServer,
      compiled: ctx.compiled,
      host: endpoints.host,
      port: endpoints.port,
      resourceUrl: endpoints.resourceUrl,
      issuer: idp.issuer,
      audience: endpoints.resourceUrl,
      // Stdio backends' relative paths (gateway/demo/…) are relative to the stack file.
      cwd: path.dirname(ctx.stackFile.file),
      // This command closes the IdP too, so it handles the signals itself.
      handleSignals: false,
      logger,
    });
  } catch (e) {
    await authServer.close();
    await idp.close();
    throw portInUse(e, "gateway", endpoints.port, "--port");
  }
  let closing: Promise<void> | undefined;
  return {
    idp,
    authServer,
    gateway,
    close() {
      closing ??= (async () => {
        await gateway.close().catch(() => {});
        await authServer.close();
        await idp.close();
      })();
      return closing;
    },
  };
}

/** The flags `dev token` needs to mint for the same issuer and audience as this `dev` run. */
function sameEndpointFlags(ctx: DevContext): string {
  const defaults = devEndpoints(ctx.compiled.spec, ctx.dev);
  const e = ctx.endpoints;
  const flags: string[] = [];
  if (e.host !== defaults.host) flags.push(`--host ${e.host}`);
  if (e.port !== defaults.port) flags.push(`--port ${e.port}`);
  if (e.idpPort !== defaults.idpPort) flags.push(`--idp-port ${e.idpPort}`);
  return flags.map((f) => ` ${f}`).join("");
}

/**
 * What `vmcp-okta dev` prints once everything is up: where to point a client, how to add it to the
 * common MCP clients (they sign in through the browser), the users, and how scripts get a token.
 */
export function devBanner(ctx: DevContext): string {
  const { endpoints, compiled, users } = ctx;
  const mcpUrl = endpoints.mcpUrl;
  const name = `vmcp-${compiled.spec.team}`;
  const width = Math.max(...users.map((u) => u.login.length));
  const stack = ctx.stackFile.stack;
  const example = (users.find((u) => u.tokenGroups.length > 0) ?? users[0])?.login ?? "<login>";
  const out: string[] = [];
  out.push(`vmcp-okta dev: team ${compiled.spec.team}, stack ${stack} (development only)`, "");
  out.push(`  MCP URL        ${mcpUrl}`);
  out.push(`  Access matrix  ${endpoints.resourceUrl}/`, "");
  out.push("Add it to a client (it signs in through your browser, as one of the users below):", "");
  out.push(`  Claude Code  claude mcp add --transport http ${name} ${mcpUrl}`);
  out.push(`  VS Code      .vscode/mcp.json   {"servers": {"${name}": {"type": "http", "url": "${mcpUrl}"}}}`);
  out.push(`  Cursor       ~/.cursor/mcp.json {"mcpServers": {"${name}": {"url": "${mcpUrl}"}}}`, "");
  out.push("Users (no password; pick one on the sign-in page):", "");
  for (const u of users) {
    out.push(`  ${u.login.padEnd(width)}  ${u.tokenGroups.length ? u.tokenGroups.join(", ") : "no team group: every call is denied"}`);
  }
  out.push("");
  out.push(`A bearer token for scripts: ${cliCommand()} dev token --stack ${stack}${sameEndpointFlags(ctx)} --user ${example}`);
  out.push("Stop: Ctrl+C");
  return out.join("\n") + "\n";
}

/** How to run the CLI again the way it was started: through npm in a checkout (`npm start`), where `vmcp-okta` is not on PATH, or as the installed command. */
function cliCommand(): string {
  const script = process.env.npm_lifecycle_event;
  return script === "start" || script === "cli" ? "npm run --silent cli --" : "vmcp-okta";
}

function parseEngine(v: string): string {
  if (v === "gateway" || v === "vmcp") return v;
  throw new ConfigError([{ code: "dev.flag-engine", path: "--engine", message: "unknown engine", value: v, severity: "error", fix: "use --engine gateway or --engine vmcp" }]);
}

/** `--engine vmcp`: ToolHive's vmcp runs the stack's configuration (loaded on use, see cli/devVmcp.ts). */
async function runDevVmcp(ctx: DevContext, logger: (line: object) => void): Promise<void> {
  const { startDevVmcp } = require("./devVmcp") as typeof import("./devVmcp");
  const started = await startDevVmcp(ctx, logger);
  const stop = (signal: NodeJS.Signals) => {
    logger({ level: "info", msg: "dev.shutdown", signal });
    void started.close().then(() => process.exit(0));
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  process.stdout.write(`Engine: ToolHive vMCP (${started.binary}), configuration ${started.vmcp.configDir}/config.yaml\n\n` + devBanner(ctx));
}

export function registerDev(program: Command): void {
  const dev = program
    .command("dev")
    .description("run the bundled MCP gateway with the embedded development identity provider (development stacks only)")
    .option("--stack <name>", "stack name (Pulumi.<name>.yaml)", "dev")
    .option("--host <address>", "address to listen on", "127.0.0.1")
    .option("--port <port>", "gateway port (default: the stack endpoint's port)", parsePort("--port"))
    .option("--idp-port <port>", "identity provider port (default: dev.idpPort, else the gateway port + 1)", parsePort("--idp-port"))
    .option("--engine <engine>", "gateway (the bundled gateway) or vmcp (ToolHive's vmcp serve with the stack's own configuration)", parseEngine, "gateway")
    .action(async (opts: DevOptions) => {
      const ctx = loadDevContext(opts);
      const logger = (line: object) => process.stderr.write(JSON.stringify({ ts: new Date().toISOString(), ...line }) + "\n");
      if (opts.engine === "vmcp") return runDevVmcp(ctx, logger);
      const started = await startDev(ctx, logger);
      let stopping = false;
      const stop = (signal: NodeJS.Signals) => {
        if (stopping) {
          logger({ level: "warn", msg: "dev.signal_again", signal, note: "exiting now" });
          process.exit(130);
        }
        stopping = true;
        logger({ level: "info", msg: "dev.shutdown", signal });
        started.close().then(
          () => process.exit(0),
          (e: Error) => {
            logger({ level: "error", msg: "dev.shutdown_failed", error: e.message });
            process.exit(1);
          },
        );
      };
      process.on("SIGINT", stop);
      process.on("SIGTERM", stop);
      process.stdout.write(devBanner(ctx));
      started.gateway.ready.then(
        () => logger({ level: "info", msg: "dev.ready", note: "every backend answered initialize" }),
        (e: Error) => logger({ level: "warn", msg: "dev.not_ready", error: e.message }),
      );
    });

  dev
    .command("token")
    .description("print a development access token for one user (for scripts and tests)")
    .requiredOption("--user <login>", "development user (a group member or one of dev.extraUsers)")
    .option("--scope <scopes>", "space-separated scopes (default: openid profile email groups)")
    .action(async (opts: { user: string; scope?: string }, cmd: Command) => {
      const all = cmd.optsWithGlobals() as DevOptions & { user: string; scope?: string };
      const ctx = loadDevContext(all);
      const token = await mintDevToken(ctx, opts.user, opts.scope ? opts.scope.split(/\s+/).filter(Boolean) : undefined);
      process.stdout.write(token + "\n");
    });
}
