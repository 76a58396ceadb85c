/**
 * Serves an SDK `McpServer` over Streamable HTTP at `/mcp` (stateful sessions, one server instance
 * per session, as the SDK's examples do), for the demo and test backends.
 */
import * as http from "node:http";
import { randomUUID } from "node:crypto";
import type { AddressInfo } from "node:net";
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
// demoBackend imports this module too; demoServer is only called after both have loaded.
import { demoServer, type Profile } from "./demoBackend";

export interface McpHttpServer {
  url: string;
  close(): Promise<void>;
}

export interface McpHttpOptions {
  host?: string;
  port?: number;
  /** Sees every parsed POST body (for test statistics). */
  onMessage?(body: unknown): void;
}

export async function serveMcpOverHttp(newServer: () => McpServer, opts: McpHttpOptions = {}): Promise<McpHttpServer> {
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  const httpServer = http.createServer(async (req, res) => {
    try {
      let body: unknown;
      if (req.method === "POST") {
        const chunks: Buffer[] = [];
        for await (const c of req) chunks.push(c as Buffer);
        body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
        opts.onMessage?.(body);
      }
      const sid = req.headers["mcp-session-id"];
      let transport = typeof sid === "string" ? sessions.get(sid) : undefined;
      if (!transport) {
        if (req.method !== "POST" || (body as { method?: string }).method !== "initialize") {
          res.writeHead(typeof sid === "string" ? 404 : 400, { "content-type": "application/json" });
          res.end(JSON.stringify({ jsonrpc: "2.0", id: null, error: { code: -32000, message: "no session" } }));
          return;
        }
        const t = new StreamableHTTPServerTransport({ sessionIdGenerator: randomUUID, onsessioninitialized: (id) => void sessions.set(id, t) });
        t.onclose = () => {
          if (t.sessionId) sessions.delete(t.sessionId);
        };
        await newServer().connect(t);
        transport = t;
      }
      await transport.handleRequest(req, res, body);
    } catch (e) {
      if (!res.headersSent) res.writeHead(500).end(String(e));
    }
  });
  await new Promise<void>((resolve) => httpServer.listen(opts.port ?? 0, opts.host ?? "127.0.0.1", resolve));
  const { port } = httpServer.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    close: async () => {
      for (const t of sessions.values()) await t.close().catch(() => {});
      httpServer.closeAllConnections();
      await new Promise<void>((resolve) => httpServer.close(() => resolve()));
    },
  };
}

/** A demo backend profile (gateway/demo/demoBackend.ts) over Streamable HTTP. */
export async function serveDemoHttp(profile: Profile, opts: McpHttpOptions = {}): Promise<McpHttpServer> {
  return serveMcpOverHttp(() => demoServer(profile), opts);
}
