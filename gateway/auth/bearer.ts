/** Extracts the bearer token from an Authorization header. */
export type BearerResult = { kind: "none" } | { kind: "malformed" } | { kind: "token"; token: string };

const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*)\s*$/i;

export function bearerToken(header: string | undefined): BearerResult {
  if (header === undefined || header === "") return { kind: "none" };
  const m = BEARER.exec(header);
  return m ? { kind: "token", token: m[1] } : { kind: "malformed" };
}
