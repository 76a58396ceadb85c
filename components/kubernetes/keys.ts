/**
 * Public halves of the signing keys, as vMCP publishes them at `/.well-known/jwks.json`: the JWK
 * and its `kid`, the RFC 7638 thumbprint (ToolHive's DeriveKeyID). Only public PEMs come in here.
 */
import * as crypto from "node:crypto";
import { calculateJwkThumbprint, exportJWK, importSPKI, type JWK } from "jose";
import type { SigningAlgorithm } from "./config";
import { isPlaceholder } from "./placeholders";

export interface PublicSigningKey {
  generation: string;
  /** RFC 7638 SHA-256 thumbprint, base64url. */
  kid: string;
  alg: SigningAlgorithm;
  /** True for the first generation, the one that signs new tokens. */
  signing: boolean;
  jwk: JWK;
}

/** The public JWK (with `kid`, `alg`, `use`) of a public key PEM (SPKI). */
export async function publicSigningKey(publicKeyPem: string, alg: SigningAlgorithm, generation: string, signing: boolean): Promise<PublicSigningKey> {
  if (isPlaceholder(publicKeyPem)) {
    // Offline render: the key does not exist yet; name what will be there.
    const kid = publicKeyPem.replace(/^<(.*?)(\.public-key-pem)?>$/, "<$1.kid>");
    return { generation, kid, alg, signing, jwk: { kid, alg, use: "sig" } };
  }
  const key = await importSPKI(publicKeyPem, alg, { extractable: true });
  const jwk = await exportJWK(key);
  if ("d" in jwk || "p" in jwk) throw new Error("refusing to publish private key material"); // defensive: SPKI has none
  const kid = await calculateJwkThumbprint(jwk, "sha256");
  return { generation, kid, alg, signing, jwk: { ...jwk, kid, alg, use: "sig" } };
}

/** The JWKS document of the team's keys, signing key first. */
export function jwksOf(keys: readonly PublicSigningKey[]): { keys: JWK[] } {
  return { keys: keys.map((k) => k.jwk) };
}

/**
 * What an existing key generation actually is, against what the config now says. A generation's key
 * is never replaced by a config edit (the component ignores changes to the key's algorithm inputs),
 * so a different algorithm or size in the config would silently not apply: it is refused instead.
 * Returns the reason, or undefined when the key matches (or does not exist yet).
 */
export function signingKeyMismatch(publicKeyPem: string, want: { algorithm: SigningAlgorithm; rsaBits?: number }): string | undefined {
  if (isPlaceholder(publicKeyPem)) return undefined;
  const key = crypto.createPublicKey(publicKeyPem);
  const details = key.asymmetricKeyDetails ?? {};
  const have = key.asymmetricKeyType === "rsa" ? `RS256 (RSA ${details.modulusLength} bits)` : `ES256 (${details.namedCurve === "prime256v1" ? "P-256" : details.namedCurve})`;
  if (want.algorithm === "RS256") {
    if (key.asymmetricKeyType !== "rsa") return `it is an ${have} key, not RS256`;
    if (want.rsaBits !== undefined && details.modulusLength !== want.rsaBits) return `it is an ${have} key, not ${want.rsaBits} bits`;
    return undefined;
  }
  if (key.asymmetricKeyType !== "ec" || details.namedCurve !== "prime256v1") return `it is an ${have} key, not ES256 (P-256)`;
  return undefined;
}
