/**
 * Runs ToolHive's own `vmcp serve --config <dir>/config.yaml` (the pinned version, installed by
 * scripts/install-vmcp.sh) as a child process: `vmcp-okta dev --engine vmcp`, the differential
 * tests and the gateway benchmark all start it this way.
 *
 * `vmcp serve` reads `authserver-config.yaml` from the config file's folder when it is there
 * (pkg/vmcp/cli/serve.go loadAuthServerConfig), so each run gets its own folder.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawn, type ChildProcess } from "node:child_process";
import { TOOLHIVE_VERSION } from "../kubernetes/config";
import { vmcpYaml } from "./runtimeConfig";

export const VMCP_INSTALL_COMMAND = `go install github.com/stacklok/toolhive/cmd/vmcp@v${TOOLHIVE_VERSION}`;

export class VmcpNotFoundError extends Error {
  constructor(looked: string[]) {
    super(
      `ToolHive's vmcp binary was not found (looked at ${looked.join(", ")}).\n` +
        `  Install the pinned version: ${VMCP_INSTALL_COMMAND}   (or: bash scripts/install-vmcp.sh)\n` +
        `  then put $(go env GOPATH)/bin on PATH, or point VMCP_BIN at the binary.`,
    );
    this.name = "VmcpNotFoundError";
  }
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** `VMCP_BIN`, else `vmcp` on PATH, else Go's default install folder; throws with the install command. */
export function findVmcpBinary(env: NodeJS.ProcessEnv = process.env): string {
  const looked: string[] = [];
  if (env.VMCP_BIN) {
    if (isExecutable(env.VMCP_BIN)) return env.VMCP_BIN;
    throw new VmcpNotFoundError([`VMCP_BIN=${env.VMCP_BIN}`]);
  }
  for (const dir of (env.PATH ?? "").split(path.delimiter).filter(Boolean)) {
    const file = path.join(dir, "vmcp");
    if (isExecutable(file)) return file;
  }
  looked.push("VMCP_BIN (unset)", "vmcp on PATH");
  const goBin = path.join(env.GOPATH ?? path.join(os.homedir(), "go"), "bin", "vmcp");
  if (isExecutable(goBin)) return goBin;
  looked.push(goBin);
  throw new VmcpNotFoundError(looked);
}

export interface RunningVmcp {
  /** `http://<host>:<port>` */
  url: string;
  mcpUrl: string;
  pid: number;
  /** The folder holding config.yaml (and authserver-config.yaml when given). */
  configDir: string;
  /** Everything the process wrote to stdout and stderr so far (JSON log lines). */
  output(): string;
  close(): Promise<void>;
}

export interface RunVmcpOptions {
  config: Record<string, unknown>;
  authServer?: Record<string, unknown>;
  host?: string;
  port: number;
  binary?: string;
  env?: NodeJS.ProcessEnv;
  /** Copy the process's output to this stream as it comes (default: kept in memory only). */
  echo?: NodeJS.WritableStream;
  startupTimeoutMs?: number;
}

async function waitHealthy(url: string, child: ChildProcess, timeoutMs: number, output: () => string): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`vmcp exited (${child.exitCode ?? child.signalCode}) before serving:\n${output().slice(-4000)}`);
    }
    try {
      const res = await fetch(`${url}/health`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > until) throw new Error(`vmcp did not answer ${url}/health within ${timeoutMs} ms:\n${output().slice(-4000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Writes the configuration into a fresh folder and starts `vmcp serve`; resolves once /health answers. */
export async function runVmcp(opts: RunVmcpOptions): Promise<RunningVmcp> {
  const binary = opts.binary ?? findVmcpBinary(opts.env);
  const host = opts.host ?? "127.0.0.1";
  const configDir = fs.mkdtempSync(path.join(os.tmpdir(), "vmcp-okta-vmcp-"));
  fs.writeFileSync(path.join(configDir, "config.yaml"), vmcpYaml(opts.config));
  if (opts.authServer) fs.writeFileSync(path.join(configDir, "authserver-config.yaml"), vmcpYaml(opts.authServer));
  const child = spawn(binary, ["serve", "--config", path.join(configDir, "config.yaml"), "--host", host, "--port", String(opts.port)], {
    env: { ...process.env, ...opts.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  const keep = (chunk: Buffer) => {
    out += chunk.toString("utf8");
    if (out.length > 1_000_000) out = out.slice(-500_000);
    opts.echo?.write(chunk);
  };
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${opts.port}`;
  let closed: Promise<void> | undefined;
  const close = () =>
    (closed ??= new Promise<void>((resolve) => {
      const done = () => {
        fs.rmSync(configDir, { recursive: true, force: true });
        resolve();
      };
      if (child.exitCode !== null || child.signalCode !== null) return done();
      const kill = setTimeout(() => child.kill("SIGKILL"), 5000);
      child.once("exit", () => {
        clearTimeout(kill);
        done();
      });
      child.kill("SIGTERM");
    }));
  try {
    await waitHealthy(url, child, opts.startupTimeoutMs ?? 30_000, () => out);
  } catch (e) {
    await close();
    throw e;
  }
  return { url, mcpUrl: `${url}/mcp`, pid: child.pid!, configDir, output: () => out, close };
}
