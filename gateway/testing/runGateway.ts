/**
 * Runs a gateway for the echo test team in its own process (for the SIGTERM test and the
 * benchmark). Argument: a JSON object
 *   {"backends": [BackendLaunch…], "issuer": "http://…" (optional), "anonymous": true|false,
 *    "tokenCacheTtlMs": n, "quiet": true, "sessionRedis": {address, db, keyPrefix, password} (shared sessions)}
 * Prints one JSON line {"url", "mcpUrl", "pids"} on stdout when ready.
 */
import { startGateway, type BackendLaunch } from "../server";
import { echoTeam, ENDPOINT } from "./harness";
import type { SharedSessionOptions } from "../mcp/sharedSessions";

interface Config {
  backends: BackendLaunch[];
  issuer?: string;
  anonymous?: boolean;
  tokenCacheTtlMs?: number;
  decisionCache?: boolean;
  quiet?: boolean;
  sessionRedis?: SharedSessionOptions;
}

async function main(): Promise<void> {
  const cfg = JSON.parse(process.argv[2] ?? "{}") as Config;
  const gw = await startGateway({
    compiled: echoTeam(),
    port: 0,
    resourceUrl: ENDPOINT,
    issuer: cfg.issuer ?? "http://127.0.0.1:9/unused",
    backends: cfg.backends,
    anonymousDev: cfg.anonymous ? { claims: { sub: "anonymous@dev", groups: ["mcp-users"] } } : undefined,
    tokenCacheTtlMs: cfg.tokenCacheTtlMs,
    decisionCache: cfg.decisionCache,
    sessionStorage: cfg.sessionRedis ? { redis: cfg.sessionRedis } : undefined,
    logger: cfg.quiet ? (line) => void JSON.stringify(line) : undefined,
  });
  await gw.ready;
  const pids = gw.status().backends.map((b) => b.pid);
  process.stdout.write(JSON.stringify({ url: gw.url, mcpUrl: gw.mcpUrl, pids }) + "\n");
}

main().catch((e) => {
  process.stderr.write(`runGateway: ${(e as Error).message}\n`);
  process.exit(1);
});
