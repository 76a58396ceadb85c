/**
 * CLI (spawned `node bin/vmcp-okta.js`): `why` and `test` say when a tool, prompt or resource is not
 * advertised and name the advertised one; `why --claims` takes a raw JWT; `check` reports every
 * problem of a stack in one run, unknown keys included.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SignJWT, generateKeyPair } from "jose";
import { runCli, tempStacks } from "./fixtures/cli";
import { seedTeam } from "./fixtures/seed";

interface Explanation {
  decision: { allowed: boolean; policies: string[]; groups: string[]; principal?: string };
  causes: string[];
  notAdvertised?: string;
  advertised: { status: string; suggestions?: string[] };
  text: string;
}

async function why(args: string[], cwd?: string) {
  const r = await runCli(["why", ...args, "--json"], { cwd });
  assert.equal(r.stderr, "");
  return { code: r.code, ...(JSON.parse(r.stdout) as Explanation) };
}

/** The seed team with declared prompts and resource URIs. */
function promptStack(): string {
  const t = seedTeam();
  t.backends["github-backend"].prompts = ["summarize_issues"];
  t.backends["github-backend"].resourceUris = ["demo://github/readme"];
  t.backends["kubernetes-backend"].prompts = ["triage_namespace"];
  t.backends["kubernetes-backend"].resourceUris = ["demo://kubernetes/cluster-info"];
  return tempStacks({ prompts: t });
}

test("why --tool with the guide's unprefixed name: ALLOW by the wildcard, but not advertised, with the advertised name; exit 4", async () => {
  const e = await why(["--stack", "dev", "--claims", JSON.stringify({ sub: "bob", groups: ["mcp-platform"] }), "--tool", "delete_namespace"]);
  assert.equal(e.code, 4);
  assert.equal(e.decision.allowed, true);
  assert.equal(e.advertised.status, "not-advertised");
  assert.deepEqual(e.advertised.suggestions, ["kubernetes-backend_delete_namespace"]);
  assert.match(e.text, /decision: ALLOW, by mcp-platform\.allow-all/);
  assert.match(e.text, /but: no tool "delete_namespace" is advertised by this team; vMCP advertises it as "kubernetes-backend_delete_namespace"/);
  // The advertised name: no warning, exit 0.
  const ok = await why(["--stack", "dev", "--claims", JSON.stringify({ sub: "bob", groups: ["mcp-platform"] }), "--tool", "kubernetes-backend_delete_namespace"]);
  assert.equal(ok.code, 0);
  assert.equal(ok.notAdvertised, undefined);
  assert.doesNotMatch(ok.text, /advertised/);
});

test("why --prompt and --resource on a stack that declares them: near misses get the advertised name", async () => {
  const cwd = promptStack();
  const claims = JSON.stringify({ sub: "bob", groups: ["mcp-platform"] });
  const bare = await why(["--stack", "prompts", "--claims", claims, "--prompt", "summarize_issues"], cwd);
  assert.equal(bare.code, 4);
  assert.match(bare.notAdvertised!, /no prompt "summarize_issues" is advertised by this team; vMCP advertises it as "github-backend_summarize_issues"/);
  const typo = await why(["--stack", "prompts", "--claims", claims, "--resource", "demo://github/readme.md"], cwd);
  assert.equal(typo.code, 4);
  assert.match(typo.notAdvertised!, /did you mean "demo:\/\/github\/readme"\?/);
  const right = await why(["--stack", "prompts", "--claims", claims, "--prompt", "kubernetes-backend_triage_namespace"], cwd);
  assert.equal(right.code, 0);
  // Denied and not advertised: the deny's likely cause says so.
  const denied = await why(["--stack", "prompts", "--claims", JSON.stringify({ sub: "eve", groups: [] }), "--prompt", "triage_namespace"], cwd);
  assert.equal(denied.code, 3);
  assert.ok(denied.causes.some((c) => c.includes('"kubernetes-backend_triage_namespace"')), denied.causes.join("\n"));
});

test("why --claims takes a raw access token (inline, after Bearer, or in a file) and reads its payload", async () => {
  const { privateKey } = await generateKeyPair("ES256");
  const jwt = await new SignJWT({ groups: ["mcp-developers"], scp: ["mcp:tools"] })
    .setProtectedHeader({ alg: "ES256", kid: "k1" })
    .setSubject("alice@example.com")
    .setIssuer("https://vmcp.example.com")
    .setIssuedAt()
    .setExpirationTime("1h")
    .sign(privateKey);
  for (const claims of [jwt, `Bearer ${jwt}`]) {
    const e = await why(["--stack", "dev", "--claims", claims, "--tool", "kubernetes-backend_delete_namespace"]);
    assert.equal(e.code, 3);
    assert.equal(e.decision.principal, "alice@example.com");
    assert.deepEqual(e.decision.groups, ["mcp-developers"]);
    assert.deepEqual(e.decision.policies, ["mcp-developers.deny-tools"]);
  }
  const dir = mkdtempSync(join(tmpdir(), "vmcp-okta-jwt-"));
  writeFileSync(join(dir, "token.txt"), jwt + "\n");
  const fromFile = await why(["--stack", "dev", "--claims", join(dir, "token.txt"), "--tool", "github-backend_create_issue"]);
  assert.equal(fromFile.code, 0);
  assert.equal(fromFile.decision.principal, "alice@example.com");
  // Neither JSON, a JWT nor a file: a clear error, not ENAMETOOLONG from the file system.
  const bad = await runCli(["why", "--stack", "dev", "--claims", "x".repeat(5000), "--tool", "a"]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /--claims: not inline JSON, a JWT, or a readable file/);
  const garbled = await runCli(["why", "--stack", "dev", "--claims", "aaa.bbb.ccc", "--tool", "a"]);
  assert.equal(garbled.code, 1);
  assert.match(garbled.stderr, /--claims: not a readable JWT/);
});

test("test: a case naming a tool or prompt vMCP does not advertise fails, with the advertised name", async () => {
  const cwd = promptStack();
  const file = join(cwd, "tests.yaml");
  writeFileSync(
    file,
    [
      "stack: prompts",
      "tests:",
      "  - {name: bare tool, groups: [mcp-platform], tool: delete_namespace, expect: allow}",
      "  - {name: bare prompt, groups: [mcp-platform], prompt: triage_namespace, expect: allow}",
      "  - {name: advertised prompt, groups: [mcp-platform], prompt: kubernetes-backend_triage_namespace, expect: allow}",
      "  - {name: advertised tool, groups: [mcp-developers], tool: kubernetes-backend_delete_namespace, expect: deny}",
      "",
    ].join("\n"),
  );
  const r = await runCli(["test", file], { cwd });
  assert.equal(r.code, 1);
  assert.match(r.stdout, /^not ok - bare tool: allow \(mcp-platform\.allow-all\)\n {4}no tool "delete_namespace" is advertised by this team; vMCP advertises it as "kubernetes-backend_delete_namespace"$/m);
  assert.match(r.stdout, /^not ok - bare prompt: allow .*\n {4}no prompt "triage_namespace" is advertised by this team; vMCP advertises it as "kubernetes-backend_triage_namespace"$/m);
  assert.match(r.stdout, /^ok - advertised prompt/m);
  assert.match(r.stdout, /^ok - advertised tool/m);
  assert.match(r.stdout, /^2 passed, 2 failed$/m);
});

test("check: one run reports every problem, unknown keys included, and the aggregation startup refusals with their fix", async () => {
  const t = seedTeam() as unknown as Record<string, unknown>;
  t.grantz = {};
  t.aggregation = { conflictResolution: "priority", overrides: { "github-backend": { create_issue: "" } } };
  (t.grants as Record<string, { deny?: string[] }>).developers.deny = ["kubernetes-backend/delete_namespaces"];
  (t.groups as Record<string, { members?: string[] }>).developers.members = ["alice"];
  t.cedar = { claims: { level: "Long" } };
  const r = await runCli(["check", "--stack", "broken"], { cwd: tempStacks({ broken: t }) });
  assert.equal(r.code, 1);
  for (const expected of [
    /error \[config\.unknown-key\] vmcp-okta:team\.grantz: unknown key\n {4}fix: did you mean `grants`\?/,
    /error \[aggregation\.priority-order-missing\] vmcp-okta:team\.aggregation\.priorityOrder: .*\n {4}fix: list the backends, highest priority first, e\.g\. priorityOrder: \[github-backend, kubernetes-backend\]/,
    /error \[aggregation\.override-empty\] vmcp-okta:team\.aggregation\.overrides\.github-backend\.create_issue/,
    /error \[grant\.unknown-tool\] vmcp-okta:team\.grants\.developers\.deny\[0\]/,
    /error \[cedar\.long-type\] vmcp-okta:team\.cedar\.claims\.level: .*\(got "Long"\)\n {4}fix: declare it as decimal/,
  ]) {
    assert.match(r.stderr, expected);
  }
  assert.match(r.stderr, /warning \[group\.member-not-email\] vmcp-okta:team\.groups\.developers\.members\[0\]/);
});
