/**
 * Refuses Node versions the deploy path cannot run on, before anything else is loaded. jose (JWKS
 * for the `jwks` output) is ESM-only; the program is CommonJS (Pulumi's TypeScript loader), so it is
 * loaded with `require(esm)`, on by default from Node 20.19. On an older Node the load would die with
 * ERR_REQUIRE_ESM deep in a stack trace; `engines` is not consulted by `pulumi up`.
 *
 * `index.ts` imports this module first (imports run in order in CommonJS), and this module imports
 * nothing, so the check runs before any dependency is loaded.
 */

/** Must equal package.json `engines.node` (a test checks it). */
export const MIN_NODE = "20.19.0";

function tuple(v: string): number[] {
  return v.replace(/^v/, "").split(".").map((x) => parseInt(x, 10) || 0);
}

export function nodeIsSupported(version: string = process.versions.node): boolean {
  const [a, b, c] = tuple(version);
  const [x, y, z] = tuple(MIN_NODE);
  return a !== x ? a > x : b !== y ? b > y : c >= z;
}

export function assertSupportedNode(version: string = process.versions.node): void {
  if (nodeIsSupported(version)) return;
  const err = new Error(
    `vmcp-okta needs Node ${MIN_NODE} or newer (this is Node ${version}): its JWT library (jose) is ESM-only and is loaded with require(esm), which older Node versions refuse (ERR_REQUIRE_ESM).\n` +
      `    fix: install Node 20.19+ or 22 LTS (e.g. nvm install 22), then run pulumi again`,
  );
  err.stack = err.message; // the message is the whole story
  throw err;
}

assertSupportedNode();
