/**
 * `vmcp-okta dev --engine vmcp`: the stack's exact vMCP configuration (the one `render` writes, local
 * variant) run by ToolHive's real `vmcp serve`, instead of the bundled gateway, against the same
 * development identity provider and the stack's local backends (`local.url`, or `local.command`
 * served over Streamable HTTP by components/vmcp/stdioBridge.ts).
 */
import * as path from "node:path";
import { ConfigError } from "../components/errors";
import { loadTeam, stackFileConfigView } from "../components/loadStack";
import { toolhiveObjects } from "../components/kubernetes/objects";
import { localVmcpConfig, vmcpConfigMap, type StaticBackend } from "../components/vmcp/runtimeConfig";
import { findVmcpBinary, runVmcp, type RunningVmcp } from "../components/vmcp/runVmcp";
import { bridgeStdioBackend, type BridgedBackend } from "../components/vmcp/stdioBridge";
import { startDevIdp, type DevIdp } from "../gateway/devIdp";
import type { DevContext } from "./dev";

export interface StartedDevVmcp {
  idp: DevIdp;
  vmcp: RunningVmcp;
  binary: string;
  tokens: Map<string, string>;
  close(): Promise<void>;
}

/** Starts the IdP, the backends and `vmcp serve` for a development stack; fails first when vmcp is missing. */
export async function startDevVmcp(ctx: DevContext, logger: (line: object) => void, opts: { echo?: NodeJS.WritableStream } = {}): Promise<StartedDevVmcp> {
  const binary = findVmcpBinary(); // before anything starts: the error carries the install command
  const { spec } = ctx.compiled;
  const missing = spec.backends.filter((b) => !b.local?.url && !b.local?.command);
  if (missing.length) {
    throw new ConfigError(
      missing.map((b) => ({
        code: "dev.backend-no-local",
        path: `vmcp-okta:team.backends.${b.name}.local`,
        message: "vMCP needs every backend running locally, and this one has no local run",
        severity: "error" as const,
        fix: "add local: {url: http://127.0.0.1:<port>/mcp} (a Streamable HTTP server) or local: {command, args} (a stdio server)",
      })),
    );
  }
  const loaded = loadTeam(ctx.stackFile.team, stackFileConfigView(ctx.stackFile.config));
  const closers: (() => Promise<void>)[] = [];
  const closeAll = async () => {
    for (const c of closers.reverse()) await c().catch(() => {});
  };
  try {
    const idp = await startDevIdp({
      spec,
      users: ctx.users,
      resourceUrl: ctx.endpoints.resourceUrl,
      host: ctx.endpoints.idpHost,
      port: ctx.endpoints.idpPort,
      issuer: ctx.endpoints.issuer,
      stateDir: ctx.stateDir,
      tokenTtlSeconds: ctx.dev.tokenTtlSeconds,
      logger,
    });
    closers.push(() => idp.close());
    const backends: StaticBackend[] = [];
    for (const b of spec.backends) {
      let url = b.local!.url;
      if (!url) {
        // Relative paths in a stack's local commands are relative to the stack file.
        const bridged: BridgedBackend = await bridgeStdioBackend(b.name, { command: b.local!.command!, args: b.local!.args, env: b.local!.env, cwd: path.dirname(ctx.stackFile.file) });
        closers.push(() => bridged.close());
        url = bridged.url;
      }
      backends.push({ name: b.name, url, transport: "streamable-http" });
      logger({ level: "info", msg: "dev.vmcp_backend", backend: b.name, url });
    }
    const objects = toolhiveObjects(spec, loaded.kubernetes, loaded.policies, { oktaIssuer: "https://okta.invalid/oauth2/default", clientId: "unused" });
    const config = localVmcpConfig(vmcpConfigMap(objects).config, { backends, issuer: idp.issuer, audience: ctx.endpoints.resourceUrl, insecureAllowHttp: true });
    const vmcp = await runVmcp({ config, binary, host: ctx.endpoints.host, port: ctx.endpoints.port, echo: opts.echo });
    closers.push(() => vmcp.close());
    logger({ level: "info", msg: "dev.vmcp_started", binary, pid: vmcp.pid, config: path.join(vmcp.configDir, "config.yaml") });
    const tokens = new Map<string, string>();
    for (const u of ctx.users) tokens.set(u.login, await idp.mintToken(u.login));
    let closing: Promise<void> | undefined;
    return { idp, vmcp, binary, tokens, close: () => (closing ??= closeAll()) };
  } catch (e) {
    await closeAll();
    throw e;
  }
}
