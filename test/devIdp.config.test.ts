/**
 * The `dev:` section and what the development IdP derives from a stack: its users and their
 * groups (after Okta's claim filter), where everything listens, and the config errors.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { compileTeam } from "../components/compile";
import { ProblemList } from "../components/errors";
import { devEndpoints, devUsers, oktaUserId, parseDevConfig, claimFilterGroups, DEFAULT_TOKEN_TTL_SECONDS } from "../components/dev/config";
import { loadStackFile } from "../components/stackConfig";
import type { TeamInput } from "../components/spec/types";
import { REPO } from "./fixtures/cli";
import { seedTeam } from "./fixtures/seed";

const ROOT = "vmcp-okta:team.dev";

function devTeam(dev: Record<string, unknown> = {}): TeamInput {
  return { ...seedTeam(), environment: "development", endpoint: "http://localhost:8080", dev };
}

function parse(raw: unknown, team = devTeam()) {
  const spec = compileTeam(team).spec;
  const problems = new ProblemList();
  const dev = parseDevConfig(raw, spec, problems, ROOT);
  return { dev, problems, spec };
}

test("the repository's dev stack has alice, bob, carol and eve, each with the groups Okta would put in the token", () => {
  const { team } = loadStackFile("dev", REPO);
  const compiled = compileTeam(team);
  const problems = new ProblemList();
  const dev = parseDevConfig(compiled.spec.raw.dev, compiled.spec, problems, ROOT);
  assert.ok(dev, JSON.stringify(problems.items));
  const users = devUsers(compiled.spec, dev);
  const byLogin = Object.fromEntries(users.map((u) => [u.login, u.tokenGroups]));
  assert.deepEqual(byLogin, {
    "alice@example.com": ["mcp-developers"],
    "bob@example.com": ["mcp-platform"],
    "carol@example.com": ["mcp-admin"],
    "eve@example.com": [],
  });
  // Everyone is in Okta's built-in group, which the prefix filter drops.
  for (const u of users) assert.ok(u.oktaGroups.includes("Everyone"));
  assert.equal(compiled.spec.environment, "development");
});

test("extra users may carry Okta groups outside the prefix; the claim filter drops them", () => {
  const team = devTeam({
    extraUsers: [
      "eve@example.com",
      { login: "alice@example.com", groups: ["engineering", "Everyone-Contractors", "MCP-upper"] },
      { login: "dave@example.com", groups: ["mcp-other-team", "engineering"] },
    ],
  });
  const { dev, problems, spec } = parse(team.dev, team);
  assert.ok(dev);
  const users = devUsers(spec, dev);
  const alice = users.find((u) => u.login === "alice@example.com")!;
  assert.deepEqual(alice.oktaGroups, ["mcp-developers", "engineering", "Everyone-Contractors", "MCP-upper", "Everyone"]);
  assert.deepEqual(alice.tokenGroups, ["mcp-developers"], "non-prefixed (and differently cased) groups never reach the token");
  const dave = users.find((u) => u.login === "dave@example.com")!;
  assert.deepEqual(dave.tokenGroups, ["mcp-other-team"], "a foreign group with the prefix does reach the token, as in Okta");
  assert.deepEqual(
    problems.warnings.map((p) => [p.code, p.path]),
    [["dev.user-foreign-prefixed-group", `${ROOT}.extraUsers[2].groups[0]`]],
  );
  assert.deepEqual(claimFilterGroups(["mcp-a", "xmcp-b", "mcp", "mcp-"], spec), ["mcp-a", "mcp-"]);
});

test("dev section errors carry a code and the config path", () => {
  const cases: Array<[unknown, Array<[string, string]>]> = [
    [{ extraUser: [] }, [["dev.unknown-key", `${ROOT}.extraUser`]]],
    [{ extraUsers: ["not-an-email"] }, [["dev.user-login", `${ROOT}.extraUsers[0]`]]],
    [{ extraUsers: [{ login: "x" }] }, [["dev.user-login", `${ROOT}.extraUsers[0].login`]]],
    [{ extraUsers: ["eve@example.com", "EVE@example.com"] }, [["dev.user-duplicate", `${ROOT}.extraUsers[1]`]]],
    [{ extraUsers: [{ login: "eve@example.com", groups: ["mcp-admin"] }] }, [["dev.user-team-group", `${ROOT}.extraUsers[0].groups[0]`]]],
    [{ extraUsers: [{ login: "eve@example.com", group: [] }] }, [["dev.unknown-key", `${ROOT}.extraUsers[0].group`]]],
    [{ idpPort: 70000 }, [["dev.idp-port", `${ROOT}.idpPort`]]],
    [{ tokenTtl: 5 }, [["dev.token-ttl", `${ROOT}.tokenTtl`]]],
    [{ tokenTtl: "1h" }, [["dev.invalid", `${ROOT}.tokenTtl`]]],
  ];
  for (const [raw, expected] of cases) {
    const { dev, problems } = parse(raw);
    assert.equal(dev, undefined, JSON.stringify(raw));
    assert.deepEqual(
      problems.errors.map((p) => [p.code, p.path]),
      expected,
      JSON.stringify(raw),
    );
    for (const p of problems.errors) assert.ok(p.fix, `${p.code} has a fix`);
  }
  const unknown = parse({ extraUser: [] }).problems.errors[0];
  assert.match(unknown.fix ?? "", /extraUsers/);
});

test("an absent dev section is fine; a member listed again without groups is a warning", () => {
  const a = parse(undefined);
  assert.deepEqual(a.dev, { extraUsers: [], idpPort: undefined, tokenTtlSeconds: DEFAULT_TOKEN_TTL_SECONDS });
  const b = parse({ extraUsers: ["alice@example.com"] });
  assert.ok(b.dev);
  assert.deepEqual(b.problems.warnings.map((p) => p.code), ["dev.user-redundant"]);
});

test("endpoints: resource URL is the stack endpoint, the IdP sits on the next port under /oauth2/default", () => {
  const spec = { endpoint: "http://localhost:8080" };
  assert.deepEqual(devEndpoints(spec, {}), {
    host: "127.0.0.1",
    port: 8080,
    resourceUrl: "http://localhost:8080",
    mcpUrl: "http://localhost:8080/mcp",
    idpHost: "127.0.0.1",
    idpPort: 8081,
    issuer: "http://127.0.0.1:8081/oauth2/default",
  });
  const moved = devEndpoints(spec, { idpPort: 9999 }, { port: 9000 });
  assert.equal(moved.resourceUrl, "http://localhost:9000", "the audience follows the port the gateway really listens on");
  assert.equal(moved.issuer, "http://127.0.0.1:9999/oauth2/default");
  assert.equal(devEndpoints(spec, {}, { port: 9000 }).idpPort, 9001);
  assert.equal(devEndpoints(spec, {}, { host: "0.0.0.0" }).issuer, "http://localhost:8081/oauth2/default", "a wildcard bind announces the endpoint's host name");
});

test("Okta-style user ids are stable and shaped like Okta's", () => {
  assert.match(oktaUserId("alice@example.com"), /^00u[0-9A-Za-z]{17}$/);
  assert.equal(oktaUserId("alice@example.com"), oktaUserId("ALICE@example.com"));
  assert.notEqual(oktaUserId("alice@example.com"), oktaUserId("bob@example.com"));
});
