/**
 * The Kubernetes half of a team: the guide's "Deploy to ToolHive" as resources. Secrets are created
 * from Pulumi secrets (the Okta client secret, persistent keys, backend credentials), never typed by a
 * human; the custom resources are the pure builders' objects with Okta's outputs filled in.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as tls from "@pulumi/tls";
import * as random from "@pulumi/random";
import type { JWK } from "jose";
import type { TeamSpec } from "../spec/types";
import { qualifyConfigKey, type KubernetesSpec, type SigningKeySpec } from "./config";
import { mcpGroupObject, mcpOidcConfigObject, mcpServerObject, teamLabels, virtualMcpServerObject, type KubeObject } from "./objects";
import { jwksOf, publicSigningKey, type PublicSigningKey } from "./keys";
import { toolhiveOperatorReleases } from "./operator";

export interface ToolhiveTeamArgs {
  /** The validated team (from `compileTeam`). */
  spec: TeamSpec;
  /** The validated `kubernetes` section (from `validateKubernetes`). */
  kubernetes: KubernetesSpec;
  /** Cedar policies, one per string: `compileTeam(...).policies.map(p => p.text)`. */
  policies: readonly string[];
  /** Issuer of the team's Okta authorization server (the upstream `issuerUrl`). */
  oktaIssuer: pulumi.Input<string>;
  /** Client id of the team's Okta app. */
  clientId: pulumi.Input<string>;
  /** Client secret of the team's Okta app; stored in the IdP client-secret Secret. */
  clientSecret: pulumi.Input<string>;
  /** Redirect URI registered on the Okta app (default `<endpoint>/oauth/callback`). */
  redirectUri?: string;
  /** Scopes requested from Okta (default openid, profile, groups, offline_access). */
  upstreamScopes?: readonly string[];
  /** Values of the secret config keys in `kubernetes.secretConfigKeys`, by fully qualified key. */
  secretValues: Record<string, pulumi.Input<string>>;
  /** Kubernetes provider (default: the ambient kubeconfig). */
  provider?: k8s.Provider;
  /** What the VirtualMCPServer must wait for (the Okta side: rule, assignments). */
  upstreamReady?: pulumi.Resource[];
}

/** The public part of one signing key generation. */
export type { PublicSigningKey };

export class ToolhiveTeam extends pulumi.ComponentResource {
  /** Namespace of every object of the team. */
  readonly namespace: string;
  /** The vMCP endpoint: issuer of the embedded auth server, audience and resource URL. */
  readonly issuer: string;
  /** Where MCP clients connect: `<endpoint>/mcp`. */
  readonly mcpUrl: string;
  /** Each signing key's public JWK and kid, newest (signing) first. Never the private part. */
  readonly signingKeys: pulumi.Output<PublicSigningKey[]>;
  /** `{keys: [...]}` as served at `<endpoint>/.well-known/jwks.json`. */
  readonly jwks: pulumi.Output<{ keys: JWK[] }>;
  /** Names of the Kubernetes objects, for cross-stack references. */
  readonly objectNames: { virtualMcpServer: string; mcpGroup: string; mcpOidcConfig: string; mcpServers: string[]; service: string };
  readonly virtualMcpServer: k8s.apiextensions.CustomResource;

  constructor(name: string, args: ToolhiveTeamArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("vmcp-okta:kubernetes:ToolhiveTeam", name, {}, opts);
    const { spec, kubernetes: k8sSpec } = args;
    const n = k8sSpec.names;
    const labels = teamLabels(spec);
    const base: pulumi.CustomResourceOptions = { parent: this, ...(args.provider ? { provider: args.provider } : {}) };

    // Namespace and operator come first; everything else waits for them.
    const foundation: pulumi.Resource[] = [];
    if (k8sSpec.operator?.install) foundation.push(...toolhiveOperatorReleases(name, k8sSpec.operator, base));
    if (k8sSpec.createNamespace) {
      foundation.push(new k8s.core.v1.Namespace(`${name}-namespace`, { metadata: { name: k8sSpec.namespace, labels } }, base));
    }
    const inNs: pulumi.CustomResourceOptions = { ...base, dependsOn: foundation };
    const secret = (resourceName: string, secretName: string, body: { stringData?: Record<string, pulumi.Input<string>>; data?: Record<string, pulumi.Input<string>> }) =>
      new k8s.core.v1.Secret(resourceName, { metadata: { name: secretName, namespace: k8sSpec.namespace, labels }, type: "Opaque", ...body }, inNs);

    // Step 1 of the guide, without a human copying the secret.
    const authSecrets: pulumi.Resource[] = [
      secret(`${name}-idp-client-secret`, n.idpClientSecret.name, { stringData: { [n.idpClientSecret.key]: pulumi.secret(args.clientSecret) } }),
    ];

    // Persistent signing keys, one resource per generation: adding one creates one, dropping one removes one.
    const publicKeys: pulumi.Output<PublicSigningKey>[] = [];
    k8sSpec.signingKeys.forEach((g, i) => {
      const key = new tls.PrivateKey(`${name}-signing-key-${g.generation}`, tlsKeyArgs(g), { parent: this });
      const ref = n.signingKey(g.generation);
      // PKCS#8 PEM: ToolHive's LoadSigningKey accepts it for RSA and ECDSA alike.
      authSecrets.push(secret(`${name}-signing-key-${g.generation}`, ref.name, { stringData: { [ref.key]: key.privateKeyPemPkcs8 } }));
      publicKeys.push(key.publicKeyPem.apply((pem) => publicSigningKey(pem, g.algorithm, g.generation, i === 0)));
    });

    // Persistent HMAC secrets: raw random bytes (Secret `data` is their base64; no newline is added).
    k8sSpec.hmacSecrets.forEach((h) => {
      const bytes = new random.RandomBytes(`${name}-hmac-${h.generation}`, { length: h.bytes }, { parent: this });
      const ref = n.hmacSecret(h.generation);
      authSecrets.push(secret(`${name}-hmac-${h.generation}`, ref.name, { data: { [ref.key]: bytes.base64 } }));
    });

    const value = (configKey: string): pulumi.Output<string> => {
      const v = args.secretValues[configKey];
      if (v === undefined) throw new Error(`no value passed for secret config key ${configKey}`);
      return pulumi.secret(v);
    };
    if (k8sSpec.sessionStorage?.passwordFrom) {
      authSecrets.push(secret(`${name}-redis-session`, n.redisSession.name, { stringData: { [n.redisSession.key]: value(k8sSpec.sessionStorage.passwordFrom) } }));
    }
    const as = k8sSpec.authServerStorage;
    if (as?.type === "redis" && as.passwordFrom) {
      const data: Record<string, pulumi.Input<string>> = { [n.redisAuthServer.passwordKey]: value(as.passwordFrom) };
      if (as.usernameFrom) data[n.redisAuthServer.usernameKey] = value(as.usernameFrom);
      authSecrets.push(secret(`${name}-redis-auth-server`, n.redisAuthServer.name, { stringData: data }));
    }

    // Backend Secrets (e.g. github-pat, which the guide references but never creates). Entries that
    // share a Secret name become keys of one Secret.
    const backendSecrets = new Map<string, k8s.core.v1.Secret>();
    const byName = new Map<string, Record<string, pulumi.Input<string>>>();
    for (const b of spec.backends) {
      for (const s of b.secrets) {
        const data = byName.get(s.name) ?? {};
        data[s.key] = value(qualifyConfigKey(s.valueFrom));
        byName.set(s.name, data);
      }
    }
    for (const [secretName, data] of byName) backendSecrets.set(secretName, secret(`${name}-backend-secret-${secretName}`, secretName, { stringData: data }));

    const cr = (o: KubeObject, dependsOn: pulumi.Resource[]) =>
      new k8s.apiextensions.CustomResource(`${name}-${o.kind.toLowerCase()}-${o.metadata.name}`, { apiVersion: o.apiVersion, kind: o.kind, metadata: o.metadata, spec: o.spec }, {
        ...base,
        dependsOn: [...foundation, ...dependsOn],
      });

    const group = cr(mcpGroupObject(spec, k8sSpec), []);
    const servers = spec.backends.map((b) => cr(mcpServerObject(spec, k8sSpec, b), [group, ...b.secrets.map((s) => backendSecrets.get(s.name)!)]));
    const oidc = cr(mcpOidcConfigObject(spec, k8sSpec), []);
    const upstream = {
      oktaIssuer: pulumi.output(args.oktaIssuer),
      clientId: pulumi.output(args.clientId),
      redirectUri: args.redirectUri,
      scopes: args.upstreamScopes,
    };
    const vmcpObject = virtualMcpServerObject(spec, k8sSpec, args.policies, upstream);
    this.virtualMcpServer = new k8s.apiextensions.CustomResource(
      `${name}-virtualmcpserver-${vmcpObject.metadata.name}`,
      { apiVersion: vmcpObject.apiVersion, kind: vmcpObject.kind, metadata: vmcpObject.metadata, spec: vmcpObject.spec },
      { ...base, dependsOn: [...foundation, group, ...servers, oidc, ...authSecrets, ...(args.upstreamReady ?? [])] },
    );

    this.namespace = k8sSpec.namespace;
    this.issuer = spec.endpoint;
    this.mcpUrl = `${spec.endpoint}/mcp`;
    this.signingKeys = pulumi.all(publicKeys);
    this.jwks = this.signingKeys.apply(jwksOf);
    this.objectNames = {
      virtualMcpServer: n.server,
      mcpGroup: n.group,
      mcpOidcConfig: n.oidcConfig,
      mcpServers: spec.backends.map((b) => b.name),
      service: n.service,
    };
    this.registerOutputs({
      namespace: this.namespace,
      issuer: this.issuer,
      mcpUrl: this.mcpUrl,
      signingKeys: this.signingKeys,
      jwks: this.jwks,
      objectNames: this.objectNames,
    });
  }
}

function tlsKeyArgs(g: SigningKeySpec): tls.PrivateKeyArgs {
  return g.algorithm === "RS256" ? { algorithm: "RSA", rsaBits: g.rsaBits ?? 2048 } : { algorithm: "ECDSA", ecdsaCurve: "P256" };
}
