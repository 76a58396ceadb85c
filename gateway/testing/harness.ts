/**
 * Helpers shared by the gateway's tests and benchmark: a team for the echo backend, an SDK client
 * with a bearer token, raw JSON-RPC posts, log capture and polling.
 */
import * as path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { LATEST_PROTOCOL_VERSION } from "@modelcontextprotocol/sdk/types.js";
import { compileTeam, type CompiledTeam } from "../../components/compile";
import { startGateway, type GatewayOptions, type RunningGateway } from "../server";

export const REPO_ROOT = path.resolve(__dirname, "..", "..");
export const ENDPOINT = "http://localhost:8080";

/** The command line of the echo backend over stdio. */
export const ECHO_STDIO = { command: process.execPath, args: ["--import", "tsx", path.join(REPO_ROOT, "gateway/demo/echoBackend.ts"), "--stdio"], cwd: REPO_ROOT };

export const ECHO_TOOLS = ["echo", "slow", "log", "sample", "elicit", "roots", "touch"];

/**
 * A development team with one backend `echo`: `mcp-users` may use everything, `mcp-readers` only
 * tools the backend marks read-only (the annotation comes from the backend's own tools/list).
 */
export function echoTeam(extra: { tools?: string[]; environment?: "development" | "production" } = {}): CompiledTeam {
  return compileTeam({
    team: "gwtest",
    environment: extra.environment ?? "development",
    endpoint: extra.environment === "production" ? "https://gw.example.com" : ENDPOINT,
    groupPrefix: "mcp-",
    groups: { users: { description: "all tools" }, readers: { description: "read-only tools" } },
    grants: { users: { allow: "*" } },
    backends: { echo: { image: "example/echo:1", tools: extra.tools ?? ECHO_TOOLS } },
    cedar: {
      policies: [
        {
          id: "readers-read-only",
          cedar: 'permit(principal in THVGroup::"mcp-readers", action == Action::"call_tool", resource) when { resource has readOnlyHint && resource.readOnlyHint };',
        },
      ],
    },
  });
}

export interface ClientHandlers {
  sampling?: (params: Record<string, unknown>) => Record<string, unknown>;
  elicitation?: (params: Record<string, unknown>) => Record<string, unknown>;
  roots?: { uri: string; name?: string }[];
}

/** An SDK client connected through the gateway with a bearer token. */
export async function connect(mcpUrl: string, token: string | undefined, handlers: ClientHandlers = {}): Promise<Client> {
  const { CreateMessageRequestSchema, ElicitRequestSchema, ListRootsRequestSchema } = await import("@modelcontextprotocol/sdk/types.js");
  const capabilities: Record<string, unknown> = {};
  if (handlers.sampling) capabilities.sampling = {};
  if (handlers.elicitation) capabilities.elicitation = {};
  if (handlers.roots) capabilities.roots = { listChanged: true };
  const client = new Client({ name: "gateway-test", version: "1.0.0" }, { capabilities });
  if (handlers.sampling) client.setRequestHandler(CreateMessageRequestSchema, async (r) => handlers.sampling!(r.params as Record<string, unknown>) as never);
  if (handlers.elicitation) client.setRequestHandler(ElicitRequestSchema, async (r) => handlers.elicitation!(r.params as Record<string, unknown>) as never);
  if (handlers.roots) client.setRequestHandler(ListRootsRequestSchema, async () => ({ roots: handlers.roots! }));
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  await client.connect(new StreamableHTTPClientTransport(new URL(mcpUrl), { requestInit: { headers } }));
  return client;
}

export interface RawAnswer {
  status: number;
  headers: Headers;
  body: unknown;
  text: string;
}

/** POSTs one JSON-RPC message with fetch and reads the JSON or SSE answer. */
export async function rawPost(mcpUrl: string, message: unknown, headers: Record<string, string> = {}): Promise<RawAnswer> {
  const res = await fetch(mcpUrl, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json, text/event-stream", ...headers },
    body: typeof message === "string" ? message : JSON.stringify(message),
  });
  const text = await res.text();
  let body: unknown;
  if ((res.headers.get("content-type") ?? "").startsWith("text/event-stream")) {
    body = text
      .split("\n")
      .filter((l) => l.startsWith("data: "))
      .map((l) => JSON.parse(l.slice(6)));
  } else {
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
  }
  return { status: res.status, headers: res.headers, body, text };
}

/** Opens a session with a raw initialize; returns the session id. */
export async function rawSession(mcpUrl: string, token: string): Promise<string> {
  const a = await rawPost(
    mcpUrl,
    { jsonrpc: "2.0", id: 0, method: "initialize", params: { protocolVersion: LATEST_PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: "raw", version: "1" } } },
    { authorization: `Bearer ${token}` },
  );
  const sid = a.headers.get("mcp-session-id");
  if (a.status !== 200 || !sid) throw new Error(`initialize failed: HTTP ${a.status} ${a.text}`);
  await rawPost(mcpUrl, { jsonrpc: "2.0", method: "notifications/initialized" }, { authorization: `Bearer ${token}`, "mcp-session-id": sid });
  return sid;
}

export class LogCapture {
  readonly lines: Record<string, unknown>[] = [];
  readonly logger = (line: object) => void this.lines.push(line as Record<string, unknown>);
  find(msg: string): Record<string, unknown>[] {
    return this.lines.filter((l) => l.msg === msg);
  }
  text(): string {
    return this.lines.map((l) => JSON.stringify(l)).join("\n");
  }
}

export async function waitFor<T>(probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 10_000, what = "condition"): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * A gateway on a free port in front of one HTTP backend named `echo`, serving `echoTeam()` and
 * trusting `issuer`; `options` adds or overrides any other setting.
 */
export function startEchoGateway(issuer: { issuer: string }, backend: { url: string }, options: Partial<GatewayOptions> = {}): Promise<RunningGateway> {
  return startGateway({ compiled: echoTeam(), port: 0, resourceUrl: ENDPOINT, issuer: issuer.issuer, backends: [{ name: "echo", url: backend.url }], ...options });
}
