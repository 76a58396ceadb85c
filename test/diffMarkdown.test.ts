/**
 * The diff comment is built from pull-request content: no value may format, mention or break out of
 * its block. And the policy line diff is a real diff.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { diffToMarkdown, type TeamDiff } from "../components/diff";
import { lineDiff } from "../components/diff/markdown";

function empty(): TeamDiff {
  return {
    stack: "engineering",
    base: "origin/main",
    baseExists: true,
    baseProblems: [],
    changed: true,
    summary: { gains: 0, losses: 0, membersAdded: 0, membersRemoved: 0, objectsAdded: 0, objectsRemoved: 0, objectsChanged: 0 },
    access: [],
    renames: [],
    members: [],
    groups: { added: [], removed: [], renamed: [] },
    backends: { added: [], removed: [] },
    tools: { added: [], removed: [] },
    policies: { added: [], removed: [], changed: [] },
    objects: [],
  };
}

test("hostile values stay inside code spans and blocks", () => {
  const d = empty();
  const text = '@id("x")\npermit (principal, action, resource) when { context has a }; // ```\n</details> @org/admins **bold**';
  d.policies.added.push({ id: "x</summary><img src=x>", after: text });
  d.members.push({ group: "mcp-dev **x**", added: ["@org/admins"], removed: [] });
  d.objects.push({ kind: "okta", id: "okta:group/group:Group a`b", change: "changed", fields: [{ path: "description", change: "changed", before: "``", after: "line1\nline2" }] });
  const md = diffToMarkdown(d);
  assert.doesNotMatch(md, /<img/, "no raw HTML from an id");
  assert.match(md, /<summary>added <code>x&lt;\/summary&gt;&lt;img src=x&gt;<\/code><\/summary>/);
  // The policy holds a ``` run, so its fence is longer and the text stays inside it.
  assert.match(md, /\n````diff\n\+ @id\("x"\)\n[\s\S]*\+ <\/details> @org\/admins \*\*bold\*\*\n````\n/);
  assert.match(md, /- \*\*`mcp-dev \*\*x\*\*`\*\*: added `@org\/admins`/);
  assert.match(md, /`` okta:group\/group:Group a`b ``/);
  assert.match(md, /``` `` ``` → `line1 ⏎ line2`/);
});

test("the policy line diff keeps common lines and orders removals before additions", () => {
  assert.deepEqual(lineDiff("a\nb\nc", "a\nx\nc"), ["  a", "- b", "+ x", "  c"]);
  assert.deepEqual(lineDiff("a\nb", "a\nb\nc"), ["  a", "  b", "+ c"]);
  assert.deepEqual(lineDiff("a\nb\nc", "c"), ["- a", "- b", "  c"]);
});

test("no changes is one sentence", () => {
  const d = { ...empty(), changed: false };
  assert.match(diffToMarkdown(d), /^### vmcp-okta diff: stack `engineering` against `origin\/main`\n\nNo changes:/);
});

test("a diff too large for one comment keeps access and drops object fields", async () => {
  const { MAX_COMMENT_CHARS } = await import("../components/diff/markdown");
  const d = empty();
  d.access.push({ group: "mcp-developers", gained: [{ backend: "b", tool: "t", name: "b_t", before: null, after: { decision: "allow", policies: ["p"] } }], lost: [] });
  for (let i = 0; i < 400; i++) {
    d.objects.push({ kind: "kubernetes", id: `Secret ns/s${i}`, change: "added", fields: Array.from({ length: 10 }, (_, j) => ({ path: `data.k${j}`, change: "added" as const, after: "<redacted>".repeat(5) })) });
  }
  const md = diffToMarkdown(d);
  assert.ok(md.length <= MAX_COMMENT_CHARS, `${md.length} characters`);
  assert.match(md, /\*\*mcp-developers\*\* gains `b_t`/);
  assert.match(md, /- \+ added `Secret ns\/s399` \(10 fields\)/);
  assert.match(md, /--format json/);
  assert.doesNotMatch(md, /data\.k0/);
});
