/**
 * The attack catalogue shared by the gateway's attack tests (dev gateway in process, production
 * container entry as a process): targets in every JSON shape that is not a string, in every
 * position a target can take, plus what a backend recorded (gateway/demo/recorder.ts).
 */
import { readRecorded } from "../../gateway/demo/recorder";

/** The methods that run something on a backend. */
export const CALL_METHODS = new Set(["tools/call", "prompts/get", "resources/read", "resources/subscribe", "resources/unsubscribe", "completion/complete"]);

/** Every JSON shape a target can take that is not a string (wrapping the denied target where it can). */
export function nonStrings(target: string): [string, unknown][] {
  return [
    ["array", [target]],
    ["nested array", [[target]]],
    ["object", { name: target }],
    ["object with toString", { toString: target }],
    ["object with valueOf", { valueOf: target, toString: target }],
    ["number", 42],
    ["float", 1.5],
    ["null", null],
    ["true", true],
    ["false", false],
    ["empty object", {}],
    ["empty array", []],
    ["nested object", { a: { b: { c: [target] } } }],
  ];
}

export interface Attack {
  label: string;
  method: string;
  params: Record<string, unknown>;
  /** The param path the -32602 message must name. */
  path: string;
}

/** Every target position × every non-string shape. */
export function targetAttacks(t: { tool: string; prompt: string; resource: string; template: string }): Attack[] {
  const out: Attack[] = [];
  for (const [shape, v] of nonStrings(t.tool)) out.push({ label: `tools/call name as ${shape}`, method: "tools/call", params: { name: v, arguments: { namespace: "default" } }, path: "params.name" });
  for (const [shape, v] of nonStrings(t.prompt)) out.push({ label: `prompts/get name as ${shape}`, method: "prompts/get", params: { name: v, arguments: { namespace: "default" } }, path: "params.name" });
  for (const [shape, v] of nonStrings(t.prompt)) {
    out.push({ label: `completion ref.name as ${shape}`, method: "completion/complete", params: { ref: { type: "ref/prompt", name: v }, argument: { name: "namespace", value: "d" } }, path: "params.ref.name" });
  }
  for (const [shape, v] of nonStrings(t.template)) {
    out.push({ label: `completion ref.uri as ${shape}`, method: "completion/complete", params: { ref: { type: "ref/resource", uri: v }, argument: { name: "namespace", value: "d" } }, path: "params.ref.uri" });
  }
  for (const m of ["resources/read", "resources/subscribe", "resources/unsubscribe"]) {
    for (const [shape, v] of nonStrings(t.resource)) out.push({ label: `${m} uri as ${shape}`, method: m, params: { uri: v }, path: "params.uri" });
  }
  // Arguments that are not an object.
  for (const [shape, v] of [["array", [{ namespace: "default" }]], ["string", "namespace=default"], ["number", 1], ["null", null], ["true", true]] as [string, unknown][]) {
    out.push({ label: `tools/call arguments as ${shape}`, method: "tools/call", params: { name: t.tool, arguments: v }, path: "params.arguments" });
    out.push({ label: `prompts/get arguments as ${shape}`, method: "prompts/get", params: { name: t.prompt, arguments: v }, path: "params.arguments" });
  }
  return out;
}

/** Calls (not handshakes, lists or health pings) recorded by backends, from record files. */
export function recordedCalls(files: string[]): Record<string, unknown>[] {
  return files.flatMap((f) => readRecorded(f)).filter((m) => CALL_METHODS.has(m.method as string));
}
