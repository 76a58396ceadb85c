/**
 * A Streamable HTTP backend, spoken with node:http and a keep-alive agent rather than the SDK's
 * fetch-based client transport: this is the gateway's hot path, and the channel must know which
 * POST stream carried which message (the SDK transport hides that). SSE is parsed with
 * `eventsource-parser` (the parser the SDK itself uses).
 *
 * Handles: session id capture, the protocol version header, JSON or SSE answers, resuming a POST
 * stream that ends early (GET with Last-Event-ID), the standalone GET stream (reconnected with
 * backoff), session expiry (404) and DELETE on close.
 */
import * as http from "node:http";
import * as https from "node:https";
import { createParser } from "eventsource-parser";
import type { BackendChannel, ChannelHandlers } from "./channel";
import { messageKind, rpcError, RpcCode, type RequestId, type RpcMessage } from "../mcp/jsonrpc";

export interface HttpLaunch {
  url: string;
  /** Extra headers sent with every request (e.g. a static credential for the backend). */
  headers?: Record<string, string>;
}

const MAX_RESUMES = 3;
const MAX_ERROR_BODY = 64 * 1024;

export class HttpChannel implements BackendChannel {
  readonly kind = "http" as const;
  private readonly url: URL;
  private readonly lib: typeof http | typeof https;
  private readonly agent: http.Agent;
  private handlers?: ChannelHandlers;
  private sessionId?: string;
  private protocolVersion?: string;
  private closed = false;
  private readonly live = new Set<http.ClientRequest>();
  private standalone?: http.ClientRequest;
  private standaloneDelayMs = 500;
  private standaloneTimer?: NodeJS.Timeout;
  private postBase?: http.OutgoingHttpHeaders;
  private postBaseFor?: string;

  constructor(private readonly launch: HttpLaunch) {
    this.url = new URL(launch.url);
    this.lib = this.url.protocol === "https:" ? https : http;
    this.agent = new this.lib.Agent({ keepAlive: true, keepAliveMsecs: 1_000, scheduling: "lifo", noDelay: true } as http.AgentOptions);
  }

  async start(handlers: ChannelHandlers): Promise<void> {
    this.handlers = handlers;
  }

  initialized(protocolVersion: string): void {
    this.protocolVersion = protocolVersion;
    this.postBase = undefined;
    this.openStandalone();
  }

  private headers(extra: Record<string, string | number>): http.OutgoingHttpHeaders {
    const h: http.OutgoingHttpHeaders = { ...this.launch.headers, ...extra };
    if (this.sessionId) h["mcp-session-id"] = this.sessionId;
    if (this.protocolVersion) h["mcp-protocol-version"] = this.protocolVersion;
    return h;
  }

  /** Headers of a POST (built once per session: this runs on every forwarded call). */
  private postHeaders(contentLength: number): http.OutgoingHttpHeaders {
    if (!this.postBase || this.postBaseFor !== this.sessionId) {
      this.postBase = this.headers({ "content-type": "application/json", accept: "application/json, text/event-stream" });
      this.postBaseFor = this.sessionId;
    }
    return { ...this.postBase, "content-length": contentLength };
  }

  private request(method: string, headers: http.OutgoingHttpHeaders, onResponse: (res: http.IncomingMessage) => void): http.ClientRequest {
    const req = this.lib.request(
      { protocol: this.url.protocol, hostname: this.url.hostname, port: this.url.port, path: this.url.pathname + this.url.search, method, headers, agent: this.agent },
      onResponse,
    );
    this.live.add(req);
    req.on("close", () => this.live.delete(req));
    return req;
  }

  private deliver(msg: RpcMessage, relatedTo?: RequestId): void {
    if (!this.closed) this.handlers?.onMessage(msg, relatedTo);
  }

  private failRequest(id: RequestId | undefined, message: string): void {
    if (id !== undefined) this.deliver(rpcError(id, RpcCode.InternalError, message), id);
  }

  private lost(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.stopAll();
    this.handlers?.onClose(reason);
  }

  send(msg: RpcMessage): Promise<void> {
    if (this.closed) return Promise.reject(new Error("backend connection is closed"));
    const body = JSON.stringify(msg);
    const requestId = messageKind(msg) === "request" ? (msg as { id: RequestId }).id : undefined;
    const isInitialize = (msg as { method?: string }).method === "initialize";
    const attempt = (mayRetry: boolean) => {
      const req = this.request(
        "POST",
        this.postHeaders(Buffer.byteLength(body)),
        (res) => {
          if (isInitialize) {
            const sid = res.headers["mcp-session-id"];
            if (typeof sid === "string" && sid) this.sessionId = sid;
          }
          this.readAnswer(res, requestId, isInitialize, 0);
        },
      );
      req.on("error", (e) => {
        const code = (e as NodeJS.ErrnoException).code;
        // A kept-alive socket the server had just closed: the request never reached it (Node docs' advice).
        if (mayRetry && req.reusedSocket && code === "ECONNRESET") return attempt(false);
        // An error code (ECONNREFUSED…) names the failure; an exception's own text is not passed on.
        this.failRequest(requestId, `backend unreachable: ${code ?? "connection error"}`);
        if (isConnectionFailure(e)) this.lost(`backend unreachable: ${code ?? "connection error"}`);
      });
      req.end(body);
    };
    attempt(true);
    return Promise.resolve();
  }

  private readAnswer(res: http.IncomingMessage, requestId: RequestId | undefined, isInitialize: boolean, resumes: number): void {
    const status = res.statusCode ?? 0;
    if (status === 202 || status === 204) {
      res.resume();
      if (requestId !== undefined) this.failRequest(requestId, "backend accepted the request without answering it");
      return;
    }
    if (status === 404 && this.sessionId && !isInitialize) {
      res.resume();
      this.failRequest(requestId, "backend session expired");
      this.lost("backend session expired");
      return;
    }
    const type = String(res.headers["content-type"] ?? "");
    if (status === 200 && type.startsWith("text/event-stream")) {
      this.readSse(res, requestId, resumes);
      return;
    }
    collect(res, status === 200 ? Infinity : MAX_ERROR_BODY, (text) => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        this.failRequest(requestId, status === 200 ? "backend answered with invalid JSON" : `backend answered HTTP ${status}`);
        return;
      }
      const messages = Array.isArray(parsed) ? parsed : [parsed];
      let answered = false;
      for (const m of messages) {
        if (messageKind(m) === "invalid") continue;
        if ((m as { id?: unknown }).id === requestId && !("method" in (m as object))) answered = true;
        this.deliver(m as RpcMessage, requestId);
      }
      if (!answered) this.failRequest(requestId, status === 200 ? "backend answer did not contain the response" : `backend answered HTTP ${status}`);
    });
  }

  private readSse(res: http.IncomingMessage, requestId: RequestId | undefined, resumes: number): void {
    let lastEventId: string | undefined;
    let answered = false;
    const parser = createParser({
      onEvent: (ev) => {
        if (ev.id) lastEventId = ev.id;
        if (!ev.data || (ev.event && ev.event !== "message")) return;
        let m: unknown;
        try {
          m = JSON.parse(ev.data);
        } catch {
          return;
        }
        if (messageKind(m) === "invalid") return;
        if (requestId !== undefined && (m as { id?: unknown }).id === requestId && !("method" in (m as object))) answered = true;
        this.deliver(m as RpcMessage, requestId);
      },
    });
    res.setEncoding("utf8");
    res.on("data", (chunk: string) => parser.feed(chunk));
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      if (answered || requestId === undefined || this.closed) return;
      if (lastEventId && this.sessionId && resumes < MAX_RESUMES) this.resume(requestId, lastEventId, resumes + 1);
      else this.failRequest(requestId, "backend closed the stream before answering");
    };
    res.on("end", end);
    res.on("close", end);
    res.on("error", end);
  }

  /** SEP-1699: the server closed a POST stream early; pick the answer up on a GET stream. */
  private resume(requestId: RequestId, lastEventId: string, resumes: number): void {
    const req = this.request("GET", this.headers({ accept: "text/event-stream", "last-event-id": lastEventId }), (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        this.failRequest(requestId, `backend refused to resume the stream (HTTP ${res.statusCode})`);
        return;
      }
      this.readSse(res, requestId, resumes);
    });
    req.on("error", () => this.failRequest(requestId, "backend stream could not be resumed"));
    req.end();
  }

  private openStandalone(): void {
    if (this.closed || this.standalone) return;
    const req = this.request("GET", this.headers({ accept: "text/event-stream" }), (res) => {
      if (res.statusCode === 405) {
        res.resume();
        return; // the backend offers no standalone stream
      }
      if (res.statusCode === 404 && this.sessionId) {
        res.resume();
        this.lost("backend session expired");
        return;
      }
      if (res.statusCode !== 200) {
        res.resume();
        this.retryStandalone();
        return;
      }
      this.standaloneDelayMs = 500;
      const parser = createParser({
        onEvent: (ev) => {
          if (!ev.data) return;
          try {
            const m = JSON.parse(ev.data);
            if (messageKind(m) !== "invalid") this.deliver(m as RpcMessage);
          } catch {
            /* ignore */
          }
        },
      });
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => parser.feed(chunk));
      res.on("close", () => this.retryStandalone());
    });
    this.standalone = req;
    req.on("error", (e) => {
      if (isConnectionFailure(e)) this.lost(`backend unreachable: ${(e as NodeJS.ErrnoException).code}`);
      else this.retryStandalone();
    });
    req.end();
  }

  private retryStandalone(): void {
    this.standalone = undefined;
    if (this.closed || this.standaloneTimer) return;
    this.standaloneTimer = setTimeout(() => {
      this.standaloneTimer = undefined;
      this.openStandalone();
    }, this.standaloneDelayMs);
    this.standaloneTimer.unref();
    this.standaloneDelayMs = Math.min(this.standaloneDelayMs * 2, 30_000);
  }

  private stopAll(): void {
    if (this.standaloneTimer) clearTimeout(this.standaloneTimer);
    for (const r of this.live) r.destroy();
    this.live.clear();
  }

  async close(): Promise<void> {
    if (this.closed && !this.sessionId) return;
    const wasClosed = this.closed;
    this.closed = true;
    this.stopAll();
    if (this.sessionId && !wasClosed) {
      await new Promise<void>((resolve) => {
        const req = this.lib.request(
          { protocol: this.url.protocol, hostname: this.url.hostname, port: this.url.port, path: this.url.pathname + this.url.search, method: "DELETE", headers: this.headers({}), agent: this.agent, timeout: 1_000 },
          (res) => {
            res.resume();
            res.on("end", resolve);
          },
        );
        req.on("error", () => resolve());
        req.on("timeout", () => {
          req.destroy();
          resolve();
        });
        req.end();
      });
    }
    this.sessionId = undefined;
    this.agent.destroy();
  }
}

function isConnectionFailure(e: Error): boolean {
  const code = (e as NodeJS.ErrnoException).code;
  return code === "ECONNREFUSED" || code === "ENOTFOUND" || code === "EHOSTUNREACH" || code === "EAI_AGAIN";
}

function collect(res: http.IncomingMessage, limit: number, done: (text: string) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  res.on("data", (c: Buffer) => {
    size += c.length;
    if (size <= limit) chunks.push(c);
  });
  res.on("end", () => done(chunks.length === 1 ? chunks[0].toString("utf8") : Buffer.concat(chunks).toString("utf8")));
  res.on("error", () => done(""));
}
