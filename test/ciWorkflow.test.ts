/**
 * examples/ci: the GitHub Actions workflow is linted with actionlint (installed by scripts/ci-deps.sh;
 * this test fails when it is missing) and says what the README promises; the plain-shell version
 * runs its check and diff steps for real.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { execFileSync, spawnSync } from "node:child_process";
import { parse } from "yaml";
import { policies } from "../policy-pack/policies";

const ROOT = path.resolve(__dirname, "..");
const WORKFLOW = path.join(ROOT, "examples/ci/vmcp-okta-preview.yml");
const SCRIPT = path.join(ROOT, "examples/ci/review.sh");
type Obj = Record<string, any>;

/** actionlint on PATH, or where `go install` puts it (scripts/ci-deps.sh). */
function actionlint(): string {
  const onPath = spawnSync("sh", ["-c", "command -v actionlint"], { encoding: "utf8" }).stdout.trim();
  if (onPath) return onPath;
  let gopath = "";
  try {
    gopath = execFileSync("go", ["env", "GOPATH"], { encoding: "utf8" }).trim();
  } catch {
    /* no Go: reported below */
  }
  const installed = gopath && path.join(gopath, "bin", "actionlint");
  assert.ok(installed && fs.existsSync(installed), "actionlint is missing: run scripts/ci-deps.sh (go install github.com/rhysd/actionlint/cmd/actionlint@v1.7.12)");
  return installed;
}

const workflow = () => parse(fs.readFileSync(WORKFLOW, "utf8")) as Obj;

test("actionlint passes the workflow, and fails a broken copy of it", () => {
  const bin = actionlint();
  const ok = spawnSync(bin, ["-no-color", WORKFLOW], { encoding: "utf8" });
  assert.equal(ok.status, 0, ok.stdout + ok.stderr);

  // The linter really reads it: an undefined matrix key and a bad expression are caught.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vmcp-actionlint-"));
  const broken = path.join(dir, "broken.yml");
  fs.writeFileSync(broken, fs.readFileSync(WORKFLOW, "utf8").replace("header: vmcp-okta-diff-${{ matrix.stack }}", "header: vmcp-okta-diff-${{ matrix.team }}"));
  const bad = spawnSync(bin, ["-no-color", broken], { encoding: "utf8" });
  assert.equal(bad.status, 1, bad.stdout + bad.stderr);
  assert.match(bad.stdout, /property "team" is not defined/);
});

test("the workflow: a matrix over the team stacks, the diff comment against the PR base, preview with the policy pack", () => {
  const wf = workflow();
  const job = wf.jobs.review as Obj;
  const teamStacks = fs
    .readdirSync(ROOT)
    .filter((f) => /^Pulumi\.(.+)\.yaml$/.test(f) && f !== "Pulumi.yaml")
    .map((f) => f.slice(7, -5))
    .filter((s) => (parse(fs.readFileSync(path.join(ROOT, `Pulumi.${s}.yaml`), "utf8")) as Obj).config["vmcp-okta:team"].environment === "production");
  assert.deepEqual([...job.strategy.matrix.stack].sort(), teamStacks.sort());
  assert.equal(wf.permissions["pull-requests"], "write");

  const steps = job.steps as Obj[];
  const checkout = steps.find((s) => String(s.uses).startsWith("actions/checkout@"))!;
  assert.equal(checkout.with["fetch-depth"], 0, "the base branch must be fetched for the diff");
  const diff = steps.find((s) => /vmcp-okta|cli -- diff/.test(String(s.run)) && String(s.run).includes(" diff "))!;
  assert.match(diff.run, /diff --stack "\$STACK" --base "\$BASE_REF" --format markdown > "diff-\$STACK\.md"/);
  assert.equal(job.env.BASE_REF, "origin/${{ github.base_ref }}");
  const comment = steps.find((s) => String(s.uses).startsWith("marocchino/sticky-pull-request-comment@"))!;
  assert.equal(comment.with.path, "diff-${{ matrix.stack }}.md");
  const preview = steps.find((s) => String(s.uses).startsWith("pulumi/actions@"))!;
  assert.equal(preview.with.command, "preview");
  assert.equal(preview.with["comment-on-pr"], true);
  assert.equal(preview.with.policyPacks, "policy-pack");
  assert.ok(fs.existsSync(path.join(ROOT, preview.with.policyPacks, "PulumiPolicy.yaml")));
  // Every step runs after the diff comment, so a blocked preview still leaves the access diff on the PR.
  assert.ok(steps.indexOf(comment) < steps.indexOf(preview));

  // The policy config names only policies the pack has, with valid levels.
  const config = JSON.parse(fs.readFileSync(path.join(ROOT, preview.with.policyPackConfigs), "utf8")) as Obj;
  const names = new Set(policies.map((p) => p.name));
  for (const [name, v] of Object.entries(config)) {
    if (name !== "all") assert.ok(names.has(name), `policy-config.json names unknown policy ${name}`);
    const level = typeof v === "string" ? v : v.enforcementLevel;
    assert.ok(["advisory", "mandatory", "disabled", "remediate"].includes(level), `${name}: ${level}`);
  }
});

test("the plain-shell version: check and diff of a pull request in a scratch repository, the gate, a missing base", () => {
  const r = spawnSync("bash", ["-n", SCRIPT], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  const text = fs.readFileSync(SCRIPT, "utf8");
  assert.match(text, /pulumi preview .*--policy-pack policy-pack --policy-pack-config examples\/ci\/policy-config\.json/s);

  // A pull request in a scratch repository: the stack file at main, then the developers' deny removed.
  const repo = fs.mkdtempSync(path.join(os.tmpdir(), "vmcp-review-repo-"));
  const git = (...args: string[]) => execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", ...args], { cwd: repo, encoding: "utf8" });
  // A real ciphertext in place of the example's placeholder, as in a team's own repository.
  const stackFile = fs.readFileSync(path.join(ROOT, "Pulumi.engineering.yaml"), "utf8").replace(/v1:REPLACE-ME[^\s]*/g, "v1:AAABAGNpcGhlcnRleHQ=");
  fs.writeFileSync(path.join(repo, "Pulumi.engineering.yaml"), stackFile);
  git("init", "-q", "-b", "main");
  git("add", ".");
  git("commit", "-q", "-m", "base");
  fs.writeFileSync(path.join(repo, "Pulumi.engineering.yaml"), stackFile.replace(/^\s*deny: \[kubernetes-backend\/delete_namespace\]\n/m, ""));
  const out = path.join(repo, "out");
  const run = spawnSync("bash", [SCRIPT], {
    cwd: repo,
    encoding: "utf8",
    env: { ...process.env, BASE_REF: "main", FAIL_ON: "gain", SKIP_INSTALL: "1", SKIP_PREVIEW: "1", REVIEW_DIR: out, VMCP_OKTA: `${process.execPath} ${path.join(ROOT, "bin/vmcp-okta.js")}` },
  });
  assert.equal(run.status, 3, run.stdout + run.stderr);
  assert.match(run.stdout, /engineering: the diff gate \(--fail-on gain\) tripped/);
  const md = fs.readFileSync(path.join(out, "diff-engineering.md"), "utf8");
  assert.match(md, /^### vmcp-okta diff: stack `engineering` against `main`/);
  assert.match(md, /\*\*mcp-developers\*\* gains `kubernetes-backend_delete_namespace`/);

  // A missing base is a clear error, not an empty comment.
  const noBase = spawnSync("bash", [SCRIPT], { cwd: ROOT, encoding: "utf8", env: { ...process.env, BASE_REF: "", SKIP_INSTALL: "1" } });
  assert.notEqual(noBase.status, 0);
  assert.match(noBase.stderr, /set BASE_REF/);
});
