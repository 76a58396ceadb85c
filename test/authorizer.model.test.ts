/**
 * The authorizer against ToolHive's request model (../shared/reference/toolhive-cedar-model.md),
 * one test per rule: §1 principal, groups and claims, §3 resources and arguments, §4 decisions.
 * Each rule is checked through a Cedar decision, so a request built differently would fail it.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Authorizer, AuthorizerError, type AuthorizerOptions, type AuthzRequest, type CedarAction } from "../components/cedar/authorizer";
import { decimalFromNumber, toCedarValue } from "../components/cedar/values";
import { extractGroups } from "../components/cedar/principal";
import cedar from "../components/cedar/wasm";

const PERMIT_ALL = "permit(principal, action, resource);";

function authz(policies: AuthorizerOptions["policies"], opts: Omit<AuthorizerOptions, "policies"> = {}): Authorizer {
  return new Authorizer({ policies, ...opts });
}
/** An authorizer with one permit guarded by `cond`. */
function when(cond: string, opts: Omit<AuthorizerOptions, "policies"> = {}): Authorizer {
  return authz({ p: `permit(principal, action, resource) when { ${cond} };` }, opts);
}
function call(a: Authorizer, claims: AuthzRequest["claims"], extra: Partial<AuthzRequest> = {}) {
  return a.authorize({ claims, action: "call_tool", resourceId: "srv_tool", ...extra });
}
const inGroup = (g: string, type = "THVGroup") => authz({ [`in-${g}`]: `permit(principal in ${type}::${JSON.stringify(g)}, action, resource);` });

// ---------------------------------------------------------------------------------------------
describe("§1 principal", () => {
  test("the principal is Client::<sub>, verbatim (no escaping or normalisation)", () => {
    for (const sub of ["alice", "00u1abcd", "Alice@Example.COM", 'we"ird\\sub', "a::b", " spaced "]) {
      const a = authz({ me: `permit(principal == Client::${JSON.stringify(sub)}, action, resource);` });
      const d = call(a, { sub });
      assert.equal(d.allowed, true, sub);
      assert.equal(d.principal, sub);
      assert.equal(call(a, { sub: sub.toLowerCase() === sub ? sub.toUpperCase() : sub.toLowerCase() }).allowed, false);
    }
  });

  test("sub missing, empty or not a string denies even under permit-all", () => {
    const a = authz([PERMIT_ALL]);
    assert.equal(call(a, { sub: "ok" }).allowed, true);
    for (const claims of [{}, { sub: "" }, { sub: 42 }, { sub: null }, { sub: ["alice"] }, { sub: { id: "alice" } }, { sub: true }, { email: "a@x" }]) {
      const d = call(a, { ...claims, groups: ["mcp-admin"] });
      assert.equal(d.allowed, false, JSON.stringify(claims));
      assert.equal(d.errors.length, 1);
      assert.equal(d.principal, undefined);
    }
  });

  test("no identity at all denies", () => {
    const a = authz([PERMIT_ALL]);
    for (const claims of [null, undefined]) {
      const d = call(a, claims);
      assert.equal(d.allowed, false);
      assert.ok(d.errors.length > 0);
      assert.deepEqual(d.groups, []);
    }
  });

  test("no arguments are put on the principal", () => {
    const a = when(`principal has arg_ns`);
    assert.equal(call(a, { sub: "a" }, { arguments: { ns: "x" } }).allowed, false);
    assert.equal(when(`resource has arg_ns`).authorize({ claims: { sub: "a" }, action: "call_tool", resourceId: "t", arguments: { ns: "x" } }).allowed, true);
  });
});

// ---------------------------------------------------------------------------------------------
describe("§1 groups", () => {
  test("groups become THVGroup parents of the principal without any entities_json", () => {
    const a = inGroup("mcp-dev");
    const d = call(a, { sub: "a", groups: ["x", "mcp-dev"] });
    assert.equal(d.allowed, true);
    assert.deepEqual(d.groups, ["x", "mcp-dev"]);
    assert.equal(call(a, { sub: "a", groups: ["mcp-Dev"] }).allowed, false, "case-sensitive");
    assert.equal(call(a, { sub: "a", groups: ["mcp-dev "] }).allowed, false, "no trimming");
  });

  test("fallback order: groups, then roles, then cognito:groups; the first present wins", () => {
    const a = authz({
      g: `permit(principal in THVGroup::"from-groups", action, resource);`,
      r: `permit(principal in THVGroup::"from-roles", action, resource);`,
      c: `permit(principal in THVGroup::"from-cognito", action, resource);`,
    });
    const all = { sub: "a", groups: ["from-groups"], roles: ["from-roles"], "cognito:groups": ["from-cognito"] };
    assert.deepEqual(call(a, all).policies, ["g"]);
    const { groups: _g, ...noGroups } = all;
    assert.deepEqual(call(a, noGroups).policies, ["r"]);
    const { roles: _r, ...onlyCognito } = noGroups;
    assert.deepEqual(call(a, onlyCognito).policies, ["c"]);
    assert.equal(call(a, onlyCognito).groupSource, "cognito:groups");
    assert.equal(call(a, { sub: "a" }).groupSource, undefined);
  });

  test("a present but empty array counts as present: groups: [] stops the fallback to roles", () => {
    const a = inGroup("from-roles");
    assert.equal(call(a, { sub: "a", roles: ["from-roles"] }).allowed, true);
    const d = call(a, { sub: "a", groups: [], roles: ["from-roles"] });
    assert.equal(d.allowed, false);
    assert.deepEqual(d.groups, []);
    assert.equal(d.groupSource, "groups");
  });

  test("a claim that is not an array is absent, so the fallback continues", () => {
    const a = inGroup("from-roles");
    for (const groups of ["from-roles", "mcp-a mcp-b", 7, null, { a: 1 }, true]) {
      const d = call(a, { sub: "a", groups, roles: ["from-roles"] });
      assert.equal(d.allowed, true, JSON.stringify(groups));
      assert.equal(d.groupSource, "roles");
    }
  });

  test("non-string array elements are dropped", () => {
    const d = call(inGroup("b"), { sub: "a", groups: ["a", 1, null, { x: 1 }, ["b"], true, "b", 2.5] });
    assert.deepEqual(d.groups, ["a", "b"]);
    assert.equal(d.allowed, true);
  });

  test("configured group claim: exact top-level key first (URL-style names)", () => {
    const name = "https://example.com/groups";
    const a = authz({ p: `permit(principal in THVGroup::"url", action, resource);` }, { groupClaimName: name });
    const d = call(a, { sub: "a", [name]: ["url"], groups: ["fallback"] });
    assert.equal(d.allowed, true);
    assert.deepEqual(d.groups, ["url"]);
    assert.equal(d.groupSource, name);
  });

  test("configured group claim: the exact key wins over a dot path with the same spelling", () => {
    const d = call(inGroup("exact", "THVGroup"), { sub: "a", "a.b": ["exact"], a: { b: ["nested"] } });
    assert.deepEqual(d.groups, [], "without configuration neither is read");
    const a = authz({ p: `permit(principal in THVGroup::"exact", action, resource);` }, { groupClaimName: "a.b" });
    assert.deepEqual(call(a, { sub: "a", "a.b": ["exact"], a: { b: ["nested"] } }).groups, ["exact"]);
    assert.deepEqual(call(a, { sub: "a", a: { b: ["nested"] } }).groups, ["nested"]);
  });

  test("configured group claim: dot paths walk nested objects (realm_access.roles)", () => {
    const a = authz({ p: `permit(principal in THVGroup::"realm-admin", action, resource);` }, { groupClaimName: "realm_access.roles" });
    const d = call(a, { sub: "a", realm_access: { roles: ["realm-admin", "offline_access"] }, groups: ["ignored"] });
    assert.equal(d.allowed, true);
    assert.deepEqual(d.groups, ["realm-admin", "offline_access"]);
    // Deeper paths too.
    assert.deepEqual(extractGroups({ a: { b: { c: ["x"] } } }, { groupClaimName: "a.b.c" }).groups, ["x"]);
  });

  test("configured group claim: empty segments, missing keys and non-objects on the path are absent (fallback)", () => {
    const claims = { sub: "a", realm_access: { roles: ["nested"] }, str: "x", arr: [{ roles: ["in-array"] }], groups: ["fallback"] };
    for (const name of [".roles", "realm_access.", "realm_access..roles", "..", "realm_access.missing", "missing.roles", "str.roles", "arr.roles", "arr.0.roles"]) {
      const d = call(authz([PERMIT_ALL], { groupClaimName: name }), claims);
      assert.deepEqual(d.groups, ["fallback"], name);
      assert.equal(d.groupSource, "groups", name);
    }
  });

  test("configured group claim: an explicitly empty custom claim suppresses the fallback", () => {
    const a = authz({ p: `permit(principal in THVGroup::"mcp-admin", action, resource);` }, { groupClaimName: "teams" });
    assert.equal(call(a, { sub: "a", groups: ["mcp-admin"] }).allowed, true, "missing custom claim falls back");
    const d = call(a, { sub: "a", teams: [], groups: ["mcp-admin"] });
    assert.equal(d.allowed, false);
    assert.deepEqual(d.groups, []);
    assert.equal(d.groupSource, "teams");
    // The same through a dot path.
    const b = authz({ p: `permit(principal in THVGroup::"mcp-admin", action, resource);` }, { groupClaimName: "org.teams" });
    assert.equal(call(b, { sub: "a", org: { teams: [] }, groups: ["mcp-admin"] }).allowed, false);
  });

  test("role claim: appended after the groups, de-duplicated keeping the first occurrence", () => {
    const a = authz({ p: `permit(principal in THVGroup::"r-only", action, resource);` }, { roleClaimName: "app_roles" });
    const d = call(a, { sub: "a", groups: ["g1", "shared", "g1"], app_roles: ["r-only", "shared", "g1", 3] });
    assert.deepEqual(d.groups, ["g1", "shared", "r-only"]);
    assert.equal(d.allowed, true, "role values are parents with the same entity type");
    // Roles alone, with no group claim at all.
    assert.deepEqual(call(a, { sub: "a", app_roles: ["r-only"] }).groups, ["r-only"]);
    // Dot paths work for roles too; a non-array role claim adds nothing.
    assert.deepEqual(extractGroups({ groups: ["g"], realm_access: { roles: ["r"] } }, { roleClaimName: "realm_access.roles" }).groups, ["g", "r"]);
    assert.deepEqual(extractGroups({ groups: ["g"], app_roles: "r" }, { roleClaimName: "app_roles" }).groups, ["g"]);
  });

  test("role claim has no default: an unconfigured role claim is not read", () => {
    const d = call(inGroup("r"), { sub: "a", groups: ["g"], app_roles: ["r"] });
    assert.deepEqual(d.groups, ["g"]);
    assert.equal(d.allowed, false);
  });

  test("group entity type is configurable; group and role values share it", () => {
    const a = authz({ p: `permit(principal in OktaGroup::"g", action, resource);`, q: `permit(principal in THVGroup::"g", action, resource);` }, { groupEntityType: "OktaGroup", roleClaimName: "r" });
    assert.deepEqual(call(a, { sub: "a", groups: ["g"] }).policies, ["p"]);
    assert.deepEqual(call(a, { sub: "a", r: ["g"] }).policies, ["p"]);
  });

  test("a group entity type that is not a plain identifier is rejected when the authorizer is built", () => {
    for (const t of ["THV::Group", "1Group", "my-group", "", " "]) {
      if (t === "") continue; // empty means the default
      assert.throws(() => authz([PERMIT_ALL], { groupEntityType: t }), (e: unknown) => e instanceof AuthorizerError && e.code === "ERR_GROUP_ENTITY_TYPE", t);
    }
    assert.doesNotThrow(() => authz([PERMIT_ALL], { groupEntityType: "" }));
  });
});

// ---------------------------------------------------------------------------------------------
describe("§1 claims and value conversion", () => {
  test("every top-level claim is claim_<name> on the principal and in the context", () => {
    const claims = { sub: "a", email: "a@example.com", email_verified: true, "cognito:username": "ann" };
    assert.equal(call(when(`principal.claim_email == "a@example.com" && context.claim_email == "a@example.com"`), claims).allowed, true);
    assert.equal(call(when(`principal.claim_email_verified && context.claim_email_verified`), claims).allowed, true);
    assert.equal(call(when(`principal["claim_cognito:username"] == "ann"`), claims).allowed, true);
    assert.equal(call(when(`principal.claim_sub == "a"`), claims).allowed, true);
    assert.equal(call(when(`principal has email`), claims).allowed, false, "only the claim_ prefixed key");
  });

  test("JSON numbers are decimals: == decimal(\"5.0\") holds, == 5 does not, < 5 is an error (deny)", () => {
    const claims = { sub: "a", n: 5, exp: 1767225600 };
    assert.equal(call(when(`context.claim_n == decimal("5.0")`), claims).allowed, true);
    assert.equal(call(when(`principal.claim_n == decimal("5.0")`), claims).allowed, true);
    assert.equal(call(when(`context.claim_n == 5`), claims).allowed, false);
    const err = call(when(`context.claim_n > 4`), claims);
    assert.equal(err.allowed, false);
    assert.equal(err.errors.length, 1);
    assert.equal(call(when(`context.claim_exp.greaterThan(decimal("1767225599.9999"))`), claims).allowed, true);
  });

  test("decimals are int64(f*10000), truncated toward zero", () => {
    const cases: [number, string][] = [
      [5, "5.0000"],
      [1.23456, "1.2345"],
      [-1.23456, "-1.2345"],
      [0.00009, "0.0000"],
      [-0.5, "-0.5000"],
      [0.57, "0.5699"], // 0.57 * 10000 == 5699.999999999999 in float64: truncated, not rounded
      [1.001, "1.0009"],
      [-1.13, "-1.1299"],
      [0.1, "0.1000"],
      [1e14, "100000000000000.0000"],
      // f*10000 is a float64 product, as in Go: 9223372036854770000 rounds to 9223372036854769664.
      [922337203685477, "922337203685476.9664"],
    ];
    for (const [f, arg] of cases) {
      assert.deepEqual(decimalFromNumber(f), { __extn: { fn: "decimal", arg } }, String(f));
      const a = when(`context.claim_n == decimal(${JSON.stringify(arg)})`);
      assert.equal(call(a, { sub: "a", n: f }).allowed, true, `${f} → ${arg} in Cedar`);
    }
  });

  test("numbers outside the int64 decimal range are dropped (has is false)", () => {
    for (const n of [1e15, -1e15, 1e300, Number.MAX_VALUE]) {
      assert.equal(decimalFromNumber(n), undefined, String(n));
      assert.equal(call(when(`context has claim_n || principal has claim_n`), { sub: "a", n }).allowed, false, String(n));
    }
    assert.equal(call(when(`context has claim_n`), { sub: "a", n: 9e14 }).allowed, true);
  });

  test("null claims are omitted, so has is false", () => {
    const a = when(`context has claim_x || principal has claim_x`);
    assert.equal(call(a, { sub: "a", x: null }).allowed, false);
    assert.equal(call(a, { sub: "a", x: "" }).allowed, true);
  });

  test("arrays become sets with unconvertible elements dropped; objects become records", () => {
    const claims = { sub: "a", tags: ["a", null, "b", 3], realm_access: { roles: ["r1"], nested: { flag: true, nothing: null } } };
    assert.equal(call(when(`context.claim_tags == ["a", "b", decimal("3.0")]`), claims).allowed, true);
    assert.equal(call(when(`context.claim_realm_access.roles.contains("r1") && context.claim_realm_access.nested.flag`), claims).allowed, true);
    assert.equal(call(when(`context.claim_realm_access.nested has nothing`), claims).allowed, false);
  });

  test("nesting deeper than 10 levels is dropped", () => {
    const nest = (levels: number) => {
      let v: unknown = "leaf";
      for (let i = 0; i < levels; i++) v = { x: v };
      return v;
    };
    const path = (levels: number) => "context.claim_c" + ".x".repeat(levels);
    // The top-level claim value is depth 0; a leaf under 10 records is depth 10 and is kept.
    assert.equal(call(when(`${path(10)} == "leaf"`), { sub: "a", c: nest(10) }).allowed, true);
    const d = call(when(`${path(10)} has x`), { sub: "a", c: nest(11) });
    assert.equal(d.allowed, false);
    assert.deepEqual(d.errors, []);
    assert.equal(call(when(`${path(10)} == {}`), { sub: "a", c: nest(11) }).allowed, true, "the record at depth 10 stays, emptied");
    // Arrays count as a level too.
    assert.deepEqual(toCedarValue([[[["x"]]]], 7), [[[[]]]]);
  });

  test("the internal tsid claim is stripped", () => {
    assert.equal(call(when(`context has claim_tsid || principal has claim_tsid`), { sub: "a", tsid: "session-1" }).allowed, false);
  });
});

// ---------------------------------------------------------------------------------------------
describe("§2/§3 actions, resources and arguments", () => {
  const request = (a: Authorizer, action: CedarAction, resourceId: string, extra: Partial<AuthzRequest> = {}) =>
    a.authorize({ claims: { sub: "a" }, action, resourceId, ...extra });

  test("actions are Action::<id> with operation = <id> and no parents", () => {
    for (const action of ["call_tool", "get_prompt", "read_resource"] as const) {
      assert.equal(request(when(`action == Action::${JSON.stringify(action)} && action.operation == ${JSON.stringify(action)}`), action, "x").allowed, true, action);
    }
    // Action groups from entities_json are lost: the request's action entity wins.
    const grouped = authz({ p: `permit(principal, action in Action::"all", resource);` }, { entitiesJson: JSON.stringify([{ uid: { type: "Action", id: "call_tool" }, attrs: {}, parents: [{ type: "Action", id: "all" }] }]) });
    assert.equal(request(grouped, "call_tool", "t").allowed, false);
  });

  test("Tool, Prompt and Resource entities carry their standard attributes", () => {
    assert.equal(request(when(`resource is Tool && resource == Tool::"gh_x" && resource.name == "gh_x" && resource.operation == "call" && resource.feature == "tool"`), "call_tool", "gh_x").allowed, true);
    assert.equal(request(when(`resource is Prompt && resource.name == "gh_p" && resource.operation == "get" && resource.feature == "prompt"`), "get_prompt", "gh_p").allowed, true);
    assert.equal(
      request(when(`resource is Resource && resource.name == "file:///a" && resource.uri == "file:///a" && resource.operation == "read" && resource.feature == "resource"`), "read_resource", "file:///a").allowed,
      true,
    );
    assert.equal(request(when(`resource has uri`), "call_tool", "t").allowed, false);
  });

  test("resources get the MCP::<server> parent when a server name is set", () => {
    const a = authz({ p: `permit(principal, action, resource in MCP::"engineering-tools");` }, { serverName: "engineering-tools" });
    for (const action of ["call_tool", "get_prompt", "read_resource"] as const) assert.equal(request(a, action, "x").allowed, true, action);
    const other = authz({ p: `permit(principal, action, resource in MCP::"engineering-tools");` }, { serverName: "platform-tools" });
    assert.equal(request(other, "call_tool", "x").allowed, false);
    const none = authz({ p: `permit(principal, action, resource in MCP::"engineering-tools");` });
    assert.equal(request(none, "call_tool", "x").allowed, false);
  });

  test("scalar arguments are arg_<k> on the resource and in the context; numbers are decimals", () => {
    const args = { ns: "prod", force: true, n: 5 };
    assert.equal(request(when(`context.arg_ns == "prod" && resource.arg_ns == "prod"`), "call_tool", "t", { arguments: args }).allowed, true);
    assert.equal(request(when(`context.arg_force && resource.arg_force`), "call_tool", "t", { arguments: args }).allowed, true);
    assert.equal(request(when(`context.arg_n == decimal("5.0")`), "call_tool", "t", { arguments: args }).allowed, true);
    assert.equal(request(when(`context.arg_n == 5`), "call_tool", "t", { arguments: args }).allowed, false);
    const err = request(when(`context.arg_n < 5`), "call_tool", "t", { arguments: args });
    assert.equal(err.allowed, false);
    assert.equal(err.errors.length, 1);
  });

  test("object, array and null arguments become arg_<k>_present = true only", () => {
    const args = { obj: { a: 1 }, arr: [1, 2], nul: null };
    for (const k of ["obj", "arr", "nul"]) {
      assert.equal(request(when(`context.arg_${k}_present && resource.arg_${k}_present`), "call_tool", "t", { arguments: args }).allowed, true, k);
      assert.equal(request(when(`context has arg_${k} || resource has arg_${k}`), "call_tool", "t", { arguments: args }).allowed, false, k);
    }
    assert.equal(request(when(`context has arg_s_present`), "call_tool", "t", { arguments: { s: "x" } }).allowed, false);
  });

  test("prompts carry arguments when the authorizer is called with them (the MCP layer passes none)", () => {
    assert.equal(request(when(`context.arg_topic == "x" && resource.arg_topic == "x"`), "get_prompt", "p", { arguments: { topic: "x" } }).allowed, true);
  });

  test("tool annotations are resource attributes; only boolean hints; standard keys cannot be overridden", () => {
    const annotations = { readOnlyHint: true, destructiveHint: false, idempotentHint: "true", name: "evil", operation: "x", feature: "y", title: "T" };
    assert.equal(request(when(`resource.readOnlyHint && !resource.destructiveHint`), "call_tool", "t", { annotations }).allowed, true);
    assert.equal(request(when(`resource has idempotentHint || resource has openWorldHint || resource has title`), "call_tool", "t", { annotations }).allowed, false);
    assert.equal(request(when(`resource.name == "t" && resource.operation == "call" && resource.feature == "tool"`), "call_tool", "t", { annotations }).allowed, true);
    assert.equal(request(when(`context has readOnlyHint`), "call_tool", "t", { annotations }).allowed, false, "annotations are not context");
    assert.equal(request(when(`resource has readOnlyHint`), "get_prompt", "t", { annotations }).allowed, false, "only tools get annotations");
  });

  test("a permit reading a missing annotation errors, and errors deny", () => {
    const d = request(when(`resource.readOnlyHint`), "call_tool", "t");
    assert.equal(d.allowed, false);
    assert.equal(d.errors.length, 1);
    assert.equal(request(when(`resource has readOnlyHint && resource.readOnlyHint`), "call_tool", "t").errors.length, 0);
  });

  test("resource URIs are used verbatim: encodings, case and trailing slashes are distinct", () => {
    const uri = "file:///srv/a%20b.txt";
    const a = authz({ p: `permit(principal, action == Action::"read_resource", resource == Resource::${JSON.stringify(uri)});` });
    assert.equal(request(a, "read_resource", uri).allowed, true);
    for (const other of ["file:///srv/a b.txt", "file:///srv/a%2520b.txt", "FILE:///srv/a%20b.txt", "file:///srv/a%20B.txt", "file:///srv/a%20b.txt/", "file:///srv/./a%20b.txt", "file:///srv/a%20b.txt "]) {
      assert.equal(request(a, "read_resource", other).allowed, false, other);
    }
    assert.equal(request(when(`resource.uri == "file:///srv/a b.txt"`), "read_resource", "file:///srv/a b.txt").allowed, true);
    const quoted = 'mem://x/"quoted"\\path';
    assert.equal(request(authz({ q: `permit(principal, action, resource == Resource::${JSON.stringify(quoted)});` }), "read_resource", quoted).allowed, true);
  });

  test("a missing name is resource id \"\"", () => {
    assert.equal(request(authz({ p: `permit(principal, action, resource == Tool::"");` }), "call_tool", "").allowed, true);
  });
});

// ---------------------------------------------------------------------------------------------
describe("§4 entities_json", () => {
  const roleEntities = JSON.stringify([
    { uid: { type: "THVGroup", id: "mcp-dev" }, attrs: {}, parents: [{ type: "THVRole", id: "engineer" }] },
    { uid: { type: "THVRole", id: "engineer" }, attrs: {}, parents: [{ type: "THVRole", id: "staff" }] },
  ]);

  test("transitive group → role hierarchies come from entities_json", () => {
    const policies = { role: `permit(principal in THVRole::"staff", action, resource);` };
    assert.equal(call(authz(policies, { entitiesJson: roleEntities }), { sub: "a", groups: ["mcp-dev"] }).allowed, true);
    assert.equal(call(authz(policies), { sub: "a", groups: ["mcp-dev"] }).allowed, false, "without the group entity there is no hierarchy");
    assert.equal(call(authz(policies, { entitiesJson: roleEntities }), { sub: "a", groups: ["mcp-other"] }).allowed, false);
  });

  test("request entities win: a static Client with the same uid adds no parents or attributes", () => {
    const entitiesJson = JSON.stringify([
      { uid: { type: "Client", id: "alice" }, attrs: { claim_department: "sre" }, parents: [{ type: "THVGroup", id: "mcp-admin" }] },
      { uid: { type: "Client", id: "bob" }, attrs: {}, parents: [{ type: "THVGroup", id: "mcp-admin" }] },
    ]);
    const a = authz(
      { admin: `permit(principal in THVGroup::"mcp-admin", action, resource);`, dept: `permit(principal, action, resource) when { principal has claim_department };` },
      { entitiesJson },
    );
    const d = call(a, { sub: "alice", groups: [] });
    assert.equal(d.allowed, false);
    assert.deepEqual(d.errors, [], "no duplicate-entity failure either");
    assert.equal(call(a, { sub: "alice", department: "sre" }).allowed, true, "the token's own claim does count");
  });

  test("request entities win for the resource too: a static Tool entity's parents are ignored", () => {
    const entitiesJson = JSON.stringify([{ uid: { __entity: { type: "Tool", id: "t" } }, attrs: { readOnlyHint: true }, parents: [{ type: "MCP", id: "other" }] }]);
    const a = authz({ p: `permit(principal, action, resource in MCP::"other");`, q: `permit(principal, action, resource) when { resource has readOnlyHint };` }, { entitiesJson, serverName: "mine" });
    const d = call(a, { sub: "a" }, { resourceId: "t" });
    assert.equal(d.allowed, false);
    assert.deepEqual(d.errors, []);
  });

  test("malformed entities_json is rejected when the authorizer is built", () => {
    for (const entitiesJson of ["{", "{}", '"x"', "42"]) {
      assert.throws(() => authz([PERMIT_ALL], { entitiesJson }), (e: unknown) => e instanceof AuthorizerError && e.code === "ERR_ENTITIES_JSON", entitiesJson);
    }
  });
});

// ---------------------------------------------------------------------------------------------
describe("§4 decisions", () => {
  test("default deny: nothing matches, nothing determines", () => {
    const d = call(inGroup("mcp-admin"), { sub: "a", groups: ["mcp-dev"] });
    assert.equal(d.allowed, false);
    assert.deepEqual(d.policies, []);
    assert.deepEqual(d.errors, []);
  });

  test("forbid beats permit, and reason lists the forbid", () => {
    const a = authz({ allow: PERMIT_ALL, deny: `forbid(principal in THVGroup::"mcp-dev", action == Action::"call_tool", resource == Tool::"srv_tool");` });
    const d = call(a, { sub: "a", groups: ["mcp-dev"] });
    assert.equal(d.allowed, false);
    assert.deepEqual(d.policies, ["deny"]);
    assert.deepEqual(call(a, { sub: "a", groups: [] }).policies, ["allow"]);
  });

  test("errors deny even when a permit matched (a forbid reading a missing attribute)", () => {
    const policies = { allow: PERMIT_ALL, guard: `forbid(principal, action, resource) when { principal.claim_department == "sales" };` };
    const claims = { sub: "a" };
    // Plain cedar-wasm says allow, with the error in its diagnostics …
    const plain = cedar.isAuthorized({
      principal: { type: "Client", id: "a" },
      action: { type: "Action", id: "call_tool" },
      resource: { type: "Tool", id: "t" },
      context: {},
      policies: { staticPolicies: policies },
      entities: [],
    });
    assert.equal(plain.type, "success");
    assert.equal(plain.type === "success" && plain.response.decision, "allow");
    // … ToolHive (and we) deny.
    const d = call(authz(policies), claims);
    assert.equal(d.allowed, false);
    assert.deepEqual(d.policies, ["allow"]);
    assert.equal(d.errors.length, 1);
    assert.match(d.errors[0], /^guard: /);
    assert.equal(call(authz(policies), { sub: "a", department: "eng" }).allowed, true);
  });

  test("policy ids: record keys, or policy<i> for a list (as ToolHive names them)", () => {
    assert.deepEqual(call(authz({ "team.allow": PERMIT_ALL }), { sub: "a" }).policies, ["team.allow"]);
    assert.deepEqual(call(authz([`forbid(principal, action, resource) when { false };`, PERMIT_ALL]), { sub: "a" }).policies, ["policy1"]);
    assert.deepEqual(authz([PERMIT_ALL, PERMIT_ALL]).policyIds, ["policy0", "policy1"]);
  });

  test("a policy string holding two policies is rejected, not silently truncated", () => {
    for (const policies of [{ two: `${PERMIT_ALL}\nforbid(principal, action, resource);` }, [`forbid(principal, action, resource);${PERMIT_ALL}`]]) {
      assert.throws(() => authz(policies), (e: unknown) => e instanceof AuthorizerError && e.code === "ERR_POLICY_PARSE");
    }
  });

  test("no policies, or a policy that does not parse, fails construction", () => {
    assert.throws(() => authz([]), (e: unknown) => e instanceof AuthorizerError && e.code === "ERR_NO_POLICIES");
    assert.throws(() => authz({}), (e: unknown) => e instanceof AuthorizerError && e.code === "ERR_NO_POLICIES");
    assert.throws(() => authz(["permit(principal, action);"]), (e: unknown) => e instanceof AuthorizerError && e.code === "ERR_POLICY_PARSE");
  });

  test("two authorizers keep their own policy sets", () => {
    const allow = authz([PERMIT_ALL]);
    const deny = authz([`forbid(principal, action, resource);`]);
    assert.equal(call(allow, { sub: "a" }).allowed, true);
    assert.equal(call(deny, { sub: "a" }).allowed, false);
    assert.equal(call(allow, { sub: "a" }).allowed, true);
  });
});

// ---------------------------------------------------------------------------------------------
describe("pre-parsing", () => {
  test("policies are parsed once per Authorizer and never during authorize", (t) => {
    const mod = cedar as unknown as Record<string, (...args: unknown[]) => unknown>;
    const counts: Record<string, number> = {};
    const parsing = ["preparsePolicySet", "isAuthorized", "checkParsePolicySet", "policySetTextToParts", "policyToJson", "validate", "preparseSchema", "checkParseSchema", "statefulIsAuthorized"];
    for (const name of parsing) {
      const original = mod[name];
      counts[name] = 0;
      t.mock.method(mod, name, (...args: unknown[]) => {
        counts[name]++;
        return original(...args);
      });
    }
    const a = authz({ allow: PERMIT_ALL, deny: `forbid(principal in THVGroup::"x", action, resource);` }, { serverName: "s", entitiesJson: "[]" });
    assert.equal(counts.preparsePolicySet, 1);
    const afterBuild = { ...counts };
    for (let i = 0; i < 25; i++) {
      call(a, { sub: `u${i}`, groups: i % 2 ? ["x"] : [] }, { arguments: { i } });
      a.authorize({ claims: { sub: "u" }, action: "read_resource", resourceId: `file:///${i}` });
    }
    assert.equal(counts.statefulIsAuthorized - afterBuild.statefulIsAuthorized, 50, "one evaluation per decision");
    for (const name of parsing.filter((n) => n !== "statefulIsAuthorized")) {
      assert.equal(counts[name], afterBuild[name], `${name} called during authorize`);
    }
  });
});
