/**
 * The stack program (`index.ts`) and the example stacks: the program runs from a stack file's config
 * and exports what CI and users need; the example stacks validate; the access matrix output changes
 * when a grant changes (so `pulumi preview --diff` shows who gains or loses a tool).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { loadStackFile, isSecureValue } from "../components/stackConfig";
import { loadTeam, stackFileConfigView } from "../components/loadStack";
import { vmcpOktaStack } from "../components/stackProgram";
import { MockHarness, useHarness, valueOf } from "./helpers/pulumiMocks";
import { CLIENT_ID } from "./okta.fixture";
import { engineeringTeam, harnessOptions, quiesce, runStackFromConfig } from "./k8s.fixture";

const ROOT = path.resolve(__dirname, "..");

test("index.ts runs from Pulumi.engineering.yaml's config and exports the documented outputs", async () => {
  const file = loadStackFile("engineering", ROOT);
  const config: Record<string, string> = {};
  const secretKeys: string[] = [];
  for (const [k, v] of Object.entries(file.config)) {
    if (isSecureValue(v)) {
      config[k] = `decrypted-${k}`;
      secretKeys.push(k);
    } else config[k] = typeof v === "string" ? v : JSON.stringify(v);
  }
  pulumi.runtime.setAllConfig(config, secretKeys);
  const harness = new MockHarness(harnessOptions());
  await useHarness(harness, { stack: "engineering" });
  const stack = (await import("../index")) as Record<string, unknown>;
  assert.deepEqual(Object.keys(stack).sort(), ["accessMatrix", "clientId", "consistencyReport", "issuer", "jwks", "mcpUrl", "namespace", "oktaIssuer", "signingKeyIds"]);
  assert.equal(stack.mcpUrl, "https://vmcp-engineering.example.com/mcp");
  assert.equal(stack.issuer, "https://vmcp-engineering.example.com");
  assert.equal(stack.namespace, "vmcp-engineering");
  assert.match(await valueOf(stack.oktaIssuer as pulumi.Output<string>), /^https:\/\/dev-123456\.okta\.com\/oauth2\//);
  assert.equal(await valueOf(stack.clientId as pulumi.Output<string>), CLIENT_ID);
  const jwks = await valueOf(stack.jwks as pulumi.Output<{ keys: { kid: string; kty: string }[] }>);
  const kids = await valueOf(stack.signingKeyIds as pulumi.Output<Record<string, string>>);
  assert.deepEqual(jwks.keys.map((k) => k.kid), [kids["1"]]);
  assert.equal(jwks.keys[0].kty, "EC");
  const report = await valueOf(stack.consistencyReport as pulumi.Output<{ ok: boolean }>);
  assert.equal(report.ok, true);
  const matrix = stack.accessMatrix as Record<string, { allow: string[]; deny: string[] }>;
  assert.deepEqual(matrix["mcp-developers"].deny, ["kubernetes-backend_delete_namespace"]);
  assert.ok(matrix["mcp-platform"].allow.includes("kubernetes-backend_delete_namespace"));
  assert.equal(matrix["(no group)"].allow.length, 0);
  await quiesce(harness);
  // The backend Secret is filled from the (decrypted) secret config value.
  const pat = harness.ofType("kubernetes:core/v1:Secret").find((r) => JSON.stringify(r.inputs).includes("github-pat"));
  assert.ok(pat && JSON.stringify(pat.inputs).includes("decrypted-vmcp-okta:githubPat"));
});

test("the example stacks validate: engineering (the guide's team), sales (second team), dev (the gateway's)", () => {
  for (const stack of ["engineering", "sales", "dev"]) {
    const file = loadStackFile(stack, ROOT);
    const loaded = loadTeam(file.team, stackFileConfigView(file.config));
    assert.ok(loaded.policies.length > 0, stack);
  }
  const eng = loadTeam(loadStackFile("engineering", ROOT).team, stackFileConfigView(loadStackFile("engineering", ROOT).config));
  assert.deepEqual(eng.compiled.spec.groups.map((g) => g.name), ["mcp-developers", "mcp-platform", "mcp-admin"]);
  assert.deepEqual(eng.compiled.spec.backends.map((b) => b.name), ["github-backend", "kubernetes-backend"]);
  assert.deepEqual(eng.kubernetes.secretConfigKeys.map((r) => r.configKey), ["vmcp-okta:githubPat"]);
  const sales = loadTeam(loadStackFile("sales", ROOT).team, stackFileConfigView(loadStackFile("sales", ROOT).config));
  assert.notEqual(sales.kubernetes.namespace, eng.kubernetes.namespace);
  assert.notEqual(sales.okta.app.label, eng.okta.app.label);
  assert.ok(!sales.compiled.spec.groupPrefix.startsWith(eng.compiled.spec.groupPrefix), "engineering's claim filter does not match sales' groups");
});

test("the access matrix output changes when a grant changes", async () => {
  const before = await runStackFromConfig(engineeringTeam());
  const a = before.run().outputs.accessMatrix;
  await quiesce(before.harness);
  const after = await runStackFromConfig(engineeringTeam({ grants: { developers: { allow: "*" }, platform: { allow: "*" }, admin: { allow: "*" } } }));
  const b = after.run().outputs.accessMatrix;
  await quiesce(after.harness);
  assert.deepEqual(a["mcp-developers"].deny, ["kubernetes-backend_delete_namespace"]);
  assert.deepEqual(b["mcp-developers"].deny, []);
  assert.notDeepEqual(a, b);
});

test("stack outputs carry no secret values", async () => {
  const { harness, run } = await runStackFromConfig(engineeringTeam());
  const { outputs } = run();
  const resolved: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(outputs)) {
    resolved[k] = pulumi.Output.isInstance(v) ? await valueOf(v as pulumi.Output<unknown>) : v;
    if (pulumi.Output.isInstance(v)) assert.equal(await pulumi.isSecret(v as pulumi.Output<unknown>), false, `${k} is a plain output`);
  }
  await quiesce(harness);
  const text = JSON.stringify(resolved);
  for (const leak of ["PRIVATE KEY", "mock-client-secret-value", "ghp_test_token"]) assert.ok(!text.includes(leak), leak);
  assert.ok(vmcpOktaStack);
});
