/**
 * The time of one browser sign-in, authorize to token: the official MCP SDK client is sent to the
 * authorization endpoint, headless Chromium (Debian's, via playwright-core) loads it, the
 * development IdP's sign-in page is clicked, the redirects reach the client's loopback callback and
 * the SDK exchanges the code. Each sign-in is a new client (dynamic registration included in the
 * "first request → token" figure) in a fresh browser context.
 *
 *   node --import tsx bench/signin.bench.ts            (also run at the end of `npm run bench:gateway`)
 *   BENCH_SIGNIN_N=20 node --import tsx bench/signin.bench.ts
 *
 * Two chains: `npm start`'s (client ↔ the gateway's embedded authorization server ↔ dev IdP) and the
 * client at the dev IdP directly, so the cost of the gateway's extra hops shows.
 */
import { performance } from "node:perf_hooks";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { UnauthorizedError } from "@modelcontextprotocol/sdk/client/auth.js";
import { BrowserOAuthProvider, LoopbackCallback, SignInBrowser } from "../test/helpers/browserSignIn";
import { startDirectTarget, startEmbeddedTarget, type SignInTarget } from "../test/helpers/signInTargets";

interface Sample {
  /** Authorization URL handed to the browser → tokens saved by the SDK. */
  authorizeToToken: number;
  /** Of which: the browser, authorization URL loaded → callback reached. */
  browser: number;
  /** First MCP request (401) → tokens saved: discovery, registration, sign-in, code exchange. */
  firstRequestToToken: number;
}

async function signInOnce(target: SignInTarget, browser: SignInBrowser, callback: LoopbackCallback): Promise<Sample> {
  const provider = new BrowserOAuthProvider(browser, callback, "alice@example.com");
  const transport = new StreamableHTTPClientTransport(new URL(target.mcpUrl), { authProvider: provider });
  const started = performance.now();
  await new Client({ name: "signin-bench", version: "1" }).connect(transport).then(
    () => {
      throw new Error("connected without signing in");
    },
    (e: Error) => {
      if (!(e instanceof UnauthorizedError)) throw e;
    },
  );
  await transport.finishAuth(await provider.nextCode());
  const done = performance.now();
  if (!provider.tokens()?.access_token) throw new Error("no token");
  await transport.close();
  return { authorizeToToken: done - provider.authorizationStartedAt, browser: (await provider.lastSignIn!).ms, firstRequestToToken: done - started };
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
const fmt = (xs: number[]) => `p50 ${pct(xs, 50).toFixed(0)} ms  min ${Math.min(...xs).toFixed(0)}  max ${Math.max(...xs).toFixed(0)}`;

export async function signInBench(n = Number(process.env.BENCH_SIGNIN_N ?? 8)): Promise<void> {
  const browser = await SignInBrowser.launch();
  const callback = await LoopbackCallback.start();
  try {
    for (const [label, start] of [
      ["npm start chain (client ↔ gateway AS ↔ dev IdP)", () => startEmbeddedTarget({ accessTtlSeconds: 3600 })],
      ["dev IdP directly (client ↔ dev IdP)", () => startDirectTarget({ accessTtlSeconds: 3600 })],
    ] as const) {
      const target = await start();
      try {
        await signInOnce(target, browser, callback); // warm-up: JIT, keys, first registration
        const samples: Sample[] = [];
        for (let i = 0; i < n; i++) samples.push(await signInOnce(target, browser, callback));
        process.stdout.write(`browser sign-in, ${label}, n=${n}\n`);
        process.stdout.write(`  authorize → token        ${fmt(samples.map((s) => s.authorizeToToken))}\n`);
        process.stdout.write(`    of which the browser   ${fmt(samples.map((s) => s.browser))}\n`);
        process.stdout.write(`  first request → token    ${fmt(samples.map((s) => s.firstRequestToToken))}\n`);
      } finally {
        await target.close();
      }
    }
  } finally {
    await callback.close();
    await browser.close();
  }
}

if (require.main === module) {
  signInBench().then(
    () => process.exit(0),
    (e: Error) => {
      process.stderr.write(`${e.stack ?? e.message}\n`);
      process.exit(1);
    },
  );
}
