/**
 * A small MCP server for the gateway's tests and benchmark, over stdio or Streamable HTTP (the SDK's
 * McpServer either way). Tools:
 *   echo {text}            returns the text (the benchmark's call)
 *   slow {ms, steps}       sends `steps` progress notifications over `ms`, honours cancellation
 *   log {level, message}   sends a log notification, then answers
 *   sample {prompt}        asks the client for a sampling/createMessage and returns its text
 *   elicit {message}       asks the client for elicitation/create and returns the action
 *   roots                  asks the client for roots/list
 *   touch {uri}            sends notifications/resources/updated for a subscribed URI
 *   crash                  (stdio only) exits the process in the middle of the call
 * plus a prompt `greeting`, a resource `echo://static` and a template `echo://items/{id}`.
 *
 *   node --import tsx gateway/demo/echoBackend.ts --stdio
 *   node --import tsx gateway/demo/echoBackend.ts --http [port]     prints the URL on stdout
 */
import { McpServer, ResourceTemplate } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { completable } from "@modelcontextprotocol/sdk/server/completable.js";
import { CreateMessageResultSchema, ElicitResultSchema, ListRootsResultSchema, SubscribeRequestSchema, UnsubscribeRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { serveMcpOverHttp } from "./httpServe";
import { recordReceived } from "./recorder";
import * as z from "zod/v4"; // zod/v4: the SDK's registerTool types take minutes to check with zod v3 schemas

export interface EchoStats {
  /** HTTP POSTs received (HTTP mode). */
  posts: number;
  /** JSON-RPC methods received, by name. */
  methods: Record<string, number>;
  /** Every JSON-RPC message received, in order (HTTP mode; stdio records with VMCP_DEMO_RECORD). */
  received: Record<string, unknown>[];
}

export function echoServer(opts: { allowCrash: boolean; name?: string }): McpServer {
  const server = new McpServer({ name: opts.name ?? "echo", version: "1.0.0" }, { capabilities: { logging: {} } });
  const subscribed = new Set<string>();
  server.server.registerCapabilities({ resources: { subscribe: true, listChanged: true } });
  server.server.setRequestHandler(SubscribeRequestSchema, async (r) => {
    subscribed.add(r.params.uri);
    return {};
  });
  server.server.setRequestHandler(UnsubscribeRequestSchema, async (r) => {
    subscribed.delete(r.params.uri);
    return {};
  });

  server.registerTool("echo", { description: "Echo the text", inputSchema: { text: z.string() }, annotations: { readOnlyHint: true } }, async ({ text }) => ({
    content: [{ type: "text", text }],
  }));

  server.registerTool(
    "slow",
    { description: "Take a while, reporting progress", inputSchema: { ms: z.number().int().min(0), steps: z.number().int().min(1).optional() } },
    async ({ ms, steps }, extra) => {
      const n = steps ?? 1;
      const token = extra._meta?.progressToken;
      for (let i = 1; i <= n; i++) {
        await new Promise<void>((resolve, reject) => {
          const t = setTimeout(resolve, ms / n);
          extra.signal.addEventListener("abort", () => {
            clearTimeout(t);
            reject(new Error("cancelled"));
          });
        });
        if (token !== undefined) await extra.sendNotification({ method: "notifications/progress", params: { progressToken: token, progress: i, total: n } });
      }
      return { content: [{ type: "text", text: `slept ${ms} ms` }] };
    },
  );

  server.registerTool(
    "log",
    { description: "Send a log message", inputSchema: { level: z.enum(["debug", "info", "warning", "error"]).optional(), message: z.string() } },
    async ({ level, message }, extra) => {
      await extra.sendNotification({ method: "notifications/message", params: { level: level ?? "info", logger: "echo", data: message } });
      return { content: [{ type: "text", text: "logged" }] };
    },
  );

  server.registerTool("sample", { description: "Ask the client's model", inputSchema: { prompt: z.string() } }, async ({ prompt }, extra) => {
    const r = await extra.sendRequest(
      { method: "sampling/createMessage", params: { messages: [{ role: "user", content: { type: "text", text: prompt } }], maxTokens: 50 } },
      CreateMessageResultSchema,
    );
    return { content: [{ type: "text", text: r.content.type === "text" ? r.content.text : "(not text)" }] };
  });

  server.registerTool("elicit", { description: "Ask the user", inputSchema: { message: z.string() } }, async ({ message }, extra) => {
    const r = await extra.sendRequest(
      { method: "elicitation/create", params: { message, requestedSchema: { type: "object", properties: { answer: { type: "string" } } } } },
      ElicitResultSchema,
    );
    return { content: [{ type: "text", text: JSON.stringify(r) }] };
  });

  server.registerTool("roots", { description: "List the client's roots" }, async (extra) => {
    const r = await extra.sendRequest({ method: "roots/list" }, ListRootsResultSchema);
    return { content: [{ type: "text", text: JSON.stringify(r.roots) }] };
  });

  server.registerTool("touch", { description: "Report a resource as updated", inputSchema: { uri: z.string() } }, async ({ uri }) => {
    if (subscribed.has(uri)) await server.server.sendResourceUpdated({ uri });
    return { content: [{ type: "text", text: subscribed.has(uri) ? "notified" : "not subscribed" }] };
  });

  if (opts.allowCrash) {
    server.registerTool("crash", { description: "Exit the process in the middle of the call" }, async (extra) => {
      const token = extra._meta?.progressToken;
      if (token !== undefined) await extra.sendNotification({ method: "notifications/progress", params: { progressToken: token, progress: 1, total: 2 } });
      setTimeout(() => process.exit(3), 20);
      return new Promise(() => {});
    });
  }

  server.registerPrompt("greeting", { description: "Greet someone", argsSchema: { name: completable(z.string(), (v) => ["alice", "bob", "carol"].filter((n) => n.startsWith(v))) } }, ({ name }) => ({
    messages: [{ role: "user", content: { type: "text", text: `Say hello to ${name}` } }],
  }));
  server.registerResource("static", "echo://static", { mimeType: "text/plain" }, async (uri) => ({ contents: [{ uri: uri.href, mimeType: "text/plain", text: "static content" }] }));
  server.registerResource(
    "item",
    new ResourceTemplate("echo://items/{id}", { list: undefined, complete: { id: (v) => ["1", "2", "3"].filter((x) => x.startsWith(v)) } }),
    { mimeType: "text/plain" },
    async (uri, vars) => ({ contents: [{ uri: uri.href, mimeType: "text/plain", text: `item ${vars.id}` }] }),
  );
  return server;
}

export interface EchoHttpBackend {
  url: string;
  stats: EchoStats;
  close(): Promise<void>;
}

/** Runs the echo server over Streamable HTTP (stateful sessions, one McpServer per session). */
export async function startEchoHttpBackend(opts: { host?: string; port?: number } = {}): Promise<EchoHttpBackend> {
  const stats: EchoStats = { posts: 0, methods: {}, received: [] };
  const served = await serveMcpOverHttp(() => echoServer({ allowCrash: false }), {
    ...opts,
    onMessage: (body) => {
      stats.posts++;
      if (body && typeof body === "object") stats.received.push(body as Record<string, unknown>);
      const method = (body as { method?: string }).method;
      if (method) stats.methods[method] = (stats.methods[method] ?? 0) + 1;
    },
  });
  return { url: served.url, stats, close: served.close };
}

async function main(): Promise<void> {
  const mode = process.argv[2];
  if (mode === "--stdio") {
    const transport = new StdioServerTransport();
    await echoServer({ allowCrash: true }).connect(transport);
    recordReceived(transport);
    process.stdin.on("end", () => process.exit(0));
    return;
  }
  if (mode === "--http") {
    const b = await startEchoHttpBackend({ port: Number(process.argv[3] ?? 0) });
    process.stdout.write(b.url + "\n");
    process.on("SIGTERM", () => void b.close().then(() => process.exit(0)));
    return;
  }
  process.stderr.write("usage: echoBackend.ts --stdio | --http [port]\n");
  process.exit(2);
}

if (require.main === module) {
  main().catch((e) => {
    process.stderr.write(`echo backend failed: ${(e as Error).message}\n`);
    process.exit(1);
  });
}
