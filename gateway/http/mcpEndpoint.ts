/**
 * The Streamable HTTP endpoint (`/mcp`) on the gateway side, written lean for the hot path: POST
 * (one JSON-RPC message, parsed once by mcp/request.ts; batches are refused like ToolHive does),
 * GET (the session's standalone SSE stream) and DELETE (end the session). Runs after the
 * Host/Origin check and authentication.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { performance } from "node:perf_hooks";
import { SUPPORTED_PROTOCOL_VERSIONS } from "@modelcontextprotocol/sdk/types.js";
import { BodyTimeoutError, BodyTooLargeError, readBody } from "./body";
import { PostReply, SseStream, sendJson } from "./replies";
import { rpcError, RpcCode } from "../mcp/jsonrpc";
import { parseMessage } from "../mcp/request";
import type { Identity, Router } from "../mcp/router";
import type { Session } from "../mcp/session";
import { SessionStorageError } from "../mcp/sharedSessions";
import { methodLabel, type GatewayMetrics } from "../ops/metrics";

export interface EndpointOptions {
  router: Router;
  metrics: GatewayMetrics;
  maxBodyBytes: number;
  /** How long a POST body may take to arrive once the request is authenticated. */
  bodyTimeoutMs: number;
  sseKeepAliveMs: number;
}

function accepts(req: IncomingMessage): { json: boolean; sse: boolean } {
  const a = String(req.headers.accept ?? "");
  if (a === "" || a.includes("*/*")) return { json: true, sse: true };
  return { json: a.includes("application/json"), sse: a.includes("text/event-stream") };
}

export class McpEndpoint {
  constructor(private readonly o: EndpointOptions) {}

  async handle(req: IncomingMessage, res: ServerResponse, identity: Identity): Promise<void> {
    try {
      await this.route(req, res, identity);
    } catch (e) {
      // Shared session storage down: a clear, retryable answer (the error's text goes to the log only).
      if (!(e instanceof SessionStorageError)) throw e;
      this.o.router.log({ level: "error", msg: "session.storage_unavailable", error: e.message });
      if (!res.headersSent) sendJson(res, 503, rpcError(null, RpcCode.InternalError, "Service Unavailable: session storage is unreachable; retry shortly"), { "retry-after": "1" });
      else res.destroy();
    }
  }

  private async route(req: IncomingMessage, res: ServerResponse, identity: Identity): Promise<void> {
    switch (req.method) {
      case "POST":
        return this.post(req, res, identity);
      case "GET":
        return this.get(req, res, identity);
      case "DELETE":
        return this.delete(req, res, identity);
      default:
        res.writeHead(405, { allow: "GET, POST, DELETE" }).end();
    }
  }

  private async session(req: IncomingMessage, res: ServerResponse, identity: Identity): Promise<Session | undefined> {
    const sid = req.headers["mcp-session-id"];
    if (typeof sid !== "string" || sid === "") {
      sendJson(res, 400, rpcError(null, RpcCode.ConnectionClosed, "Bad Request: Mcp-Session-Id header is required"));
      return undefined;
    }
    // A session belongs to the subject that opened it; anyone else is told it does not exist.
    const session = await this.o.router.findSession(sid, String(identity.claims.sub));
    if (!session) {
      sendJson(res, 404, rpcError(null, RpcCode.RequestTimeout, "Session not found"));
      return undefined;
    }
    const version = req.headers["mcp-protocol-version"];
    if (typeof version === "string" && !SUPPORTED_PROTOCOL_VERSIONS.includes(version)) {
      sendJson(res, 400, rpcError(null, RpcCode.ConnectionClosed, `Bad Request: Unsupported protocol version: ${version}`));
      return undefined;
    }
    session.lastSeen = Date.now();
    return session;
  }

  private async post(req: IncomingMessage, res: ServerResponse, identity: Identity): Promise<void> {
    const started = performance.now();
    let label = "none";
    res.on("finish", () => {
      this.o.metrics.countRequest(label, res.statusCode);
      this.o.metrics.observeDuration(label, (performance.now() - started) / 1000);
    });
    const acc = accepts(req);
    if (!acc.json && !acc.sse) {
      sendJson(res, 406, rpcError(null, RpcCode.ConnectionClosed, "Not Acceptable: Client must accept application/json or text/event-stream"));
      return;
    }
    if (!String(req.headers["content-type"] ?? "").includes("application/json")) {
      sendJson(res, 415, rpcError(null, RpcCode.ConnectionClosed, "Unsupported Media Type: Content-Type must be application/json"));
      return;
    }
    let text: string;
    try {
      text = await readBody(req, this.o.maxBodyBytes, this.o.bodyTimeoutMs);
    } catch (e) {
      if (e instanceof BodyTooLargeError) sendJson(res, 413, rpcError(null, RpcCode.InvalidRequest, e.message), { connection: "close" });
      else if (e instanceof BodyTimeoutError) {
        label = "timeout";
        sendJson(res, 408, rpcError(null, RpcCode.InvalidRequest, e.message), { connection: "close" });
        res.once("finish", () => req.socket.destroy());
      } else res.destroy();
      return;
    }
    // The one parse: everything below reads `msg`, never the body again.
    const msg = parseMessage(text);
    if (msg.type === "invalid") {
      label = methodLabel(msg.method);
      sendJson(res, msg.status, rpcError(msg.id, msg.code, msg.message));
      return;
    }
    if (msg.type !== "response") label = methodLabel(msg.method);

    if (msg.type === "request" && msg.body.kind === "initialize") {
      const opened = await this.o.router.openSession(identity, msg);
      if ("limited" in opened) {
        sendJson(res, 429, rpcError(msg.id, RpcCode.InvalidRequest, `Too many sessions: ${opened.open} are open for this user (the limit); close one (DELETE /mcp) or wait for an idle one to expire`), {
          "retry-after": String(opened.retryAfterSec),
        });
        return;
      }
      sendJson(res, 200, opened.answer, { "mcp-session-id": opened.session.id });
      return;
    }
    const session = await this.session(req, res, identity);
    if (!session) return;

    if (msg.type === "request") {
      const reply = new PostReply(res, acc.sse, !acc.json);
      await this.o.router.handleRequest(session, identity, msg, reply);
      return;
    }
    if (msg.type === "notification") {
      const status = this.o.router.handleNotification(session, identity, msg);
      if (status === 202) res.writeHead(202).end();
      else sendJson(res, status, { jsonrpc: "2.0", error: { code: status, message: "Unauthorized" } });
      return;
    }
    this.o.router.handleResponse(session, msg);
    res.writeHead(202).end();
  }

  private async get(req: IncomingMessage, res: ServerResponse, identity: Identity): Promise<void> {
    if (!accepts(req).sse) {
      sendJson(res, 406, rpcError(null, RpcCode.ConnectionClosed, "Not Acceptable: Client must accept text/event-stream"));
      return;
    }
    const session = await this.session(req, res, identity);
    if (!session) return;
    if (session.stream?.open) {
      sendJson(res, 409, rpcError(null, RpcCode.ConnectionClosed, "Conflict: Only one SSE stream is allowed per session"));
      return;
    }
    this.o.metrics.countRequest("stream", 200);
    const stream = new SseStream(res, this.o.sseKeepAliveMs, () => {
      if (session.stream === stream) session.stream = undefined;
    });
    session.stream = stream;
  }

  private async delete(req: IncomingMessage, res: ServerResponse, identity: Identity): Promise<void> {
    const session = await this.session(req, res, identity);
    if (!session) return;
    await this.o.router.deleteSession(session, "deleted by the client");
    res.writeHead(200).end();
  }
}
