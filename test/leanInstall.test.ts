/**
 * Lean install: the program loads the way Pulumi loads it (its language host's TypeScript loader,
 * test/fixtures/pulumiLoad.js), with the project's TypeScript 5 rather than the vendored 3.8 the
 * loader falls back to when `typescript` is missing (TS6046 at start); everything the deploy path
 * loads is a production dependency (nothing `npm ci --omit=dev` removes); and an unsupported Node is
 * refused with a clear message before any dependency is loaded.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { MIN_NODE, nodeIsSupported } from "../components/nodeGuard";

const ROOT = path.resolve(__dirname, "..");
const TEAM = JSON.stringify(parse(fs.readFileSync(path.join(ROOT, "Pulumi.engineering.yaml"), "utf8")).config["vmcp-okta:team"]);

interface LoadReport {
  typescript: { version: string; path: string };
  tsnode: string;
  exports?: string[];
  mcpUrl?: string;
  jwksKeys?: number;
  packages?: string[];
  error?: string;
  packagesAtError?: string[];
  fatal?: string;
}

function load(nodeVersion = "", transpileOnly = false): LoadReport {
  const out = execFileSync(process.execPath, [path.join(ROOT, "test/fixtures/pulumiLoad.js"), nodeVersion], {
    cwd: ROOT,
    env: { ...process.env, TEAM_JSON: TEAM, PULUMI_NODEJS_TYPESCRIPT: "true", ...(transpileOnly ? { PULUMI_NODEJS_TRANSPILE_ONLY: "true" } : {}), NODE_OPTIONS: "" },
    encoding: "utf8",
    stdio: ["ignore", "pipe", "ignore"],
    timeout: 300_000,
  });
  return JSON.parse(out.trim().split("\n").pop()!) as LoadReport;
}

test("Pulumi's TypeScript loader picks the project's TypeScript 5 and the program loads, type-checked, with only production dependencies", () => {
  const r = load();
  assert.equal(r.fatal, undefined, r.fatal);
  assert.equal(r.error, undefined, r.error);
  assert.match(r.typescript.version, /^5\./, "not the vendored typescript@3.8.3");
  assert.equal(r.typescript.path, path.join(ROOT, "node_modules/typescript/lib/typescript.js"));
  assert.deepEqual(r.exports, ["accessMatrix", "clientId", "consistencyReport", "gatewayServiceUrl", "issuer", "jwks", "mcpUrl", "namespace", "oktaIssuer", "signingKeyIds"]);
  assert.equal(r.mcpUrl, "https://vmcp-engineering.example.com/mcp");
  assert.equal(r.jwksKeys, 1, "jose (ESM-only) loaded and computed the JWKS");
  // package-lock marks packages only devDependencies need with `dev: true`: `npm ci --omit=dev` drops them.
  const lock = JSON.parse(fs.readFileSync(path.join(ROOT, "package-lock.json"), "utf8")) as { packages: Record<string, { dev?: boolean }> };
  const devOnly = (r.packages ?? []).filter((p) => lock.packages[`node_modules/${p}`]?.dev === true);
  assert.deepEqual(devOnly, [], "the deploy path loads no dev-only package");
  assert.ok(r.packages!.includes("typescript") && lock.packages["node_modules/typescript"].dev !== true, "typescript is a production dependency");
});

test("below the Node version jose needs, the program refuses before loading any dependency", () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { engines: { node: string } };
  assert.equal(pkg.engines.node, `>=${MIN_NODE.replace(/\.0$/, "")}`, "the guard and engines agree");
  assert.equal(nodeIsSupported("20.18.3"), false);
  assert.equal(nodeIsSupported("20.19.0"), true);
  assert.equal(nodeIsSupported("22.1.0"), true);
  assert.equal(nodeIsSupported("18.20.4"), false);
  const r = load("20.18.1", true);
  assert.match(r.error ?? "", /^vmcp-okta needs Node 20\.19\.0 or newer \(this is Node 20\.18\.1\): its JWT library \(jose\) is ESM-only[\s\S]*fix: install Node 20\.19\+/);
  assert.deepEqual(r.packagesAtError, [], "nothing was loaded from node_modules by the program before the refusal");
});
