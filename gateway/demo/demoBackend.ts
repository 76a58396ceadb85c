/**
 * The bundled demo backend: a stdio MCP server (the SDK's McpServer) with in-memory data and no
 * network, in two profiles whose tools match the development stack (Pulumi.dev.yaml):
 *
 *   node --import tsx gateway/demo/demoBackend.ts github       create_issue, list_issues, get_file_contents
 *   node --import tsx gateway/demo/demoBackend.ts kubernetes   list_namespaces, get_pods, delete_namespace
 *   … github|kubernetes --http [port]                          the same over Streamable HTTP (prints the URL)
 *
 * Each profile also has a prompt (with argument completion) and resources (a static one and a
 * template, subscribable), sends log messages and progress, so every path through the gateway is
 * exercised by a real client.
 */
import { McpServer, ResourceTemplate } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { completable } from "@modelcontextprotocol/sdk/server/completable.js";
import { SubscribeRequestSchema, UnsubscribeRequestSchema, type CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { serveDemoHttp } from "./httpServe";
import { recordReceived } from "./recorder";
import * as z from "zod/v4"; // zod/v4: the SDK's registerTool types take minutes to check with zod v3 schemas

export type Profile = "github" | "kubernetes";

function text(value: unknown): CallToolResult {
  return { content: [{ type: "text", text: typeof value === "string" ? value : JSON.stringify(value, null, 2) }] };
}

function failure(message: string): CallToolResult {
  return { content: [{ type: "text", text: message }], isError: true };
}

/** Resource subscriptions of this (single-client) server. */
class Subscriptions {
  private readonly uris = new Set<string>();
  constructor(private readonly server: McpServer) {
    server.server.registerCapabilities({ resources: { subscribe: true, listChanged: true } });
    server.server.setRequestHandler(SubscribeRequestSchema, async (req) => {
      this.uris.add(req.params.uri);
      return {};
    });
    server.server.setRequestHandler(UnsubscribeRequestSchema, async (req) => {
      this.uris.delete(req.params.uri);
      return {};
    });
  }
  changed(uri: string): void {
    if (this.uris.has(uri)) void this.server.server.sendResourceUpdated({ uri });
  }
}

function githubServer(): McpServer {
  const server = new McpServer({ name: "demo-github", version: "1.0.0" }, { capabilities: { logging: {} } });
  const subs = new Subscriptions(server);
  interface Issue {
    number: number;
    title: string;
    body: string;
    state: "open" | "closed";
  }
  const repos = new Map<string, Issue[]>([
    [
      "acme/platform",
      [
        { number: 1, title: "Gateway returns 403 for list_issues", body: "Check the Cedar policies.", state: "open" },
        { number: 2, title: "Rotate the signing key", body: "Key generation 2 is due.", state: "closed" },
      ],
    ],
    ["acme/website", [{ number: 1, title: "Fix the footer", body: "", state: "open" }]],
  ]);
  const files = new Map<string, string>([
    ["acme/platform:README.md", "# acme/platform\n\nThe platform team's infrastructure.\n"],
    ["acme/platform:deploy/values.yaml", "replicas: 2\nimage: ghcr.io/acme/platform:1.4.0\n"],
    ["acme/website:index.html", "<h1>Acme</h1>\n"],
  ]);
  const repoKey = (owner: string, repo: string) => `${owner}/${repo}`;
  const issuesUri = (owner: string, repo: string) => `demo://github/repos/${owner}/${repo}/issues`;

  server.registerTool(
    "create_issue",
    {
      title: "Create issue",
      description: "Open a new issue in a repository",
      inputSchema: { owner: z.string(), repo: z.string(), title: z.string().min(1), body: z.string().optional() },
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
    },
    async ({ owner, repo, title, body }, extra) => {
      const key = repoKey(owner, repo);
      const list = repos.get(key) ?? [];
      const issue: Issue = { number: list.length + 1, title, body: body ?? "", state: "open" };
      list.push(issue);
      repos.set(key, list);
      await extra.sendNotification({ method: "notifications/message", params: { level: "info", logger: "github", data: `created ${key}#${issue.number}` } });
      subs.changed(issuesUri(owner, repo));
      return text({ created: `${key}#${issue.number}`, issue });
    },
  );

  server.registerTool(
    "list_issues",
    {
      title: "List issues",
      description: "List the issues of a repository",
      inputSchema: { owner: z.string(), repo: z.string(), state: z.enum(["open", "closed", "all"]).optional() },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async ({ owner, repo, state }) => {
      const list = repos.get(repoKey(owner, repo));
      if (!list) return failure(`repository ${repoKey(owner, repo)} not found`);
      return text(list.filter((i) => (state ?? "open") === "all" || i.state === (state ?? "open")));
    },
  );

  server.registerTool(
    "get_file_contents",
    {
      title: "Get file contents",
      description: "Read a file from a repository",
      inputSchema: { owner: z.string(), repo: z.string(), path: z.string() },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async ({ owner, repo, path }) => {
      const content = files.get(`${repoKey(owner, repo)}:${path}`);
      return content === undefined ? failure(`${path} not found in ${repoKey(owner, repo)}`) : text(content);
    },
  );

  server.registerPrompt(
    "summarize_issues",
    {
      title: "Summarize issues",
      description: "Ask for a summary of a repository's open issues",
      argsSchema: { repo: completable(z.string(), (value) => [...repos.keys()].filter((r) => r.startsWith(value))) },
    },
    ({ repo }) => {
      const open = (repos.get(repo) ?? []).filter((i) => i.state === "open");
      return {
        messages: [
          { role: "user", content: { type: "text", text: `Summarize the open issues of ${repo}:\n${open.map((i) => `#${i.number} ${i.title}`).join("\n") || "(none)"}` } },
        ],
      };
    },
  );

  server.registerResource("readme", "demo://github/readme", { title: "Demo GitHub backend", mimeType: "text/markdown" }, async (uri) => ({
    contents: [{ uri: uri.href, mimeType: "text/markdown", text: "In-memory repositories: " + [...repos.keys()].join(", ") }],
  }));

  server.registerResource(
    "issues",
    new ResourceTemplate("demo://github/repos/{owner}/{repo}/issues", {
      list: async () => ({ resources: [...repos.keys()].map((k) => ({ uri: `demo://github/repos/${k}/issues`, name: `${k} issues`, mimeType: "application/json" })) }),
      complete: { owner: (v) => [...new Set([...repos.keys()].map((k) => k.split("/")[0]))].filter((o) => o.startsWith(v)) },
    }),
    { title: "Issues of a repository", mimeType: "application/json" },
    async (uri, vars) => ({
      contents: [{ uri: uri.href, mimeType: "application/json", text: JSON.stringify(repos.get(`${vars.owner}/${vars.repo}`) ?? []) }],
    }),
  );
  return server;
}

function kubernetesServer(): McpServer {
  const server = new McpServer({ name: "demo-kubernetes", version: "1.0.0" }, { capabilities: { logging: {} } });
  const subs = new Subscriptions(server);
  const namespaces = new Map<string, string[]>([
    ["default", ["hello-7d9f8-abcde"]],
    ["payments", ["api-5c6d7-fghij", "api-5c6d7-klmno", "worker-8e9f0-pqrst"]],
    ["staging", ["web-1a2b3-uvwxy"]],
    ["kube-system", ["coredns-6f7g8-zabcd"]],
  ]);
  const nsUri = (ns: string) => `demo://kubernetes/namespaces/${ns}`;

  server.registerTool(
    "list_namespaces",
    { title: "List namespaces", description: "List the cluster's namespaces", inputSchema: {}, annotations: { readOnlyHint: true, openWorldHint: false } },
    async () => text([...namespaces.keys()]),
  );

  server.registerTool(
    "get_pods",
    {
      title: "Get pods",
      description: "List the pods of a namespace",
      inputSchema: { namespace: z.string() },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async ({ namespace }, extra) => {
      const pods = namespaces.get(namespace);
      if (!pods) return failure(`namespace ${namespace} not found`);
      const token = extra._meta?.progressToken;
      if (token !== undefined) {
        for (let i = 0; i < pods.length; i++) {
          await extra.sendNotification({ method: "notifications/progress", params: { progressToken: token, progress: i + 1, total: pods.length } });
        }
      }
      return text(pods.map((name) => ({ name, status: "Running" })));
    },
  );

  server.registerTool(
    "delete_namespace",
    {
      title: "Delete namespace",
      description: "Delete a namespace and everything in it",
      inputSchema: { namespace: z.string() },
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
    },
    async ({ namespace }, extra) => {
      if (namespace === "kube-system") return failure("refusing to delete kube-system");
      const existed = namespaces.delete(namespace);
      await extra.sendNotification({ method: "notifications/message", params: { level: "warning", logger: "kubernetes", data: `namespace ${namespace} ${existed ? "deleted" : "did not exist"}` } });
      if (existed) subs.changed(nsUri(namespace));
      return text({ namespace, deleted: existed });
    },
  );

  server.registerPrompt(
    "triage_namespace",
    {
      title: "Triage a namespace",
      description: "Ask for a health check of a namespace's pods",
      argsSchema: { namespace: completable(z.string(), (value) => [...namespaces.keys()].filter((n) => n.startsWith(value))) },
    },
    ({ namespace }) => ({
      messages: [{ role: "user", content: { type: "text", text: `Check the pods in ${namespace}: ${(namespaces.get(namespace) ?? []).join(", ") || "(none)"}` } }],
    }),
  );

  server.registerResource("cluster-info", "demo://kubernetes/cluster-info", { title: "Demo cluster", mimeType: "application/json" }, async (uri) => ({
    contents: [{ uri: uri.href, mimeType: "application/json", text: JSON.stringify({ name: "demo", version: "v1.33.0", namespaces: namespaces.size }) }],
  }));

  server.registerResource(
    "namespace",
    new ResourceTemplate("demo://kubernetes/namespaces/{namespace}", {
      list: async () => ({ resources: [...namespaces.keys()].map((n) => ({ uri: nsUri(n), name: `namespace ${n}`, mimeType: "application/json" })) }),
      complete: { namespace: (v) => [...namespaces.keys()].filter((n) => n.startsWith(v)) },
    }),
    { title: "A namespace", mimeType: "application/json" },
    async (uri, vars) => ({
      contents: [{ uri: uri.href, mimeType: "application/json", text: JSON.stringify({ name: vars.namespace, pods: namespaces.get(String(vars.namespace)) ?? null }) }],
    }),
  );
  return server;
}

export function demoServer(profile: Profile): McpServer {
  return profile === "github" ? githubServer() : kubernetesServer();
}

async function main(): Promise<void> {
  const profile = process.argv[2];
  if (profile !== "github" && profile !== "kubernetes") {
    process.stderr.write("usage: demoBackend.ts github|kubernetes [--http [port]]\n");
    process.exit(2);
  }
  if (process.argv[3] === "--http") {
    // Streamable HTTP, as an MCPServer's proxy Service serves it in a cluster; prints the URL.
    const served = await serveDemoHttp(profile, { port: Number(process.argv[4] ?? 0) });
    process.stdout.write(served.url + "\n");
    process.on("SIGTERM", () => void served.close().then(() => process.exit(0)));
    return;
  }
  const server = demoServer(profile);
  const transport = new StdioServerTransport();
  await server.connect(transport);
  recordReceived(transport); // only with VMCP_DEMO_RECORD set (tests)
  process.stdin.on("end", () => process.exit(0));
}

if (require.main === module) {
  main().catch((e) => {
    process.stderr.write(`demo backend failed: ${(e as Error).message}\n`);
    process.exit(1);
  });
}
