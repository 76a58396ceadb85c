/**
 * Shape checking that reports every shape problem and still hands back what is usable: unknown keys
 * and wrong optional values are reported, removed, and the object is parsed again, so the rules that
 * run after the shape check still report their problems in the same run (an unknown key no longer
 * hides the rest of the file). Any config section with a zod schema can use it.
 */
import type { z } from "zod";
import type { ProblemList } from "../errors";

export interface LenientOptions {
  /** The config path of a zod issue path. */
  path(at: (string | number)[]): string;
  /** Code and fix for an unknown key `key` in the object at `at`. */
  unknownKey(at: (string | number)[], key: string): { code: string; fix: string };
  /** Code for any other shape problem. */
  invalidCode: string;
}

/** A plain-data copy (stack config and TypeScript literals are JSON-shaped). */
function plainCopy(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(plainCopy);
  if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plainCopy(x)]));
  return v;
}

const REMOVED = Symbol("removed");

/** Removes the value at `path` (an array element is marked, and filtered out by dropRemoved). */
function removeAt(root: unknown, path: (string | number)[]): void {
  let cur = root as Record<string | number, unknown>;
  for (const seg of path.slice(0, -1)) {
    cur = cur?.[seg] as Record<string | number, unknown>;
    if (cur === null || typeof cur !== "object") return;
  }
  const last = path[path.length - 1];
  if (Array.isArray(cur) && typeof last === "number") cur[last] = REMOVED;
  else delete cur[last];
}

function dropRemoved(v: unknown): unknown {
  if (Array.isArray(v)) return v.filter((x) => x !== REMOVED).map(dropRemoved);
  if (v !== null && typeof v === "object") for (const [k, x] of Object.entries(v)) (v as Record<string, unknown>)[k] = dropRemoved(x);
  return v;
}

/**
 * Parses `input` with `schema`, reporting each problem once into `problems`. Returns the parsed value
 * without the offending keys and values, or undefined when what is left is unusable (a required
 * value is missing or wrong: removing it does not help).
 */
export function parseLeniently<S extends z.ZodTypeAny>(schema: S, input: unknown, problems: ProblemList, o: LenientOptions): z.infer<S> | undefined {
  let current = input;
  const reported = new Set<string>();
  for (let round = 0; round < 20; round++) {
    const result = schema.safeParse(current);
    if (result.success) return result.data;
    const next = plainCopy(current);
    for (const issue of result.error.issues) {
      if (issue.code === "unrecognized_keys") {
        for (const key of issue.keys) {
          const path = o.path([...issue.path, key]);
          if (!reported.has(path)) {
            const { code, fix } = o.unknownKey(issue.path, key);
            problems.error(code, path, "unknown key", { fix });
            reported.add(path);
          }
          removeAt(next, [...issue.path, key]);
        }
        continue;
      }
      const path = o.path(issue.path);
      if (reported.has(path)) return undefined;
      problems.error(o.invalidCode, path, issue.message, { fix: "correct the value's type or form as the message says" });
      reported.add(path);
      if (issue.path.length === 0) return undefined;
      removeAt(next, issue.path);
    }
    current = dropRemoved(next);
  }
  return undefined;
}
