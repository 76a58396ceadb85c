/** The HTML page at `/`: the team's access matrix (groups × tools) and the live backends. */
import type { AccessMatrix } from "../../components/cedar/matrix";

export interface BackendStatus {
  name: string;
  transport: "stdio" | "http";
  state: string;
  /** False while the backend's last health probe went unanswered (stalled). */
  healthy?: boolean;
  tools: string[];
  prompts: number;
  resources: number;
  restarts: number;
  inFlight: number;
  lastError?: string;
  pid?: number | null;
}

export interface StatusPageInput {
  team: string;
  environment: string;
  /** The public MCP URL clients are given (the resource's origin + /mcp), not the listen address. */
  mcpUrl: string;
  resourceUrl: string;
  issuer: string;
  matrix: AccessMatrix;
  backends: BackendStatus[];
  /** Advertised names the backends list but the stack does not declare (not in the matrix). */
  undeclaredTools: string[];
  anonymousDev: boolean;
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

export function statusPage(i: StatusPageInput): string {
  const head = i.matrix.groups.map((g) => `<th scope="col">${esc(g)}</th>`).join("");
  const rows = i.matrix.tools
    .map((tool) => {
      const cells = i.matrix.groups
        .map((g) => {
          const c = i.matrix.cells[g][tool];
          const why = c.policies.length ? c.policies.join(", ") : "default deny";
          return `<td class="${c.decision}" title="${esc(why)}">${c.decision}</td>`;
        })
        .join("");
      return `<tr><th scope="row"><code>${esc(tool)}</code></th>${cells}</tr>`;
    })
    .join("\n");
  const backends = i.backends
    .map(
      (b) =>
        `<tr><td><code>${esc(b.name)}</code></td><td>${b.transport}</td><td class="state-${esc(b.state)}">${esc(b.state)}</td>` +
        `<td>${b.tools.map((t) => `<code>${esc(t)}</code>`).join(" ")}</td><td>${b.prompts}</td><td>${b.resources}</td>` +
        `<td>${b.restarts}</td><td>${b.inFlight}</td><td>${esc(b.lastError ?? "")}</td></tr>`,
    )
    .join("\n");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="5">
<title>vmcp-okta gateway: ${esc(i.team)}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2rem;color:#222}
table{border-collapse:collapse;margin:1rem 0}th,td{border:1px solid #ccc;padding:.3rem .6rem;text-align:left}
td.allow{background:#e3f6e3}td.deny{background:#fbe3e3;font-weight:bold}
.state-ready{color:#187018}.state-restarting,.state-starting{color:#a05a00}.state-closed{color:#a00}
.warn{background:#fff3cd;padding:.5rem;border:1px solid #e0c060}
</style></head><body>
<h1>Team <code>${esc(i.team)}</code> <small>(${esc(i.environment)})</small></h1>
<p>MCP endpoint: <code>${esc(i.mcpUrl)}</code> · resource: <code>${esc(i.resourceUrl)}</code> · issuer: <code>${esc(i.issuer)}</code></p>
${i.anonymousDev ? '<p class="warn">Development anonymous mode is on: requests without a token run as a fixed development identity.</p>' : ""}
<h2>Access matrix</h2>
<p>Each cell is the Cedar decision for <code>call_tool</code> by a member of that group only (hover for the deciding policies).</p>
<table><thead><tr><th>tool</th>${head}</tr></thead><tbody>
${rows || `<tr><td colspan="${i.matrix.groups.length + 1}">no declared tools</td></tr>`}
</tbody></table>
${i.undeclaredTools.length ? `<p class="warn">Listed by backends but not declared in the stack (not in the matrix): ${i.undeclaredTools.map((t) => `<code>${esc(t)}</code>`).join(" ")}</p>` : ""}
<h2>Backends</h2>
<table><thead><tr><th>backend</th><th>transport</th><th>state</th><th>tools</th><th>prompts</th><th>resources</th><th>restarts</th><th>in flight</th><th>last error</th></tr></thead><tbody>
${backends}
</tbody></table>
<p><a href="/metrics">metrics</a> · <a href="/readyz">readiness</a></p>
</body></html>
`;
}
