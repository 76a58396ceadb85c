/**
 * `vmcp-okta dev` and `vmcp-okta dev token` as a user runs them (real CLI process): the token a
 * script gets verifies against the running development IdP's JWKS (same persisted key, same issuer),
 * `dev` refuses stacks that are not marked development, and errors name the problem.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import * as net from "node:net";
import { join } from "node:path";
import * as jose from "jose";
import { compileTeam } from "../components/compile";
import { ProblemList } from "../components/errors";
import { devEndpoints, devUsers, parseDevConfig } from "../components/dev/config";
import type { TeamInput } from "../components/spec/types";
import { startDevIdp } from "../gateway/devIdp";
import { REPO, runCli, tempStacks } from "./fixtures/cli";
import { seedTeam } from "./fixtures/seed";
import { freePort } from "./helpers/net";

function devTeam(port: number, idpPort: number): TeamInput {
  return { ...seedTeam(), environment: "development", endpoint: `http://localhost:${port}`, dev: { extraUsers: ["eve@example.com"], idpPort } };
}

test("dev token prints one token that the running dev IdP's JWKS verifies (persisted key, same issuer)", async () => {
  const [port, idpPort] = [await freePort(), await freePort()];
  const team = devTeam(port, idpPort);
  const dir = tempStacks({ laptop: team });
  const spec = compileTeam(team).spec;
  const dev = parseDevConfig(spec.raw.dev, spec, new ProblemList())!;
  const ep = devEndpoints(spec, dev);
  // The "running" dev IdP, as `vmcp-okta dev` starts it: same folder, port and issuer.
  const idp = await startDevIdp({ spec, users: devUsers(spec, dev), resourceUrl: ep.resourceUrl, port: ep.idpPort, issuer: ep.issuer, stateDir: join(dir, ".vmcp-okta", "dev-idp") });
  try {
    const r = await runCli(["dev", "token", "--stack", "laptop", "--user", "alice@example.com"], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, "", "nothing but the token is printed");
    const lines = r.stdout.split("\n").filter(Boolean);
    assert.equal(lines.length, 1);
    const disc = (await (await fetch(`${ep.issuer}/.well-known/openid-configuration`)).json()) as { jwks_uri: string };
    const { payload } = await jose.jwtVerify(lines[0], jose.createRemoteJWKSet(new URL(disc.jwks_uri)), {
      issuer: ep.issuer,
      audience: `http://localhost:${port}`,
      algorithms: ["RS256"],
    });
    assert.equal(payload.sub, "alice@example.com");
    assert.deepEqual(payload.groups, ["mcp-developers"]);

    const eve = await runCli(["dev", "token", "--stack", "laptop", "--user", "EVE@example.com", "--scope", "openid groups"], { cwd: dir });
    assert.equal(eve.code, 0, eve.stderr);
    const evePayload = (await jose.jwtVerify(eve.stdout.trim(), jose.createRemoteJWKSet(new URL(disc.jwks_uri)), { issuer: ep.issuer })).payload;
    assert.equal(evePayload.sub, "eve@example.com");
    assert.equal(evePayload.groups, undefined);
    assert.deepEqual(evePayload.scp, ["openid", "groups"]);
  } finally {
    await idp.close();
  }
});

test("dev and dev token refuse a stack that is not marked environment: development", async () => {
  const prod = { ...seedTeam(), environment: "production" as const };
  const implicit = { ...seedTeam() }; // no environment: production by default
  const dir = tempStacks({ prod, implicit });
  for (const args of [
    ["dev", "--stack", "prod"],
    ["dev", "token", "--stack", "prod", "--user", "alice@example.com"],
    ["dev", "--stack", "implicit"],
  ]) {
    const r = await runCli(args, { cwd: dir });
    assert.equal(r.code, 1, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, /\[dev\.not-development\] vmcp-okta:team\.environment/);
    assert.match(r.stderr, /runs only on stacks marked environment: development/);
    assert.equal(r.stdout, "");
  }
  assert.equal(existsSync(join(dir, ".vmcp-okta")), false, "no key is even created for a production stack");
});

test("dev token names unknown users and suggests the closest", async () => {
  const dir = tempStacks({ laptop: devTeam(await freePort(), await freePort()) });
  const r = await runCli(["dev", "token", "--stack", "laptop", "--user", "alice@exmple.com"], { cwd: dir });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /\[dev\.unknown-user\] --user/);
  assert.match(r.stderr, /did you mean `alice@example\.com`\?/);
  const missing = await runCli(["dev", "token", "--stack", "laptop"], { cwd: dir });
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /--user/);
});

test("npm run --silent cli -- dev token works on the repository's dev stack", async () => {
  const r = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn("npm", ["run", "--silent", "cli", "--", "dev", "token", "--stack", "dev", "--user", "bob@example.com"], { cwd: REPO, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
  assert.equal(r.code, 0, r.stderr);
  const payload = jose.decodeJwt(r.stdout.trim());
  assert.equal(payload.iss, "http://127.0.0.1:8081/oauth2/default");
  assert.equal(payload.aud, "http://localhost:8080");
  assert.equal(payload.sub, "bob@example.com");
  assert.deepEqual(payload.groups, ["mcp-platform"]);
});

test("concurrent dev token calls on a fresh checkout agree on one signing key", async () => {
  const dir = tempStacks({ laptop: devTeam(await freePort(), await freePort()) });
  const runs = await Promise.all(["alice@example.com", "bob@example.com", "eve@example.com", "alice@example.com"].map((u) => runCli(["dev", "token", "--stack", "laptop", "--user", u], { cwd: dir })));
  for (const r of runs) assert.equal(r.code, 0, r.stderr);
  const kids = new Set(runs.map((r) => jose.decodeProtectedHeader(r.stdout.trim()).kid));
  assert.equal(kids.size, 1, "one key, created once");
});

test("dev says which port is taken when the IdP's or the gateway's port is in use", async () => {
  const busy = net.createServer();
  await new Promise<void>((r) => busy.listen(0, "127.0.0.1", () => r()));
  const taken = (busy.address() as net.AddressInfo).port;
  try {
    const team = devTeam(await freePort(), taken);
    for (const b of Object.values(team.backends)) b.local = { url: "http://127.0.0.1:9/mcp" }; // never reached
    const dir = tempStacks({ laptop: team });
    const idp = await runCli(["dev", "--stack", "laptop"], { cwd: dir });
    assert.equal(idp.code, 1);
    assert.match(idp.stderr, new RegExp(`port ${taken} \\(development identity provider\\) is already in use.*--idp-port`));
    const gw = await runCli(["dev", "--stack", "laptop", "--port", String(taken), "--idp-port", String(await freePort())], { cwd: dir });
    assert.equal(gw.code, 1);
    assert.match(gw.stderr, new RegExp(`port ${taken} \\(gateway\\) is already in use.*--port`));
    const zero = await runCli(["dev", "--stack", "laptop", "--port", "0"], { cwd: dir });
    assert.notEqual(zero.code, 0);
    assert.match(zero.stderr, /\[dev\.flag-port\] --port/);
  } finally {
    busy.close();
  }
});
