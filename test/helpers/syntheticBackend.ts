/**
 * A configurable MCP backend for the differential tests and the benchmark: the tools, prompts and
 * resources a stack declares, with annotations and arguments, over Streamable HTTP. Tool results
 * name the backend, the tool and the arguments, so a call routed to the wrong backend shows.
 */
import { McpServer, ResourceTemplate } from "@modelcontextprotocol/sdk/server/mcp.js";
import { completable } from "@modelcontextprotocol/sdk/server/completable.js";
import * as z from "zod/v4";
import { serveMcpOverHttp, type McpHttpServer } from "../../gateway/demo/httpServe";

export interface SyntheticTool {
  name: string;
  annotations?: { readOnlyHint?: boolean; destructiveHint?: boolean; idempotentHint?: boolean; openWorldHint?: boolean; title?: string };
  /** String arguments (all optional). */
  args?: string[];
  description?: string;
}

export interface SyntheticBackendSpec {
  name: string;
  tools: SyntheticTool[];
  prompts?: { name: string; arg: string; values: string[] }[];
  resources?: { uri: string; name: string }[];
  templates?: { uriTemplate: string; name: string; variable: string; values: string[] }[];
}

export function syntheticServer(spec: SyntheticBackendSpec): McpServer {
  const server = new McpServer({ name: `synthetic-${spec.name}`, version: "1.0.0" });
  for (const t of spec.tools) {
    const shape = Object.fromEntries((t.args ?? []).map((a) => [a, z.string().optional()]));
    server.registerTool(
      t.name,
      { description: t.description ?? `${t.name} of ${spec.name}`, inputSchema: shape, ...(t.annotations ? { annotations: t.annotations } : {}) },
      async (args) => ({ content: [{ type: "text", text: `${spec.name}/${t.name} ${JSON.stringify(args)}` }] }),
    );
  }
  for (const p of spec.prompts ?? []) {
    server.registerPrompt(
      p.name,
      { description: `${p.name} of ${spec.name}`, argsSchema: { [p.arg]: completable(z.string(), (v) => p.values.filter((x) => x.startsWith(v ?? ""))) } },
      (args) => ({ messages: [{ role: "user", content: { type: "text", text: `${spec.name}/${p.name} ${JSON.stringify(args)}` } }] }),
    );
  }
  for (const r of spec.resources ?? []) {
    server.registerResource(r.name, r.uri, { mimeType: "text/plain" }, async (uri) => ({ contents: [{ uri: uri.href, mimeType: "text/plain", text: `${spec.name} ${r.name}` }] }));
  }
  for (const t of spec.templates ?? []) {
    server.registerResource(
      t.name,
      new ResourceTemplate(t.uriTemplate, { list: undefined, complete: { [t.variable]: (v) => t.values.filter((x) => x.startsWith(v)) } }),
      { mimeType: "text/plain" },
      async (uri, vars) => ({ contents: [{ uri: uri.href, mimeType: "text/plain", text: `${spec.name} ${t.name} ${JSON.stringify(vars)}` }] }),
    );
  }
  return server;
}

export function serveSynthetic(spec: SyntheticBackendSpec): Promise<McpHttpServer> {
  return serveMcpOverHttp(() => syntheticServer(spec));
}
