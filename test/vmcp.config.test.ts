/**
 * vMCP's runtime configuration as `render` writes it (components/vmcp/runtimeConfig.ts): checked
 * by ToolHive's own loader and validator (`vmcp validate`, strict YAML: an unknown field fails) and
 * against the objects the stack declares. Fails, never skips, without the vmcp binary.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { execFileSync, spawnSync } from "node:child_process";
import { parse } from "yaml";
import { renderStack } from "../cli/render";
import { loadTeam } from "../components/loadStack";
import { loadStackFile } from "../components/stackConfig";
import { toolhiveObjects } from "../components/kubernetes/objects";
import { localVmcpConfig, vmcpConfigMap, vmcpYaml } from "../components/vmcp/runtimeConfig";
import { findVmcpBinary, VMCP_INSTALL_COMMAND, VmcpNotFoundError } from "../components/vmcp/runVmcp";
import { REPO_ROOT } from "../gateway/testing/harness";
import { laptopTeam } from "./helpers/vmcpPair";

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Runs `vmcp validate` on a configuration; returns its combined output, throwing on a non-zero exit. */
function vmcpValidate(config: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vmcp-validate-"));
  try {
    fs.writeFileSync(path.join(dir, "config.yaml"), config);
    const r = spawnSync(findVmcpBinary(), ["validate", "--config", path.join(dir, "config.yaml")], { encoding: "utf8" });
    const out = r.stdout + r.stderr;
    if (r.status !== 0) throw new Error(`vmcp validate failed:\n${out}`);
    return out;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

for (const stack of ["dev", "engineering", "sales"]) {
  test(`render --stack ${stack}: vMCP's config.yaml and the local variant pass vmcp validate`, async () => {
    const { files } = await renderStack(stack, REPO_ROOT);
    assert.match(vmcpValidate(files["vmcp/config.yaml"]), /Configuration is valid/);
    assert.match(vmcpValidate(files["vmcp-local/config.yaml"]), /Configuration is valid/);

    const loaded = loadTeam(loadStackFile(stack, REPO_ROOT).team);
    const spec = loaded.compiled.spec;
    const config = parse(files["vmcp/config.yaml"]) as Obj;
    assert.match(files["vmcp/config.yaml"], new RegExp(`ConfigMap ${loaded.kubernetes.namespace}/${spec.serverName}-vmcp-config`));
    assert.equal(config.name, spec.serverName);
    assert.equal(config.groupRef, spec.serverName);
    // Cedar sees exactly the policies the VirtualMCPServer carries, with the primary upstream (Okta).
    assert.deepEqual(config.incomingAuth.authz.policies, loaded.policies);
    assert.equal(config.incomingAuth.authz.primaryUpstreamProvider, "okta");
    // The embedded auth server is the issuer; tokens are for the endpoint (resource).
    assert.equal(config.incomingAuth.oidc.issuer, spec.endpoint);
    assert.equal(config.incomingAuth.oidc.resource, spec.endpoint);
    assert.deepEqual(config.outgoingAuth, { source: "discovered" });
    assert.equal(config.aggregation.conflictResolution, spec.aggregation.conflictResolution);
    assert.equal(config.operational.failureHandling.partialFailureMode, "fail");

    const as = parse(files["vmcp/authserver-config.yaml"]) as Obj;
    assert.equal(as.issuer, spec.endpoint);
    assert.deepEqual(as.allowed_audiences, [spec.endpoint]);
    assert.equal(as.upstreams[0].oidc_config.client_secret_env_var, "TOOLHIVE_UPSTREAM_CLIENT_SECRET_OKTA");
    assert.equal(as.upstreams[0].oidc_config.issuer_url, "<okta:auth-server.issuer>");
    assert.equal(as.signing_key_config.signing_key_file, "key-0.pem");
    assert.equal(as.signing_key_config.fallback_key_files?.length ?? 0, loaded.kubernetes.signingKeys.length - 1);
    assert.equal(as.hmac_secret_files.length, loaded.kubernetes.hmacSecrets.length);

    const local = parse(files["vmcp-local/config.yaml"]) as Obj;
    assert.deepEqual(
      local.backends.map((b: Obj) => b.name),
      spec.backends.map((b) => b.name),
      "static backends are named like the MCPServers, so prefixes (and Cedar's tool names) are the same",
    );
    assert.deepEqual(local.outgoingAuth, { source: "inline" });
    assert.deepEqual(local.incomingAuth.authz.policies, loaded.policies);
    assert.equal(local.incomingAuth.authz.primaryUpstreamProvider, undefined, "no embedded auth server locally: Cedar reads the validated token");
    assert.deepEqual(local.aggregation, config.aggregation);
  });
}

test("render --stack sales: Redis session storage and auth server storage as the operator derives them", async () => {
  const { files } = await renderStack("sales", REPO_ROOT);
  const config = parse(files["vmcp/config.yaml"]) as Obj;
  assert.deepEqual(config.sessionStorage, { provider: "redis", address: "redis-master.redis.svc.cluster.local:6379", keyPrefix: "vmcp-sales:" });
  const as = parse(files["vmcp/authserver-config.yaml"]) as Obj;
  assert.equal(as.storage.type, "redis");
  assert.equal(as.storage.redis_config.key_prefix, "thv:auth:{vmcp-sales:sales-tools}:");
  assert.equal(as.storage.redis_config.acl_user_config.password_env_var, "TOOLHIVE_AUTH_SERVER_REDIS_PASSWORD");
  assert.ok(!/redis-password-value|REPLACE-ME/.test(files["vmcp/authserver-config.yaml"]), "references only, never secret values");
});

test("every aggregation strategy, overrides and raw Cedar settings pass vmcp validate", () => {
  const teams = [
    { conflictResolution: "prefix", prefixFormat: "{workload}." },
    { conflictResolution: "priority", priorityOrder: ["beta", "alpha"], overrides: { alpha: { a: "alpha_a" } } },
    { conflictResolution: "manual", overrides: { alpha: { x: "alpha_x" }, beta: { x: "beta_x" } } },
  ].map((aggregation) =>
    laptopTeam({
      team: "agg",
      groupPrefix: "mcp-",
      groups: { users: { description: "u" } },
      grants: { users: { allow: "*" } },
      backends: { alpha: { image: "e/a:1", tools: ["a", "x"] }, beta: { image: "e/b:1", tools: ["b", "x"] } },
      aggregation,
      cedar: { groupClaimName: "roles", entitiesJson: "[]" },
    }),
  );
  for (const team of teams) {
    const loaded = loadTeam(team);
    const objects = toolhiveObjects(loaded.compiled.spec, loaded.kubernetes, loaded.policies, { oktaIssuer: "https://okta.invalid/oauth2/x", clientId: "c" });
    const cm = vmcpConfigMap(objects);
    const agg = (team as Obj).aggregation;
    assert.equal(cm.config.aggregation && (cm.config.aggregation as Obj).conflictResolution, agg.conflictResolution);
    if (agg.overrides) {
      const tools = (cm.config.aggregation as Obj).tools as Obj[];
      assert.deepEqual(Object.fromEntries(tools.map((t) => [t.workload, Object.fromEntries(Object.entries(t.overrides).map(([k, v]) => [k, (v as Obj).name]))])), agg.overrides);
    }
    assert.equal(((cm.config.incomingAuth as Obj).authz as Obj).groupClaimName, "roles");
    vmcpValidate(vmcpYaml(cm.config));
    vmcpValidate(vmcpYaml(localVmcpConfig(cm.config, { backends: [{ name: "alpha", url: "http://127.0.0.1:1/mcp", transport: "streamable-http" }], issuer: "http://127.0.0.1:2/oauth2/default", audience: "http://localhost:8080", insecureAllowHttp: true })));
  }
});

test("a missing vmcp binary is a clear error with the install command", () => {
  assert.throws(
    () => findVmcpBinary({ VMCP_BIN: "/nonexistent/vmcp" }),
    (e: unknown) => e instanceof VmcpNotFoundError && e.message.includes(VMCP_INSTALL_COMMAND) && e.message.includes("VMCP_BIN=/nonexistent/vmcp"),
  );
  assert.throws(() => findVmcpBinary({ PATH: "/nonexistent", GOPATH: "/nonexistent" }), (e: unknown) => e instanceof VmcpNotFoundError && e.message.includes("scripts/install-vmcp.sh"));
  // The binary the suites use is the pinned one (go's build info; `vmcp version` says "dev").
  const info = execFileSync("go", ["version", "-m", findVmcpBinary()], { encoding: "utf8" });
  assert.match(info, new RegExp(`mod\\s+github.com/stacklok/toolhive\\s+${VMCP_INSTALL_COMMAND.split("@")[1].replace(/\./g, "\\.")}\\s`));
});
