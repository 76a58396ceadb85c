/**
 * The JSON-RPC 2.0 shapes the gateway handles, checked by hand on the hot path (a zod parse of every
 * message would cost more than the rest of the gateway's own work). SDK types are used for typing.
 */
import type { JSONRPCMessage, RequestId } from "@modelcontextprotocol/sdk/types.js";

export type { JSONRPCMessage, RequestId };

export interface RpcRequest {
  jsonrpc: "2.0";
  id: RequestId;
  method: string;
  params?: Record<string, unknown>;
}
export interface RpcNotification {
  jsonrpc: "2.0";
  method: string;
  params?: Record<string, unknown>;
}
export interface RpcErrorObject {
  code: number;
  message: string;
  data?: unknown;
}
export interface RpcResult {
  jsonrpc: "2.0";
  id: RequestId;
  result: Record<string, unknown>;
}
export interface RpcError {
  jsonrpc: "2.0";
  id: RequestId | null;
  error: RpcErrorObject;
}
export type RpcResponse = RpcResult | RpcError;
export type RpcMessage = RpcRequest | RpcNotification | RpcResponse;

/** JSON-RPC and MCP error codes the gateway produces. */
export const RpcCode = {
  ParseError: -32700,
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  InvalidParams: -32602,
  InternalError: -32603,
  /** SDK ErrorCode.ConnectionClosed */
  ConnectionClosed: -32000,
  /** SDK ErrorCode.RequestTimeout */
  RequestTimeout: -32001,
  /** MCP: resource not found */
  ResourceNotFound: -32002,
} as const;

export type MessageKind = "request" | "notification" | "response" | "invalid";

function isId(v: unknown): v is RequestId {
  return typeof v === "string" || (typeof v === "number" && Number.isFinite(v));
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Classifies a parsed JSON value as one JSON-RPC message (batches are not accepted). */
export function messageKind(m: unknown): MessageKind {
  if (!isRecord(m) || m.jsonrpc !== "2.0") return "invalid";
  if (m.params !== undefined && !isRecord(m.params)) return "invalid";
  if (typeof m.method === "string") return "id" in m ? (isId(m.id) ? "request" : "invalid") : "notification";
  if (isId(m.id) && ("result" in m ? isRecord(m.result) : isRecord(m.error))) return "response";
  return "invalid";
}

export function isErrorResponse(m: RpcResponse): m is RpcError {
  return "error" in m;
}

export function rpcError(id: RequestId | null, code: number, message: string, data?: unknown): RpcError {
  return data === undefined ? { jsonrpc: "2.0", id, error: { code, message } } : { jsonrpc: "2.0", id, error: { code, message, data } };
}

/** A Map key for request ids that keeps `1` and `"1"` apart. */
export function idKey(id: RequestId): string {
  return typeof id === "number" ? `n${id}` : `s${id}`;
}
