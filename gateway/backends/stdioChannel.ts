/** A stdio backend: a child process driven by the SDK's StdioClientTransport. */
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import type { Readable } from "node:stream";
import { createInterface } from "node:readline";
import type { BackendChannel, ChannelHandlers } from "./channel";
import type { RpcMessage } from "../mcp/jsonrpc";

export interface StdioLaunch {
  command: string;
  args?: string[];
  /** Added to the SDK's safe default environment (PATH, HOME, …); the gateway's own env is not inherited. */
  env?: Record<string, string>;
  cwd?: string;
}

export class StdioChannel implements BackendChannel {
  readonly kind = "stdio" as const;
  private transport?: StdioClientTransport;
  private closing = false;

  constructor(private readonly launch: StdioLaunch) {}

  get pid(): number | null {
    return this.transport?.pid ?? null;
  }

  async start(handlers: ChannelHandlers): Promise<void> {
    const t = new StdioClientTransport({ command: this.launch.command, args: this.launch.args, env: this.launch.env, cwd: this.launch.cwd, stderr: "pipe" });
    this.transport = t;
    const stderr = t.stderr as Readable | null;
    if (stderr && handlers.onStderr) createInterface({ input: stderr }).on("line", (line) => handlers.onStderr!(line));
    let exited = false;
    t.onmessage = (m: JSONRPCMessage) => handlers.onMessage(m as RpcMessage);
    t.onclose = () => {
      if (exited) return;
      exited = true;
      handlers.onClose(this.closing ? "closed by the gateway" : "the backend process exited");
    };
    t.onerror = () => {
      /* stdin/stdout errors are followed by close; parse errors of single lines are ignored */
    };
    await t.start();
  }

  async send(msg: RpcMessage): Promise<void> {
    if (!this.transport) throw new Error("not started");
    await this.transport.send(msg as JSONRPCMessage);
  }

  initialized(): void {}

  async close(): Promise<void> {
    this.closing = true;
    await this.transport?.close();
  }
}
