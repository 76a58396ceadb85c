/**
 * `vmcp-okta diff`: the changes a reviewer must see in a pull request that edits a team stack, computed
 * offline from two versions of the stack file (a file or a git ref).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { execFileSync, spawnSync } from "node:child_process";
import { parse, stringify } from "yaml";
import { runDiff, GATE_EXIT_CODE } from "../cli/diff";
import { ConfigError } from "../components/errors";
import type { TeamDiff } from "../components/diff";

const ROOT = path.resolve(__dirname, "..");
type Team = Record<string, any>;

/** A scratch project folder holding `Pulumi.<stack>.yaml`: the example stack with `edit` applied to its team. */
function scratch(stack: string, edit: (team: Team) => void = () => {}): string {
  const doc = parse(fs.readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), "utf8"));
  edit(doc.config["vmcp-okta:team"]);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vmcp-diff-test-"));
  fs.writeFileSync(path.join(dir, `Pulumi.${stack}.yaml`), stringify(doc));
  return dir;
}

const example = (stack: string) => path.join(ROOT, `Pulumi.${stack}.yaml`);

async function diffJson(stack: string, dir: string, extra: { failOn?: "gain" | "any" } = {}): Promise<{ diff: TeamDiff; exitCode: number }> {
  const r = await runDiff({ stack, base: example(stack), dir, format: "json", ...extra });
  return { diff: JSON.parse(r.text) as TeamDiff, exitCode: r.exitCode };
}

test("an unchanged stack has no changes", async () => {
  const md = await runDiff({ stack: "engineering", base: example("engineering"), dir: ROOT, failOn: "any" });
  assert.equal(md.exitCode, 0);
  assert.match(md.text, /No changes/);
  const { diff } = await diffJson("engineering", ROOT);
  assert.equal(diff.changed, false);
  assert.deepEqual(diff.access, []);
  assert.deepEqual(diff.objects, []);
  assert.deepEqual(diff.summary, { gains: 0, losses: 0, membersAdded: 0, membersRemoved: 0, objectsAdded: 0, objectsRemoved: 0, objectsChanged: 0 });
});

test("removing the developers' deny: mcp-developers gains kubernetes-backend_delete_namespace, by allow-all", async () => {
  const dir = scratch("engineering", (t) => delete t.grants.developers.deny);
  const { diff, exitCode } = await diffJson("engineering", dir);
  assert.equal(exitCode, 0, "exit 0 without --fail-on");
  assert.deepEqual(diff.access.map((g) => g.group), ["mcp-developers"], "only the developers' access changes");
  const [gain] = diff.access[0].gained;
  assert.equal(diff.access[0].gained.length, 1);
  assert.deepEqual(diff.access[0].lost, []);
  assert.equal(gain.name, "kubernetes-backend_delete_namespace");
  assert.deepEqual([gain.backend, gain.tool], ["kubernetes-backend", "delete_namespace"]);
  assert.deepEqual(gain.after, { decision: "allow", policies: ["mcp-developers.allow-all"] });
  assert.deepEqual(gain.before, { decision: "deny", policies: ["mcp-developers.deny-tools"] });
  assert.deepEqual(diff.policies.removed.map((p) => p.id), ["mcp-developers.deny-tools"]);
  // The VirtualMCPServer carries one policy less.
  const vmcp = diff.objects.find((o) => o.id === "VirtualMCPServer vmcp-engineering/engineering-tools")!;
  assert.equal(vmcp.change, "changed");
  assert.deepEqual(vmcp.fields.map((f) => [f.path, f.change]), [["spec.incomingAuth.authzConfig.inline.policies[]", "removed"]]);

  const md = await runDiff({ stack: "engineering", base: example("engineering"), dir, failOn: "gain" });
  assert.equal(md.exitCode, GATE_EXIT_CODE, "--fail-on gain trips");
  assert.match(md.text, /\*\*mcp-developers\*\* gains `kubernetes-backend_delete_namespace`.*now allow \(`mcp-developers\.allow-all`\); was deny \(`mcp-developers\.deny-tools`\)/);
});

test("members added and removed; a new member of a granted group is a gain, a removal is not", async () => {
  const dir = scratch("engineering", (t) => {
    t.groups.developers.members = ["dave@example.com"];
    t.groups.platform.members = ["bob@example.com", "Erin@Example.com"];
  });
  const { diff, exitCode } = await diffJson("engineering", dir, { failOn: "gain" });
  assert.deepEqual(diff.members, [
    { group: "mcp-developers", added: ["dave@example.com"], removed: ["alice@example.com"] },
    { group: "mcp-platform", added: ["Erin@Example.com"], removed: [] },
  ]);
  assert.equal(diff.summary.membersAdded, 2);
  assert.equal(diff.summary.membersRemoved, 1);
  assert.deepEqual(diff.access, [], "membership does not change what a group may call");
  assert.equal(exitCode, GATE_EXIT_CODE);
  const memberships = diff.objects.find((o) => o.id === "okta:index/groupMemberships:GroupMemberships engineering-okta-members-developers")!;
  assert.deepEqual(memberships.fields.map((f) => [f.path, f.change]), [["users[]", "removed"], ["users[]", "added"]]);

  // Case-only differences are the same Okta login; removals alone are not a gain.
  const removalOnly = scratch("engineering", (t) => (t.groups.developers.members = ["ALICE@example.com"]));
  const same = await diffJson("engineering", removalOnly, { failOn: "gain" });
  assert.deepEqual(same.diff.members, []);
  const removed = scratch("engineering", (t) => delete t.groups.admin.members);
  const r = await diffJson("engineering", removed, { failOn: "gain" });
  assert.deepEqual(r.diff.members, [{ group: "mcp-admin", added: [], removed: ["carol@example.com"] }]);
  assert.equal(r.exitCode, 0);
  assert.equal((await diffJson("engineering", removed, { failOn: "any" })).exitCode, GATE_EXIT_CODE);
  assert.equal(r.diff.objects.find((o) => o.id.endsWith("engineering-okta-members-admin"))?.change, "removed");
});

test("a backend tool added: its decision for every group, and the gains it brings", async () => {
  const dir = scratch("sales", (t) => t.backends["crm-backend"].tools.push("export_accounts"));
  const { diff } = await diffJson("sales", dir);
  assert.equal(diff.tools.added.length, 1);
  const added = diff.tools.added[0];
  assert.deepEqual([added.backend, added.tool, added.name], ["crm-backend", "export_accounts", "crm-backend_export_accounts"]);
  assert.deepEqual(added.decisions, {
    "sales-mcp-reps": { decision: "deny", policies: [] },
    "sales-mcp-managers": { decision: "allow", policies: ["sales-mcp-managers.allow-all"] },
    "(no group)": { decision: "deny", policies: [] },
  });
  assert.deepEqual(
    diff.access.map((g) => [g.group, g.gained.map((x) => x.name), g.lost.length]),
    [["sales-mcp-managers", ["crm-backend_export_accounts"], 0]],
  );
  assert.equal(diff.access[0].gained[0].before, null, "the tool did not exist before");
  assert.deepEqual(diff.renames, []);
  const md = await runDiff({ stack: "sales", base: example("sales"), dir });
  assert.match(md.text, /tool added `crm-backend_export_accounts` \(crm-backend\/export_accounts\): sales-mcp-reps: deny \(default deny\); sales-mcp-managers: allow/);
});

test("a prefix change renames tools: no gains or losses, the deny follows the tool", async () => {
  const dir = scratch("engineering", (t) => (t.aggregation = { prefixFormat: "{workload}." }));
  const { diff } = await diffJson("engineering", dir);
  assert.deepEqual(diff.access, [], "renames are not gains and losses");
  assert.deepEqual(diff.tools, { added: [], removed: [] });
  assert.equal(diff.renames.length, 6);
  assert.deepEqual(diff.renames.find((r) => r.tool === "delete_namespace"), {
    backend: "kubernetes-backend",
    tool: "delete_namespace",
    from: "kubernetes-backend_delete_namespace",
    to: "kubernetes-backend.delete_namespace",
  });
  assert.deepEqual(diff.policies.changed.map((p) => p.id), ["mcp-developers.deny-tools"]);
  assert.match(diff.policies.changed[0].after!, /Tool::"kubernetes-backend\.delete_namespace"/);
  const vmcp = diff.objects.find((o) => o.id.startsWith("VirtualMCPServer"))!;
  assert.ok(vmcp.fields.some((f) => f.path === "spec.config.aggregation.conflictResolutionConfig.prefixFormat" && f.before === "{workload}_" && f.after === "{workload}."));
  const md = await runDiff({ stack: "engineering", base: example("engineering"), dir });
  assert.match(md.text, /`kubernetes-backend_delete_namespace` → `kubernetes-backend\.delete_namespace`/);
  assert.match(md.text, /\*\*0 gains, 0 losses\*\*/);
  assert.doesNotMatch(md.text, /\*\* (gains|loses) /);
  assert.match(md.text, /- {3}resource == Tool::"kubernetes-backend_delete_namespace"\n\+ {3}resource == Tool::"kubernetes-backend\.delete_namespace"/);

  // A real loss next to a rename is still reported, under the new name.
  const both = scratch("engineering", (t) => {
    t.aggregation = { prefixFormat: "{workload}." };
    t.grants.platform = { allow: ["github-backend/list_issues"] };
  });
  const lost = (await diffJson("engineering", both)).diff.access.find((g) => g.group === "mcp-platform")!;
  assert.ok(lost.lost.some((x) => x.name === "kubernetes-backend.delete_namespace" && x.before?.decision === "allow" && x.after?.decision === "deny"));
});

test("the JSON shape", async () => {
  const dir = scratch("engineering", (t) => {
    delete t.grants.developers.deny;
    t.groups.support = { description: "Support engineers", members: ["sam@example.com"] };
    t.grants.support = { allow: ["kubernetes-backend/get_pods"] };
    delete t.backends["github-backend"];
  });
  const { diff } = await diffJson("engineering", dir);
  assert.deepEqual(Object.keys(diff), ["stack", "base", "baseExists", "baseProblems", "changed", "summary", "access", "renames", "members", "groups", "backends", "tools", "policies", "objects"]);
  assert.equal(diff.stack, "engineering");
  assert.equal(diff.base, example("engineering"));
  assert.equal(diff.baseExists, true);
  assert.deepEqual(diff.baseProblems, []);
  assert.equal(diff.changed, true);
  assert.deepEqual(diff.groups, { added: ["mcp-support"], removed: [], renamed: [] });
  assert.deepEqual(diff.members, [{ group: "mcp-support", added: ["sam@example.com"], removed: [] }]);
  assert.deepEqual(diff.backends, { added: [], removed: ["github-backend"] });
  assert.deepEqual(diff.tools.removed.map((t) => t.name), ["github-backend_create_issue", "github-backend_list_issues", "github-backend_get_file_contents"]);
  // The removed backend's tools are losses for every group that had them; the new group's grant is a gain.
  assert.deepEqual(
    diff.access.map((g) => [g.group, g.gained.map((x) => x.name), g.lost.length]),
    [
      ["mcp-developers", ["kubernetes-backend_delete_namespace"], 3],
      ["mcp-platform", [], 3],
      ["mcp-admin", [], 3],
      ["mcp-support", ["kubernetes-backend_get_pods"], 0],
    ],
  );
  assert.deepEqual(Object.keys(diff.access[0]), ["group", "gained", "lost"]);
  assert.deepEqual(Object.keys(diff.access[0].gained[0]).sort(), ["after", "backend", "before", "name", "tool"]);
  assert.deepEqual(diff.policies.added.map((p) => p.id), ["mcp-support.allow-tools"]);
  for (const o of diff.objects) {
    assert.deepEqual(Object.keys(o), ["kind", "id", "change", "fields"]);
    assert.ok(["kubernetes", "okta", "helm"].includes(o.kind));
    for (const f of o.fields) assert.ok(["added", "removed", "changed"].includes(f.change));
  }
  const group = diff.objects.find((o) => o.id === "okta:group/group:Group engineering-okta-group-support")!;
  assert.equal(group.change, "added");
  assert.deepEqual(group.fields, [
    { path: "description", change: "added", after: "Support engineers" },
    { path: "name", change: "added", after: "mcp-support" },
  ]);
  // A removed Secret is listed with its values redacted, never the value or the placeholder of the secret config.
  const secret = diff.objects.find((o) => o.id === "Secret vmcp-engineering/github-pat")!;
  assert.equal(secret.change, "removed");
  assert.deepEqual(secret.fields.find((f) => f.path === "stringData.token"), { path: "stringData.token", change: "removed", before: "<redacted>" });
  assert.doesNotMatch(JSON.stringify(diff), /REPLACE-ME|secret:vmcp-okta:githubPat/);
});

test("a git ref as base, in a scratch repository; a stack new at the ref; a bad ref", async () => {
  const repo = fs.mkdtempSync(path.join(os.tmpdir(), "vmcp-diff-git-"));
  const git = (...args: string[]) => execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", ...args], { cwd: repo, encoding: "utf8" });
  git("init", "-q", "-b", "main");
  fs.copyFileSync(example("engineering"), path.join(repo, "Pulumi.engineering.yaml"));
  git("add", ".");
  git("commit", "-q", "-m", "base");
  const doc = parse(fs.readFileSync(path.join(repo, "Pulumi.engineering.yaml"), "utf8"));
  delete doc.config["vmcp-okta:team"].grants.developers.deny;
  fs.writeFileSync(path.join(repo, "Pulumi.engineering.yaml"), stringify(doc));
  fs.copyFileSync(example("sales"), path.join(repo, "Pulumi.sales.yaml"));

  const r = await runDiff({ stack: "engineering", base: "main", dir: repo, format: "json" });
  const diff = JSON.parse(r.text) as TeamDiff;
  assert.equal(diff.base, "main");
  assert.deepEqual(diff.access.map((g) => [g.group, g.gained.map((x) => x.name)]), [["mcp-developers", ["kubernetes-backend_delete_namespace"]]]);

  // The working tree's own version against HEAD~0 after committing: no changes.
  git("commit", "-q", "-am", "head");
  assert.equal(JSON.parse((await runDiff({ stack: "engineering", base: "HEAD", dir: repo, format: "json" })).text).changed, false);
  assert.equal(JSON.parse((await runDiff({ stack: "engineering", base: "HEAD~1", dir: repo, format: "json" })).text).summary.gains, 1);

  // sales is not in any commit: new at the base, everything added.
  const fresh = JSON.parse((await runDiff({ stack: "sales", base: "main", dir: repo, format: "json" })).text) as TeamDiff;
  assert.equal(fresh.baseExists, false);
  assert.equal(fresh.changed, true);
  assert.ok(fresh.objects.length > 0 && fresh.objects.every((o) => o.change === "added"));
  assert.deepEqual(fresh.groups.added, ["sales-mcp-reps", "sales-mcp-managers"]);

  await assert.rejects(runDiff({ stack: "engineering", base: "no-such-ref", dir: repo }), (e: unknown) => e instanceof ConfigError && e.problems[0].code === "diff.base");
});

test("the CLI: markdown on stdout, exit 0 by default and 3 with --fail-on gain", () => {
  const dir = scratch("engineering", (t) => delete t.grants.developers.deny);
  const cli = (...args: string[]) => spawnSync(process.execPath, [path.join(ROOT, "bin/vmcp-okta.js"), "diff", "--stack", "engineering", "--base", example("engineering"), ...args], { cwd: dir, encoding: "utf8" });
  const gate = cli("--fail-on", "gain");
  assert.equal(gate.status, GATE_EXIT_CODE, gate.stderr);
  assert.match(gate.stdout, /^### vmcp-okta diff: stack `engineering`/);
  assert.match(gate.stdout, /\*\*mcp-developers\*\* gains `kubernetes-backend_delete_namespace`/);
  const bad = cli("--format", "yaml");
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /diff\.option.*--format/);
});

test("a base that fails a rule the current code adds: access still compared, objects not", async () => {
  const dir = scratch("engineering", (t) => {
    t.kubernetes.jwksAllowPrivateIP = true; // refused in production (kubernetes.dev-only-flag)
    t.grants.developers.deny = ["kubernetes-backend/delete_namespace", "kubernetes-backend/get_pods"];
  });
  const r = await runDiff({ stack: "engineering", base: path.join(dir, "Pulumi.engineering.yaml"), dir: ROOT, format: "json" });
  const diff = JSON.parse(r.text) as TeamDiff;
  assert.equal(diff.baseProblems.length, 1);
  assert.match(diff.baseProblems[0], /kubernetes\.dev-only-flag/);
  assert.doesNotMatch(diff.baseProblems[0], new RegExp(dir.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")), "no scratch paths");
  assert.deepEqual(diff.objects, []);
  assert.deepEqual(diff.access.map((g) => [g.group, g.gained.map((x) => x.name)]), [["mcp-developers", ["kubernetes-backend_get_pods"]]]);
  const md = await runDiff({ stack: "engineering", base: path.join(dir, "Pulumi.engineering.yaml"), dir: ROOT });
  assert.match(md.text, /does not pass the current validation/);
});

test("a group rename declared in vmcp-okta:renames is a rename: same members, same access", async () => {
  const rename = (declare: boolean) => {
    const dir = scratch("engineering", (t) => {
      t.groups = { devs: t.groups.developers, platform: t.groups.platform, admin: t.groups.admin };
      t.grants = { devs: t.grants.developers, platform: t.grants.platform, admin: t.grants.admin };
    });
    if (declare) {
      const file = path.join(dir, "Pulumi.engineering.yaml");
      const doc = parse(fs.readFileSync(file, "utf8"));
      doc.config["vmcp-okta:renames"] = { groups: { devs: "developers" } };
      fs.writeFileSync(file, stringify(doc));
    }
    return dir;
  };
  const { diff } = await diffJson("engineering", rename(true));
  assert.deepEqual(diff.groups, { added: [], removed: [], renamed: [{ shortName: "devs", from: "mcp-developers", to: "mcp-devs" }] });
  assert.deepEqual(diff.access, []);
  assert.deepEqual(diff.members, []);
  // Undeclared, the same edit is a group removed and another added, with everything that implies.
  const undeclared = (await diffJson("engineering", rename(false))).diff;
  assert.deepEqual([undeclared.groups.added, undeclared.groups.removed], [["mcp-devs"], ["mcp-developers"]]);
  assert.ok(undeclared.summary.gains > 0 && undeclared.summary.losses > 0);
  assert.deepEqual(undeclared.members, [
    { group: "mcp-devs", added: ["alice@example.com"], removed: [] },
    { group: "mcp-developers", added: [], removed: ["alice@example.com"] },
  ]);
});
