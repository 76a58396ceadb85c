/**
 * The Kubernetes half of a team: the guide's "Deploy to ToolHive" as resources. Secrets are created
 * from Pulumi secrets (the Okta client secret, persistent keys, backend credentials), never typed by a
 * human; the custom resources are the pure builders' objects with Okta's outputs filled in.
 *
 * Day 2: key material is never replaced by a config edit (changes to a generation's algorithm inputs
 * are ignored and refused, and the keys are `protect`ed in production); Secrets keep their names so
 * the provider updates them in place (with `kubernetes:enableSecretMutable`); the namespace can be
 * adopted and is never deleted by the stack. README "ToolHive on Kubernetes > What destroy does".
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as tls from "@pulumi/tls";
import * as random from "@pulumi/random";
import type { JWK } from "jose";
import type { TeamSpec } from "../spec/types";
import { qualifyConfigKey, TOOLHIVE_VERSION, type KubernetesSpec, type SigningKeySpec } from "./config";
import { mcpGroupObject, mcpOidcConfigObject, mcpServerObject, teamLabels, TOOLHIVE_API_VERSION, virtualMcpServerObject, type KubeObject } from "./objects";
import { jwksOf, publicSigningKey, signingKeyMismatch, type PublicSigningKey } from "./keys";
import { toolhiveOperatorReleases } from "./operator";
import { isPlaceholder } from "./placeholders";

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
  upstreamReady?: pulumi.Input<pulumi.Resource>[];
  /**
   * `protect` the key material (signing keys, HMAC secrets), so that no config edit and no
   * `pulumi destroy` can delete the only copy. Default: true in production.
   */
  protectKeyMaterial?: boolean;
  /**
   * Read the ToolHive CRDs before declaring anything (default true; skipped when the stack installs
   * the operator itself). `render` turns it off: offline, there is no cluster to read.
   */
  clusterPreflight?: boolean;
}

/** The CRDs (plural names) of the objects the team declares, at the API version they are written for. */
export const REQUIRED_CRDS = ["mcpgroups", "mcpservers", "mcpoidcconfigs", "virtualmcpservers"] as const;
const CRD_VERSION = TOOLHIVE_API_VERSION.split("/")[1];

/**
 * `up` waits until the operator accepted the VirtualMCPServer: its `Ready` condition
 * (cmd/thv-operator/api/v1beta1/virtualmcpserver_types.go ConditionTypeVirtualMCPServerReady, set by
 * cmd/thv-operator/controllers/virtualmcpserver_controller.go through the status collector).
 * `pulumi.com/waitFor` is the Kubernetes provider's await annotation (pulumi-kubernetes ≥ 4.18; the
 * installed @pulumi/kubernetes is 4.34). A rejected resource never becomes Ready: `up` fails at the
 * timeout, and the provider's message carries the object's last status conditions.
 */
export const VMCP_WAIT_FOR = "condition=Ready";
export const VMCP_READY_TIMEOUT = "10m";

/** Every component of the package uses the `vmcp-okta:index:<Name>` type scheme. */
export const TOOLHIVE_TEAM_TYPE = "vmcp-okta:index:ToolhiveTeam";
/** The type this component had before the scheme was unified (an alias keeps deployed stacks). */
const LEGACY_TOOLHIVE_TEAM_TYPE = "vmcp-okta:kubernetes:ToolhiveTeam";

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
    super(TOOLHIVE_TEAM_TYPE, name, {}, { ...opts, aliases: [...(opts.aliases ?? []), { type: LEGACY_TOOLHIVE_TEAM_TYPE }] });
    const { spec, kubernetes: k8sSpec } = args;
    const missing = k8sSpec.secretConfigKeys.filter((r) => args.secretValues[r.configKey] === undefined);
    if (missing.length > 0) {
      throw new pulumi.ResourceError(
        `ToolhiveTeam: no value passed for ${missing.map((r) => `${r.configKey} (named at ${r.path})`).join(", ")}. Pass it in secretValues (the stack program reads it with new pulumi.Config().requireSecret).`,
        this,
      );
    }
    const protectKeys = args.protectKeyMaterial ?? spec.environment === "production";
    // Changing these would replace the key and kill every issued token; the check below refuses it.
    const keyMaterial = (inputs: string[]): pulumi.CustomResourceOptions => ({ parent: this, ignoreChanges: inputs, ...(protectKeys ? { protect: true } : {}) });
    const n = k8sSpec.names;
    const labels = teamLabels(spec);
    const base: pulumi.CustomResourceOptions = { parent: this, ...(args.provider ? { provider: args.provider } : {}) };

    // Namespace and operator come first; everything else waits for them.
    const foundation: pulumi.Input<pulumi.Resource>[] = [];
    // (`dependsOn` takes Inputs of resources: the preflight's entries resolve once its check passed.)
    if (k8sSpec.operator?.install) foundation.push(...toolhiveOperatorReleases(name, k8sSpec.operator, base));
    else if (args.clusterPreflight !== false) foundation.push(...crdPreflight(name, base, this));
    const preflight = [...foundation];
    if (k8sSpec.createNamespace) {
      // Never deleted by the stack: a namespace holds more than what the stack put there. Adopted
      // with `createNamespace: adopt` (the import id of a namespace is its name).
      foundation.push(
        new k8s.core.v1.Namespace(`${name}-namespace`, { metadata: { name: k8sSpec.namespace, labels } }, {
          ...base,
          dependsOn: preflight,
          retainOnDelete: true,
          ...(k8sSpec.adoptNamespace ? { import: k8sSpec.namespace } : {}),
        }),
      );
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
      const key = new tls.PrivateKey(`${name}-signing-key-${g.generation}`, tlsKeyArgs(g), keyMaterial(["algorithm", "rsaBits", "ecdsaCurve"]));
      const ref = n.signingKey(g.generation);
      // PKCS#8 PEM: ToolHive's LoadSigningKey accepts it for RSA and ECDSA alike.
      authSecrets.push(secret(`${name}-signing-key-${g.generation}`, ref.name, { stringData: { [ref.key]: key.privateKeyPemPkcs8 } }));
      publicKeys.push(
        key.publicKeyPem.apply((pem) => {
          const why = signingKeyMismatch(pem, g);
          if (why) {
            throw new pulumi.ResourceError(
              `error [kubernetes.signing-key-changed] vmcp-okta:team.kubernetes.signingKeys[${i}]: signing key generation ${g.generation} already exists and ${why}; a generation's key is never replaced (every token it signed would die)\n` +
                `    fix: put the old algorithm back on generation ${g.generation}, and add a new generation first in the list (e.g. {generation: "${nextGeneration(k8sSpec.signingKeys.map((x) => x.generation))}", algorithm: ${g.algorithm}}) to rotate`,
              this,
            );
          }
          return publicSigningKey(pem, g.algorithm, g.generation, i === 0);
        }),
      );
    });

    // Persistent HMAC secrets: raw random bytes (Secret `data` is their base64; no newline is added).
    k8sSpec.hmacSecrets.forEach((h, i) => {
      const bytes = new random.RandomBytes(`${name}-hmac-${h.generation}`, { length: h.bytes }, keyMaterial(["length"]));
      const ref = n.hmacSecret(h.generation);
      // The length is checked on the existing value (never logged): a changed `bytes` would not apply.
      const checked = bytes.base64.apply((b64) => {
        const have = isPlaceholder(b64) ? h.bytes : Buffer.from(b64, "base64").length;
        if (have !== h.bytes) {
          throw new pulumi.ResourceError(
            `error [kubernetes.hmac-changed] vmcp-okta:team.kubernetes.hmacSecrets[${i}].bytes: HMAC generation ${h.generation} already exists with ${have} bytes, not ${h.bytes}; a generation is never replaced\n` +
              `    fix: set bytes: ${have} on generation ${h.generation}, and add a new generation first in the list to rotate`,
            this,
          );
        }
        return b64;
      });
      authSecrets.push(secret(`${name}-hmac-${h.generation}`, ref.name, { data: { [ref.key]: pulumi.secret(checked) } }));
    });

    const value = (configKey: string): pulumi.Output<string> => pulumi.secret(args.secretValues[configKey]);
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
      {
        apiVersion: vmcpObject.apiVersion,
        kind: vmcpObject.kind,
        metadata: { ...vmcpObject.metadata, annotations: { "pulumi.com/waitFor": VMCP_WAIT_FOR } },
        spec: vmcpObject.spec,
      },
      {
        ...base,
        dependsOn: [...foundation, group, ...servers, oidc, ...authSecrets, ...(args.upstreamReady ?? [])],
        customTimeouts: { create: VMCP_READY_TIMEOUT, update: VMCP_READY_TIMEOUT },
      },
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

/**
 * Reads each CRD the team's objects need (a read, also in preview) and checks it serves the API
 * version they are written for. What depends on the result waits for the check, so with a missing or
 * old CRD nothing is created. A missing CRD fails the read itself; its logical name says which chart
 * provides it.
 */
function crdPreflight(name: string, opts: pulumi.CustomResourceOptions, parent: pulumi.Resource): pulumi.Output<pulumi.Resource>[] {
  const chart = `oci://ghcr.io/stacklok/toolhive/toolhive-operator-crds --version ${TOOLHIVE_VERSION}`;
  return REQUIRED_CRDS.map((plural) => {
    const crdName = `${plural}.toolhive.stacklok.dev`;
    const crd = k8s.apiextensions.v1.CustomResourceDefinition.get(`${name}-needs-toolhive-operator-crds-${TOOLHIVE_VERSION}-${plural}`, crdName, opts);
    // An Output in dependsOn is awaited by the SDK: a failed check fails every dependent's registration.
    return crd.spec.apply((spec): pulumi.Resource => {
      const served = (spec?.versions ?? []).filter((v) => v.served).map((v) => v.name);
      if (!served.includes(CRD_VERSION)) {
        throw new pulumi.ResourceError(
          `error [kubernetes.crd-version] ${crdName}: the cluster's ToolHive CRD serves ${served.join(", ") || "no version"}, not ${CRD_VERSION} (the stack emits ToolHive ${TOOLHIVE_VERSION} objects)\n` +
            `    fix: helm upgrade --install toolhive-operator-crds ${chart}, or set kubernetes.operator.install: true in one stack per cluster`,
          parent,
        );
      }
      return crd;
    });
  });
}

/** A generation id not yet used: one more than the highest numeric one, else `<first>-2`. */
function nextGeneration(existing: string[]): string {
  const nums = existing.filter((g) => /^\d+$/.test(g)).map(Number);
  return nums.length ? String(Math.max(...nums) + 1) : `${existing[0]}-2`;
}

function tlsKeyArgs(g: SigningKeySpec): tls.PrivateKeyArgs {
  return g.algorithm === "RS256" ? { algorithm: "RSA", rsaBits: g.rsaBits ?? 2048 } : { algorithm: "ECDSA", ecdsaCurve: "P256" };
}
