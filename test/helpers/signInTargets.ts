/**
 * What the browser sign-in tests sign in to. A target is a running gateway on the repository's dev
 * stack (demo backends, the access matrix of Pulumi.dev.yaml) with short token lifespans, plus the
 * knobs the tests need: where the MCP endpoint is, and how to end a user's upstream session so that it
 * cannot be refreshed.
 *
 * - `direct`: the chain before the embedded authorization server: clients register with and sign in
 *   at the development IdP directly; the gateway validates the IdP's tokens.
 * - `embedded`: what `npm start` runs: the gateway's embedded authorization server (as vMCP's
 *   `authServerConfig`): clients register with and get tokens from the gateway, which signs the user
 *   in at the development IdP and keeps the IdP's tokens per session.
 * - `container`: the production image's entry (gateway/container/main.ts) as its own process, on a
 *   production copy of the dev stack, with the development IdP standing in for Okta: a pre-registered
 *   confidential client (the Okta app), mounted signing key and HMAC secret files, the stack's own
 *   token lifespans (the gateway's access tokens live an hour; the IdP's expire in seconds, so the
 *   gateway's upstream refresh is what the tests see).
 */
import { spawn } from "node:child_process";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { CompiledTeam } from "../../components/compile";
import { devConfigFor, devEndpoints, devUsers, type DevUser } from "../../components/dev/config";
import { loadCompiledStack } from "../../cli/output";
import { compileTeam } from "../../components/compile";
import { loadStackFile } from "../../components/stackConfig";
import { tempStacks } from "../fixtures/cli";
import { startDevIdp, type DevIdp } from "../../gateway/devIdp";
import { startGateway, type GatewayOptions, type RunningGateway } from "../../gateway/server";
import { freePort } from "./net";

export const REPO = resolve(__dirname, "..", "..");

export interface SignInTarget {
  name: string;
  /** Whether the gateway's embedded authorization server issues the client's tokens (and refreshes upstream ones). */
  embedded: boolean;
  /** The public MCP URL (origin = the resource). */
  mcpUrl: string;
  compiled: CompiledTeam;
  users: DevUser[];
  /** Seconds after which the shortest-lived access token (the client's or the upstream one) has expired. */
  accessTtlSeconds: number;
  /** Whether the client's own access token expires within `accessTtlSeconds` (so the client refreshes). */
  clientTokensExpire: boolean;
  /** Ends the user's sessions at the identity provider (refresh tokens included), so the next refresh fails. */
  endUpstreamSession(login: string): void;
  logs: object[];
  close(): Promise<void>;
}

export function devStack(): CompiledTeam {
  return loadCompiledStack("dev", REPO).compiled;
}

/** Clients ↔ development IdP directly; the gateway validates the IdP's tokens. */
export function startDirectTarget(o: { accessTtlSeconds?: number } = {}): Promise<SignInTarget> {
  return startDevTarget({ ...o, embedded: false });
}

/** `npm start`'s chain: clients ↔ the gateway's embedded authorization server ↔ development IdP. */
export function startEmbeddedTarget(o: { accessTtlSeconds?: number } = {}): Promise<SignInTarget> {
  return startDevTarget({ ...o, embedded: true });
}

async function startDevTarget(o: { accessTtlSeconds?: number; embedded: boolean }): Promise<SignInTarget> {
  const compiled = devStack();
  const { dev } = devConfigFor(compiled.spec);
  const users = devUsers(compiled.spec, dev);
  const ep = devEndpoints(compiled.spec, dev, { port: await freePort(), idpPort: await freePort() });
  const stateDir = mkdtempSync(join(tmpdir(), "vmcp-okta-signin-"));
  const logs: object[] = [];
  const logger = (l: object) => logs.push(l);
  const accessTtlSeconds = o.accessTtlSeconds ?? 3;
  const idp: DevIdp = await startDevIdp({ spec: compiled.spec, users, resourceUrl: ep.resourceUrl, port: ep.idpPort, issuer: ep.issuer, stateDir, tokenTtlSeconds: accessTtlSeconds, logger });
  let authServer: GatewayOptions["authServer"];
  let gateway: RunningGateway;
  try {
    if (o.embedded) {
      const { devAuthServer } = await import("../../gateway/authServer");
      authServer = await devAuthServer({
        compiled,
        resourceUrl: ep.resourceUrl,
        upstreamIssuer: idp.issuer,
        keyDir: join(stateDir, "auth-server"),
        lifespans: { accessTokenSeconds: accessTtlSeconds },
        log: logger,
      });
    }
    gateway = await startGateway({
      authServer,
      compiled,
      port: ep.port,
      resourceUrl: ep.resourceUrl,
      issuer: idp.issuer,
      cwd: REPO,
      handleSignals: false,
      defaultMetrics: false,
      clockToleranceSec: 0, // an expired access token is refused at once, so the tests see refresh
      logger,
    });
    await gateway.ready;
  } catch (e) {
    await authServer?.close();
    await idp.close();
    throw e;
  }
  return {
    name: o.embedded ? "client ↔ gateway authorization server ↔ dev IdP" : "client ↔ dev IdP",
    embedded: o.embedded,
    clientTokensExpire: true,
    mcpUrl: ep.mcpUrl,
    compiled,
    users,
    accessTtlSeconds,
    logs,
    endUpstreamSession(login) {
      if (idp.endUserSessions(login) === 0) throw new Error(`${login} had no session at the development IdP`);
    },
    async close() {
      await gateway.close();
      await authServer?.close();
      await idp.close();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

/** Everything the development IdP and its users need, from the repository's dev stack. */
function devIdpInputs() {
  const compiled = devStack();
  const { dev } = devConfigFor(compiled.spec);
  return { compiled, users: devUsers(compiled.spec, dev) };
}

/** The production image's entry as a process, the development IdP standing in for Okta. */
export async function startContainerTarget(o: { upstreamTtlSeconds?: number } = {}): Promise<SignInTarget> {
  const { users } = devIdpInputs();
  // The dev stack as a production team: same groups, grants and backends (launched locally).
  const team = structuredClone(loadStackFile("dev", REPO).team) as Record<string, unknown>;
  Object.assign(team, { environment: "production", endpoint: "https://vmcp.example.com" });
  delete team.kubernetes;
  delete team.dev;
  const stacks = tempStacks({ signin: team });
  const compiled = compileTeam(loadStackFile("signin", stacks).team);
  const port = await freePort();
  const resourceUrl = `http://localhost:${port}`;
  const stateDir = mkdtempSync(join(tmpdir(), "vmcp-okta-signin-container-"));
  const logs: object[] = [];
  const upstreamTtl = o.upstreamTtlSeconds ?? 3;
  const idp = await startDevIdp({ spec: compiled.spec, users, resourceUrl, port: 0, stateDir, tokenTtlSeconds: upstreamTtl, logger: (l) => logs.push(l) });
  let child: ReturnType<typeof spawn> | undefined;
  try {
    // The Okta app: a confidential client registered for the gateway's callback.
    const reg = await fetch(`${idp.issuer}/v1/clients`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        client_name: "vmcp-signin (the Okta app)",
        redirect_uris: [`${resourceUrl}/oauth/callback`],
        grant_types: ["authorization_code", "refresh_token"],
        response_types: ["code"],
        token_endpoint_auth_method: "client_secret_basic",
      }),
    });
    const app = (await reg.json()) as { client_id: string; client_secret: string };
    if (!reg.ok) throw new Error(`client registration at the dev IdP failed: ${JSON.stringify(app)}`);
    // The stack's Secrets as the Deployment mounts them: key-0.pem (PKCS#8), hmac-0 (raw bytes).
    const keys = join(stateDir, "keys");
    const hmac = join(stateDir, "hmac");
    mkdirSync(keys);
    mkdirSync(hmac);
    const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    writeFileSync(join(keys, "key-0.pem"), privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600 });
    writeFileSync(join(hmac, "hmac-0"), randomBytes(32), { mode: 0o600 });
    const c = spawn(process.execPath, ["--import", "tsx", join(REPO, "gateway", "container", "main.ts")], {
      cwd: REPO,
      env: {
        PATH: process.env.PATH ?? "",
        VMCP_STACK_FILE: join(stacks, "Pulumi.signin.yaml"),
        VMCP_ISSUER: idp.issuer,
        VMCP_RESOURCE_URL: resourceUrl,
        VMCP_UPSTREAM_CLIENT_ID: app.client_id,
        VMCP_UPSTREAM_CLIENT_SECRET: app.client_secret,
        VMCP_AUTH_KEYS_DIR: keys,
        VMCP_AUTH_HMAC_DIR: hmac,
        VMCP_BACKEND_SOURCE: "local",
        VMCP_ADMIN_PORT: "off",
        HOST: "127.0.0.1",
        PORT: String(port),
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child = c;
    let out = "";
    const onData = (d: string) => {
      out += d;
      for (const line of d.split("\n")) {
        if (line.startsWith("{")) {
          try {
            logs.push(JSON.parse(line) as object);
          } catch {
            /* a partial line */
          }
        }
      }
    };
    c.stdout!.setEncoding("utf8").on("data", onData);
    c.stderr!.setEncoding("utf8").on("data", onData);
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (c.exitCode !== null) throw new Error(`the container entry exited (${c.exitCode})\n${out}`);
      if ((await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.status, () => 0)) === 200) break;
      if (Date.now() > deadline) throw new Error(`the container entry was not ready after 60 s\n${out}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  } catch (e) {
    child?.kill("SIGKILL");
    await idp.close();
    throw e;
  }
  const running = child;
  return {
    name: "production container entry ↔ dev IdP as Okta",
    embedded: true,
    clientTokensExpire: false,
    mcpUrl: `${resourceUrl}/mcp`,
    compiled,
    users,
    accessTtlSeconds: upstreamTtl,
    logs,
    endUpstreamSession(login) {
      if (idp.endUserSessions(login) === 0) throw new Error(`${login} had no session at the development IdP`);
    },
    async close() {
      if (running.exitCode === null) {
        const exited = new Promise((r) => running.once("close", r));
        running.kill("SIGINT");
        await exited;
      }
      await idp.close();
      rmSync(stateDir, { recursive: true, force: true });
      rmSync(stacks, { recursive: true, force: true });
    },
  };
}
