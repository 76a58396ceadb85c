/**
 * The authorization server's key material, in the formats the stack's Kubernetes Secrets hold
 * (components/kubernetes/toolhiveTeam.ts): signing keys as unencrypted PKCS#8 PEM (ToolHive's
 * LoadSigningKey also takes PKCS#1 and SEC 1), newest generation first — index 0 signs, the others
 * only verify (pkg/authserver/server/keys/provider.go FileProvider: signing key + fallback keys) —
 * and HMAC secrets as raw bytes of at least 32 bytes (pkg/authserver/server/crypto/keys.go
 * MinSecretLength), index 0 current. The algorithm follows the key as ToolHive's DeriveAlgorithm
 * does (RSA → RS256, P-256 → ES256); the kid is the RFC 7638 thumbprint (keys.ts of the Kubernetes
 * component computes it, and is reused here).
 *
 * HMAC secrets: ToolHive signs its opaque codes and refresh tokens with them. oidc-provider stores
 * those artefacts by random id instead, so here the secrets key the provider's signed cookies, which
 * likewise must agree across replicas and survive rotation (first signs, the rest still verify).
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, type KeyObject } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import type { JWK } from "jose";
import { MIN_HMAC_BYTES, MIN_RSA_BITS, type HmacSecretSpec, type SigningAlgorithm, type SigningKeySpec } from "../../components/kubernetes/config";
import { publicSigningKey, type PublicSigningKey } from "../../components/kubernetes/keys";

export interface SigningKeyInput {
  generation: string;
  pem: string;
}

export interface SigningKeySet {
  /** Private JWKs for oidc-provider, newest (signing) first; each with kid, alg, use. */
  privateJwks: (JWK & { kid: string; alg: string })[];
  /** Public halves, newest first (what `/.well-known/jwks.json` serves). */
  publicKeys: PublicSigningKey[];
  /** The signing key's algorithm. */
  alg: SigningAlgorithm;
}

/** ToolHive's DeriveAlgorithm for the two algorithms the stack generates. */
export function algorithmOf(key: KeyObject): SigningAlgorithm {
  if (key.asymmetricKeyType === "rsa") {
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < MIN_RSA_BITS) throw new Error(`RSA signing keys must have at least ${MIN_RSA_BITS} bits, this one has ${bits}`);
    return "RS256";
  }
  if (key.asymmetricKeyType === "ec" && key.asymmetricKeyDetails?.namedCurve === "prime256v1") return "ES256";
  throw new Error(`unsupported signing key type ${key.asymmetricKeyType}${key.asymmetricKeyDetails?.namedCurve ? ` (${key.asymmetricKeyDetails.namedCurve})` : ""}: use RSA (RS256) or EC P-256 (ES256)`);
}

/** Parses the PEMs (newest first) into the provider's JWKS and the published public keys. */
export async function loadSigningKeys(inputs: readonly SigningKeyInput[]): Promise<SigningKeySet> {
  if (inputs.length === 0) throw new Error("at least one signing key is needed (the first one signs)");
  const privateJwks: SigningKeySet["privateJwks"] = [];
  const publicKeys: PublicSigningKey[] = [];
  for (const [i, k] of inputs.entries()) {
    let key: KeyObject;
    try {
      key = createPrivateKey({ key: k.pem, format: "pem" });
    } catch (e) {
      throw new Error(`signing key generation ${k.generation} is not an unencrypted PEM private key: ${(e as Error).message}`);
    }
    const alg = algorithmOf(key);
    const spki = createPublicKey(key).export({ format: "pem", type: "spki" }).toString();
    const pub = await publicSigningKey(spki, alg, k.generation, i === 0);
    publicKeys.push(pub);
    privateJwks.push({ ...(key.export({ format: "jwk" }) as JWK), kid: pub.kid, alg, use: "sig" });
  }
  const kids = new Set(publicKeys.map((p) => p.kid));
  if (kids.size !== publicKeys.length) throw new Error("two signing key generations hold the same key");
  return { privateJwks, publicKeys, alg: publicKeys[0].alg };
}

/** Checks HMAC secrets (newest first) the way ToolHive does and returns them as cookie keys. */
export function cookieKeysFrom(secrets: readonly Buffer[]): Buffer[] {
  if (secrets.length === 0) throw new Error("at least one HMAC secret is needed");
  secrets.forEach((s, i) => {
    if (s.length < MIN_HMAC_BYTES) throw new Error(`HMAC secret ${i} has ${s.length} bytes; at least ${MIN_HMAC_BYTES} are needed`);
  });
  return [...secrets];
}

function pkcs8(spec: SigningKeySpec): string {
  const { privateKey } =
    spec.algorithm === "RS256"
      ? generateKeyPairSync("rsa", { modulusLength: spec.rsaBits ?? MIN_RSA_BITS })
      : generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  return privateKey.export({ format: "pem", type: "pkcs8" }).toString();
}

/** Writes `content` to `file` unless it exists (mode 0600); two processes racing keep the first. */
function createOnce(file: string, content: string | Buffer): void {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  fs.writeFileSync(tmp, content, { mode: 0o600 });
  try {
    fs.linkSync(tmp, file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

export interface LocalKeyMaterial {
  signingKeys: SigningKeyInput[];
  hmacSecrets: Buffer[];
}

/**
 * Development: the stack's key generations as files under `dir` (git-ignored `.vmcp-okta/`), one
 * PKCS#8 PEM per signing key generation and one raw secret per HMAC generation, created on first use
 * and never replaced, so tokens survive restarts. Files of generations dropped from the stack stay.
 */
export function localKeyMaterial(dir: string, signing: readonly SigningKeySpec[], hmac: readonly HmacSecretSpec[]): LocalKeyMaterial {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const signingKeys = signing.map((s) => {
    const file = path.join(dir, `signing-key-${s.generation}.pem`);
    if (!fs.existsSync(file)) createOnce(file, pkcs8(s));
    return { generation: s.generation, pem: fs.readFileSync(file, "utf8") };
  });
  const hmacSecrets = hmac.map((h) => {
    const file = path.join(dir, `hmac-${h.generation}`);
    if (!fs.existsSync(file)) createOnce(file, randomBytes(h.bytes));
    return fs.readFileSync(file);
  });
  return { signingKeys, hmacSecrets };
}

/**
 * Production: files mounted from the Secrets the way the operator mounts them for vMCP
 * (`<dir>/key-<i>.pem`, `<dir>/hmac-<i>`; cmd/thv-operator/pkg/controllerutil/authserver.go),
 * index 0 first. Read as raw bytes, no trimming (runner/embeddedauthserver.go).
 */
export function mountedKeyMaterial(keyDir: string, hmacDir: string): LocalKeyMaterial {
  const indexed = (dir: string, re: RegExp) =>
    fs
      .readdirSync(dir)
      .map((f) => ({ f, m: re.exec(f) }))
      .filter((x): x is { f: string; m: RegExpExecArray } => x.m !== null)
      .sort((a, b) => Number(a.m[1]) - Number(b.m[1]))
      .map((x) => ({ index: x.m[1], file: path.join(dir, x.f) }));
  const signingKeys = indexed(keyDir, /^key-(\d+)\.pem$/).map((k) => ({ generation: k.index, pem: fs.readFileSync(k.file, "utf8") }));
  const hmacSecrets = indexed(hmacDir, /^hmac-(\d+)$/).map((h) => fs.readFileSync(h.file));
  if (!signingKeys.length) throw new Error(`no signing keys (key-0.pem, key-1.pem, …) in ${keyDir}`);
  if (!hmacSecrets.length) throw new Error(`no HMAC secrets (hmac-0, hmac-1, …) in ${hmacDir}`);
  return { signingKeys, hmacSecrets };
}
