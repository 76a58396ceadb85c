/**
 * A throw-away OIDC issuer on 127.0.0.1 for the gateway's tests and benchmark: a discovery
 * document, a JWKS at Okta's path (`/v1/keys`) and token minting with jose. Keys can be rotated and
 * the JWKS endpoint switched off, to test key handling. Never used by the product itself.
 */
import * as http from "node:http";
import { randomUUID } from "node:crypto";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from "jose";

export interface SigningKey {
  kid: string;
  alg: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

export interface MintOptions {
  /** Seconds from now (default 300); negative for an expired token. */
  expiresIn?: number;
  /** Seconds from now for nbf. */
  notBefore?: number;
  issuer?: string;
  audience?: string | string[];
  /** Sign with this key (default: the current signing key). */
  key?: SigningKey;
  /** Override the protected header's kid. */
  kid?: string;
  /** Omit exp. */
  noExp?: boolean;
}

export class TestIssuer {
  jwksFetches = 0;
  discoveryFetches = 0;
  jwksAvailable = true;
  private published: SigningKey[] = [];
  private current!: SigningKey;
  private nextKid = 1;

  private constructor(
    private readonly server: http.Server,
    readonly issuer: string,
    readonly defaultAudience: string,
  ) {}

  static async start(audience: string, alg = "RS256"): Promise<TestIssuer> {
    let self: TestIssuer | undefined;
    const server = http.createServer((req, res) => self!.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    self = new TestIssuer(server, `http://127.0.0.1:${port}/oauth2/default`, audience);
    self.current = await self.newKey(alg);
    self.published = [self.current];
    return self;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const base = new URL(this.issuer).pathname;
    if (req.url === `${base}/.well-known/openid-configuration`) {
      this.discoveryFetches++;
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ issuer: this.issuer, jwks_uri: `${this.issuer}/v1/keys`, id_token_signing_alg_values_supported: ["RS256"] }));
      return;
    }
    if (req.url === `${base}/v1/keys`) {
      this.jwksFetches++;
      if (!this.jwksAvailable) {
        res.writeHead(503).end();
        return;
      }
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ keys: this.published.map((k) => k.publicJwk) }));
      return;
    }
    res.writeHead(404).end();
  }

  /** A key pair that is not (yet) published. */
  async newKey(alg = "RS256"): Promise<SigningKey> {
    const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
    const kid = `test-key-${this.nextKid++}`;
    const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: "sig" };
    return { kid, alg, privateKey, publicJwk };
  }

  get signingKey(): SigningKey {
    return this.current;
  }

  /** Publishes a new key and signs with it from now on; the old key stays published unless `retireOld`. */
  async rotate(retireOld = false): Promise<SigningKey> {
    const next = await this.newKey(this.current.alg);
    this.published = retireOld ? [next] : [...this.published, next];
    this.current = next;
    return next;
  }

  async token(claims: Record<string, unknown>, o: MintOptions = {}): Promise<string> {
    const key = o.key ?? this.current;
    const now = Math.floor(Date.now() / 1000);
    const jwt = new SignJWT(claims)
      .setProtectedHeader({ alg: key.alg, kid: o.kid ?? key.kid, typ: "JWT" })
      .setIssuer(o.issuer ?? this.issuer)
      .setAudience(o.audience ?? this.defaultAudience)
      .setIssuedAt(now)
      .setJti(randomUUID());
    if (!o.noExp) jwt.setExpirationTime(now + (o.expiresIn ?? 300));
    if (o.notBefore !== undefined) jwt.setNotBefore(now + o.notBefore);
    return jwt.sign(key.privateKey);
  }

  /** A token shaped like the Okta custom authorization server's for a user in `groups`. */
  userToken(sub: string, groups: string[], o: MintOptions = {}): Promise<string> {
    return this.token({ sub, email: sub.includes("@") ? sub : undefined, groups, scp: ["mcp"] }, o);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
