/**
 * Named placeholders for values that exist only after deployment (`<okta:auth-server.issuer>`),
 * used by the offline render. A value of this form is never a real URL, id, key or secret.
 */
const PLACEHOLDER = /^<[^<>\s]+>$/;

export function placeholder(name: string): string {
  return `<${name}>`;
}

export function isPlaceholder(v: unknown): v is string {
  return typeof v === "string" && PLACEHOLDER.test(v);
}
