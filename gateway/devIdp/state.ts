/**
 * The development identity provider's persistent state: its RS256 signing key (so tokens survive
 * restarts and `vmcp-okta dev token` mints tokens the running IdP's JWKS verifies), the secret of its
 * scripted-minting client and its cookie keys. Kept in a git-ignored folder (`.vmcp-okta/dev-idp/`),
 * file mode 0600. Development only: never point a real deployment at these keys.
 */
import { createHash, generateKeyPairSync, randomBytes, type JsonWebKey } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

export const STATE_FILE = "dev-idp.json";

export interface PrivateJwk extends JsonWebKey {
  kty: "RSA";
  kid: string;
  alg: "RS256";
  use: "sig";
}

export interface DevIdpState {
  version: 1;
  /** Signing keys, newest first (the first one signs). */
  keys: PrivateJwk[];
  /** Secret of the `vmcp-okta-dev` client that mints tokens for scripts. */
  clientSecret: string;
  cookieKeys: string[];
}

/** `<dir>/.vmcp-okta/dev-idp`, next to the stack file. */
export function defaultStateDir(baseDir: string): string {
  return path.join(baseDir, ".vmcp-okta", "dev-idp");
}

function b64url(buf: Buffer): string {
  return buf.toString("base64url");
}

/** RFC 7638 JWK thumbprint of an RSA key (SHA-256), used as `kid`. */
export function rsaThumbprint(jwk: { e?: string; n?: string }): string {
  const canonical = JSON.stringify({ e: jwk.e, kty: "RSA", n: jwk.n });
  return b64url(createHash("sha256").update(canonical).digest());
}

export function newSigningKey(): PrivateJwk {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const jwk = privateKey.export({ format: "jwk" }) as JsonWebKey;
  return { ...jwk, kty: "RSA", kid: rsaThumbprint(jwk), alg: "RS256", use: "sig" };
}

function isState(v: unknown): v is DevIdpState {
  const s = v as DevIdpState;
  return (
    typeof s === "object" &&
    s !== null &&
    s.version === 1 &&
    Array.isArray(s.keys) &&
    s.keys.length > 0 &&
    s.keys.every((k) => k && k.kty === "RSA" && typeof k.kid === "string" && typeof k.d === "string" && typeof k.n === "string") &&
    typeof s.clientSecret === "string" &&
    s.clientSecret.length >= 32 &&
    Array.isArray(s.cookieKeys) &&
    s.cookieKeys.length > 0
  );
}

/**
 * Loads the state from `dir`, creating it (and the folder, mode 0700) on first use. A corrupt file is
 * an error rather than silently replaced, since replacing it would invalidate every issued token.
 */
export function loadOrCreateState(dir: string): { state: DevIdpState; file: string; created: boolean } {
  const file = path.join(dir, STATE_FILE);
  if (fs.existsSync(file)) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(fs.readFileSync(file, "utf8"));
    } catch (e) {
      throw new Error(`the development IdP state ${file} is not valid JSON (${(e as Error).message}); delete it to create new keys (tokens issued before stop working)`);
    }
    if (!isState(parsed)) throw new Error(`the development IdP state ${file} is not in the expected form; delete it to create new keys (tokens issued before stop working)`);
    return { state: parsed, file, created: false };
  }
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const state: DevIdpState = {
    version: 1,
    keys: [newSigningKey()],
    clientSecret: b64url(randomBytes(32)),
    cookieKeys: [b64url(randomBytes(32))],
  };
  // Written whole to a temporary name, then linked into place: link() fails if the file exists, so of
  // two processes creating it at once (two `dev token` calls) the first wins and the other reads a
  // complete file, never a half-written one.
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(state, null, 2) + "\n", { mode: 0o600 });
  try {
    fs.linkSync(tmp, file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EEXIST") return loadOrCreateState(dir);
    throw e;
  } finally {
    fs.rmSync(tmp, { force: true });
  }
  return { state, file, created: true };
}
