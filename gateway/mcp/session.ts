/** A client's MCP session at the gateway, bound to the token subject that opened it. */
import type { Backend, CallOwner } from "../backends/backend";
import type { PostReply, SseStream } from "../http/replies";
import { idKey, type RequestId } from "./jsonrpc";

export type Claims = Record<string, unknown>;

/** A client request forwarded to a backend and not yet answered. */
export class InflightCall implements CallOwner {
  upstreamId?: RequestId;
  cancelled = false;
  constructor(
    readonly sessionId: string,
    readonly downstreamId: RequestId,
    readonly reply: PostReply,
    readonly backend: Backend,
    /** The client's own progress token, restored on the way back. */
    readonly progressToken: string | number | undefined,
  ) {}
}

/** A server→client request (sampling, elicitation, roots) relayed to this session's client. */
export interface Relay {
  backend: Backend;
  upstreamId: RequestId;
}

export const LOG_LEVELS = ["debug", "info", "notice", "warning", "error", "critical", "alert", "emergency"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export class Session {
  readonly calls = new Map<string, InflightCall>();
  readonly relays = new Map<string, Relay>();
  readonly subscriptions = new Set<string>();
  stream?: SseStream;
  logLevel?: string;
  lastSeen = Date.now();
  private nextRelayId = 1;

  constructor(
    readonly id: string,
    readonly sub: string,
    readonly clientCapabilities: Record<string, unknown>,
    readonly protocolVersion: string,
  ) {}

  newRelayId(): number {
    return this.nextRelayId++;
  }

  call(id: RequestId): InflightCall | undefined {
    return this.calls.get(idKey(id));
  }

  /** True when a log message at `level` passes this session's logging/setLevel. */
  wantsLog(level: unknown): boolean {
    if (this.logLevel === undefined) return true;
    const i = LOG_LEVELS.indexOf(level as (typeof LOG_LEVELS)[number]);
    return i === -1 || i >= LOG_LEVELS.indexOf(this.logLevel as (typeof LOG_LEVELS)[number]);
  }
}
