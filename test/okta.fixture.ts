/**
 * Shared fixtures for the Okta tests: the guide's example team (with the `mcp-admin` group the guide
 * forgets to create), a fake Okta org for the mock harness, and a helper that runs the component.
 */
import * as pulumi from "@pulumi/pulumi";
import type * as okta from "@pulumi/okta";
import { ProblemList, type Problem } from "../components/errors";
import { validateTeam } from "../components/spec/parse";
import type { TeamSpec } from "../components/spec/types";
import { validateOkta } from "../components/okta/config";
import { OktaTeam } from "../components/okta/oktaTeam";
import type { OktaSpec } from "../components/okta/types";
import { MockHarness, settle, useHarness, valueOf, type HarnessOptions, type RecordedResource } from "./helpers/pulumiMocks";

export const ORG = "https://dev-123456.okta.com";
export const CLIENT_SECRET = "mock-client-secret-value";
export const CLIENT_ID = "0oa-mock-client-id";
export const API_TOKEN = "mock-okta-api-token";

export const T = {
  provider: "pulumi:providers:okta",
  server: "okta:auth/server:Server",
  scope: "okta:auth/serverScope:ServerScope",
  claim: "okta:auth/serverClaim:ServerClaim",
  app: "okta:app/oAuth:OAuth",
  group: "okta:group/group:Group",
  memberships: "okta:index/groupMemberships:GroupMemberships",
  assignment: "okta:app/groupAssignment:GroupAssignment",
  policy: "okta:auth/serverPolicy:ServerPolicy",
  rule: "okta:auth/serverPolicyRule:ServerPolicyRule",
  component: "vmcp-okta:index:OktaTeam",
} as const;

export const I = {
  getServer: "okta:auth/getServer:getServer",
  getScopes: "okta:auth/getServerScopes:getServerScopes",
  getClaims: "okta:index/getAuthServerClaims:getAuthServerClaims",
  getUsers: "okta:user/getUsers:getUsers",
  getGroups: "okta:index/getGroups:getGroups",
} as const;

/** The guide's team as stack config; `okta` and top-level fields can be overridden. */
export function seedTeam(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    team: "engineering",
    environment: "production",
    endpoint: "https://vmcp.example.com",
    groupPrefix: "mcp-",
    groups: {
      developers: { description: "Engineers who use the MCP tools day to day", members: ["alice@example.com"] },
      platform: { description: "Platform engineers, including destructive cluster tools", members: ["bob@example.com"] },
      admin: { description: "Escape hatch with full access", members: ["carol@example.com", "alice@example.com"] },
    },
    grants: {
      developers: { allow: "*", deny: ["kubernetes-backend/delete_namespace"] },
      platform: { allow: "*" },
      admin: { allow: "*" },
    },
    backends: {
      "github-backend": { image: "ghcr.io/github/github-mcp-server:latest", tools: ["create_issue", "list_issues"] },
      "kubernetes-backend": { image: "ghcr.io/stackloklabs/yardstick/yardstick-server:1.1.1", tools: ["list_namespaces", "delete_namespace"] },
    },
    ...over,
  };
}

export interface Validated {
  spec?: TeamSpec;
  okta?: OktaSpec;
  problems: ProblemList;
}

export function validate(input: Record<string, unknown>): Validated {
  const problems = new ProblemList();
  const spec = validateTeam(input, "vmcp-okta:team", problems);
  const okta = spec ? validateOkta(spec, problems) : undefined;
  return { spec, okta, problems };
}

/** Validates and insists there is no error. */
export function specs(input: Record<string, unknown>): { spec: TeamSpec; okta: OktaSpec; warnings: Problem[] } {
  const v = validate(input);
  if (!v.spec || !v.okta || v.problems.errors.length > 0) throw new Error(`unexpected problems: ${JSON.stringify(v.problems.errors)}`);
  return { spec: v.spec, okta: v.okta, warnings: v.problems.warnings };
}

/** Error problems as `code @ path`, for compact assertions. */
export function errorsOf(input: Record<string, unknown>): string[] {
  return validate(input).problems.errors.map((p) => `${p.code} @ ${p.path}`);
}

export interface FakeOrg {
  /** Existing authorization servers by name. */
  servers?: Record<string, { id: string; issuer?: string }>;
  /** Scopes per server id. */
  scopes?: Record<string, { id: string; name: string; description?: string }[]>;
  /** Users by login (default: every login asked for exists and is ACTIVE). */
  users?: Record<string, { id?: string; status?: string }>;
  /** Groups that already exist in the org. */
  groups?: { id: string; name: string; description?: string; type?: string }[];
  /** Claims per server id. */
  claims?: Record<string, { name: string; claimType: string; valueType: string; value: string; status?: string; scopes?: string[] }[]>;
}

/** A mock Okta org: data sources answer from `org`; resources get realistic computed outputs. */
export function oktaHarnessOptions(org: FakeOrg = {}): HarnessOptions {
  const servers = org.servers ?? { default: { id: "default" } };
  return {
    outputs: {
      [T.server]: (_inputs, _name, id) => ({ issuer: `${ORG}/oauth2/${id}` }),
      [T.app]: () => ({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET }),
    },
    calls: {
      [I.getServer]: (args) => {
        const s = servers[String(args.name)];
        if (!s) throw new Error(`authorization server ${String(args.name)} not found`);
        return { id: s.id, name: args.name, issuer: s.issuer ?? `${ORG}/oauth2/${s.id}`, audiences: ["api://default"], status: "ACTIVE" };
      },
      [I.getScopes]: (args) => ({
        id: String(args.authServerId),
        authServerId: args.authServerId,
        scopes: (org.scopes?.[String(args.authServerId)] ?? []).map((s) => ({
          consent: "IMPLICIT",
          default: false,
          description: s.description ?? "",
          displayName: "",
          metadataPublish: "ALL_CLIENTS",
          optional: false,
          system: false,
          ...s,
        })),
      }),
      [I.getClaims]: (args) => ({
        id: String(args.authServerId),
        authServerId: args.authServerId,
        claims: (org.claims?.[String(args.authServerId)] ?? []).map((c, i) => ({ id: `ocl${i}`, alwaysIncludeInToken: true, status: "ACTIVE", scopes: [], ...c })),
      }),
      [I.getUsers]: (args) => {
        // Answers the `profile.login eq "…" or …` expression the component sends.
        const expression = String((args.searches as { expression: string }[])[0].expression);
        const logins = [...expression.matchAll(/profile\.login eq "([^"]+)"/g)].map((m) => m[1]);
        const users = logins
          .filter((login) => !org.users || login in org.users)
          .map((login) => ({ id: org.users?.[login]?.id ?? `00u-${login.split("@")[0]}`, login, status: org.users?.[login]?.status ?? "ACTIVE" }));
        return { id: "users", users };
      },
      [I.getGroups]: (args) => ({
        id: "groups",
        groups: (org.groups ?? []).filter((g) => g.name.startsWith(String(args.q ?? ""))).map((g) => ({ type: "OKTA_GROUP", description: "", source: "", customProfileAttributes: "{}", ...g })),
      }),
    },
  };
}

export interface Run {
  harness: MockHarness;
  team: OktaTeam;
  spec: TeamSpec;
  okta: OktaSpec;
  /** Resource options each child was declared with, by logical name (parent, dependsOn, import, …). */
  options: Map<string, pulumi.ResourceOptions>;
}

export interface RunOptions {
  priorState?: Map<string, RecordedResource>;
  preview?: boolean;
  provider?: () => okta.Provider;
}

/** Declares an OktaTeam under a fresh harness and waits until every output resolved. */
export async function runTeam(input: Record<string, unknown>, org: FakeOrg = {}, opts: RunOptions = {}): Promise<Run> {
  const run = await declare(input, org, opts);
  await Promise.all([run.team.issuer, run.team.authServerId, run.team.clientId, run.team.clientSecret, run.team.groupNames, run.team.consistencyReport].map((o) => valueOf<unknown>(o)));
  await Promise.all(run.team.ready.map(async (r) => valueOf((await r).urn)));
  await quiesce(run.harness);
  return run;
}

async function declare(input: Record<string, unknown>, org: FakeOrg, opts: RunOptions): Promise<Run> {
  const { spec, okta: o } = specs(input);
  const harness = new MockHarness({ ...oktaHarnessOptions(org), priorState: opts.priorState });
  await useHarness(harness, { preview: opts.preview });
  const options = new Map<string, pulumi.ResourceOptions>();
  // SDK-side transformations see every child's options; mocks cannot report parents or dependsOn.
  const record: pulumi.ResourceTransformation = (a) => {
    options.set(a.name, a.opts);
    return undefined;
  };
  const team = new OktaTeam("engineering", { spec, okta: o, provider: opts.provider?.() }, { transformations: [record] });
  return { harness, team, spec, okta: o, options };
}

/**
 * Runs a program expected to fail inside Pulumi (a ResourceError thrown by a data-source check).
 * Under mocks, as in a real run, the failure surfaces as an unhandled rejection of the registration
 * that needed the checked value; the test runner's own listener is swapped out meanwhile so the
 * rejection is captured instead of failing the test.
 */
export async function runTeamExpectingFailure(input: Record<string, unknown>, org: FakeOrg = {}, opts: RunOptions = {}): Promise<{ run: Run; errors: string[] }> {
  const saved = process.listeners("unhandledRejection");
  process.removeAllListeners("unhandledRejection");
  const errors: string[] = [];
  const capture = (e: unknown) => errors.push(e instanceof Error ? e.message : String(e));
  process.on("unhandledRejection", capture);
  try {
    const run = await declare(input, org, opts);
    await quiesce(run.harness);
    return { run, errors };
  } finally {
    process.removeListener("unhandledRejection", capture);
    for (const l of saved) process.on("unhandledRejection", l);
  }
}

/** Waits until no registration or invoke has arrived for a while. */
export async function quiesce(harness: MockHarness): Promise<void> {
  let last = -1;
  let stable = 0;
  while (stable < 3) {
    await settle();
    await new Promise((r) => setTimeout(r, 15));
    const now = harness.resources.length + harness.calls.length;
    stable = now === last ? stable + 1 : 0;
    last = now;
  }
}
