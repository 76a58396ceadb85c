/**
 * One backend MCP server as the gateway sees it: a supervised connection shared by every client
 * session. It initializes the server, keeps its catalogue (tools, prompts, resources, templates),
 * forwards requests under its own ids (so sessions can never collide), times them out, and
 * restarts the connection when it dies, failing the requests that were in flight.
 */
import { LATEST_PROTOCOL_VERSION } from "@modelcontextprotocol/sdk/types.js";
import type { BackendChannel } from "./channel";
import { HttpChannel } from "./httpChannel";
import { StdioChannel } from "./stdioChannel";
import { isRecord, messageKind, RpcCode, type RequestId, type RpcErrorObject, type RpcMessage, type RpcNotification, type RpcRequest, type RpcResponse } from "../mcp/jsonrpc";

/** How to reach one backend: a stdio command, or a Streamable HTTP URL. */
export interface BackendLaunch {
  /** The workload name (the key under `backends:`), used for prefixes and routing. */
  name: string;
  command?: string;
  args?: string[];
  env?: Record<string, string>;
  /** Working directory of a stdio backend (default: the gateway's `cwd` option). */
  cwd?: string;
  url?: string;
  /** Extra headers for a Streamable HTTP backend. */
  headers?: Record<string, string>;
}

export type BackendState = "starting" | "ready" | "restarting" | "closed";

export type Item = Record<string, unknown>;
export interface BackendCatalog {
  tools: Item[];
  prompts: Item[];
  resources: Item[];
  resourceTemplates: Item[];
}

/** The gateway-side owner of a forwarded request (a client session's call). */
export interface CallOwner {
  readonly sessionId: string;
}

/**
 * A backend's answer. `local` marks errors the gateway made itself (timeout, backend down, send
 * failure): their messages are fixed texts, never an exception's message.
 */
export type Answer = { result: Record<string, unknown> } | { error: RpcErrorObject; local?: true };

export interface BackendEvents {
  /** A notification or server→client request that belongs to `owner`'s call. */
  related(backend: Backend, owner: CallOwner, msg: RpcNotification | RpcRequest): void;
  /** A notification tied to no call (resource updates, list changes, stray logs). */
  unrelated(backend: Backend, msg: RpcNotification): void;
  /** A server→client request tied to no call. */
  orphanRequest(backend: Backend, msg: RpcRequest): void;
  stateChanged(backend: Backend): void;
  catalogChanged(backend: Backend): void;
  /** After (re)initialisation: re-apply per-backend state (log level, subscriptions). */
  restored(backend: Backend): void;
  error(backend: Backend, kind: "exit" | "timeout" | "unreachable" | "init" | "http"): void;
  log(line: Record<string, unknown>): void;
}

export interface BackendOptions {
  requestTimeoutMs: number;
  initTimeoutMs: number;
  cwd: string;
  clientInfo: { name: string; version: string };
}

interface Pending {
  resolve(a: Answer): void;
  owner?: CallOwner;
  timer?: NodeJS.Timeout;
  timeoutMs: number;
  method: string;
}

const EMPTY_CATALOG: BackendCatalog = { tools: [], prompts: [], resources: [], resourceTemplates: [] };

export class Backend {
  state: BackendState = "starting";
  catalog: BackendCatalog = EMPTY_CATALOG;
  serverCapabilities: Record<string, unknown> = {};
  serverInfo?: Record<string, unknown>;
  protocolVersion?: string;
  restarts = 0;
  lastError?: string;
  /** True once the first initialize succeeded. */
  everReady = false;
  /** False while the last health probe went unanswered in time (a stalled backend); see `probe`. */
  healthy = true;

  private channel?: BackendChannel;
  private generation = 0;
  private nextId = 1;
  private readonly pending = new Map<RequestId, Pending>();
  private failures = 0;
  private probing = false;
  private restartTimer?: NodeJS.Timeout;
  private readyWaiters: { resolve(): void; reject(e: Error): void; timer: NodeJS.Timeout }[] = [];

  constructor(
    readonly launch: BackendLaunch,
    private readonly opts: BackendOptions,
    private readonly events: BackendEvents,
  ) {
    if (!!launch.command === !!launch.url) throw new Error(`backend ${launch.name}: give exactly one of command (stdio) or url (Streamable HTTP)`);
  }

  get name(): string {
    return this.launch.name;
  }
  get transport(): "stdio" | "http" {
    return this.launch.command ? "stdio" : "http";
  }
  get pid(): number | null {
    return this.channel?.pid ?? null;
  }
  get inFlight(): number {
    return this.pending.size;
  }

  start(): void {
    void this.connect();
  }

  private makeChannel(): BackendChannel {
    const l = this.launch;
    return l.command ? new StdioChannel({ command: l.command, args: l.args, env: l.env, cwd: l.cwd ?? this.opts.cwd }) : new HttpChannel({ url: l.url!, headers: l.headers });
  }

  private async connect(): Promise<void> {
    if (this.state === "closed") return;
    const gen = ++this.generation;
    const channel = this.makeChannel();
    this.channel = channel;
    try {
      await channel.start({
        onMessage: (m, related) => {
          if (gen === this.generation) this.onMessage(m, related);
        },
        onClose: (reason) => {
          if (gen === this.generation) this.onChannelClosed(reason);
        },
        onStderr: (line) => this.events.log({ level: "info", msg: "backend.stderr", backend: this.name, line }),
      });
      const init = await this.request(
        "initialize",
        { protocolVersion: LATEST_PROTOCOL_VERSION, capabilities: { sampling: {}, elicitation: { form: {}, url: {} }, roots: { listChanged: true } }, clientInfo: this.opts.clientInfo },
        { timeoutMs: this.opts.initTimeoutMs, whenNotReady: true },
      );
      if ("error" in init) throw new Error(`initialize failed: ${init.error.message}`);
      const r = init.result;
      this.serverCapabilities = isRecord(r.capabilities) ? r.capabilities : {};
      this.serverInfo = isRecord(r.serverInfo) ? r.serverInfo : undefined;
      this.protocolVersion = typeof r.protocolVersion === "string" ? r.protocolVersion : LATEST_PROTOCOL_VERSION;
      channel.initialized(this.protocolVersion);
      await channel.send({ jsonrpc: "2.0", method: "notifications/initialized" });
      if (gen !== this.generation) return;
      await this.refreshCatalog(true);
      if (gen !== this.generation) return;
      this.failures = 0;
      this.lastError = undefined;
      this.healthy = true;
      this.everReady = true;
      this.setState("ready");
      this.events.restored(this);
      for (const w of this.readyWaiters.splice(0)) {
        clearTimeout(w.timer);
        w.resolve();
      }
    } catch (e) {
      if (gen !== this.generation || (this.state as BackendState) === "closed") return;
      this.lastError = (e as Error).message;
      this.events.error(this, "init");
      this.events.log({ level: "warn", msg: "backend.start_failed", backend: this.name, error: this.lastError });
      this.generation++;
      void channel.close().catch(() => {});
      this.failAll(`backend ${this.name} is unavailable`);
      this.scheduleRestart();
    }
  }

  private scheduleRestart(): void {
    if (this.state === "closed" || this.restartTimer) return;
    this.setState(this.everReady ? "restarting" : "starting");
    const delay = Math.min(100 * 2 ** this.failures, 10_000);
    this.failures++;
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      this.restarts++;
      void this.connect();
    }, delay);
    this.restartTimer.unref();
  }

  private onChannelClosed(reason: string): void {
    if (this.state === "closed") return;
    this.generation++;
    this.lastError = reason;
    this.events.error(this, reason.includes("unreachable") ? "unreachable" : "exit");
    this.events.log({ level: "warn", msg: "backend.lost", backend: this.name, reason, inFlight: this.pending.size });
    const old = this.channel;
    this.channel = undefined;
    void old?.close().catch(() => {});
    this.failAll(`backend ${this.name} failed during the request: ${reason}`);
    this.scheduleRestart();
  }

  private failAll(message: string): void {
    for (const [id, p] of this.pending) {
      if (p.timer) clearTimeout(p.timer);
      this.pending.delete(id);
      p.resolve({ error: { code: RpcCode.InternalError, message, data: { backend: this.name } }, local: true });
    }
  }

  private setState(s: BackendState): void {
    if (this.state === s) return;
    this.state = s;
    this.events.stateChanged(this);
  }

  /** Waits until the backend is ready (or fails after `timeoutMs`). */
  whenReady(timeoutMs: number): Promise<void> {
    if (this.state === "ready") return Promise.resolve();
    if (this.state === "closed") return Promise.reject(new Error(`backend ${this.name} is closed`));
    return new Promise((resolve, reject) => {
      const w = {
        resolve,
        reject,
        timer: setTimeout(() => {
          this.readyWaiters = this.readyWaiters.filter((x) => x !== w);
          reject(new Error(`backend ${this.name} is not available`));
        }, timeoutMs),
      };
      this.readyWaiters.push(w);
    });
  }

  /**
   * Forwards a request under a fresh id. With `progress`, the request carries a progress token
   * equal to that id, so the backend's progress notifications map back to this call.
   */
  async request(
    method: string,
    params: Record<string, unknown> | undefined,
    opts: { owner?: CallOwner; timeoutMs?: number; progress?: boolean; whenNotReady?: boolean; onId?: (id: RequestId) => void } = {},
  ): Promise<Answer> {
    const timeoutMs = opts.timeoutMs ?? this.opts.requestTimeoutMs;
    if (this.state !== "ready" && !opts.whenNotReady) {
      try {
        await this.whenReady(Math.min(timeoutMs, 10_000));
      } catch {
        return { error: { code: RpcCode.InternalError, message: `backend ${this.name} is not available`, data: { backend: this.name } }, local: true };
      }
    }
    const channel = this.channel;
    if (!channel) return { error: { code: RpcCode.InternalError, message: `backend ${this.name} is not connected`, data: { backend: this.name } }, local: true };
    const id = this.nextId++;
    let sendParams = params;
    if (opts.progress) {
      const meta = isRecord(params?._meta) ? params!._meta : {};
      sendParams = { ...params, _meta: { ...meta, progressToken: id } };
    }
    opts.onId?.(id);
    return new Promise<Answer>((resolve) => {
      const p: Pending = { resolve, owner: opts.owner, timeoutMs, method };
      this.pending.set(id, p);
      this.arm(id, p);
      const msg: RpcRequest = sendParams === undefined ? { jsonrpc: "2.0", id, method } : { jsonrpc: "2.0", id, method, params: sendParams };
      // The exception's text stays in the log: a client only learns that sending failed.
      const sendFailed = (e: unknown) => {
        this.events.log({ level: "warn", msg: "backend.send_failed", backend: this.name, method, error: (e as Error)?.message });
        this.settle(id, { error: { code: RpcCode.InternalError, message: `backend ${this.name}: the request could not be sent`, data: { backend: this.name } }, local: true });
      };
      try {
        channel.send(msg).catch(sendFailed);
      } catch (e) {
        sendFailed(e);
      }
    });
  }

  private arm(id: RequestId, p: Pending): void {
    if (p.timer) clearTimeout(p.timer);
    p.timer = setTimeout(() => {
      if (!this.pending.has(id)) return;
      this.events.error(this, "timeout");
      this.events.log({ level: "warn", msg: "backend.timeout", backend: this.name, method: p.method, timeoutMs: p.timeoutMs });
      this.cancel(id, "request timed out", {
        error: { code: RpcCode.RequestTimeout, message: `backend ${this.name} did not answer within ${p.timeoutMs} ms`, data: { backend: this.name, timeout: p.timeoutMs } },
        local: true,
      });
    }, p.timeoutMs);
  }

  private settle(id: RequestId, a: Answer): void {
    const p = this.pending.get(id);
    if (!p) return;
    if (p.timer) clearTimeout(p.timer);
    this.pending.delete(id);
    p.resolve(a);
  }

  /**
   * Abandons a forwarded request: tells the backend (notifications/cancelled) and settles the
   * caller's promise with `answer` (default: a "cancelled" error the caller will usually drop).
   */
  cancel(id: RequestId, reason: string, answer?: Answer): void {
    if (!this.pending.has(id)) return;
    this.notify("notifications/cancelled", { requestId: id, reason });
    this.settle(id, answer ?? { error: { code: RpcCode.InternalError, message: `request cancelled: ${reason}` }, local: true });
  }

  /**
   * One health probe: a `ping` that must be answered within `timeoutMs`. Any answer from the backend
   * counts (even an error); silence marks it unhealthy (stalled) until a later probe is answered.
   * vMCP probes on a timer too (pkg/vmcp/health/monitor.go, with a full capability listing).
   * Returns whether the health changed.
   */
  async probe(timeoutMs: number): Promise<boolean> {
    if (this.state !== "ready" || this.probing) return false;
    this.probing = true;
    try {
      const a = await this.request("ping", undefined, { timeoutMs });
      if (this.state !== "ready") return false;
      const healthy = !("error" in a && a.local);
      if (healthy === this.healthy) return false;
      this.healthy = healthy;
      this.events.log({ level: healthy ? "info" : "warn", msg: healthy ? "backend.recovered" : "backend.stalled", backend: this.name, timeoutMs });
      return true;
    } finally {
      this.probing = false;
    }
  }

  notify(method: string, params?: Record<string, unknown>): void {
    const msg: RpcNotification = params === undefined ? { jsonrpc: "2.0", method } : { jsonrpc: "2.0", method, params };
    this.channel?.send(msg).catch(() => {});
  }

  /** Answers a server→client request that was relayed to a client. */
  respond(id: RequestId, answer: Answer): void {
    const msg = ("error" in answer ? { jsonrpc: "2.0", id, error: answer.error } : { jsonrpc: "2.0", id, result: answer.result }) as RpcResponse;
    this.channel?.send(msg).catch(() => {});
  }

  private onMessage(m: RpcMessage, relatedTo?: RequestId): void {
    const kind = messageKind(m);
    if (kind === "response") {
      const r = m as RpcResponse;
      this.settle(r.id!, "error" in r ? { error: r.error } : { result: r.result });
      return;
    }
    if (kind === "notification") {
      const n = m as RpcNotification;
      if (n.method === "notifications/progress") {
        const token = n.params?.progressToken as RequestId | undefined;
        const p = token === undefined ? undefined : this.pending.get(token);
        if (p?.owner) {
          this.arm(token!, p); // progress resets the timeout
          this.events.related(this, p.owner, n);
        }
        return;
      }
      if (n.method === "notifications/cancelled") {
        this.events.unrelated(this, n);
        return;
      }
      if (n.method === "notifications/tools/list_changed" || n.method === "notifications/prompts/list_changed" || n.method === "notifications/resources/list_changed") {
        void this.refreshCatalog(false).catch((e) => this.events.log({ level: "warn", msg: "backend.catalog_refresh_failed", backend: this.name, error: (e as Error).message }));
        return;
      }
      const owner = this.ownerFor(relatedTo);
      if (owner && n.method === "notifications/message") this.events.related(this, owner, n);
      else this.events.unrelated(this, n);
      return;
    }
    if (kind === "request") {
      const q = m as RpcRequest;
      if (q.method === "ping") {
        this.respond(q.id, { result: {} });
        return;
      }
      const owner = this.ownerFor(relatedTo);
      if (owner) this.events.related(this, owner, q);
      else this.events.orphanRequest(this, q);
    }
  }

  /**
   * The call a message belongs to: the request whose HTTP stream carried it, else — when the
   * transport cannot say (stdio) — the latest in-flight call, but only if every in-flight call
   * belongs to the same client session (never guess across sessions).
   */
  private ownerFor(relatedTo: RequestId | undefined): CallOwner | undefined {
    if (relatedTo !== undefined) {
      const p = this.pending.get(relatedTo);
      if (p?.owner) return p.owner;
    }
    let owner: CallOwner | undefined;
    for (const p of this.pending.values()) {
      if (!p.owner) continue;
      if (owner && owner.sessionId !== p.owner.sessionId) return undefined;
      owner = p.owner;
    }
    return owner;
  }

  /** Re-reads the backend's lists (all pages). */
  async refreshCatalog(initial: boolean): Promise<void> {
    const caps = this.serverCapabilities;
    const opts = { whenNotReady: initial, timeoutMs: this.opts.initTimeoutMs };
    const [tools, prompts, resources, resourceTemplates] = await Promise.all([
      caps.tools ? this.listAll("tools/list", "tools", opts) : [],
      caps.prompts ? this.listAll("prompts/list", "prompts", opts) : [],
      caps.resources ? this.listAll("resources/list", "resources", opts) : [],
      caps.resources ? this.listAll("resources/templates/list", "resourceTemplates", opts) : [],
    ]);
    this.catalog = {
      tools: tools.filter((t) => typeof t.name === "string"),
      prompts: prompts.filter((p) => typeof p.name === "string"),
      resources: resources.filter((r) => typeof r.uri === "string"),
      resourceTemplates: resourceTemplates.filter((r) => typeof r.uriTemplate === "string"),
    };
    this.events.catalogChanged(this);
  }

  private async listAll(method: string, key: string, opts: { whenNotReady: boolean; timeoutMs: number }): Promise<Item[]> {
    const out: Item[] = [];
    let cursor: unknown;
    for (let page = 0; page < 1000; page++) {
      const a = await this.request(method, cursor === undefined ? {} : { cursor }, opts);
      if ("error" in a) {
        if (a.error.code === RpcCode.MethodNotFound) return out;
        throw new Error(`${method}: ${a.error.message}`);
      }
      const items = a.result[key];
      if (Array.isArray(items)) out.push(...items.filter(isRecord));
      cursor = a.result.nextCursor;
      if (typeof cursor !== "string" || cursor === "") break;
    }
    return out;
  }

  async close(): Promise<void> {
    this.setState("closed");
    this.generation++;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    for (const w of this.readyWaiters.splice(0)) {
      clearTimeout(w.timer);
      w.reject(new Error(`backend ${this.name} is closed`));
    }
    this.failAll(`backend ${this.name} is shutting down`);
    const c = this.channel;
    this.channel = undefined;
    await c?.close().catch(() => {});
  }
}

