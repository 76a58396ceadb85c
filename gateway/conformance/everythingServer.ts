/**
 * A conformance backend of our own: an MCP server over Streamable HTTP that provides the tools,
 * prompts and resources the official conformance suite's server scenarios call by fixed name
 * (`@modelcontextprotocol/conformance` 0.1.13). Written from the suite's checks, not from its
 * reference server. Used to check that the gateway is transparent: the same scenarios must pass
 * against this server directly and through the gateway.
 *
 * Run alone: `PORT=3002 node --import tsx gateway/conformance/everythingServer.ts` (127.0.0.1, `/mcp`).
 */
import { randomUUID } from "node:crypto";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import type { EventStore } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import {
  CallToolRequestSchema,
  CompleteRequestSchema,
  CreateMessageResultSchema,
  ElicitResultSchema,
  ErrorCode,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  McpError,
  ReadResourceRequestSchema,
  SetLevelRequestSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
  type CallToolResult,
  type JSONRPCMessage,
  type LoggingLevel,
  type ServerNotification,
  type ServerRequest,
  type Tool,
} from "@modelcontextprotocol/sdk/types.js";
import type { RequestHandlerExtra } from "@modelcontextprotocol/sdk/shared/protocol.js";

type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

/** A 1×1 red PNG. */
export const RED_PIXEL_PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==";

/** A short silent mono 8 kHz 16-bit PCM WAV file, base64. */
export function silentWav(samples = 800): string {
  const data = Buffer.alloc(samples * 2);
  const h = Buffer.alloc(44);
  h.write("RIFF", 0);
  h.writeUInt32LE(36 + data.length, 4);
  h.write("WAVE", 8);
  h.write("fmt ", 12);
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20); // PCM
  h.writeUInt16LE(1, 22); // mono
  h.writeUInt32LE(8000, 24);
  h.writeUInt32LE(16000, 28);
  h.writeUInt16LE(2, 32);
  h.writeUInt16LE(16, 34);
  h.write("data", 36);
  h.writeUInt32LE(data.length, 40);
  return Buffer.concat([h, data]).toString("base64");
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const noArgs = { type: "object" as const, properties: {} };

export const TOOLS: Tool[] = [
  { name: "test_simple_text", description: "Returns a simple text result", inputSchema: noArgs },
  { name: "test_image_content", description: "Returns an image (PNG)", inputSchema: noArgs },
  { name: "test_audio_content", description: "Returns audio (WAV)", inputSchema: noArgs },
  { name: "test_embedded_resource", description: "Returns an embedded text resource", inputSchema: noArgs },
  { name: "test_multiple_content_types", description: "Returns text, an image and an embedded resource", inputSchema: noArgs },
  { name: "test_tool_with_logging", description: "Sends three info log messages while it runs", inputSchema: noArgs },
  { name: "test_tool_with_progress", description: "Reports progress 0, 50 and 100 of 100", inputSchema: noArgs },
  { name: "test_error_handling", description: "Always fails with a tool error (isError)", inputSchema: noArgs },
  {
    name: "test_sampling",
    description: "Asks the client's model to answer a prompt (sampling/createMessage)",
    inputSchema: { type: "object", properties: { prompt: { type: "string", description: "The prompt to send" } }, required: ["prompt"] },
  },
  {
    name: "test_elicitation",
    description: "Asks the user for a user name and e-mail (elicitation/create)",
    inputSchema: { type: "object", properties: { message: { type: "string", description: "The message to show the user" } }, required: ["message"] },
  },
  { name: "test_elicitation_sep1034_defaults", description: "Elicitation whose fields all have defaults (SEP-1034)", inputSchema: noArgs },
  { name: "test_elicitation_sep1330_enums", description: "Elicitation with every enum form (SEP-1330)", inputSchema: noArgs },
  {
    name: "json_schema_2020_12_tool",
    description: "Tool whose input schema uses JSON Schema 2020-12 keywords",
    inputSchema: {
      $schema: "https://json-schema.org/draft/2020-12/schema",
      type: "object",
      $defs: { address: { type: "object", properties: { street: { type: "string" }, city: { type: "string" } } } },
      properties: { name: { type: "string" }, address: { $ref: "#/$defs/address" } },
      additionalProperties: false,
    } as Tool["inputSchema"],
  },
  { name: "test_reconnection", description: "Closes its SSE stream mid-call; the result arrives after the client reconnects", inputSchema: noArgs },
];

const PROMPTS = [
  { name: "test_simple_prompt", description: "A prompt without arguments" },
  {
    name: "test_prompt_with_arguments",
    description: "A prompt with two arguments",
    arguments: [
      { name: "arg1", description: "First argument", required: true },
      { name: "arg2", description: "Second argument", required: true },
    ],
  },
  {
    name: "test_prompt_with_embedded_resource",
    description: "A prompt that embeds a resource",
    arguments: [{ name: "resourceUri", description: "URI of the resource to embed", required: true }],
  },
  { name: "test_prompt_with_image", description: "A prompt with an image" },
];

const RESOURCES = [
  { uri: "test://static-text", name: "static-text", description: "A static text resource", mimeType: "text/plain" },
  { uri: "test://static-binary", name: "static-binary", description: "A static binary resource (PNG)", mimeType: "image/png" },
  { uri: "test://watched-resource", name: "watched-resource", description: "A resource to subscribe to", mimeType: "text/plain" },
];

const COMPLETIONS = ["paris", "park", "party", "test", "testing", "tested"];

const LEVELS: LoggingLevel[] = ["debug", "info", "notice", "warning", "error", "critical", "alert", "emergency"];

function text(t: string): CallToolResult {
  return { content: [{ type: "text", text: t }] };
}

/** One MCP server per session (the SDK's Server is one connection). */
function createMcpServer(): Server {
  const server = new Server(
    { name: "vmcp-okta-conformance-backend", version: "1.0.0" },
    { capabilities: { tools: {}, prompts: {}, resources: { subscribe: true }, logging: {}, completions: {} } },
  );
  let level: LoggingLevel = "info";
  const subscriptions = new Set<string>();

  const log = async (extra: Extra, lvl: LoggingLevel, data: string) => {
    if (LEVELS.indexOf(lvl) < LEVELS.indexOf(level)) return;
    await extra.sendNotification({ method: "notifications/message", params: { level: lvl, logger: "conformance-backend", data } });
  };

  server.setRequestHandler(SetLevelRequestSchema, async (req) => {
    level = req.params.level;
    return {};
  });

  server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: TOOLS }));

  server.setRequestHandler(CallToolRequestSchema, async (req, extra): Promise<CallToolResult> => {
    const args = (req.params.arguments ?? {}) as Record<string, unknown>;
    const caps = server.getClientCapabilities() ?? {};
    switch (req.params.name) {
      case "test_simple_text":
        return text("This is a simple text response for testing.");
      case "test_image_content":
        return { content: [{ type: "image", data: RED_PIXEL_PNG, mimeType: "image/png" }] };
      case "test_audio_content":
        return { content: [{ type: "audio", data: silentWav(), mimeType: "audio/wav" }] };
      case "test_embedded_resource":
        return { content: [{ type: "resource", resource: { uri: "test://embedded-resource", mimeType: "text/plain", text: "This is an embedded resource content." } }] };
      case "test_multiple_content_types":
        return {
          content: [
            { type: "text", text: "Multiple content types test:" },
            { type: "image", data: RED_PIXEL_PNG, mimeType: "image/png" },
            { type: "resource", resource: { uri: "test://mixed-content-resource", mimeType: "application/json", text: JSON.stringify({ test: "data", value: 123 }) } },
          ],
        };
      case "test_tool_with_logging":
        await log(extra, "info", "Tool execution started");
        await sleep(50);
        await log(extra, "info", "Tool processing data");
        await sleep(50);
        await log(extra, "info", "Tool execution completed");
        return text("Tool with logging executed successfully");
      case "test_tool_with_progress": {
        const token = req.params._meta?.progressToken;
        for (const progress of [0, 50, 100]) {
          if (token !== undefined) await extra.sendNotification({ method: "notifications/progress", params: { progressToken: token, progress, total: 100 } });
          if (progress < 100) await sleep(50);
        }
        return text("Tool with progress executed successfully");
      }
      case "test_error_handling":
        return { isError: true, content: [{ type: "text", text: "This tool intentionally returns an error for testing" }] };
      case "test_sampling": {
        if (!caps.sampling) return { isError: true, content: [{ type: "text", text: "The client does not support sampling" }] };
        const r = await extra.sendRequest(
          { method: "sampling/createMessage", params: { messages: [{ role: "user", content: { type: "text", text: String(args.prompt ?? "") } }], maxTokens: 100 } },
          CreateMessageResultSchema,
        );
        const content = r.content as { type: string; text?: string };
        return text(`LLM response: ${content.type === "text" ? content.text : JSON.stringify(content)}`);
      }
      case "test_elicitation": {
        if (!caps.elicitation) return { isError: true, content: [{ type: "text", text: "The client does not support elicitation" }] };
        const r = await extra.sendRequest(
          {
            method: "elicitation/create",
            params: {
              message: String(args.message ?? ""),
              requestedSchema: {
                type: "object",
                properties: {
                  username: { type: "string", description: "User's response" },
                  email: { type: "string", description: "User's email address" },
                },
                required: ["username", "email"],
              },
            },
          },
          ElicitResultSchema,
        );
        return text(`User response: action=${r.action}, content=${JSON.stringify(r.content ?? {})}`);
      }
      case "test_elicitation_sep1034_defaults": {
        if (!caps.elicitation) return { isError: true, content: [{ type: "text", text: "The client does not support elicitation" }] };
        const r = await extra.sendRequest(
          {
            method: "elicitation/create",
            params: {
              message: "Please review the defaults",
              requestedSchema: {
                type: "object",
                properties: {
                  name: { type: "string", description: "Name", default: "John Doe" },
                  age: { type: "integer", description: "Age", default: 30 },
                  score: { type: "number", description: "Score", default: 95.5 },
                  status: { type: "string", description: "Status", enum: ["active", "inactive", "pending"], default: "active" },
                  verified: { type: "boolean", description: "Verified", default: true },
                },
                required: [],
              },
            },
          },
          ElicitResultSchema,
        );
        return text(`Elicitation completed: action=${r.action}, content=${JSON.stringify(r.content ?? {})}`);
      }
      case "test_elicitation_sep1330_enums": {
        if (!caps.elicitation) return { isError: true, content: [{ type: "text", text: "The client does not support elicitation" }] };
        const requestedSchema = {
          type: "object",
          properties: {
            untitledSingle: { type: "string", description: "Untitled single choice", enum: ["option1", "option2", "option3"] },
            titledSingle: {
              type: "string",
              description: "Titled single choice",
              oneOf: [
                { const: "value1", title: "First Option" },
                { const: "value2", title: "Second Option" },
                { const: "value3", title: "Third Option" },
              ],
            },
            legacyEnum: { type: "string", description: "Legacy titled choice", enum: ["opt1", "opt2", "opt3"], enumNames: ["Option One", "Option Two", "Option Three"] },
            untitledMulti: { type: "array", description: "Untitled multiple choice", items: { type: "string", enum: ["option1", "option2", "option3"] } },
            titledMulti: {
              type: "array",
              description: "Titled multiple choice",
              items: {
                anyOf: [
                  { const: "value1", title: "First Choice" },
                  { const: "value2", title: "Second Choice" },
                  { const: "value3", title: "Third Choice" },
                ],
              },
            },
          },
          required: [],
        };
        const r = await extra.sendRequest(
          // The SDK's request type lags SEP-1330's schema forms; the wire format is what is checked.
          { method: "elicitation/create", params: { message: "Please choose", requestedSchema } } as unknown as ServerRequest,
          ElicitResultSchema,
        );
        return text(`Elicitation completed: action=${r.action}, content=${JSON.stringify(r.content ?? {})}`);
      }
      case "json_schema_2020_12_tool":
        return text(`Received: ${JSON.stringify(args)}`);
      case "test_reconnection":
        // SEP-1699: close the POST stream before answering; the client resumes with Last-Event-ID
        // and the answer is replayed from the event store.
        extra.closeSSEStream?.();
        await sleep(100);
        return text("Reconnection test completed successfully");
      default:
        throw new McpError(ErrorCode.InvalidParams, `Unknown tool: ${req.params.name}`);
    }
  });

  server.setRequestHandler(ListPromptsRequestSchema, async () => ({ prompts: PROMPTS }));
  server.setRequestHandler(GetPromptRequestSchema, async (req) => {
    const a = req.params.arguments ?? {};
    switch (req.params.name) {
      case "test_simple_prompt":
        return { messages: [{ role: "user", content: { type: "text", text: "This is a simple prompt for testing." } }] };
      case "test_prompt_with_arguments":
        if (a.arg1 === undefined || a.arg2 === undefined) throw new McpError(ErrorCode.InvalidParams, "arg1 and arg2 are required");
        return { messages: [{ role: "user", content: { type: "text", text: `Prompt with arguments: arg1='${a.arg1}', arg2='${a.arg2}'` } }] };
      case "test_prompt_with_embedded_resource":
        if (!a.resourceUri) throw new McpError(ErrorCode.InvalidParams, "resourceUri is required");
        return {
          messages: [
            { role: "user", content: { type: "resource", resource: { uri: a.resourceUri, mimeType: "text/plain", text: "Embedded resource content for testing." } } },
            { role: "user", content: { type: "text", text: "Please process the embedded resource above." } },
          ],
        };
      case "test_prompt_with_image":
        return {
          messages: [
            { role: "user", content: { type: "image", data: RED_PIXEL_PNG, mimeType: "image/png" } },
            { role: "user", content: { type: "text", text: "Please analyze the image above." } },
          ],
        };
      default:
        throw new McpError(ErrorCode.InvalidParams, `Unknown prompt: ${req.params.name}`);
    }
  });

  server.setRequestHandler(CompleteRequestSchema, async (req) => {
    const ref = req.params.ref;
    if (ref.type === "ref/prompt" && ref.name === "test_prompt_with_arguments") {
      const prefix = req.params.argument.value.toLowerCase();
      const values = COMPLETIONS.filter((v) => v.startsWith(prefix));
      return { completion: { values, total: values.length, hasMore: false } };
    }
    return { completion: { values: [], total: 0, hasMore: false } };
  });

  server.setRequestHandler(ListResourcesRequestSchema, async () => ({ resources: RESOURCES }));
  server.setRequestHandler(ListResourceTemplatesRequestSchema, async () => ({
    resourceTemplates: [{ uriTemplate: "test://template/{id}/data", name: "template-data", description: "Data for an id", mimeType: "application/json" }],
  }));
  server.setRequestHandler(ReadResourceRequestSchema, async (req) => {
    const uri = req.params.uri;
    if (uri === "test://static-text") return { contents: [{ uri, mimeType: "text/plain", text: "This is the content of the static text resource." }] };
    if (uri === "test://static-binary") return { contents: [{ uri, mimeType: "image/png", blob: RED_PIXEL_PNG }] };
    if (uri === "test://watched-resource") return { contents: [{ uri, mimeType: "text/plain", text: `Watched resource, read at ${new Date().toISOString()}` }] };
    const m = /^test:\/\/template\/([^/]+)\/data$/.exec(uri);
    if (m) {
      const id = decodeURIComponent(m[1]);
      return { contents: [{ uri, mimeType: "application/json", text: JSON.stringify({ id, templateTest: true, data: `Data for ID: ${id}` }) }] };
    }
    throw new McpError(ErrorCode.InvalidParams, `Resource not found: ${uri}`);
  });
  server.setRequestHandler(SubscribeRequestSchema, async (req) => {
    subscriptions.add(req.params.uri);
    return {};
  });
  server.setRequestHandler(UnsubscribeRequestSchema, async (req) => {
    subscriptions.delete(req.params.uri);
    return {};
  });
  return server;
}

/** Minimal in-memory event store, so streams can be resumed with Last-Event-ID (SEP-1699). */
class MemoryEventStore implements EventStore {
  private events: Array<{ id: string; streamId: string; message: JSONRPCMessage }> = [];
  private seq = 0;
  async storeEvent(streamId: string, message: JSONRPCMessage): Promise<string> {
    const id = `${streamId}_${++this.seq}`;
    this.events.push({ id, streamId, message });
    if (this.events.length > 1000) this.events.splice(0, this.events.length - 1000);
    return id;
  }
  async getStreamIdForEventId(eventId: string): Promise<string | undefined> {
    return this.events.find((e) => e.id === eventId)?.streamId;
  }
  async replayEventsAfter(lastEventId: string, { send }: { send: (eventId: string, message: JSONRPCMessage) => Promise<void> }): Promise<string> {
    const i = this.events.findIndex((e) => e.id === lastEventId);
    if (i < 0) return "";
    const streamId = this.events[i].streamId;
    for (const e of this.events.slice(i + 1)) if (e.streamId === streamId) await send(e.id, e.message);
    return streamId;
  }
}

export interface EverythingServer {
  url: string;
  close(): Promise<void>;
}

function localHost(hostHeader: string | undefined): boolean {
  if (!hostHeader) return false;
  const host = hostHeader.replace(/:\d+$/, "").toLowerCase();
  return host === "localhost" || host === "127.0.0.1" || host === "[::1]";
}

/** Starts the conformance backend on `host:port` (default 127.0.0.1, any free port); MCP at `/mcp`. */
export async function startEverythingServer(opts: { host?: string; port?: number } = {}): Promise<EverythingServer> {
  const sessions = new Map<string, { transport: StreamableHTTPServerTransport; server: Server }>();

  const httpServer = http.createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? "/", "http://localhost");
      if (url.pathname !== "/mcp") {
        res.writeHead(404).end();
        return;
      }
      // DNS-rebinding protection: a localhost server answers only to localhost names.
      const origin = req.headers.origin;
      let originHost: string | undefined;
      try {
        originHost = origin ? new URL(origin).host : undefined;
      } catch {
        originHost = "invalid";
      }
      if (!localHost(req.headers.host) || (originHost !== undefined && !localHost(originHost))) {
        res.writeHead(403, { "content-type": "application/json" }).end(JSON.stringify({ jsonrpc: "2.0", error: { code: -32000, message: "Forbidden: invalid Host or Origin" }, id: null }));
        return;
      }
      const sid = req.headers["mcp-session-id"];
      const existing = typeof sid === "string" ? sessions.get(sid) : undefined;
      if (existing) {
        await existing.transport.handleRequest(req, res);
        return;
      }
      if (req.method !== "POST" || sid !== undefined) {
        res.writeHead(sid === undefined ? 400 : 404, { "content-type": "application/json" });
        res.end(JSON.stringify({ jsonrpc: "2.0", error: { code: -32000, message: sid === undefined ? "Bad Request: no session" : "Session not found" }, id: null }));
        return;
      }
      const server = createMcpServer();
      const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        eventStore: new MemoryEventStore(),
        retryInterval: 200,
        onsessioninitialized: (id) => {
          sessions.set(id, { transport, server });
        },
      });
      transport.onclose = () => {
        if (transport.sessionId) sessions.delete(transport.sessionId);
      };
      await server.connect(transport);
      await transport.handleRequest(req, res);
    } catch (e) {
      if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" }).end(JSON.stringify({ jsonrpc: "2.0", error: { code: -32603, message: (e as Error).message }, id: null }));
    }
  });
  await new Promise<void>((resolve, reject) => {
    httpServer.once("error", reject);
    httpServer.listen(opts.port ?? 0, opts.host ?? "127.0.0.1", () => resolve());
  });
  const { port } = httpServer.address() as AddressInfo;
  return {
    url: `http://localhost:${port}/mcp`,
    async close() {
      for (const { transport, server } of sessions.values()) {
        await transport.close().catch(() => {});
        await server.close().catch(() => {});
      }
      sessions.clear();
      await new Promise<void>((resolve) => {
        httpServer.close(() => resolve());
        httpServer.closeAllConnections();
      });
    },
  };
}

if (require.main === module) {
  startEverythingServer({ port: Number(process.env.PORT ?? 3002) }).then((s) => {
    process.stdout.write(`conformance backend at ${s.url}\n`);
    const stop = () => void s.close().then(() => process.exit(0));
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
}
