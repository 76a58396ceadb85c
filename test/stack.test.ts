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
import { ConfigError } from "../components/errors";
import { VmcpTeam } from "../components/team";
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
  assert.deepEqual(Object.keys(stack).sort(), ["accessMatrix", "clientId", "consistencyReport", "gatewayServiceUrl", "issuer", "jwks", "mcpUrl", "namespace", "oktaIssuer", "signingKeyIds"]);
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
  const matrix = stack.accessMatrix as Record<string, Record<string, "allow" | "deny">>;
  assert.equal(matrix["mcp-developers"]["kubernetes-backend_delete_namespace"], "deny");
  assert.equal(matrix["mcp-developers"]["kubernetes-backend_list_namespaces"], "allow");
  assert.equal(matrix["mcp-platform"]["kubernetes-backend_delete_namespace"], "allow");
  assert.ok(Object.values(matrix["(no group)"]).every((d) => d === "deny"));
  // Member logins stay out of plain outputs: the report carries counts.
  assert.ok(!JSON.stringify(report).includes("@example.com"), "no member e-mail in consistencyReport");
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

/** The leaf paths where two plain values differ (what `pulumi preview --diff` lists, for objects). */
function changedPaths(a: unknown, b: unknown, path = ""): string[] {
  if (a && b && typeof a === "object" && typeof b === "object") {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
    return keys.flatMap((k) => changedPaths((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], path ? `${path}.${k}` : k));
  }
  return JSON.stringify(a) === JSON.stringify(b) ? [] : [path];
}

test("a grant change is one line in the access matrix output's diff", async () => {
  const before = await runStackFromConfig(engineeringTeam());
  const a = before.run().outputs.accessMatrix;
  await quiesce(before.harness);
  const after = await runStackFromConfig(engineeringTeam({ grants: { developers: { allow: "*" }, platform: { allow: "*" }, admin: { allow: "*" } } }));
  const b = after.run().outputs.accessMatrix;
  await quiesce(after.harness);
  assert.equal(a["mcp-developers"]["kubernetes-backend_delete_namespace"], "deny");
  assert.equal(b["mcp-developers"]["kubernetes-backend_delete_namespace"], "allow");
  // Keyed by tool, not ordered lists: moving one tool from deny to allow changes exactly one leaf.
  assert.deepEqual(changedPaths(a, b), ["mcp-developers.kubernetes-backend_delete_namespace"]);
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

test("check refuses the examples' placeholder ciphertexts with the `pulumi config set --secret` fix; render and tests accept them", () => {
  const file = loadStackFile("engineering", ROOT);
  assert.doesNotThrow(() => loadTeam(file.team, stackFileConfigView(file.config)), "render's view: placeholders count as set");
  assert.throws(
    () => loadTeam(file.team, stackFileConfigView(file.config, { placeholders: "refuse" })),
    (e: unknown) =>
      e instanceof ConfigError &&
      e.problems.some(
        (p) => p.code === "secret.placeholder" && p.path === "vmcp-okta:team.backends.github-backend.secrets[0].valueFrom" && p.fix === "run: pulumi config set --secret vmcp-okta:githubPat <value>",
      ),
  );
  // A real ciphertext passes; an unset key fails with the same fix.
  const real = { ...file.config, "vmcp-okta:githubPat": { secure: "v1:AAABAMr8cJzV8c2h0Zm9vYmFy" } };
  assert.doesNotThrow(() => loadTeam(file.team, stackFileConfigView(real, { placeholders: "refuse" })));
  const unset = { ...file.config };
  delete unset["vmcp-okta:githubPat"];
  assert.throws(
    () => loadTeam(file.team, stackFileConfigView(unset, { placeholders: "refuse" })),
    (e: unknown) => e instanceof ConfigError && e.problems.some((p) => p.code === "secret.missing" && /pulumi config set --secret vmcp-okta:githubPat/.test(p.fix ?? "")),
  );
});

test("VmcpTeam validates its own arguments: a TypeScript caller gets the same problems as index.ts, as a ResourceError on the component", async () => {
  const harness = new MockHarness(harnessOptions());
  await useHarness(harness);
  const bad = engineeringTeam({ grants: { developers: { allow: "*" }, ghosts: { allow: "*" } } });
  let caught: unknown;
  try {
    new VmcpTeam("engineering", { team: bad, secretValues: {} });
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof pulumi.ResourceError, "a ResourceError");
  assert.match((caught as Error).message, /^VmcpTeam engineering: \d+ configuration problem\(s\):[\s\S]*vmcp-okta:team\.grants\.ghosts/);
  const expected = (() => {
    try {
      loadTeam(bad, undefined);
    } catch (e) {
      return (e as ConfigError).problems.map((p) => p.code);
    }
    return [];
  })();
  assert.ok(expected.length > 0 && expected.every((code) => (caught as Error).message.includes(`[${code}]`)), "the same problems as loadTeam");
  assert.equal(harness.ofType("okta:auth/server:Server").length, 0, "nothing declared");
  // A good definition works without a separate loadTeam call.
  const ok = new VmcpTeam("engineering", { team: engineeringTeam(), secretValues: { "vmcp-okta:githubPat": pulumi.secret("ghp_x") } });
  await valueOf(ok.jwks);
  await quiesce(harness);
  assert.equal(harness.ofType("okta:auth/server:Server").length, 1);
  // A secret value the spec needs but the caller did not pass: a ResourceError naming it.
  assert.throws(
    () => new VmcpTeam("other", { team: engineeringTeam({ team: "other", endpoint: "https://vmcp-other.example.com" }, { namespace: "vmcp-other" }), secretValues: {} }),
    (e: unknown) => e instanceof pulumi.ResourceError && /no value passed for vmcp-okta:githubPat/.test((e as Error).message),
  );
});

test("`vmcp-okta check --stack engineering` fails on the shipped placeholder until the secret is set", async () => {
  const { runCli } = await import("./fixtures/cli");
  const r = await runCli(["check", "--stack", "engineering"]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /\[secret\.placeholder\] vmcp-okta:team\.backends\.github-backend\.secrets\[0\]\.valueFrom: secret config key vmcp-okta:githubPat still holds the example's placeholder ciphertext[\s\S]*fix: run: pulumi config set --secret vmcp-okta:githubPat <value>/);
});
