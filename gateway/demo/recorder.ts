/**
 * What a demo or test backend received, for tests that must prove a call never reached a backend.
 * With `VMCP_DEMO_RECORD=<file>` in its environment, a stdio backend appends every JSON-RPC
 * message it reads, as one JSON line, before its SDK server handles it. Off unless the variable
 * is set; the gateway never sets it.
 */
import * as fs from "node:fs";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";

export const RECORD_ENV = "VMCP_DEMO_RECORD";

/** Wraps a connected transport's message handler (call it right after `server.connect`). */
export function recordReceived(transport: Transport, file: string | undefined = process.env[RECORD_ENV]): void {
  if (!file) return;
  const handle = transport.onmessage;
  transport.onmessage = (msg, extra) => {
    let line: string;
    try {
      line = JSON.stringify(msg);
    } catch {
      line = JSON.stringify({ unserializable: true });
    }
    fs.appendFileSync(file, line + "\n"); // synchronous: on disk before the answer can be sent
    handle?.(msg, extra);
  };
}

/** Every message recorded in `file` so far (none when it does not exist yet). */
export function readRecorded(file: string): Record<string, unknown>[] {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch {
    return [];
  }
  return text
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}
