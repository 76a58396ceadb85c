/**
 * Serves a stdio MCP server (a stack's `local.command`) over Streamable HTTP, so vMCP's static
 * backends (HTTP only: pkg/vmcp/config StaticModeAllowedTransports) can reach it on a laptop, as
 * ToolHive's proxy runner does for stdio MCPServers in the cluster. One child process and one SDK
 * client; every HTTP session gets an SDK server whose requests are forwarded to that client.
 * Requests only: the backend's notifications (progress, log messages) are not relayed, because one
 * shared connection cannot tell which session they belong to. A stdio-to-HTTP bridge package
 * (such as supergateway) could replace this module.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import {
  CallToolRequestSchema,
  CallToolResultSchema,
  CompleteRequestSchema,
  CompleteResultSchema,
  EmptyResultSchema,
  GetPromptRequestSchema,
  GetPromptResultSchema,
  ListPromptsRequestSchema,
  ListPromptsResultSchema,
  ListResourcesRequestSchema,
  ListResourcesResultSchema,
  ListResourceTemplatesRequestSchema,
  ListResourceTemplatesResultSchema,
  ListToolsRequestSchema,
  ListToolsResultSchema,
  ReadResourceRequestSchema,
  ReadResourceResultSchema,
  SetLevelRequestSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
  type ServerCapabilities,
} from "@modelcontextprotocol/sdk/types.js";
import { serveMcpOverHttp } from "../../gateway/demo/httpServe";

export interface StdioBackendCommand {
  command: string;
  args?: string[];
  env?: Record<string, string>;
  cwd?: string;
}

export interface BridgedBackend {
  /** `http://127.0.0.1:<port>/mcp` */
  url: string;
  close(): Promise<void>;
}

/** Which forwarded methods exist depends on what the backend announced. */
const FORWARDS = [
  { cap: "tools", req: ListToolsRequestSchema, res: ListToolsResultSchema },
  { cap: "tools", req: CallToolRequestSchema, res: CallToolResultSchema },
  { cap: "prompts", req: ListPromptsRequestSchema, res: ListPromptsResultSchema },
  { cap: "prompts", req: GetPromptRequestSchema, res: GetPromptResultSchema },
  { cap: "resources", req: ListResourcesRequestSchema, res: ListResourcesResultSchema },
  { cap: "resources", req: ListResourceTemplatesRequestSchema, res: ListResourceTemplatesResultSchema },
  { cap: "resources", req: ReadResourceRequestSchema, res: ReadResourceResultSchema },
  { cap: "resources", req: SubscribeRequestSchema, res: EmptyResultSchema },
  { cap: "resources", req: UnsubscribeRequestSchema, res: EmptyResultSchema },
  { cap: "completions", req: CompleteRequestSchema, res: CompleteResultSchema },
  { cap: "logging", req: SetLevelRequestSchema, res: EmptyResultSchema },
] as const;

export async function bridgeStdioBackend(name: string, cmd: StdioBackendCommand, opts: { host?: string; port?: number } = {}): Promise<BridgedBackend> {
  const client = new Client({ name: `vmcp-okta-bridge-${name}`, version: "1.0.0" });
  await client.connect(new StdioClientTransport({ command: cmd.command, args: cmd.args ?? [], env: { ...(process.env as Record<string, string>), ...cmd.env }, cwd: cmd.cwd, stderr: "inherit" }));
  const capabilities: ServerCapabilities = client.getServerCapabilities() ?? {};
  const info = client.getServerVersion() ?? { name, version: "0" };
  const newServer = () => {
    const server = new McpServer({ name: info.name, version: info.version }, { capabilities });
    for (const f of FORWARDS) {
      if (!(f.cap in capabilities)) continue;
      // The low-level server: every request goes to the backend as it came, answers come back validated.
      server.server.setRequestHandler(f.req as typeof ListToolsRequestSchema, async (request, extra) =>
        (await client.request({ method: request.method, params: request.params } as never, f.res as typeof ListToolsResultSchema, { signal: extra.signal })) as never,
      );
    }
    return server;
  };
  let http;
  try {
    http = await serveMcpOverHttp(newServer, opts);
  } catch (e) {
    await client.close();
    throw e;
  }
  return {
    url: http.url,
    close: async () => {
      await http.close();
      await client.close();
    },
  };
}
