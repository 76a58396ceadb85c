/**
 * JSON → Cedar value conversion exactly as ToolHive's Go authorizer does it (entity.go), in the
 * cedar-wasm JSON encoding. Every JSON number is a decimal (Go decodes JSON numbers as float64 and
 * ToolHive builds `NewDecimalFromFloat`), never a Long.
 */
export type CedarValue =
  | string
  | boolean
  | CedarValue[]
  | { [key: string]: CedarValue }
  | { __extn: { fn: "decimal"; arg: string } };

const MAX_DEPTH = 10;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** `int64(f*10000)` truncated toward zero, formatted as a Cedar decimal literal; undefined on overflow. */
export function decimalFromNumber(f: number): CedarValue | undefined {
  if (!Number.isFinite(f)) return undefined;
  const scaled = Math.trunc(f * 10000);
  if (!Number.isFinite(scaled)) return undefined;
  const big = BigInt(scaled);
  if (big < INT64_MIN || big > INT64_MAX) return undefined;
  const neg = big < 0n;
  const abs = neg ? -big : big;
  const arg = `${neg ? "-" : ""}${abs / 10000n}.${(abs % 10000n).toString().padStart(4, "0")}`;
  return { __extn: { fn: "decimal", arg } };
}

/** Converts one JSON value; undefined means "omit the key" (null, unsupported, too deep, overflow). */
export function toCedarValue(v: unknown, depth = 0): CedarValue | undefined {
  if (depth > MAX_DEPTH) return undefined;
  switch (typeof v) {
    case "string":
    case "boolean":
      return v;
    case "number":
      return decimalFromNumber(v);
    case "object": {
      if (v === null) return undefined;
      if (Array.isArray(v)) {
        const out: CedarValue[] = [];
        for (const item of v) {
          const c = toCedarValue(item, depth + 1);
          if (c !== undefined) out.push(c);
        }
        return out;
      }
      const rec: { [key: string]: CedarValue } = {};
      for (const [k, item] of Object.entries(v as Record<string, unknown>)) {
        // cedar-wasm reads these keys as escapes; Go would keep them as plain record keys. Dropped.
        if (k === "__entity" || k === "__extn") continue;
        const c = toCedarValue(item, depth + 1);
        if (c !== undefined) rec[k] = c;
      }
      return rec;
    }
    default:
      return undefined;
  }
}

/** `claim_<name>` attributes from every top-level claim. */
export function claimAttributes(claims: Record<string, unknown>): Record<string, CedarValue> {
  const out: Record<string, CedarValue> = {};
  for (const [k, v] of Object.entries(claims)) {
    if (k === "tsid") continue; // ToolHive strips its internal session claim before authorization
    const c = toCedarValue(v);
    if (c !== undefined) out[`claim_${k}`] = c;
  }
  return out;
}

/** `arg_<name>` for scalars, `arg_<name>_present = true` for objects, arrays and null. */
export function argumentAttributes(args: Record<string, unknown> | undefined | null): Record<string, CedarValue> {
  const out: Record<string, CedarValue> = {};
  if (!args || typeof args !== "object" || Array.isArray(args)) return out;
  for (const [k, v] of Object.entries(args)) {
    if (typeof v === "string" || typeof v === "boolean" || typeof v === "number") {
      const c = toCedarValue(v);
      if (c !== undefined) out[`arg_${k}`] = c;
    } else {
      out[`arg_${k}_present`] = true;
    }
  }
  return out;
}
