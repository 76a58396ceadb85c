/**
 * The gateway's MCP logic, on messages parsed once by request.ts: sessions, authorization through
 * the core (`authorizeCheck`, `filterListResult`), the aggregated catalogue, and routing between client
 * sessions and the shared backend connections — calls, progress, logs, cancellation, server→client
 * requests, subscriptions and log levels.
 */
import { randomUUID } from "node:crypto";
import { LATEST_PROTOCOL_VERSION, SUPPORTED_PROTOCOL_VERSIONS } from "@modelcontextprotocol/sdk/types.js";
import type { CompiledTeam } from "../../components/compile";
import { extractGroups } from "../../components/cedar/principal";
import { authorizeCheck, DENIAL_CODE, filterListResult, type McpCheck, type McpDecision } from "../../components/cedar/mcp";
import type { Answer, Backend, BackendEvents, CallOwner } from "../backends/backend";
import { Catalog } from "../backends/catalog";
import type { MessageSink, PostReply } from "../http/replies";
import type { GatewayMetrics } from "../ops/metrics";
import type { LogLine } from "../ops/logger";
import { idKey, isRecord, rpcError, RpcCode, type RpcNotification, type RpcRequest, type RpcResponse } from "./jsonrpc";
import { upstreamParams, type ListMethod, type ParsedNotification, type ParsedRequest, type ParsedResponse } from "./request";
import { InflightCall, LOG_LEVELS, Session, type Claims, type LogLevel } from "./session";
import { withDecisionCache } from "./decisionCache";
import type { SessionRecord, SharedSessions } from "./sharedSessions";

export interface Identity {
  claims: Claims;
  /** The development anonymous identity (no bearer token was sent). */
  anonymous: boolean;
}

export interface RouterOptions {
  compiled: CompiledTeam;
  backends: Backend[];
  metrics: GatewayMetrics;
  log: (line: LogLine) => void;
  serverInfo: { name: string; version: string };
  /** Reuse Cedar decisions per token when arguments cannot matter (see decisionCache.ts). */
  decisionCache: boolean;
  /** Open sessions allowed per token subject; one more initialize gets HTTP 429. */
  maxSessionsPerPrincipal: number;
  /** Idle sessions are dropped after this long (the Retry-After of a refused initialize). */
  sessionIdleMs: number;
  /** Sessions shared with other replicas through Redis (sharedSessions.ts); absent: this process only. */
  shared?: SharedSessions;
}

/** What the gateway itself advertises; lists may be empty while backends start. */
const SERVER_CAPABILITIES = {
  tools: { listChanged: true },
  prompts: { listChanged: true },
  resources: { subscribe: true, listChanged: true },
  logging: {},
  completions: {},
};

/** Client capability a relayed server→client request needs. */
const RELAY_CAPABILITY: Record<string, string> = {
  "sampling/createMessage": "sampling",
  "elicitation/create": "elicitation",
  "roots/list": "roots",
};

const LIST_KEYS: Record<ListMethod, "toolList" | "promptList" | "resourceList" | "templateList"> = {
  "tools/list": "toolList",
  "prompts/list": "promptList",
  "resources/list": "resourceList",
  "resources/templates/list": "templateList",
};
const LIST_RESULT_KEY: Record<ListMethod, string> = {
  "tools/list": "tools",
  "prompts/list": "prompts",
  "resources/list": "resources",
  "resources/templates/list": "resourceTemplates",
};

/** Where a checked request goes: the backend, and its own name for a tool or prompt. */
interface Destination {
  backend: Backend;
  ownName?: string;
}

export type OpenResult = { session: Session; answer: RpcResponse } | { limited: true; retryAfterSec: number; open: number };

export class Router implements BackendEvents {
  readonly sessions = new Map<string, Session>();
  catalog: Catalog = Catalog.empty();
  /** uri → sessions subscribed to it. */
  private readonly subscribers = new Map<string, Set<Session>>();
  /** sub → number of open sessions (the per-principal cap). */
  private readonly openBySub = new Map<string, number>();
  private readonly authorizer: CompiledTeam["authorizer"];
  /** Called after any backend changes state (the gateway's readiness check). */
  onStateChange: () => void = () => {};

  constructor(private readonly o: RouterOptions) {
    this.authorizer = o.decisionCache ? withDecisionCache(o.compiled.authorizer) : o.compiled.authorizer;
  }

  // ---------------------------------------------------------------------------------------------
  // Sessions

  /** Answers `initialize`: opens a session bound to the caller's subject, unless it has too many. */
  async openSession(identity: Identity, req: ParsedRequest): Promise<OpenResult> {
    const sub = String(identity.claims.sub);
    const open = this.openBySub.get(sub) ?? 0;
    // With shared sessions the cap counts every replica's sessions (in Redis); otherwise this process's.
    if (!this.o.shared && open >= this.o.maxSessionsPerPrincipal) return this.limited(sub, open);
    const body: { protocolVersion?: string; capabilities: Record<string, unknown>; clientInfo: Record<string, unknown> } =
      req.body.kind === "initialize" ? req.body : { capabilities: {}, clientInfo: {} };
    const requested = body.protocolVersion ?? "";
    const version = SUPPORTED_PROTOCOL_VERSIONS.includes(requested) ? requested : LATEST_PROTOCOL_VERSION;
    const session = new Session(randomUUID(), sub, body.capabilities, version);
    if (this.o.shared) {
      const outcome = await this.o.shared.open(recordOf(session), this.o.maxSessionsPerPrincipal);
      if (!outcome.opened) return this.limited(sub, outcome.open);
    }
    this.adopt(session);
    const client = typeof body.clientInfo.name === "string" ? body.clientInfo.name.slice(0, 200) : undefined;
    this.o.log({ msg: "session.open", user: sub, client, protocolVersion: version, anonymous: identity.anonymous || undefined });
    return {
      session,
      answer: { jsonrpc: "2.0", id: req.id, result: { protocolVersion: version, capabilities: SERVER_CAPABILITIES, serverInfo: this.o.serverInfo } },
    };
  }

  private limited(sub: string, open: number): OpenResult {
    this.o.log({ level: "warn", msg: "session.limit", user: sub, open, limit: this.o.maxSessionsPerPrincipal });
    return { limited: true, retryAfterSec: this.retryAfterFor(sub), open };
  }

  private adopt(session: Session): void {
    this.sessions.set(session.id, session);
    this.openBySub.set(session.sub, (this.openBySub.get(session.sub) ?? 0) + 1);
    this.o.metrics.sessions.set(this.sessions.size);
  }

  /**
   * The session `id` if `sub` owns it: this process's copy, or, with shared sessions, the record
   * another replica wrote, rebuilt here. A session of someone else is reported as missing. With
   * shared sessions every use refreshes its TTL in Redis, and a session deleted elsewhere is dropped.
   */
  async findSession(id: string, sub: string): Promise<Session | undefined> {
    const local = this.sessions.get(id);
    if (local && local.sub !== sub) return undefined;
    const shared = this.o.shared;
    if (!shared) return local;
    if (local) {
      if (await shared.touch(id, sub)) return local;
      this.closeSession(local, "ended on another replica");
      return undefined;
    }
    const rec = await shared.load(id);
    if (!rec || rec.sub !== sub || !(await shared.touch(id, sub))) return undefined;
    // Another request may have rebuilt it while Redis answered.
    const again = this.sessions.get(id);
    if (again) return again;
    const session = new Session(rec.id, rec.sub, rec.clientCapabilities, rec.protocolVersion);
    session.logLevel = rec.logLevel;
    this.adopt(session);
    this.o.log({ msg: "session.resume", user: sub, protocolVersion: rec.protocolVersion });
    return session;
  }

  /** Ends a session for every replica (the client's DELETE); `closeSession` alone drops this copy. */
  async deleteSession(session: Session, reason: string): Promise<void> {
    await this.o.shared?.delete(session.id, session.sub);
    this.closeSession(session, reason);
  }

  /** Seconds until the principal's first idle session expires (at least 1). */
  private retryAfterFor(sub: string): number {
    let soonest = Infinity;
    for (const s of this.sessions.values()) if (s.sub === sub) soonest = Math.min(soonest, s.lastSeen + this.o.sessionIdleMs);
    const ms = soonest === Infinity ? this.o.sessionIdleMs : soonest - Date.now();
    return Math.max(1, Math.ceil(ms / 1000));
  }

  closeSession(session: Session, reason: string): void {
    if (!this.sessions.delete(session.id)) return;
    const left = (this.openBySub.get(session.sub) ?? 1) - 1;
    if (left > 0) this.openBySub.set(session.sub, left);
    else this.openBySub.delete(session.sub);
    this.o.metrics.sessions.set(this.sessions.size);
    for (const call of session.calls.values()) {
      call.cancelled = true;
      if (call.upstreamId !== undefined) call.backend.cancel(call.upstreamId, `client session ended: ${reason}`);
      call.reply.abandon();
    }
    session.calls.clear();
    for (const r of session.relays.values()) r.backend.respond(r.upstreamId, { error: { code: RpcCode.ConnectionClosed, message: "the client session ended" } });
    session.relays.clear();
    for (const uri of session.subscriptions) this.dropSubscriber(uri, session);
    session.subscriptions.clear();
    session.stream?.close();
    this.o.log({ msg: "session.close", user: session.sub, reason });
  }

  // ---------------------------------------------------------------------------------------------
  // Client → gateway

  /** The backend a checked request goes to, from its parsed target (undefined: nothing serves it). */
  private destination(req: ParsedRequest): Destination | undefined {
    const target = req.check?.resourceId;
    if (target === undefined) return undefined;
    switch (req.body.kind) {
      case "tools/call": {
        const r = this.catalog.tools.get(target);
        return r && { backend: r.backend, ownName: r.name };
      }
      case "prompts/get": {
        const r = this.catalog.prompts.get(target);
        return r && { backend: r.backend, ownName: r.name };
      }
      case "resource": {
        const b = this.resourceBackend(target);
        return b && { backend: b };
      }
      case "complete": {
        if (req.body.ref.type === "ref/prompt") {
          const r = this.catalog.prompts.get(target);
          return r && { backend: r.backend, ownName: r.name };
        }
        const b = this.catalog.templateBackend(target) ?? this.resourceBackend(target);
        return b && { backend: b };
      }
      default:
        return undefined;
    }
  }

  /** Authorizes one parsed client message and writes its audit line. */
  private decide(session: Session | undefined, identity: Identity, method: string, check: McpCheck | undefined, dest?: Destination): McpDecision {
    const annotations = check?.action === "call_tool" ? this.catalog.tools.get(check.resourceId)?.def.annotations : undefined;
    const d = authorizeCheck(this.authorizer, method, check, identity.claims, isRecord(annotations) ? annotations : undefined);
    if (d.methodClass === "check" || d.methodClass === "deny") {
      this.o.metrics.countDecision(d.action ?? "method", d.allowed ? "allow" : "deny");
      this.o.log({
        msg: "authz.decision",
        audit: true,
        user: d.principal ?? identity.claims.sub,
        email: typeof identity.claims.email === "string" ? identity.claims.email : undefined,
        groups: d.methodClass === "deny" ? this.groupsOf(identity) : d.groups,
        method,
        target: d.target,
        // What runs when allowed: the backend and its own name for the target.
        backend: dest?.backend.name,
        backendTarget: dest?.ownName,
        decision: d.allowed ? "allow" : "deny",
        policies: d.policies,
        errors: d.errors.length ? d.errors : undefined,
        anonymous: identity.anonymous || undefined,
        session: session ? session.id.slice(0, 8) : undefined,
      });
    }
    return d;
  }

  private groupsOf(identity: Identity): string[] {
    return extractGroups(identity.claims, this.authorizer.options).groups;
  }

  /** Handles a client notification; returns the HTTP status to answer with. */
  handleNotification(session: Session, identity: Identity, n: ParsedNotification): number {
    const d = this.decide(session, identity, n.method, undefined);
    if (!d.allowed) return DENIAL_CODE;
    const body = n.body;
    switch (body.kind) {
      case "cancelled": {
        const call = session.call(body.requestId);
        if (call && !call.cancelled) {
          call.cancelled = true;
          if (call.upstreamId !== undefined) call.backend.cancel(call.upstreamId, body.reason ?? "cancelled by the client");
          call.reply.abandon();
        }
        break;
      }
      case "roots_changed":
        for (const b of this.o.backends) if (b.state === "ready") b.notify("notifications/roots/list_changed");
        break;
      default:
        break; // initialized, progress (for relayed requests): nothing to do
    }
    return 202;
  }

  /** A client's answer to a relayed server→client request. */
  handleResponse(session: Session, r: ParsedResponse): void {
    const key = idKey(r.id);
    const relay = session.relays.get(key);
    if (!relay) return;
    session.relays.delete(key);
    relay.backend.respond(relay.upstreamId, r.answer);
  }

  /** Handles a parsed client request and answers through `reply`. */
  async handleRequest(session: Session, identity: Identity, req: ParsedRequest, reply: PostReply): Promise<void> {
    const dest = this.destination(req);
    const d = this.decide(session, identity, req.method, req.check, dest);
    if (!d.allowed) {
      reply.finish(rpcError(req.id, DENIAL_CODE, d.denialMessage ?? "Unauthorized"), DENIAL_CODE);
      return;
    }
    const ok = (result: Record<string, unknown>) => reply.finish({ jsonrpc: "2.0", id: req.id, result });
    const fail = (code: number, message: string) => reply.finish(rpcError(req.id, code, message));
    const body = req.body;
    const target = req.check?.resourceId ?? "";

    switch (body.kind) {
      case "ping":
        return ok({});
      case "initialize":
        return fail(RpcCode.InvalidRequest, "the session is already initialized");
      case "list":
        return ok(this.filteredList(session, identity, body.method));
      case "tools/call":
        // vMCP's wording (toolhive-core mcpcompat translateUnknownToolError).
        if (!dest) return fail(RpcCode.InvalidParams, `tool ${JSON.stringify(target)} not found`);
        await this.forward(session, req, reply, dest);
        return;
      case "prompts/get":
        // vMCP's wording (go-sdk's prompts/get of an unregistered prompt, pkg/vmcp/server/serve_handlers.go).
        if (!dest) return fail(RpcCode.InvalidParams, `unknown prompt ${JSON.stringify(target)}`);
        await this.forward(session, req, reply, dest);
        return;
      case "resource":
        if (body.method === "resources/subscribe") return this.subscribe(session, req, reply, dest);
        if (body.method === "resources/unsubscribe") return this.unsubscribe(session, req, reply, dest);
        if (!dest) return fail(RpcCode.ResourceNotFound, `Resource not found: ${target}`);
        await this.forward(session, req, reply, dest);
        return;
      case "complete":
        if (!dest) return fail(RpcCode.InvalidParams, body.ref.type === "ref/prompt" ? `unknown prompt ${JSON.stringify(target)}` : `Resource not found: ${target}`);
        await this.forward(session, req, reply, dest);
        return;
      case "setLevel":
        return this.setLevel(session, req, body.level, reply);
      default:
        return fail(RpcCode.MethodNotFound, `Method not found: ${req.method}`);
    }
  }

  private filteredList(session: Session, identity: Identity, method: ListMethod): Record<string, unknown> {
    const items = this.catalog[LIST_KEYS[method]];
    const { result, removed } = filterListResult(this.authorizer, method, { [LIST_RESULT_KEY[method]]: items }, identity.claims);
    this.o.log({
      msg: "authz.list",
      audit: true,
      user: identity.claims.sub,
      groups: this.groupsOf(identity),
      method,
      decision: "filter",
      kept: items.length - removed.length,
      removed,
      anonymous: identity.anonymous || undefined,
      session: session.id.slice(0, 8),
    });
    return result;
  }

  /**
   * Only advertised resources and URIs matching an advertised template are routed, as vMCP routes
   * them (ToolHive pkg/vmcp/router/session_router.go RouteResource): an unknown URI never reaches a
   * backend, whatever the number of backends.
   */
  private resourceBackend(uri: string): Backend | undefined {
    return this.catalog.resourceBackend(uri);
  }

  /** Sends an authorized request to its backend (params rebuilt from the parse) and relays the answer. */
  private async forward(session: Session, req: ParsedRequest, reply: PostReply, dest: Destination): Promise<Answer | undefined> {
    const { backend } = dest;
    const progressToken = req.progressToken;
    const call = new InflightCall(session.id, req.id, reply, backend, progressToken);
    const key = idKey(req.id);
    session.calls.set(key, call);
    reply.onAbort(() => {
      if (call.cancelled) return;
      call.cancelled = true;
      if (call.upstreamId !== undefined) backend.cancel(call.upstreamId, "the client disconnected");
    });
    const answer = await backend.request(req.method, upstreamParams(req, dest.ownName), {
      owner: call,
      progress: progressToken !== undefined,
      onId: (id) => (call.upstreamId = id),
    });
    if (session.calls.get(key) === call) session.calls.delete(key);
    if (call.cancelled) {
      reply.abandon();
      return undefined;
    }
    reply.finish("error" in answer ? { jsonrpc: "2.0", id: req.id, error: answer.error } : { jsonrpc: "2.0", id: req.id, result: answer.result });
    return answer;
  }

  private async subscribe(session: Session, req: ParsedRequest, reply: PostReply, dest: Destination | undefined): Promise<void> {
    const uri = req.check!.resourceId;
    if (!dest) return reply.finish(rpcError(req.id, RpcCode.ResourceNotFound, `Resource not found: ${uri}`));
    const answer = await this.forward(session, req, reply, dest);
    if (answer && !("error" in answer)) {
      session.subscriptions.add(uri);
      const set = this.subscribers.get(uri) ?? new Set<Session>();
      set.add(session);
      this.subscribers.set(uri, set);
    }
  }

  private async unsubscribe(session: Session, req: ParsedRequest, reply: PostReply, dest: Destination | undefined): Promise<void> {
    const uri = req.check!.resourceId;
    session.subscriptions.delete(uri);
    const others = [...(this.subscribers.get(uri) ?? [])].filter((s) => s !== session);
    if (others.length > 0) {
      this.subscribers.set(uri, new Set(others));
      return reply.finish({ jsonrpc: "2.0", id: req.id, result: {} });
    }
    this.subscribers.delete(uri);
    if (!dest) return reply.finish(rpcError(req.id, RpcCode.ResourceNotFound, `Resource not found: ${uri}`));
    await this.forward(session, req, reply, dest);
  }

  private dropSubscriber(uri: string, session: Session): void {
    const set = this.subscribers.get(uri);
    if (!set) return;
    set.delete(session);
    if (set.size > 0) return;
    this.subscribers.delete(uri);
    const backend = this.resourceBackend(uri);
    if (backend?.state === "ready") void backend.request("resources/unsubscribe", { uri });
  }

  /** Records the session's level and sets each backend to the most verbose level any session wants. */
  private async setLevel(session: Session, req: ParsedRequest, level: LogLevel, reply: PostReply): Promise<void> {
    session.logLevel = level;
    if (this.o.shared) await this.o.shared.update(recordOf(session));
    await Promise.all(this.o.backends.filter((b) => b.state === "ready").map((b) => this.applyLogLevel(b)));
    reply.finish({ jsonrpc: "2.0", id: req.id, result: {} });
  }

  private async applyLogLevel(backend: Backend): Promise<void> {
    if (!backend.serverCapabilities.logging) return;
    let min = -1;
    for (const s of this.sessions.values()) {
      if (s.logLevel === undefined) continue;
      const i = LOG_LEVELS.indexOf(s.logLevel as (typeof LOG_LEVELS)[number]);
      if (min === -1 || i < min) min = i;
    }
    if (min === -1) return;
    await backend.request("logging/setLevel", { level: LOG_LEVELS[min] }, { timeoutMs: 5_000 });
  }

  // ---------------------------------------------------------------------------------------------
  // Backend → client (BackendEvents)

  related(backend: Backend, owner: CallOwner, msg: RpcNotification | RpcRequest): void {
    const call = owner as InflightCall;
    const session = this.sessions.get(call.sessionId);
    if (!session || call.cancelled) {
      if ("id" in msg) backend.respond(msg.id, { error: { code: RpcCode.ConnectionClosed, message: "the client request is no longer active" } });
      return;
    }
    if ("id" in msg) {
      this.relayRequest(session, backend, msg, call.reply);
      return;
    }
    if (msg.method === "notifications/progress") {
      if (call.progressToken === undefined) return;
      call.reply.push({ jsonrpc: "2.0", method: msg.method, params: { ...msg.params, progressToken: call.progressToken } });
      return;
    }
    if (msg.method === "notifications/message") {
      if (!session.wantsLog(msg.params?.level)) return;
      if (!call.reply.push(msg)) session.stream?.push(msg);
    }
  }

  unrelated(backend: Backend, msg: RpcNotification): void {
    switch (msg.method) {
      case "notifications/resources/updated": {
        const uri = String(msg.params?.uri ?? "");
        for (const s of this.subscribers.get(uri) ?? []) {
          if (this.resourceBackend(uri) === backend) this.pushToSession(s, msg);
        }
        return;
      }
      case "notifications/cancelled": {
        // The backend withdrew a server→client request it had sent: tell that client.
        const upstreamId = msg.params?.requestId;
        for (const s of this.sessions.values()) {
          for (const [key, r] of s.relays) {
            if (r.backend === backend && r.upstreamId === upstreamId) {
              s.relays.delete(key);
              const downstreamId = key.startsWith("n") ? Number(key.slice(1)) : key.slice(1);
              this.pushToSession(s, { jsonrpc: "2.0", method: msg.method, params: { ...msg.params, requestId: downstreamId } });
            }
          }
        }
        return;
      }
      default:
        // A log line or other notification tied to no call: never guess a recipient across users.
        this.o.log({ level: "debug", msg: "backend.notification_dropped", backend: backend.name, method: msg.method });
    }
  }

  orphanRequest(backend: Backend, msg: RpcRequest): void {
    if (msg.method === "roots/list") {
      backend.respond(msg.id, { result: { roots: [] } });
      return;
    }
    this.o.log({ level: "warn", msg: "backend.request_unroutable", backend: backend.name, method: msg.method });
    backend.respond(msg.id, { error: { code: RpcCode.InternalError, message: `the gateway cannot tell which client ${msg.method} is for (no single call in flight)` } });
  }

  private relayRequest(session: Session, backend: Backend, msg: RpcRequest, sink: MessageSink): void {
    const cap = RELAY_CAPABILITY[msg.method];
    if (!cap) {
      backend.respond(msg.id, { error: { code: RpcCode.MethodNotFound, message: `Method not found: ${msg.method}` } });
      return;
    }
    if (!session.clientCapabilities[cap]) {
      if (msg.method === "roots/list") backend.respond(msg.id, { result: { roots: [] } });
      else backend.respond(msg.id, { error: { code: RpcCode.MethodNotFound, message: `the client does not support ${msg.method}` } });
      return;
    }
    const downstreamId = session.newRelayId();
    session.relays.set(idKey(downstreamId), { backend, upstreamId: msg.id });
    const out: RpcRequest = { jsonrpc: "2.0", id: downstreamId, method: msg.method, params: msg.params };
    if (sink.push(out) || session.stream?.push(out)) return;
    session.relays.delete(idKey(downstreamId));
    backend.respond(msg.id, { error: { code: RpcCode.InternalError, message: "the client has no open stream to receive the request" } });
  }

  private pushToSession(session: Session, msg: RpcNotification): void {
    if (session.stream?.push(msg)) return;
    for (const call of session.calls.values()) if (call.reply.push(msg)) return;
  }

  stateChanged(backend: Backend): void {
    this.o.metrics.backendUp.set({ backend: backend.name }, backend.state === "ready" ? 1 : 0);
    this.o.metrics.backendRestarts.set({ backend: backend.name }, backend.restarts);
    this.o.log({ level: backend.state === "ready" ? "info" : "warn", msg: "backend.state", backend: backend.name, state: backend.state, pid: backend.pid ?? undefined });
    this.onStateChange();
  }

  catalogChanged(backend: Backend): void {
    const before = this.catalog;
    this.catalog = Catalog.build(this.o.compiled.spec.aggregation, this.o.backends);
    for (const c of this.catalog.conflicts) this.o.log({ level: "warn", msg: "catalog.conflict", ...c });
    this.checkDeclaredTools(backend);
    const changed = (a: unknown[], b: unknown[]) => JSON.stringify(a) !== JSON.stringify(b);
    const notes: string[] = [];
    if (changed(before.toolList, this.catalog.toolList)) notes.push("notifications/tools/list_changed");
    if (changed(before.promptList, this.catalog.promptList)) notes.push("notifications/prompts/list_changed");
    if (changed(before.resourceList, this.catalog.resourceList) || changed(before.templateList, this.catalog.templateList)) notes.push("notifications/resources/list_changed");
    for (const method of notes) for (const s of this.sessions.values()) s.stream?.push({ jsonrpc: "2.0", method });
  }

  /** Warns when a backend's real tools differ from the stack's declared ones (the matrix). */
  private checkDeclaredTools(backend: Backend): void {
    const declared = this.o.compiled.spec.backends.find((b) => b.name === backend.name)?.tools;
    if (!declared) return;
    const listed = backend.catalog.tools.map((t) => t.name as string);
    const missing = declared.filter((t) => !listed.includes(t));
    const undeclared = listed.filter((t) => !declared.includes(t));
    if (missing.length || undeclared.length) this.o.log({ level: "warn", msg: "catalog.declared_mismatch", backend: backend.name, missing, undeclared });
  }

  restored(backend: Backend): void {
    void this.applyLogLevel(backend).catch(() => {});
    for (const [uri, set] of this.subscribers) {
      if (set.size > 0 && this.resourceBackend(uri) === backend) void backend.request("resources/subscribe", { uri });
    }
  }

  error(backend: Backend, kind: "exit" | "timeout" | "unreachable" | "init" | "http"): void {
    this.o.metrics.backendErrors.inc({ backend: backend.name, kind });
  }

  log(line: LogLine): void {
    this.o.log(line);
  }
}

/** What another replica needs to continue `session` (sharedSessions.ts). */
function recordOf(session: Session): SessionRecord {
  return { id: session.id, sub: session.sub, protocolVersion: session.protocolVersion, clientCapabilities: session.clientCapabilities, logLevel: session.logLevel };
}
