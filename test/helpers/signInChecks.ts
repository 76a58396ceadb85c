/**
 * What a signed-in MCP client must see: exactly the tools the access matrix gives the user's groups,
 * calls allowed and denied as the matrix says. Shared by the SDK and mcp-remote sign-in tests.
 */
import assert from "node:assert/strict";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { NO_GROUP } from "../../components/cedar/matrix";
import type { CompiledTeam } from "../../components/compile";
import type { DevUser } from "../../components/dev/config";

/** One argument bag that satisfies every demo tool's input schema (extra keys are ignored). */
export const DEMO_ARGS = { owner: "acme", repo: "web", title: "from the sign-in test", path: "README.md", namespace: "scratch" };

export function expectedTools(compiled: CompiledTeam, user: DevUser): { allowed: string[]; denied: string[] } {
  const { matrix } = compiled;
  const groups = user.tokenGroups.filter((g) => matrix.groups.includes(g));
  const rows = groups.length ? groups : [NO_GROUP];
  const allowed = matrix.tools.filter((t) => rows.some((g) => matrix.cells[g][t].decision === "allow"));
  return { allowed, denied: matrix.tools.filter((t) => !allowed.includes(t)) };
}

/** Lists and calls as `user` and checks both against the matrix. */
export async function assertMatchesMatrix(client: Client, compiled: CompiledTeam, user: DevUser): Promise<void> {
  const { allowed, denied } = expectedTools(compiled, user);
  const listed = (await client.listTools()).tools.map((t) => t.name).sort();
  assert.deepEqual(listed, [...allowed].sort(), `${user.login} lists exactly the tools the matrix allows`);
  // Every allowed read-only tool answers; one destructive call is enough to show writes pass too.
  for (const name of allowed.filter((t) => /_(list|get)_/.test(t))) {
    const r = await client.callTool({ name, arguments: DEMO_ARGS });
    assert.doesNotMatch(JSON.stringify(r.content), /denied/i, `${user.login} may call ${name}`);
  }
  for (const name of denied) {
    await assert.rejects(client.callTool({ name, arguments: DEMO_ARGS }), /denied by authorization policy/, `${user.login} may not call ${name}`);
  }
}
