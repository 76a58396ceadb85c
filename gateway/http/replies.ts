/**
 * How the gateway answers on the MCP endpoint. A POST carrying a request gets a `PostReply`: plain
 * JSON when the answer is the only message (the fast, common case), upgraded to an SSE stream as soon
 * as a related message (progress, log, sampling request…) must go out before the answer. A GET opens
 * the session's `SseStream` for messages not tied to any request.
 */
import type { ServerResponse } from "node:http";
import type { RpcMessage } from "../mcp/jsonrpc";

const SSE_HEADERS = { "content-type": "text/event-stream", "cache-control": "no-cache, no-transform", connection: "keep-alive" };

/** One SSE event, or undefined for a message that cannot be encoded (too deep): it is dropped. */
function sseEvent(msg: RpcMessage): string | undefined {
  try {
    return `event: message\ndata: ${JSON.stringify(msg)}\n\n`;
  } catch {
    return undefined;
  }
}

/** Something that can carry server→client messages for one downstream request. */
export interface MessageSink {
  /** Sends a message before the final answer; false when it cannot be delivered. */
  push(msg: RpcMessage): boolean;
  readonly open: boolean;
}

export class PostReply implements MessageSink {
  private state: "pending" | "sse" | "done" = "pending";
  private readonly closeHandlers: (() => void)[] = [];

  /**
   * @param canStream the client accepts text/event-stream
   * @param mustStream the client does not accept application/json: answer on a stream too
   */
  constructor(
    private readonly res: ServerResponse,
    private readonly canStream: boolean,
    private readonly mustStream = false,
  ) {
    res.on("close", () => {
      const wasOpen = this.state !== "done";
      this.state = "done";
      if (wasOpen) for (const h of this.closeHandlers) h();
    });
  }

  get open(): boolean {
    return this.state !== "done";
  }

  /** Called when the client goes away before the answer was sent. */
  onAbort(handler: () => void): void {
    this.closeHandlers.push(handler);
  }

  push(msg: RpcMessage): boolean {
    if (this.state === "done" || !this.canStream) return false;
    const event = sseEvent(msg);
    if (event === undefined) return false;
    if (this.state === "pending") this.upgrade();
    this.res.write(event);
    return true;
  }

  private upgrade(): void {
    this.res.writeHead(200, SSE_HEADERS);
    this.state = "sse";
  }

  /** Sends the final answer and ends the reply. */
  finish(msg: RpcMessage, status = 200): void {
    if (this.state === "done") return;
    let text: string;
    try {
      text = JSON.stringify(msg);
    } catch {
      // A backend answer too deep to encode: the client gets a fixed error, never the exception.
      const id = "id" in msg ? (msg.id ?? null) : null;
      text = JSON.stringify({ jsonrpc: "2.0", id, error: { code: -32603, message: "the backend's answer could not be encoded" } });
    }
    if (this.state === "pending" && this.mustStream && status === 200) this.upgrade();
    if (this.state === "sse") {
      this.state = "done";
      this.res.end(`event: message\ndata: ${text}\n\n`);
      return;
    }
    this.state = "done";
    this.res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
    this.res.end(text);
  }

  /** Ends the reply without an answer (the request was cancelled). */
  abandon(): void {
    if (this.state === "done") return;
    if (this.state === "pending") this.res.writeHead(200, SSE_HEADERS);
    this.state = "done";
    this.res.end();
  }
}

/** The standalone GET stream of a session. */
export class SseStream implements MessageSink {
  private closed = false;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly res: ServerResponse,
    keepAliveMs: number,
    onClose: () => void,
  ) {
    res.writeHead(200, SSE_HEADERS);
    res.flushHeaders();
    this.timer = setInterval(() => this.res.write(": keep-alive\n\n"), keepAliveMs);
    this.timer.unref();
    res.on("close", () => {
      this.closed = true;
      clearInterval(this.timer);
      onClose();
    });
  }

  get open(): boolean {
    return !this.closed;
  }

  push(msg: RpcMessage): boolean {
    const event = this.closed ? undefined : sseEvent(msg);
    if (event === undefined) return false;
    this.res.write(event);
    return true;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    this.res.end();
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}
