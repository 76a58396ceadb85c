/**
 * The lifecycle suite's runner: the stack program (`vmcpOktaStack`, as `index.ts` runs it) under the
 * mock engine, seeded with the previous run's state, returning the plan the engine would execute.
 */
import * as pulumi from "@pulumi/pulumi";
import { vmcpOktaStack } from "../components/stackProgram";
import { MockHarness, useHarness, valueOf, type PlanStep, type StateEntry } from "./helpers/pulumiMocks";
import { oktaHarnessOptions, quiesce, type FakeOrg } from "./okta.fixture";
import { clusterOutputs, keyMaterialOutputs, SECRET_CONFIG } from "./k8s.fixture";

export interface LifecycleRun {
  harness: MockHarness;
  plan: PlanStep[];
  state: Map<string, StateEntry>;
  /** ResourceErrors raised by checks inside the program (unhandled rejections in a real run, too). */
  errors: string[];
  outputs?: ReturnType<typeof vmcpOktaStack>["outputs"];
}

export interface LifecycleOptions {
  prior?: Map<string, StateEntry>;
  renames?: unknown;
  secrets?: Record<string, string>;
  org?: FakeOrg;
  /** How the Kubernetes provider treats Secret data changes (default: mutable, as the stack config sets). */
  secretMutable?: boolean;
  stack?: string;
  /** API versions the cluster's CRDs serve, by CRD name (default: the real 0.44.0 CRDs). */
  served?: Record<string, string[]>;
}

/** Runs the stack program once, as `pulumi up` would on top of `prior`. */
export async function runLifecycle(team: Record<string, unknown>, o: LifecycleOptions = {}): Promise<LifecycleRun> {
  const okta = oktaHarnessOptions(o.org);
  const harness = new MockHarness({ outputs: { ...okta.outputs, ...keyMaterialOutputs(), ...clusterOutputs(o.served) }, calls: okta.calls, prior: o.prior ?? new Map(), secretMutable: o.secretMutable ?? true });
  const secrets = o.secrets ?? SECRET_CONFIG;
  const config: Record<string, string> = { "vmcp-okta:team": JSON.stringify(team), ...secrets };
  config["kubernetes:enableSecretMutable"] = "true";
  if (o.renames !== undefined) config["vmcp-okta:renames"] = JSON.stringify(o.renames);
  pulumi.runtime.setAllConfig(config, Object.keys(secrets));
  await useHarness(harness, { stack: o.stack ?? "team-stack" });
  const saved = process.listeners("unhandledRejection");
  process.removeAllListeners("unhandledRejection");
  const errors: string[] = [];
  const capture = (e: unknown) => errors.push(e instanceof Error ? e.message : String(e));
  process.on("unhandledRejection", capture);
  try {
    const { team: t, outputs } = vmcpOktaStack(undefined, { logWarnings: false, resourceOptions: { transformations: [harness.record] } });
    await Promise.race([Promise.all([t.jwks, t.oktaIssuer, t.consistencyReport, t.toolhive.virtualMcpServer.urn].map((x) => valueOf<unknown>(x))), quiesce(harness).then(() => quiesce(harness))]);
    await quiesce(harness);
    // In a real run the failed registrations are logged as errors, and the SDK then skips its exit-time
    // report of promises left pending by them (runtime/debuggable.ts checks log.hasErrors()). Under
    // mocks nothing is logged, so the pending ones are discarded here, once the errors are captured.
    if (errors.length > 0) (require("@pulumi/pulumi/runtime/debuggable") as { leakedPromises(): unknown }).leakedPromises();
    return { harness, plan: harness.plan(), state: harness.nextState(), errors, outputs };
  } finally {
    process.removeListener("unhandledRejection", capture);
    for (const l of saved) process.on("unhandledRejection", l);
  }
}

const SHORT: Record<string, string> = {
  "okta:auth/server:Server": "okta.Server",
  "okta:auth/serverScope:ServerScope": "okta.Scope",
  "okta:auth/serverClaim:ServerClaim": "okta.Claim",
  "okta:app/oAuth:OAuth": "okta.App",
  "okta:group/group:Group": "okta.Group",
  "okta:index/groupMemberships:GroupMemberships": "okta.Members",
  "okta:app/groupAssignment:GroupAssignment": "okta.Assign",
  "okta:auth/serverPolicy:ServerPolicy": "okta.Policy",
  "okta:auth/serverPolicyRule:ServerPolicyRule": "okta.Rule",
  "tls:index/privateKey:PrivateKey": "tls.Key",
  "random:index/randomBytes:RandomBytes": "random.Bytes",
  "kubernetes:core/v1:Namespace": "k8s.Namespace",
  "kubernetes:core/v1:Secret": "k8s.Secret",
};

export function short(type: string): string {
  return SHORT[type] ?? type.replace(/^kubernetes:toolhive\.stacklok\.dev\/v1beta1:/, "k8s.").replace(/^vmcp-okta:index:/, "");
}

/** Every step that changes something (not `same`, not a read), as `op type name`, sorted: the plan a reviewer reads. */
export function changes(plan: PlanStep[]): string[] {
  return plan
    .filter((s) => s.op !== "same" && s.op !== "read")
    .map((s) => `${s.op} ${short(s.type)} ${s.name}${s.retained ? " (retained)" : ""}${s.blocked ? " (blocked: protected)" : ""}`)
    .sort();
}

export function step(plan: PlanStep[], type: string, name: string): PlanStep {
  const found = plan.filter((s) => short(s.type) === type && s.name === name);
  if (found.length !== 1) throw new Error(`expected one ${type} ${name} in the plan, found ${found.length}: ${plan.map((s) => `${short(s.type)} ${s.name}`).join(", ")}`);
  return found[0];
}
