/**
 * The container entry run here as a process exactly as the Deployment runs it: the command of the
 * rendered Deployment (= the Dockerfile's ENTRYPOINT), its environment from the same builder, the
 * ConfigMap's files as /config, for the shipped engineering stack with a `gateway:` section whose
 * backend URLs point at the HTTP demo backends (in a cluster they default to the MCPServer Services).
 * Tokens come from the test issuer, standing in for the team's Okta authorization server.
 * Checked: readiness, per-group lists and calls, and the SIGTERM drain (readiness fails while
 * requests are still served, then a clean exit). A second run uses the default `authServer: embedded`
 * Deployment: its Secret volumes laid out as files exactly as the pod would see them, so the
 * embedded authorization server (gateway/authServer) starts from the mounts the Deployment declares.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawn } from "node:child_process";
import { DockerfileParser } from "dockerfile-ast";
import { parse } from "yaml";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { loadTeam } from "../components/loadStack";
import { stackFileConfigView } from "../components/loadStack";
import { gatewayObjects } from "../components/gatewayDeploy/objects";
import { serveDemoHttp } from "../gateway/demo/httpServe";
import { TestIssuer } from "../gateway/testing/testIssuer";
import { freePort } from "./helpers/net";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { DEFAULT_TOKEN_TTL_SECONDS, devUsers } from "../components/dev/config";
import { startDevIdp } from "../gateway/devIdp";

const ROOT = path.resolve(__dirname, "..");
type Obj = Record<string, any>;

async function waitFor(check: () => Promise<boolean>, what: string, out: () => string, ms = 30_000): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`${what} did not happen within ${ms} ms; output:\n${out()}`);
}

test("the container, run as its Deployment runs it, serves the engineering stack over HTTP backends and drains on SIGTERM", async () => {
  const github = await serveDemoHttp("github");
  const kubernetes = await serveDemoHttp("kubernetes");
  const endpoint = "https://vmcp-engineering.example.com";
  const issuer = await TestIssuer.start(endpoint);
  const configDir = fs.mkdtempSync(path.join(os.tmpdir(), "vmcp-gw-config-"));
  let child: ReturnType<typeof spawn> | undefined;
  let out = "";
  try {
    // The shipped production stack, plus the gateway section a team would add.
    const stackDoc = parse(fs.readFileSync(path.join(ROOT, "Pulumi.engineering.yaml"), "utf8")) as Obj;
    const team = stackDoc.config["vmcp-okta:team"];
    // authServer: none: the gateway takes the issuer's access tokens as they are (sign-in through the
    // embedded authorization server is tested with it, in test/authServer.*).
    team.gateway = { image: "ghcr.io/acme/vmcp-okta-gateway:0.1.0", authServer: "none", drainSeconds: 1, backendUrls: { "github-backend": github.url, "kubernetes-backend": kubernetes.url } };
    stackDoc.config["kubernetes:enableSecretMutable"] = "true";
    const loaded = loadTeam(team, stackFileConfigView(stackDoc.config));
    assert.ok(loaded.gateway);
    const objects = gatewayObjects(loaded.compiled.spec, loaded.kubernetes, loaded.gateway, loaded.policies, { issuer: issuer.issuer, clientId: "not-used-without-the-embedded-server" });
    const container = (objects.deployment.spec as Obj).template.spec.containers[0] as Obj;

    // The image's ENTRYPOINT is the Deployment's command.
    const dockerfile = DockerfileParser.parse(fs.readFileSync(path.join(ROOT, "gateway", "Dockerfile"), "utf8"));
    const entry = dockerfile.getInstructions().filter((i) => i.getKeyword() === "ENTRYPOINT").pop()!;
    assert.deepEqual(JSON.parse(entry.getArgumentsContent()!), container.command);

    // /config is the ConfigMap's files.
    for (const [name, text] of Object.entries(objects.configMap.data as Record<string, string>)) fs.writeFileSync(path.join(configDir, name), text);
    const env: Record<string, string> = {};
    for (const e of container.env as Obj[]) {
      assert.equal(e.valueFrom, undefined, "no Redis in this stack, so no secret reference");
      env[e.name] = String(e.value);
    }
    assert.equal(env.VMCP_STACK_FILE, "/config/Pulumi.engineering.yaml");
    assert.equal(env.VMCP_AUDIENCE, endpoint, "Okta's tokens carry the team endpoint as audience");
    assert.equal(env.VMCP_UPSTREAM_CLIENT_ID, undefined);
    // Only what differs between a pod and this machine: where /config is, and free loopback ports
    // (the pod's own network namespace has 8080 and the admin listener's 9090 to itself).
    const port = await freePort();
    const processEnv = { ...env, VMCP_STACK_FILE: path.join(configDir, path.basename(env.VMCP_STACK_FILE)), HOST: "127.0.0.1", PORT: String(port), VMCP_ADMIN_PORT: String(await freePort()) };
    const [cmd, ...args] = container.command as string[];
    assert.equal(cmd, "node");
    child = spawn(process.execPath, args, { cwd: ROOT, env: { PATH: process.env.PATH ?? "", ...processEnv }, stdio: ["ignore", "pipe", "pipe"] });
    child.stdout!.setEncoding("utf8").on("data", (d: string) => (out += d));
    child.stderr!.setEncoding("utf8").on("data", (d: string) => (out += d));
    const exited = new Promise<number | null>((resolve) => child!.on("close", (code) => resolve(code)));
    const base = `http://127.0.0.1:${port}`;

    // Readiness: the probe's path answers 200 once both backends answered initialize.
    await waitFor(async () => (await fetch(`${base}/readyz`)).status === 200, "readiness", () => out);
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    assert.equal((await fetch(`${base}/mcp`, { method: "POST" })).status, 401, "no token, no entry");

    const connect = async (login: string, groups: string[]) => {
      const token = await issuer.userToken(login, groups);
      const client = new Client({ name: "gateway-deploy-test", version: "1" });
      await client.connect(new StreamableHTTPClientTransport(new URL(`${base}/mcp`), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
      return { client, token };
    };
    const alice = await connect("alice@example.com", ["mcp-developers"]);
    const bob = await connect("bob@example.com", ["mcp-platform"]);
    const aliceTools = (await alice.client.listTools()).tools.map((t) => t.name).sort();
    assert.deepEqual(aliceTools, ["github-backend_create_issue", "github-backend_get_file_contents", "github-backend_list_issues", "kubernetes-backend_get_pods", "kubernetes-backend_list_namespaces"]);
    const bobTools = (await bob.client.listTools()).tools.map((t) => t.name);
    assert.ok(bobTools.includes("kubernetes-backend_delete_namespace"));

    const listed = await alice.client.callTool({ name: "kubernetes-backend_list_namespaces", arguments: {} });
    assert.match(JSON.stringify(listed.content), /payments/);
    const issues = await alice.client.callTool({ name: "github-backend_list_issues", arguments: { owner: "acme", repo: "platform" } });
    assert.equal(issues.isError ?? false, false, JSON.stringify(issues));
    assert.match(JSON.stringify(issues.content), /Gateway returns 403/);
    await assert.rejects(alice.client.callTool({ name: "kubernetes-backend_delete_namespace", arguments: { namespace: "staging" } }), "developers may not delete namespaces");
    const deleted = await bob.client.callTool({ name: "kubernetes-backend_delete_namespace", arguments: { namespace: "staging" } });
    assert.match(JSON.stringify(deleted.content), /"deleted\\?":\s*true/);

    // SIGTERM: readiness fails at once while requests are still served, then the process exits 0.
    child.kill("SIGTERM");
    await waitFor(async () => (await fetch(`${base}/readyz`)).status === 503, "readiness failing on SIGTERM", () => out, 2_000);
    const during = (await (await fetch(`${base}/readyz`)).json()) as { draining?: boolean };
    assert.equal(during.draining, true);
    const stillServed = await bob.client.callTool({ name: "kubernetes-backend_get_pods", arguments: { namespace: "payments" } });
    assert.match(JSON.stringify(stillServed.content), /api-5c6d7/, "a request arriving during the drain is served");
    const t0 = Date.now();
    assert.equal(await exited, 0, out);
    assert.ok(Date.now() - t0 < 5_000, "gone within the drain time and the grace period");
    await alice.client.close().catch(() => {});
    await bob.client.close().catch(() => {});

    const lines = out.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as Obj);
    const listening = lines.find((l) => l.msg === "gateway listening")!;
    assert.deepEqual(listening.backends.map((b: Obj) => b.url), [github.url, kubernetes.url]);
    assert.ok(lines.some((l) => l.msg === "shutting down" && l.drainMs === 1000));
    assert.ok(!out.includes(alice.token) && !out.includes(bob.token), "tokens are never logged");
  } finally {
    if (child && child.exitCode === null) child.kill("SIGKILL");
    await issuer.close();
    await github.close();
    await kubernetes.close();
    fs.rmSync(configDir, { recursive: true, force: true });
  }
});

/** The pod's volumes as files: each projected Secret item at `<mountPath>/<path>`, with the Secret's value. */
function materialize(container: Obj, volumes: Obj[], secretValue: (secret: string, key: string) => string | Buffer, root: string): (p: string) => string {
  const local = (p: string) => path.join(root, p);
  for (const m of container.volumeMounts as Obj[]) {
    const v = volumes.find((x) => x.name === m.name)!;
    for (const src of (v.projected?.sources ?? []) as Obj[]) {
      for (const item of src.secret.items as Obj[]) {
        fs.mkdirSync(local(m.mountPath), { recursive: true });
        fs.writeFileSync(path.join(local(m.mountPath), item.path), secretValue(src.secret.name, item.key));
      }
    }
  }
  return local;
}

test("the default (embedded authorization server) Deployment starts from exactly the Secret mounts it declares", async () => {
  const github = await serveDemoHttp("github");
  const kubernetes = await serveDemoHttp("kubernetes");
  const endpoint = "https://vmcp-engineering.example.com";
  const stackDoc = parse(fs.readFileSync(path.join(ROOT, "Pulumi.engineering.yaml"), "utf8")) as Obj;
  const team = stackDoc.config["vmcp-okta:team"];
  team.gateway = { image: "ghcr.io/acme/vmcp-okta-gateway:0.1.0", drainSeconds: 0, backendUrls: { "github-backend": github.url, "kubernetes-backend": kubernetes.url } };
  team.kubernetes.signingKeys = [{ generation: "2" }, { generation: "1", algorithm: "RS256" }];
  stackDoc.config["kubernetes:enableSecretMutable"] = "true";
  const loaded = loadTeam(team, stackFileConfigView(stackDoc.config));
  const spec = loaded.compiled.spec;
  // Okta, played by the development IdP, with the team's app registered at the team's callback.
  const okta = await startDevIdp({ spec, users: devUsers(spec, { extraUsers: [], tokenTtlSeconds: DEFAULT_TOKEN_TTL_SECONDS }), resourceUrl: endpoint, port: 0, stateDir: fs.mkdtempSync(path.join(os.tmpdir(), "vmcp-gw-okta-")) });
  const app = (await (
    await fetch(`${okta.issuer}/v1/clients`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ redirect_uris: [`${endpoint}/oauth/callback`], grant_types: ["authorization_code", "refresh_token"], response_types: ["code"], token_endpoint_auth_method: "client_secret_basic" }),
    })
  ).json()) as { client_id: string; client_secret: string };
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "vmcp-gw-pod-"));
  let child: ReturnType<typeof spawn> | undefined;
  let out = "";
  try {
    const objects = gatewayObjects(spec, loaded.kubernetes, loaded.gateway!, loaded.policies, { issuer: okta.issuer, clientId: app.client_id });
    const pod = (objects.deployment.spec as Obj).template.spec as Obj;
    const container = pod.containers[0] as Obj;
    // What the Kubernetes component writes into each Secret: PKCS#8 PEM keys, raw HMAC bytes, the client secret.
    const n = loaded.kubernetes.names;
    const values = new Map<string, string | Buffer>([
      [`${n.signingKey("2").name}/signing-key.pem`, generateKeyPairSync("ec", { namedCurve: "prime256v1" }).privateKey.export({ format: "pem", type: "pkcs8" })],
      [`${n.signingKey("1").name}/signing-key.pem`, generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ format: "pem", type: "pkcs8" })],
      [`${n.hmacSecret("1").name}/hmac`, randomBytes(32)],
      [`${n.idpClientSecret.name}/${n.idpClientSecret.key}`, app.client_secret],
    ]);
    const local = materialize(container, pod.volumes, (secret, key) => {
      const v = values.get(`${secret}/${key}`);
      assert.ok(v !== undefined, `the pod mounts ${secret}/${key}, which the stack writes`);
      return v;
    }, root);
    fs.mkdirSync(local("/config"), { recursive: true });
    for (const [name, text] of Object.entries(objects.configMap.data as Record<string, string>)) fs.writeFileSync(path.join(local("/config"), name), text);
    const env: Record<string, string> = {};
    for (const e of container.env as Obj[]) env[e.name] = String(e.value);
    // Paths move under the scratch root; ports are free loopback ones; nothing else changes.
    for (const k of ["VMCP_STACK_FILE", "VMCP_AUTH_KEYS_DIR", "VMCP_AUTH_HMAC_DIR", "VMCP_UPSTREAM_CLIENT_SECRET_FILE"]) env[k] = local(env[k]);
    const port = await freePort();
    Object.assign(env, { HOST: "127.0.0.1", PORT: String(port), VMCP_ADMIN_PORT: String(await freePort()) });
    child = spawn(process.execPath, (container.command as string[]).slice(1), { cwd: ROOT, env: { PATH: process.env.PATH ?? "", ...env }, stdio: ["ignore", "pipe", "pipe"] });
    child.stdout!.setEncoding("utf8").on("data", (d: string) => (out += d));
    child.stderr!.setEncoding("utf8").on("data", (d: string) => (out += d));
    const exited = new Promise<number | null>((resolve) => child!.on("close", (code) => resolve(code)));
    const base = `http://127.0.0.1:${port}`;
    await waitFor(async () => (await fetch(`${base}/readyz`)).status === 200, "readiness", () => out);
    const prm = (await (await fetch(`${base}/.well-known/oauth-protected-resource`)).json()) as { resource: string; authorization_servers: string[] };
    assert.equal(prm.resource, endpoint);
    assert.deepEqual(prm.authorization_servers, [endpoint], "the gateway is its own authorization server, at the team's endpoint");
    const jwks = (await (await fetch(`${base}/.well-known/jwks.json`)).json()) as { keys: { kty: string }[] };
    assert.deepEqual(jwks.keys.map((k) => k.kty), ["EC", "RSA"], "both mounted generations, the newest (signing) first");
    const direct = await fetch(`${base}/mcp`, { method: "POST", headers: { authorization: `Bearer ${await okta.mintToken("alice@example.com")}`, "content-type": "application/json", accept: "application/json, text/event-stream" }, body: "{}" });
    assert.equal(direct.status, 401, "Okta's own tokens are not the gateway's");
    assert.ok(!out.includes(app.client_secret), "the client secret is never logged");
    child.kill("SIGTERM");
    assert.equal(await exited, 0, out);
  } finally {
    if (child && child.exitCode === null) child.kill("SIGKILL");
    await okta.close();
    await github.close();
    await kubernetes.close();
    fs.rmSync(root, { recursive: true, force: true });
  }
});
