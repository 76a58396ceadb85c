/**
 * CLI, by spawning `node bin/vmcp-okta.js`: `check` (on the dev stack and on a temp stack holding the
 * seed's literal policies) and `test` (policy-test files, passing and failing). Each test spawns
 * the CLI (about a second of CPU); the cases are chosen so that one process answers as much as possible.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { REPO, runCli, tempStacks } from "./fixtures/cli";
import { SEED_LITERAL_POLICIES, seedTeam } from "./fixtures/seed";

test("check --stack dev: exit 0, prints the generated Cedar and the access matrix", async () => {
  const r = await runCli(["check", "--stack", "dev"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Okta claim filter: STARTS_WITH "mcp-"/);
  assert.match(r.stdout, /resource == Tool::"kubernetes-backend_delete_namespace"/);
  const rows = r.stdout.split("\n").filter((l) => l.startsWith("| `"));
  assert.equal(rows.length, 6, "one row per advertised tool");
  const header = r.stdout.split("\n").find((l) => l.startsWith("| tool |"))!;
  assert.deepEqual(
    header.split("|").slice(2, -1).map((s) => s.trim()),
    ["mcp-developers", "mcp-platform", "mcp-admin", "(no group)"],
  );
  const cells = (tool: string) =>
    rows
      .find((l) => l.includes("`" + tool + "`"))!
      .split("|")
      .slice(2, -1)
      .map((s) => s.trim());
  assert.deepEqual(cells("kubernetes-backend_delete_namespace"), ["**deny** (mcp-developers.deny-tools)", "allow (mcp-platform.allow-all)", "allow (mcp-admin.allow-all)", "**deny** (default)"]);
  assert.deepEqual(cells("github-backend_create_issue"), ["allow (mcp-developers.allow-all)", "allow (mcp-platform.allow-all)", "allow (mcp-admin.allow-all)", "**deny** (default)"]);
  assert.match(r.stdout, /^ok: 4 policies, 6 tools, \d+ warning\(s\)$/m); // warnings may come from the stack's other sections
});

test("check on a stack holding the seed's literal policies: non-zero exit naming the path", async () => {
  const team = seedTeam();
  team.cedar = { policies: SEED_LITERAL_POLICIES.map((cedar, i) => ({ id: `seed-${i}`, cedar })) };
  const dir = tempStacks({ seed: team });
  const r = await runCli(["check", "--stack", "seed"], { cwd: dir });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /\[policy\.unprefixed-tool\] vmcp-okta:team\.cedar\.policies\[1\]/);
  assert.match(r.stderr, /Tool::"kubernetes-backend_delete_namespace"/);
  assert.doesNotMatch(r.stderr, /policies\[[023]\]/, "the other literal policies are fine");
  assert.equal(r.stdout, "");
});

test("test examples/policy-tests/dev.yaml passes on the dev stack", async () => {
  const r = await runCli(["test", "examples/policy-tests/dev.yaml"]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const ok = r.stdout.split("\n").filter((l) => l.startsWith("ok - ")).length;
  assert.ok(ok >= 10);
  assert.match(r.stdout, new RegExp(`^${ok} passed, 0 failed$`, "m"));
  assert.doesNotMatch(r.stdout, /^not ok/m);
});

test("test with a failing file (through npm run --silent cli --): exit 1, each failure explained, N passed, N failed", async () => {
  const r = await new Promise<{ code: number | null; stdout: string }>((res) => {
    const c = spawn("npm", ["run", "--silent", "cli", "--", "test", "test/fixtures/policy-tests/failing.yaml"], { cwd: REPO });
    let stdout = "";
    c.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    c.on("close", (code) => res({ code, stdout }));
  });
  assert.equal(r.code, 1);
  assert.match(r.stdout, /^1 passed, 3 failed$/m);
  assert.match(r.stdout, /no tool "delete_namespace" is advertised by this team; vMCP advertises it as "kubernetes-backend_delete_namespace"/);
  assert.match(r.stdout, /^not ok - developers can delete namespaces \(wrong decision\): deny/m);
  assert.match(r.stdout, /expected allow, got deny/);
  assert.match(r.stdout, /expected policies \[mcp-admin\.allow-all\], got \[mcp-platform\.allow-all\]/);
});
