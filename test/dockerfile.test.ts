/**
 * No Docker engine runs here, so the image definition is linted: parsed with `dockerfile-ast`,
 * validated with `dockerfile-utils` (the VS Code Docker linter), and held to the project's rules —
 * multi-stage, pinned small base, production dependencies from the lockfile, non-root user, health
 * check, exec-form entrypoint that exists, a build context that contains what is copied and
 * excludes keys and stack files.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { DockerfileParser, type Instruction } from "dockerfile-ast";
import { validate, ValidationSeverity } from "dockerfile-utils";
import { compileTeam } from "../components/compile";
import { devUsers, DEFAULT_TOKEN_TTL_SECONDS } from "../components/dev/config";
import { startEverythingServer } from "../gateway/conformance/everythingServer";
import { startDevIdp } from "../gateway/devIdp";
import { REPO, tempStacks } from "./fixtures/cli";
import { seedTeam } from "./fixtures/seed";
import { freePort } from "./helpers/net";

const DOCKERFILE = join(REPO, "gateway", "Dockerfile");
const content = readFileSync(DOCKERFILE, "utf8");
const dockerfile = DockerfileParser.parse(content);
const instructions = dockerfile.getInstructions();

interface Stage {
  name: string | null;
  image: string;
  instructions: Instruction[];
}

function stages(): Stage[] {
  const out: Stage[] = [];
  for (const i of instructions) {
    if (i.getKeyword() === "FROM") {
      const args = i.getArguments().map((a) => a.getValue());
      const as = args.findIndex((a) => a.toUpperCase() === "AS");
      out.push({ name: as >= 0 ? args[as + 1] : null, image: args.find((a) => !a.startsWith("--")) ?? "", instructions: [] });
    } else if (out.length) out[out.length - 1].instructions.push(i);
  }
  return out;
}
const byKeyword = (s: Stage, k: string) => s.instructions.filter((i) => i.getKeyword() === k);
/** The instruction as written, flags included, without the keyword. */
const text = (i: Instruction) => i.getTextContent().replace(/^\s*\S+\s*/, "");

test("dockerfile-utils finds no problem", () => {
  const diagnostics = validate(content, {
    instructionCasing: ValidationSeverity.ERROR,
    instructionCmdMultiple: ValidationSeverity.ERROR,
    instructionEntrypointMultiple: ValidationSeverity.ERROR,
    instructionHealthcheckMultiple: ValidationSeverity.ERROR,
    instructionJSONInSingleQuotes: ValidationSeverity.ERROR,
    instructionWorkdirRelative: ValidationSeverity.ERROR,
    emptyContinuationLine: ValidationSeverity.ERROR,
  });
  assert.deepEqual(
    diagnostics.map((d) => `${d.range.start.line + 1}: ${d.message}`),
    [],
  );
});

test("multi-stage on a pinned, small Node 20 base", () => {
  const s = stages();
  assert.ok(s.length >= 2, "at least a dependency stage and a runtime stage");
  for (const stage of s) {
    if (s.some((o) => o.name === stage.image)) continue; // FROM an earlier stage
    assert.match(stage.image, /^node:20\.\d+\.\d+-(bookworm-slim|bullseye-slim|alpine3?\.?\d*)(@sha256:[0-9a-f]{64})?$/, `pinned slim/alpine Node 20 base: ${stage.image}`);
  }
  const froms = dockerfile.getFROMs();
  for (const f of froms) assert.notEqual(f.getImageTag(), "latest");
});

test("dependencies: npm ci --omit=dev from the lockfile, copied into the runtime stage; no dev install anywhere", () => {
  const s = stages();
  const runtime = s[s.length - 1];
  const runs = s.flatMap((st) => byKeyword(st, "RUN").map((r) => ({ stage: st.name, cmd: text(r) })));
  const ci = runs.filter((r) => /\bnpm\s+ci\b/.test(r.cmd));
  assert.ok(ci.length >= 1, "npm ci is used");
  for (const r of ci) assert.match(r.cmd, /--omit=dev\b/, `npm ci without dev dependencies: ${r.cmd}`);
  for (const r of runs) assert.doesNotMatch(r.cmd, /\bnpm\s+(install|i)\b/, `no npm install (non-reproducible): ${r.cmd}`);
  const depsStage = s.find((st) => byKeyword(st, "RUN").some((r) => /\bnpm\s+ci\b/.test(text(r))));
  assert.ok(depsStage && depsStage !== runtime, "dependencies are installed in their own stage");
  assert.ok(
    byKeyword(depsStage, "COPY").some((c) => /package-lock\.json/.test(text(c))),
    "the lockfile is copied before npm ci",
  );
  assert.ok(
    byKeyword(runtime, "COPY").some((c) => new RegExp(`--from=${depsStage.name}\\b`).test(text(c)) && /node_modules/.test(text(c))),
    "the runtime stage takes node_modules from the dependency stage",
  );
  assert.equal(byKeyword(runtime, "RUN").length, 0, "the runtime stage installs nothing");
});

test("runtime: non-root USER before the entrypoint, HEALTHCHECK on /healthz, exec-form entrypoint that exists", () => {
  const s = stages();
  const runtime = s[s.length - 1];
  const users = byKeyword(runtime, "USER");
  assert.ok(users.length >= 1, "USER is set");
  const user = text(users[users.length - 1]).trim();
  assert.ok(!/^(root|0)(:.*)?$/.test(user), `non-root user: ${user}`);
  const entry = byKeyword(runtime, "ENTRYPOINT")[0] ?? byKeyword(runtime, "CMD")[0];
  assert.ok(entry, "an entrypoint");
  assert.ok(runtime.instructions.indexOf(users[users.length - 1]) < runtime.instructions.indexOf(entry), "USER comes before the entrypoint");
  const argv = JSON.parse(text(entry)) as string[];
  assert.equal(argv[0], "node", "exec form, node as PID 1's child-less process so SIGTERM reaches it");
  const script = argv[argv.length - 1];
  assert.ok(existsSync(join(REPO, script)), `entrypoint script exists: ${script}`);

  const hc = byKeyword(runtime, "HEALTHCHECK");
  assert.equal(hc.length, 1);
  assert.match(text(hc[0]), /CMD/);
  assert.match(text(hc[0]), /\/healthz/);
  assert.ok(byKeyword(runtime, "EXPOSE").some((e) => /\b8080\b/.test(text(e))));
  const env = byKeyword(runtime, "ENV").map(text).join(" ");
  for (const v of ["NODE_ENV=production", "HOST=0.0.0.0", "PORT=8080", "VMCP_STACK_FILE="]) assert.ok(env.includes(v), `ENV ${v}`);
});

/** Just enough of .dockerignore's matching for this repository's patterns (names, `*`, `**`). */
function ignored(relPath: string, patterns: string[]): boolean {
  let out = false;
  for (const raw of patterns) {
    const negate = raw.startsWith("!");
    const p = (negate ? raw.slice(1) : raw).replace(/^\/+/, "").replace(/\/+$/, "");
    const re = new RegExp(
      "^" +
        p
          .split("/")
          .map((seg) => (seg === "**" ? "(?:.*)" : seg.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[^/]*").replace(/\?/g, "[^/]")))
          .join("/")
          .replace(/\(\?:\.\*\)\//g, "(?:.*/)?") +
        "(?:/.*)?$",
    );
    if (re.test(relPath)) out = !negate;
  }
  return out;
}

test(".dockerignore keeps keys, stack files and local state out, and keeps in everything the image copies", () => {
  const patterns = readFileSync(join(REPO, ".dockerignore"), "utf8")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"));
  for (const p of [".vmcp-okta/dev-idp/dev-idp.json", "Pulumi.dev.yaml", "Pulumi.engineering.yaml", "node_modules/jose/package.json", ".git/config", "gateway/.env"]) {
    assert.ok(ignored(p, patterns), `${p} stays out of the build context`);
  }
  const s = stages();
  for (const stage of s) {
    for (const c of byKeyword(stage, "COPY")) {
      const args = c.getArguments().map((a) => a.getValue()).filter((a) => !a.startsWith("--"));
      if (/--from=/.test(text(c))) continue;
      for (const src of args.slice(0, -1)) {
        assert.ok(existsSync(join(REPO, src)), `COPY source exists: ${src}`);
        assert.ok(!ignored(src, patterns), `COPY source is in the build context: ${src}`);
      }
    }
  }
  assert.ok(!ignored("gateway/container/main.ts", patterns));
  assert.ok(!ignored("package-lock.json", patterns));
});

// ---------------------------------------------------------------------------------------------------
// What the image runs, run here without Docker: `node --import tsx gateway/container/main.ts` with the
// image's kind of configuration (a stack file path and an issuer in the environment).

function runEntrypoint(env: Record<string, string>): { child: ReturnType<typeof spawn>; out: () => string; exit: Promise<number | null> } {
  const child = spawn(process.execPath, ["--import", "tsx", join(REPO, "gateway", "container", "main.ts")], {
    cwd: REPO,
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout!.setEncoding("utf8").on("data", (d: string) => (out += d));
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (out += d));
  const exit = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  return { child, out: () => out, exit };
}

test("the container entrypoint refuses a missing issuer and a badly named stack file", async () => {
  const r = runEntrypoint({ VMCP_STACK_FILE: "/config/team.yaml", PORT: "0" });
  assert.equal(await r.exit, 1);
  assert.match(r.out(), /\[container\.stack-file\] VMCP_STACK_FILE/);
  assert.match(r.out(), /\[container\.issuer-missing\] VMCP_ISSUER/);
});

test("the container entrypoint serves a production stack with tokens from the given issuer, /healthz, and stops on SIGTERM", async () => {
  const backend = await startEverythingServer();
  const endpoint = "https://vmcp.example.com";
  const team = {
    ...seedTeam(),
    environment: "production" as const,
    endpoint,
    backends: {
      "github-backend": { image: "ghcr.io/example/everything:1", transport: "streamable-http" as const, tools: ["test_simple_text"], local: { url: backend.url } },
    },
    grants: { developers: { allow: "*" as const } },
  };
  const dir = tempStacks({ production: team });
  const spec = compileTeam(team).spec;
  // The "real" issuer for this test: any OIDC issuer with discovery and a JWKS will do.
  const issuer = await startDevIdp({ spec, users: devUsers(spec, { extraUsers: [], tokenTtlSeconds: DEFAULT_TOKEN_TTL_SECONDS }), resourceUrl: endpoint, port: 0, stateDir: mkdtempSync(join(tmpdir(), "vmcp-okta-issuer-")) });
  const port = await freePort();
  const r = runEntrypoint({ VMCP_STACK_FILE: join(dir, "Pulumi.production.yaml"), VMCP_ISSUER: issuer.issuer, HOST: "127.0.0.1", PORT: String(port) });
  try {
    let health = 0;
    for (let i = 0; i < 100 && health !== 200; i++) {
      health = await fetch(`http://127.0.0.1:${port}/healthz`).then((x) => x.status, () => 0);
      if (health !== 200) await new Promise((res) => setTimeout(res, 200));
    }
    assert.equal(health, 200, r.out());
    assert.equal((await fetch(`http://127.0.0.1:${port}/mcp`, { method: "POST" })).status, 401, "no token, no entry: no anonymous mode in the image");
    const prm = (await (await fetch(`http://127.0.0.1:${port}/.well-known/oauth-protected-resource`)).json()) as { resource: string; authorization_servers: string[] };
    assert.equal(prm.resource, endpoint, "the resource URL defaults to the stack's endpoint");
    assert.deepEqual(prm.authorization_servers, [issuer.issuer]);

    const client = new Client({ name: "container-test", version: "1" });
    const token = await issuer.mintToken("alice@example.com");
    await client.connect(new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${port}/mcp`), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
    const tools = (await client.listTools()).tools.map((t) => t.name);
    assert.ok(tools.includes("github-backend_test_simple_text"), tools.join(", "));
    await client.close();

    const lines = r.out().split("\n").filter((l) => l.startsWith("{"));
    assert.ok(lines.some((l) => JSON.parse(l).msg === "gateway listening"), "JSON log lines on stdout");
    assert.ok(!r.out().includes(token), "the token is never logged");
    r.child.kill("SIGTERM");
    assert.equal(await r.exit, 0, r.out());
  } finally {
    if (r.child.exitCode === null) r.child.kill("SIGKILL");
    await issuer.close();
    await backend.close();
  }
});
