/**
 * The gateway's MCP logic, at the JSON-RPC message level: sessions, authorization through the core
 * (`authorizeMcpRequest`, `filterListResult`), the aggregated catalogue, and routing between client
 * sessions and the shared backend connections — calls, progress, logs, cancellation, server→client
 * requests, subscriptions and log levels.
 */
import { randomUUID } from "node:crypto";
import { LATEST_PROTOCOL_VERSION, SUPPORTED_PROTOCOL_VERSIONS } from "@modelcontextprotocol/sdk/types.js";
import type { CompiledTeam } from "../../components/compile";
import { extractGroups } from "../../components/cedar/principal";
import { authorizeMcpRequest, DENIAL_CODE, filterListResult, type McpDecision } from "../../components/cedar/mcp";
import type { Answer, Backend, BackendEvents, CallOwner } from "../backends/backend";
import { Catalog } from "../backends/catalog";
import type { MessageSink, PostReply } from "../http/replies";
import type { GatewayMetrics } from "../ops/metrics";
import type { LogLine } from "../ops/logger";
import { idKey, isRecord, rpcError, RpcCode, type RequestId, type RpcNotification, type RpcRequest, type RpcResponse } from "./jsonrpc";
import { InflightCall, LOG_LEVELS, Session, type Claims } from "./session";
import { withDecisionCache } from "./decisionCache";

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

const LIST_KEYS: Record<string, "toolList" | "promptList" | "resourceList" | "templateList"> = {
  "tools/list": "toolList",
  "prompts/list": "promptList",
  "resources/list": "resourceList",
  "resources/templates/list": "templateList",
};
const LIST_RESULT_KEY: Record<string, string> = {
  "tools/list": "tools",
  "prompts/list": "prompts",
  "resources/list": "resources",
  "resources/templates/list": "resourceTemplates",
};

export class Router implements BackendEvents {
  readonly sessions = new Map<string, Session>();
  catalog: Catalog = Catalog.empty();
  /** uri → sessions subscribed to it. */
  private readonly subscribers = new Map<string, Set<Session>>();
  private readonly authorizer: CompiledTeam["authorizer"];
  /** Called after any backend changes state (the gateway's readiness check). */
  onStateChange: () => void = () => {};

  constructor(private readonly o: RouterOptions) {
    this.authorizer = o.decisionCache ? withDecisionCache(o.compiled.authorizer) : o.compiled.authorizer;
  }

  // ---------------------------------------------------------------------------------------------
  // Sessions

  /** Answers `initialize`: opens a session bound to the caller's subject. */
  openSession(identity: Identity, msg: RpcRequest): { session: Session; answer: RpcResponse } {
    const p = msg.params ?? {};
    const requested = typeof p.protocolVersion === "string" ? p.protocolVersion : "";
    const version = SUPPORTED_PROTOCOL_VERSIONS.includes(requested) ? requested : LATEST_PROTOCOL_VERSION;
    const session = new Session(randomUUID(), String(identity.claims.sub), isRecord(p.capabilities) ? p.capabilities : {}, version);
    this.sessions.set(session.id, session);
    this.o.metrics.sessions.set(this.sessions.size);
    const clientInfo = isRecord(p.clientInfo) ? p.clientInfo : {};
    this.o.log({ msg: "session.open", user: identity.claims.sub, client: clientInfo.name, protocolVersion: version, anonymous: identity.anonymous || undefined });
    return {
      session,
      answer: { jsonrpc: "2.0", id: msg.id, result: { protocolVersion: version, capabilities: SERVER_CAPABILITIES, serverInfo: this.o.serverInfo } },
    };
  }

  closeSession(session: Session, reason: string): void {
    if (!this.sessions.delete(session.id)) return;
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

  /** Authorizes one client request; on denial answers 403 and returns undefined. */
  private decide(session: Session | undefined, identity: Identity, msg: RpcRequest | RpcNotification): McpDecision {
    const d = authorizeMcpRequest(this.authorizer, msg.method, msg.params, identity.claims, (name) => {
      const a = this.catalog.tools.get(name)?.def.annotations;
      return isRecord(a) ? a : undefined;
    });
    if (d.methodClass === "check" || d.methodClass === "deny") {
      this.o.metrics.countDecision(d.action ?? "method", d.allowed ? "allow" : "deny");
      this.o.log({
        msg: "authz.decision",
        audit: true,
        user: d.principal ?? identity.claims.sub,
        email: typeof identity.claims.email === "string" ? identity.claims.email : undefined,
        groups: d.methodClass === "deny" ? this.groupsOf(identity) : d.groups,
        method: msg.method,
        target: d.target,
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
  handleNotification(session: Session, identity: Identity, msg: RpcNotification): number {
    const d = this.decide(session, identity, msg);
    if (!d.allowed) return DENIAL_CODE;
    switch (msg.method) {
      case "notifications/cancelled": {
        const requestId = msg.params?.requestId as RequestId | undefined;
        const call = requestId === undefined ? undefined : session.call(requestId);
        if (call && !call.cancelled) {
          call.cancelled = true;
          const reason = typeof msg.params?.reason === "string" ? msg.params.reason : "cancelled by the client";
          if (call.upstreamId !== undefined) call.backend.cancel(call.upstreamId, reason);
          call.reply.abandon();
        }
        break;
      }
      case "notifications/roots/list_changed":
        for (const b of this.o.backends) if (b.state === "ready") b.notify(msg.method);
        break;
      default:
        break; // initialized, progress (for relayed requests): nothing to do
    }
    return 202;
  }

  /** A client's answer to a relayed server→client request. */
  handleResponse(session: Session, msg: RpcResponse): void {
    const key = idKey(msg.id!);
    const relay = session.relays.get(key);
    if (!relay) return;
    session.relays.delete(key);
    relay.backend.respond(relay.upstreamId, "error" in msg ? { error: msg.error } : { result: msg.result });
  }

  /** Handles a client request and answers through `reply`. */
  async handleRequest(session: Session, identity: Identity, msg: RpcRequest, reply: PostReply): Promise<void> {
    const d = this.decide(session, identity, msg);
    if (!d.allowed) {
      reply.finish(rpcError(msg.id, DENIAL_CODE, d.denialMessage ?? "Unauthorized"), DENIAL_CODE);
      return;
    }
    const params = msg.params ?? {};
    const ok = (result: Record<string, unknown>) => reply.finish({ jsonrpc: "2.0", id: msg.id, result });
    const fail = (code: number, message: string) => reply.finish(rpcError(msg.id, code, message));

    switch (msg.method) {
      case "ping":
        return ok({});
      case "initialize":
        return fail(RpcCode.InvalidRequest, "the session is already initialized");
      case "tools/list":
      case "prompts/list":
      case "resources/list":
      case "resources/templates/list":
        return ok(this.filteredList(session, identity, msg.method));
      case "tools/call": {
        const route = this.catalog.tools.get(String(params.name ?? ""));
        if (!route) return fail(RpcCode.InvalidParams, `Unknown tool: ${String(params.name ?? "")}`);
        await this.forward(session, msg, reply, route.backend, { ...params, name: route.name });
        return;
      }
      case "prompts/get": {
        const route = this.catalog.prompts.get(String(params.name ?? ""));
        if (!route) return fail(RpcCode.InvalidParams, `Unknown prompt: ${String(params.name ?? "")}`);
        await this.forward(session, msg, reply, route.backend, { ...params, name: route.name });
        return;
      }
      case "resources/read": {
        const backend = this.resourceBackend(String(params.uri ?? ""));
        if (!backend) return fail(RpcCode.ResourceNotFound, `Resource not found: ${String(params.uri ?? "")}`);
        await this.forward(session, msg, reply, backend, params);
        return;
      }
      case "resources/subscribe":
        return this.subscribe(session, msg, reply);
      case "resources/unsubscribe":
        return this.unsubscribe(session, msg, reply);
      case "completion/complete":
        return this.complete(session, msg, reply);
      case "logging/setLevel":
        return this.setLevel(session, msg, reply);
      default:
        return fail(RpcCode.MethodNotFound, `Method not found: ${msg.method}`);
    }
  }

  private filteredList(session: Session, identity: Identity, method: string): Record<string, unknown> {
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

  private resourceBackend(uri: string): Backend | undefined {
    const b = this.catalog.resourceBackend(uri);
    if (b) return b;
    const withResources = this.o.backends.filter((x) => x.serverCapabilities.resources);
    return withResources.length === 1 ? withResources[0] : undefined;
  }

  /** Sends a client request to a backend and relays its answer (and everything related to it). */
  private async forward(session: Session, msg: RpcRequest, reply: PostReply, backend: Backend, params: Record<string, unknown>): Promise<Answer | undefined> {
    const meta = isRecord(params._meta) ? params._meta : undefined;
    const token = meta?.progressToken;
    const progressToken = typeof token === "string" || typeof token === "number" ? token : undefined;
    const call = new InflightCall(session.id, msg.id, reply, backend, progressToken);
    const key = idKey(msg.id);
    session.calls.set(key, call);
    reply.onAbort(() => {
      if (call.cancelled) return;
      call.cancelled = true;
      if (call.upstreamId !== undefined) backend.cancel(call.upstreamId, "the client disconnected");
    });
    let upstreamParams = params;
    if (progressToken !== undefined) {
      const { progressToken: _omit, ...rest } = meta!;
      upstreamParams = { ...params, _meta: rest };
    }
    const answer = await backend.request(msg.method, upstreamParams, {
      owner: call,
      progress: progressToken !== undefined,
      onId: (id) => (call.upstreamId = id),
    });
    if (session.calls.get(key) === call) session.calls.delete(key);
    if (call.cancelled) {
      reply.abandon();
      return undefined;
    }
    reply.finish("error" in answer ? { jsonrpc: "2.0", id: msg.id, error: answer.error } : { jsonrpc: "2.0", id: msg.id, result: answer.result });
    return answer;
  }

  private async subscribe(session: Session, msg: RpcRequest, reply: PostReply): Promise<void> {
    const uri = String(msg.params?.uri ?? "");
    const backend = this.resourceBackend(uri);
    if (!backend) return reply.finish(rpcError(msg.id, RpcCode.ResourceNotFound, `Resource not found: ${uri}`));
    const answer = await this.forward(session, msg, reply, backend, msg.params ?? {});
    if (answer && !("error" in answer)) {
      session.subscriptions.add(uri);
      const set = this.subscribers.get(uri) ?? new Set<Session>();
      set.add(session);
      this.subscribers.set(uri, set);
    }
  }

  private async unsubscribe(session: Session, msg: RpcRequest, reply: PostReply): Promise<void> {
    const uri = String(msg.params?.uri ?? "");
    session.subscriptions.delete(uri);
    const others = [...(this.subscribers.get(uri) ?? [])].filter((s) => s !== session);
    if (others.length > 0) {
      this.subscribers.set(uri, new Set(others));
      return reply.finish({ jsonrpc: "2.0", id: msg.id, result: {} });
    }
    this.subscribers.delete(uri);
    const backend = this.resourceBackend(uri);
    if (!backend) return reply.finish(rpcError(msg.id, RpcCode.ResourceNotFound, `Resource not found: ${uri}`));
    await this.forward(session, msg, reply, backend, msg.params ?? {});
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

  private async complete(session: Session, msg: RpcRequest, reply: PostReply): Promise<void> {
    const params = msg.params ?? {};
    const ref = isRecord(params.ref) ? params.ref : {};
    if (ref.type === "ref/prompt") {
      const route = this.catalog.prompts.get(String(ref.name ?? ""));
      if (!route) return reply.finish(rpcError(msg.id, RpcCode.InvalidParams, `Unknown prompt: ${String(ref.name ?? "")}`));
      await this.forward(session, msg, reply, route.backend, { ...params, ref: { ...ref, name: route.name } });
      return;
    }
    if (ref.type === "ref/resource") {
      const uri = String(ref.uri ?? "");
      const backend = this.catalog.templateBackend(uri) ?? this.resourceBackend(uri);
      if (!backend) return reply.finish(rpcError(msg.id, RpcCode.InvalidParams, `Unknown resource: ${uri}`));
      await this.forward(session, msg, reply, backend, params);
      return;
    }
    reply.finish(rpcError(msg.id, RpcCode.InvalidParams, "completion/complete needs a ref/prompt or ref/resource reference"));
  }

  /** Records the session's level and sets each backend to the most verbose level any session wants. */
  private async setLevel(session: Session, msg: RpcRequest, reply: PostReply): Promise<void> {
    const level = msg.params?.level;
    if (!LOG_LEVELS.includes(level as (typeof LOG_LEVELS)[number])) return reply.finish(rpcError(msg.id, RpcCode.InvalidParams, `invalid log level: ${String(level)}`));
    session.logLevel = level as string;
    await Promise.all(this.o.backends.filter((b) => b.state === "ready").map((b) => this.applyLogLevel(b)));
    reply.finish({ jsonrpc: "2.0", id: msg.id, result: {} });
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
