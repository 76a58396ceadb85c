/**
 * The upstream OpenID provider the gateway sends users to (Okta in production, the development IdP
 * locally), through openid-client: discovery, the authorization URL with PKCE S256, state and nonce,
 * the code exchange with ID token validation (signature included: enableNonRepudiationChecks, as
 * go-oidc verifies it in pkg/authserver/upstream/oidc.go), and refresh with the subject check of
 * OIDC Core §12.2 (oidc.go RefreshTokens).
 */
import * as oidc from "openid-client";

export interface UpstreamOptions {
  /** The provider's name (the stack's `okta`), the key under which its tokens are stored. */
  name: string;
  issuer: string;
  /** Omitted: register the gateway as a client by RFC 7591 (the development IdP allows it). */
  clientId?: string;
  clientSecret?: string;
  /** `<gateway issuer>/oauth/callback`, registered on the upstream app. */
  redirectUri: string;
  scopes: readonly string[];
  /** Plain-HTTP issuer (development only). */
  allowHttp?: boolean;
  /** Shown in the upstream's consent/registration records. */
  clientName?: string;
  /**
   * Send `prompt=consent`, which OIDC Core §11 asks for with `offline_access` and oidc-provider (the
   * development IdP) enforces; Okta grants refresh tokens without it (ToolHive: forceConsentScreen).
   */
  promptConsent?: boolean;
}

export interface UpstreamTokenSet {
  accessToken: string;
  refreshToken?: string;
  idToken?: string;
  /** Epoch ms; 0 when the upstream asserts no expiry. */
  expiresAt: number;
}

export interface UpstreamIdentity {
  tokens: UpstreamTokenSet;
  subject: string;
  name?: string;
  email?: string;
}

export class UpstreamError extends Error {}

export class Upstream {
  private constructor(
    readonly name: string,
    private readonly config: oidc.Configuration,
    private readonly opts: UpstreamOptions,
  ) {}

  static async connect(o: UpstreamOptions): Promise<Upstream> {
    const execute = o.allowHttp ? [oidc.allowInsecureRequests] : [];
    const server = new URL(o.issuer);
    let config: oidc.Configuration;
    if (o.clientId) {
      const auth = o.clientSecret ? oidc.ClientSecretBasic(o.clientSecret) : oidc.None();
      config = await oidc.discovery(server, o.clientId, { redirect_uris: [o.redirectUri] }, auth, { execute });
    } else {
      config = await oidc.dynamicClientRegistration(
        server,
        {
          client_name: o.clientName ?? "vmcp-okta gateway",
          redirect_uris: [o.redirectUri],
          grant_types: ["authorization_code", "refresh_token"],
          response_types: ["code"],
          token_endpoint_auth_method: "client_secret_basic",
        },
        undefined,
        { execute },
      );
    }
    oidc.enableNonRepudiationChecks(config);
    return new Upstream(o.name, config, o);
  }

  get clientId(): string {
    return this.config.clientMetadata().client_id;
  }

  authorizationUrl(p: { state: string; codeChallenge: string; nonce: string }): string {
    return oidc
      .buildAuthorizationUrl(this.config, {
        redirect_uri: this.opts.redirectUri,
        scope: this.opts.scopes.join(" "),
        response_type: "code",
        code_challenge: p.codeChallenge,
        code_challenge_method: "S256",
        state: p.state,
        nonce: p.nonce,
        ...(this.opts.promptConsent ? { prompt: "consent" } : {}),
      })
      .toString();
  }

  /** `query` is the callback's query string; the redirect URI is ours, never the Host header's. */
  async exchange(query: URLSearchParams, checks: { state: string; codeVerifier: string; nonce: string }): Promise<UpstreamIdentity> {
    const current = new URL(this.opts.redirectUri);
    current.search = query.toString();
    let tokens: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers;
    try {
      tokens = await oidc.authorizationCodeGrant(this.config, current, {
        pkceCodeVerifier: checks.codeVerifier,
        expectedState: checks.state,
        expectedNonce: checks.nonce,
        idTokenExpected: true,
      });
    } catch (e) {
      throw new UpstreamError(`the upstream code exchange failed: ${(e as Error).message}`);
    }
    const claims = tokens.claims();
    if (!claims?.sub) throw new UpstreamError("the upstream ID token has no subject");
    return {
      tokens: tokenSet(tokens),
      subject: claims.sub,
      name: typeof claims.name === "string" ? claims.name : undefined,
      email: typeof claims.email === "string" ? claims.email : undefined,
    };
  }

  async refresh(refreshToken: string, expectedSubject: string): Promise<UpstreamTokenSet> {
    let tokens: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers;
    try {
      tokens = await oidc.refreshTokenGrant(this.config, refreshToken);
    } catch (e) {
      throw new UpstreamError(`the upstream refresh failed: ${(e as Error).message}`);
    }
    const sub = tokens.claims()?.sub;
    if (sub !== undefined && sub !== expectedSubject) throw new UpstreamError("the refreshed ID token names another subject");
    return tokenSet(tokens);
  }
}

function tokenSet(t: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers): UpstreamTokenSet {
  const expiresIn = t.expiresIn();
  return {
    accessToken: t.access_token,
    ...(t.refresh_token ? { refreshToken: t.refresh_token } : {}),
    ...(t.id_token ? { idToken: t.id_token } : {}),
    expiresAt: expiresIn === undefined ? 0 : Date.now() + expiresIn * 1000,
  };
}
