/**
 * A connection to one backend MCP server at the JSON-RPC message level. The gateway multiplexes all
 * client sessions over it (it rewrites ids), so a channel only moves messages.
 */
import type { RequestId, RpcMessage } from "../mcp/jsonrpc";

export interface ChannelHandlers {
  /**
   * A message from the backend. `relatedTo` is the id of the gateway's request whose HTTP stream
   * carried it (Streamable HTTP); undefined when unknown (stdio, standalone GET stream).
   */
  onMessage(msg: RpcMessage, relatedTo?: RequestId): void;
  /** The connection is gone (process exited, session expired, server unreachable). */
  onClose(reason: string): void;
  /** A line the backend wrote to stderr (stdio only). */
  onStderr?(line: string): void;
}

export interface BackendChannel {
  readonly kind: "stdio" | "http";
  start(handlers: ChannelHandlers): Promise<void>;
  /** Sends one message. A request's answer comes back through `onMessage`. */
  send(msg: RpcMessage): Promise<void>;
  /** After `initialize`: the negotiated protocol version (Streamable HTTP sends it as a header). */
  initialized(protocolVersion: string): void;
  close(): Promise<void>;
  /** Process id of a stdio backend. */
  readonly pid?: number | null;
}
