/**
 * Team-owned access tests: a YAML file of expected decisions, run through the same authorizer as
 * the gateway and vMCP, so a policy change that breaks an expectation fails CI.
 *
 *   stack: engineering          # optional; --stack overrides
 *   tests:
 *     - name: developers cannot delete namespaces
 *       groups: [mcp-developers]       # or claims: {sub: ..., groups: [...]} (claims: null = no identity)
 *       tool: kubernetes-backend_delete_namespace   # or prompt: / resource:
 *       arguments: {namespace: prod}   # optional
 *       expect: deny                   # allow | deny
 *       policies: [mcp-developers.deny-tools]   # optional: the determining policies
 */
import { z } from "zod";
import { parse } from "yaml";
import type { CompiledTeam } from "../compile";
import type { CedarAction } from "./authorizer";
import { advertisedTarget } from "./explain";

const testCase = z
  .object({
    name: z.string().min(1),
    claims: z.record(z.string(), z.unknown()).nullable().optional(),
    groups: z.array(z.string()).optional(),
    tool: z.string().optional(),
    prompt: z.string().optional(),
    resource: z.string().optional(),
    arguments: z.record(z.string(), z.unknown()).optional(),
    expect: z.enum(["allow", "deny"]),
    policies: z.array(z.string()).optional(),
  })
  .strict()
  .refine((t) => [t.tool, t.prompt, t.resource].filter((x) => x !== undefined).length === 1, { message: "give exactly one of tool, prompt, resource" })
  .refine((t) => !(t.claims !== undefined && t.groups !== undefined), { message: "give claims or groups, not both" });

const testFile = z.object({ stack: z.string().optional(), tests: z.array(testCase).min(1) }).strict();
export type PolicyTestFile = z.infer<typeof testFile>;

export function parsePolicyTestFile(text: string, fileName = "tests"): PolicyTestFile {
  const r = testFile.safeParse(parse(text));
  if (!r.success) {
    const msgs = r.error.issues.map((i) => `${fileName}: ${i.path.map((p) => (typeof p === "number" ? `[${p}]` : `.${p}`)).join("").replace(/^\./, "")}: ${i.message}`);
    throw new Error(msgs.join("\n"));
  }
  return r.data;
}

export interface PolicyTestResult {
  name: string;
  passed: boolean;
  expected: "allow" | "deny";
  actual: "allow" | "deny";
  policies: string[];
  detail?: string;
}

export function runPolicyTests(team: CompiledTeam, file: PolicyTestFile): PolicyTestResult[] {
  return file.tests.map((t) => {
    const claims = t.claims !== undefined ? t.claims : { sub: `test:${t.name}`, groups: t.groups ?? [] };
    const action: CedarAction = t.tool !== undefined ? "call_tool" : t.prompt !== undefined ? "get_prompt" : "read_resource";
    const resourceId = (t.tool ?? t.prompt ?? t.resource)!;
    const d = team.authorizer.authorize({ claims, action, resourceId, arguments: t.arguments });
    const actual = d.allowed ? "allow" : "deny";
    const details: string[] = [];
    // A test on a name vMCP does not advertise checks nothing real (a wildcard allows any string).
    const target = advertisedTarget(team.spec, action, resourceId);
    if (target.message) details.push(target.message);
    if (actual !== t.expect) details.push(`expected ${t.expect}, got ${actual}${d.errors.length ? ` (errors: ${d.errors.join("; ")})` : ""}`);
    if (t.policies && JSON.stringify([...t.policies].sort()) !== JSON.stringify([...d.policies].sort())) {
      details.push(`expected policies [${t.policies.join(", ")}], got [${d.policies.join(", ")}]`);
    }
    return { name: t.name, passed: details.length === 0, expected: t.expect, actual, policies: d.policies, detail: details.join("; ") || undefined };
  });
}
