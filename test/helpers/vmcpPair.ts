/**
 * One stack, two engines: our gateway and ToolHive's real vMCP (`vmcp serve` with the runtime
 * configuration `render` writes, local variant), on the same Streamable HTTP backends, validating
 * the same development identity provider's tokens (`startPair`), or each behind its own embedded
 * authorization server with the development IdP upstream and a real browser sign-in
 * (`startEmbeddedPair`). Used by the differential suite and the benchmark.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { randomBytes } from "node:crypto";
import { auth } from "@modelcontextprotocol/sdk/client/auth.js";
import { loadTeam, type LoadedTeam } from "../../components/loadStack";
import { toolhiveObjects } from "../../components/kubernetes/objects";
import { devConfigFor, devUsers, type DevUser } from "../../components/dev/config";
import { localEmbeddedVmcpFiles, localVmcpConfig, vmcpConfigMap, type StaticBackend } from "../../components/vmcp/runtimeConfig";
import { runVmcp, type RunningVmcp } from "../../components/vmcp/runVmcp";
import { startDevIdp, type DevIdp } from "../../gateway/devIdp";
import { startGateway, type RunningGateway } from "../../gateway/server";
import { freePort } from "./net";
import { BrowserOAuthProvider, LoopbackCallback, SignInBrowser } from "./browserSignIn";

/** Every engine answers as this resource (token audience); each listens on its own loopback port. */
export const PAIR_RESOURCE = "http://localhost:8080";

/**
 * A stack's team definition made runnable on a laptop without changing what is compared: the
 * development environment (http issuer), the shared resource URL, no secrets to resolve, and no
 * Okta or Kubernetes settings beyond a namespace.
 */
export function laptopTeam(team: Record<string, unknown>): Record<string, unknown> {
  const backends = Object.fromEntries(
    Object.entries(team.backends as Record<string, Record<string, unknown>>).map(([name, b]) => {
      const { secrets: _secrets, local: _local, ...rest } = b;
      return [name, rest];
    }),
  );
  const { okta: _okta, kubernetes: _k8s, ...rest } = team;
  return { ...rest, environment: "development", endpoint: PAIR_RESOURCE, backends, kubernetes: { namespace: "vmcp-diff", insecureAllowHTTP: true } };
}

export interface EnginePair {
  loaded: LoadedTeam;
  users: DevUser[];
  tokens: Map<string, string>;
  idp: DevIdp;
  gateway: RunningGateway;
  vmcp: RunningVmcp;
  /** The local vMCP configuration that ran. */
  vmcpConfig: Record<string, unknown>;
  close(): Promise<void>;
}

/** Starts the IdP, our gateway and vMCP for `team` (already laptop-shaped) on `backends`. */
export async function startPair(team: Record<string, unknown>, backends: readonly StaticBackend[], opts: { quiet?: boolean } = {}): Promise<EnginePair> {
  const loaded = loadTeam(team);
  const spec = loaded.compiled.spec;
  const { dev } = devConfigFor(spec);
  const users = devUsers(spec, dev);
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "vmcp-pair-idp-"));
  const idp = await startDevIdp({ spec, users, resourceUrl: PAIR_RESOURCE, port: await freePort(), stateDir });
  const cleanups: (() => Promise<void>)[] = [async () => idp.close(), async () => fs.rmSync(stateDir, { recursive: true, force: true })];
  const closeAll = async () => {
    for (const c of cleanups.reverse()) await c().catch(() => {});
  };
  try {
    const gateway = await startGateway({
      compiled: loaded.compiled,
      port: await freePort(),
      resourceUrl: PAIR_RESOURCE,
      issuer: idp.issuer,
      audience: PAIR_RESOURCE,
      backends: backends.map((b) => ({ name: b.name, url: b.url })),
      handleSignals: false,
      defaultMetrics: false,
      logger: opts.quiet === false ? undefined : () => {},
    });
    cleanups.push(() => gateway.close());
    await gateway.ready;
    // The operator's configuration for the stack's objects, then its local variant.
    const objects = toolhiveObjects(spec, loaded.kubernetes, loaded.policies, { oktaIssuer: "https://okta.invalid/oauth2/default", clientId: "unused" });
    const vmcpConfig = localVmcpConfig(vmcpConfigMap(objects).config, { backends, issuer: idp.issuer, audience: PAIR_RESOURCE, insecureAllowHttp: true });
    const vmcp = await runVmcp({ config: vmcpConfig, port: await freePort() });
    cleanups.push(() => vmcp.close());
    const tokens = new Map<string, string>();
    for (const u of users) tokens.set(u.login, await idp.mintToken(u.login));
    return { loaded, users, tokens, idp, gateway, vmcp, vmcpConfig, close: closeAll };
  } catch (e) {
    await closeAll();
    throw e;
  }
}

/** An engine as the differential suite sees it: an MCP URL and a way to get a user's token for it. */
export interface Engine {
  mcpUrl: string;
  token(login: string): Promise<string>;
}

export interface EmbeddedPair {
  loaded: LoadedTeam;
  users: DevUser[];
  ours: Engine;
  vmcp: Engine;
  close(): Promise<void>;
}

/** The browser harness's OAuth provider, with a `state` (vMCP's authorization server, fosite, requires one of 8+ characters). */
class StatefulBrowserProvider extends BrowserOAuthProvider {
  state(): string {
    return randomBytes(16).toString("hex");
  }
}

/** Signs `login` in through Chromium at the engine's own authorization server and returns the access token. */
async function browserToken(browser: SignInBrowser, callback: LoopbackCallback, mcpUrl: string, login: string): Promise<string> {
  const provider = new StatefulBrowserProvider(browser, callback, login);
  if ((await auth(provider, { serverUrl: mcpUrl })) !== "REDIRECT") throw new Error(`${mcpUrl}: expected a sign-in redirect`);
  const code = await provider.nextCode();
  if ((await auth(provider, { serverUrl: mcpUrl, authorizationCode: code })) !== "AUTHORIZED") throw new Error(`${mcpUrl}: code exchange failed`);
  return provider.tokens()!.access_token;
}

/**
 * Both engines with their embedded authorization server (vMCP's `authServerConfig`; ours,
 * gateway/authServer), each with the development IdP as the upstream (one IdP per engine, each
 * engine registered there as a client), users signing in through a real browser. Cedar then reads
 * the upstream token's claims on both sides.
 */
export async function startEmbeddedPair(team: Record<string, unknown>, backends: readonly StaticBackend[]): Promise<EmbeddedPair> {
  const loaded = loadTeam(team);
  const spec = loaded.compiled.spec;
  const users = devUsers(spec, devConfigFor(spec).dev);
  const cleanups: (() => Promise<void>)[] = [];
  const closeAll = async () => {
    for (const c of cleanups.reverse()) await c().catch(() => {});
  };
  const idpFor = async (resourceUrl: string) => {
    const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "vmcp-pair-idp-"));
    const idp = await startDevIdp({ spec, users, resourceUrl, port: await freePort(), stateDir });
    cleanups.push(async () => (await idp.close(), fs.rmSync(stateDir, { recursive: true, force: true })));
    return { idp, stateDir };
  };
  try {
    const browser = await SignInBrowser.launch();
    cleanups.push(() => browser.close());
    const callback = await LoopbackCallback.start();
    cleanups.push(() => callback.close());

    // Ours: the gateway with its embedded authorization server.
    const gwPort = await freePort();
    const gwUrl = `http://127.0.0.1:${gwPort}`;
    const ourIdp = await idpFor(gwUrl);
    const { devAuthServer } = await import("../../gateway/authServer");
    const authServer = await devAuthServer({ compiled: loaded.compiled, resourceUrl: gwUrl, upstreamIssuer: ourIdp.idp.issuer, keyDir: path.join(ourIdp.stateDir, "auth-server"), log: () => {} });
    cleanups.push(() => authServer.close());
    const gateway = await startGateway({
      authServer,
      compiled: loaded.compiled,
      port: gwPort,
      resourceUrl: gwUrl,
      issuer: ourIdp.idp.issuer,
      backends: backends.map((b) => ({ name: b.name, url: b.url })),
      handleSignals: false,
      defaultMetrics: false,
      logger: () => {},
    });
    cleanups.push(() => gateway.close());
    await gateway.ready;

    // vMCP: the operator's configuration with its auth server, registered at its own IdP (RFC 7591).
    const vmcpPort = await freePort();
    const vmcpUrl = `http://127.0.0.1:${vmcpPort}`;
    const theirIdp = await idpFor(vmcpUrl);
    const discovery = (await (await fetch(`${theirIdp.idp.issuer}/.well-known/openid-configuration`)).json()) as { registration_endpoint: string };
    const reg = (await (
      await fetch(discovery.registration_endpoint, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ client_name: "vMCP (differential suite)", redirect_uris: [`${vmcpUrl}/oauth/callback`], grant_types: ["authorization_code", "refresh_token"], response_types: ["code"], token_endpoint_auth_method: "client_secret_basic" }),
      })
    ).json()) as { client_id: string; client_secret: string };
    const objects = toolhiveObjects(spec, loaded.kubernetes, loaded.policies, { oktaIssuer: theirIdp.idp.issuer, clientId: reg.client_id });
    const files = localEmbeddedVmcpFiles(vmcpConfigMap(objects), { url: vmcpUrl, backends, upstream: { issuer: theirIdp.idp.issuer, clientId: reg.client_id } });
    const vmcp = await runVmcp({ config: files.config, authServer: files.authServer, port: vmcpPort, env: { [files.clientSecretEnvVar]: reg.client_secret } });
    cleanups.push(() => vmcp.close());

    const engine = (mcpUrl: string): Engine => {
      const cache = new Map<string, string>();
      return {
        mcpUrl,
        token: async (login) => {
          if (!cache.has(login)) cache.set(login, await browserToken(browser, callback, mcpUrl, login));
          return cache.get(login)!;
        },
      };
    };
    return { loaded, users, ours: engine(gateway.mcpUrl), vmcp: engine(vmcp.mcpUrl), close: closeAll };
  } catch (e) {
    await closeAll();
    throw e;
  }
}
