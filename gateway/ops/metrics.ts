/** Prometheus metrics of one gateway, in its own registry (several gateways may share a process). */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/** Methods get their own label value; anything else is "other" (bounded label cardinality). */
const KNOWN_METHODS = new Set([
  "initialize",
  "ping",
  "tools/list",
  "tools/call",
  "prompts/list",
  "prompts/get",
  "resources/list",
  "resources/templates/list",
  "resources/read",
  "resources/subscribe",
  "resources/unsubscribe",
  "completion/complete",
  "logging/setLevel",
]);

export function methodLabel(method: string | undefined): string {
  if (method === undefined) return "none";
  if (KNOWN_METHODS.has(method)) return method;
  if (method.startsWith("notifications/")) return "notification";
  return "other";
}

export class GatewayMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: "vmcp_gateway_requests_total",
    help: "MCP endpoint requests by JSON-RPC method and HTTP status",
    labelNames: ["method", "status"] as const,
    registers: [this.registry],
  });
  readonly duration = new Histogram({
    name: "vmcp_gateway_request_duration_seconds",
    help: "Time from request received to answer sent, by JSON-RPC method",
    labelNames: ["method"] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly decisions = new Counter({
    name: "vmcp_gateway_authz_decisions_total",
    help: "Authorization decisions by Cedar action (or 'method' for refused methods) and result",
    labelNames: ["action", "decision"] as const,
    registers: [this.registry],
  });
  readonly authFailures = new Counter({
    name: "vmcp_gateway_auth_failures_total",
    help: "Requests refused before authorization (missing or invalid token) by reason",
    labelNames: ["reason"] as const,
    registers: [this.registry],
  });
  readonly backendErrors = new Counter({
    name: "vmcp_gateway_backend_errors_total",
    help: "Backend failures by backend and kind (exit, timeout, unreachable, init, http)",
    labelNames: ["backend", "kind"] as const,
    registers: [this.registry],
  });
  readonly backendUp = new Gauge({
    name: "vmcp_gateway_backend_up",
    help: "1 when the backend is initialized and serving",
    labelNames: ["backend"] as const,
    registers: [this.registry],
  });
  readonly backendRestarts = new Gauge({
    name: "vmcp_gateway_backend_restarts",
    help: "Reconnection attempts of the backend since the gateway started",
    labelNames: ["backend"] as const,
    registers: [this.registry],
  });
  readonly sessions = new Gauge({ name: "vmcp_gateway_sessions", help: "Open MCP sessions", registers: [this.registry] });

  constructor(defaultMetrics: boolean) {
    if (defaultMetrics) collectDefaultMetrics({ register: this.registry, prefix: "vmcp_gateway_" });
  }

  // Hot-path helpers: prom-client hashes the label object on every call; the bound children are
  // kept here instead (the label values come from small, fixed sets).
  private readonly requestChildren = new Map<string, { inc(): void }>();
  private readonly durationChildren = new Map<string, { observe(v: number): void }>();
  private readonly decisionChildren = new Map<string, { inc(): void }>();

  countRequest(method: string, status: number | string): void {
    const key = `${method} ${status}`;
    let c = this.requestChildren.get(key);
    if (!c) this.requestChildren.set(key, (c = this.requests.labels(method, String(status))));
    c.inc();
  }

  observeDuration(method: string, seconds: number): void {
    let c = this.durationChildren.get(method);
    if (!c) this.durationChildren.set(method, (c = this.duration.labels(method)));
    c.observe(seconds);
  }

  countDecision(action: string, decision: "allow" | "deny"): void {
    const key = `${action} ${decision}`;
    let c = this.decisionChildren.get(key);
    if (!c) this.decisionChildren.set(key, (c = this.decisions.labels(action, decision)));
    c.inc();
  }
}
