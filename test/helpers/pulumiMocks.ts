/**
 * A Pulumi unit-test harness over `pulumi.runtime.setMocks` that behaves like the engine where the
 * mock monitor does not: outputs listed in a provider's `additionalSecretOutputs` come back secret,
 * and a second run can be seeded with the first run's state to prove the program is stable.
 *
 * Plans (for the lifecycle suite): with `prior` (a previous run's `nextState()`) and `record` passed
 * as a transformation of the root component, every registration is matched to the prior state by URN
 * or alias URN (computed as the SDK and engine do: resource.ts allAliases/inheritedChildAlias), and
 * classified like the engine's step generator: same, update, replace (a replace-on property changed,
 * per REPLACE_ON below), create, import; prior resources no longer declared are deletes, retained or
 * blocked by `protect`. Inputs named in `ignoreChanges` keep their prior values, as in the engine.
 */
import * as pulumi from "@pulumi/pulumi";

export interface RecordedResource {
  type: string;
  name: string;
  /** Inputs as the provider receives them; secrets arrive wrapped (see `isSecretInput`). */
  inputs: Record<string, unknown>;
  id: string;
  /** `import` id when the resource was adopted. */
  importId?: string;
  provider?: string;
  state: Record<string, unknown>;
}

export interface RecordedCall {
  token: string;
  inputs: Record<string, unknown>;
  provider?: string;
}

/** Provider-computed outputs of one resource; `id` is the id the harness assigns (or the import id). */
export type OutputFn = (inputs: Record<string, unknown>, name: string, id: string) => Record<string, unknown>;
export type CallFn = (inputs: Record<string, unknown>) => Record<string, unknown>;

/** Secret outputs per resource type, from the SDKs' `additionalSecretOutputs`. */
export const SECRET_OUTPUTS: Record<string, string[]> = {
  "okta:app/oAuth:OAuth": ["clientBasicSecret", "clientBasicSecretWo", "clientSecret"],
  "tls:index/privateKey:PrivateKey": ["privateKeyOpenssh", "privateKeyPem", "privateKeyPemPkcs8"],
  "random:index/randomBytes:RandomBytes": ["base64", "hex"],
  "random:index/randomPassword:RandomPassword": ["result", "bcryptHash"],
  "kubernetes:core/v1:Secret": ["data", "stringData"],
};

/**
 * Properties whose change makes the provider ask for a replacement (ForceNew in the providers'
 * schemas: terraform-provider-tls private_key, terraform-provider-random random_bytes, okta
 * app_group_assignment / group_memberships / auth_server_* `auth_server_id`; Kubernetes: name and
 * namespace of every object, a Secret's `type`). A Secret's data replaces too unless the provider has
 * `enableSecretMutable` (@pulumi/kubernetes Provider docs).
 */
export const REPLACE_ON: Record<string, string[]> = {
  "tls:index/privateKey:PrivateKey": ["algorithm", "rsaBits", "ecdsaCurve"],
  "random:index/randomBytes:RandomBytes": ["length", "keepers"],
  "okta:app/groupAssignment:GroupAssignment": ["appId", "groupId"],
  "okta:index/groupMemberships:GroupMemberships": ["groupId"],
  "okta:auth/serverScope:ServerScope": ["authServerId"],
  "okta:auth/serverClaim:ServerClaim": ["authServerId"],
  "okta:auth/serverPolicy:ServerPolicy": ["authServerId"],
  "okta:auth/serverPolicyRule:ServerPolicyRule": ["authServerId", "policyId"],
  "okta:app/oAuth:OAuth": ["type"],
  "kubernetes:core/v1:Secret": ["metadata.name", "metadata.namespace", "type"],
};
const KUBERNETES_REPLACE_ON = ["metadata.name", "metadata.namespace"];

export function replaceOn(type: string, secretMutable: boolean): string[] {
  const own = REPLACE_ON[type] ?? (type.startsWith("kubernetes:") ? KUBERNETES_REPLACE_ON : []);
  return type === "kubernetes:core/v1:Secret" && !secretMutable ? [...own, "data", "stringData"] : own;
}

/** Options of one resource, as the engine stores them in state. */
export interface SeenOptions {
  protect?: boolean;
  retainOnDelete?: boolean;
  deleteBeforeReplace?: boolean;
  replaceOnChanges?: string[];
  ignoreChanges?: string[];
  import?: string;
  /** A read of an existing object (`Resource.get`): never created or deleted by the stack. */
  read?: boolean;
  /** Alias URNs (own and inherited from parents). */
  aliases: string[];
}

/** One resource in a stack's state, by URN. */
export interface StateEntry {
  urn: string;
  type: string;
  name: string;
  custom: boolean;
  id: string;
  /** Inputs, secrets unwrapped. */
  inputs: Record<string, unknown>;
  /** State as returned to the program (secrets wrapped). */
  state: Record<string, unknown>;
  options: SeenOptions;
}

export type StepOp = "same" | "update" | "replace" | "create" | "import" | "delete" | "read";

export interface PlanStep {
  op: StepOp;
  urn: string;
  type: string;
  name: string;
  /** Input paths that changed (update, replace). */
  changed: string[];
  /** For a delete: the resource stays in the cloud (`retainOnDelete`). */
  retained?: boolean;
  /** The engine refuses this step: the resource is `protect`ed (replace or delete). */
  blocked?: boolean;
  /** The prior URN this resource was matched through, when it was an alias. */
  aliasedFrom?: string;
  options: SeenOptions;
}

export interface HarnessOptions {
  /** Extra outputs per resource type (computed by the "provider"). */
  outputs?: Record<string, OutputFn>;
  /** Data-source results per invoke token. */
  calls?: Record<string, CallFn>;
  /** Seed: the previous run's resources, by `type::name`; their ids and state are returned again. */
  priorState?: Map<string, RecordedResource>;
  /** Seed for plans: the previous run's `nextState()`, matched by URN and aliases. */
  prior?: Map<string, StateEntry>;
  /** The Kubernetes provider's `enableSecretMutable` (default true, what the stacks require). */
  secretMutable?: boolean;
}

export function resourceKey(type: string, name: string): string {
  return `${type}::${name}`;
}

function wrapSecret(value: unknown): unknown {
  if (value === undefined) return value;
  if (pulumi.runtime.isRpcSecret(value)) return value;
  return { [pulumi.runtime.specialSigKey]: pulumi.runtime.specialSecretSig, value };
}

interface Meta {
  type: string;
  name: string;
  parent?: pulumi.Resource;
  opts: pulumi.ResourceOptions;
}

export class MockHarness implements pulumi.runtime.Mocks {
  readonly resources: RecordedResource[] = [];
  readonly calls: RecordedCall[] = [];
  /** This run's resources with their plan step (only with `record` installed). */
  readonly planned: (StateEntry & { step: PlanStep })[] = [];
  private counter = 0;
  private readonly meta = new Map<string, Meta>();
  private readonly byResource = new WeakMap<pulumi.Resource, Meta>();
  private readonly urns = new WeakMap<Meta, { urn: string; aliases: string[] }>();

  constructor(private readonly opts: HarnessOptions = {}) {}

  /** Pass as `transformations: [harness.record]` on the root component: records every resource's options. */
  readonly record: pulumi.ResourceTransformation = (a) => {
    const m: Meta = { type: a.type, name: a.name, parent: a.opts.parent, opts: a.opts };
    this.meta.set(resourceKey(a.type, a.name), m);
    this.byResource.set(a.resource, m);
    return undefined;
  };

  private urnOf(m: Meta): { urn: string; aliases: string[] } {
    const known = this.urns.get(m);
    if (known) return known;
    const parent = m.parent ? this.byResource.get(m.parent) : undefined;
    const parentUrns = parent ? this.urnOf(parent) : undefined;
    const urn = createUrn(m.name, m.type, parentUrns?.urn);
    const aliases: string[] = [];
    const own = (m.opts.aliases ?? []).map((a) => {
      if (typeof a === "string") return a;
      const al = a as { name?: string; type?: string; parent?: pulumi.Resource };
      const p = al.parent ? this.urnOf(this.byResource.get(al.parent)!).urn : parentUrns?.urn;
      return createUrn(al.name ?? m.name, al.type ?? m.type, p);
    });
    aliases.push(...own);
    // resource.ts allAliases: every parent alias, combined with the child's own name and aliases.
    for (const pa of parentUrns?.aliases ?? []) {
      aliases.push(inheritedChildAlias(m.name, parent!.name, pa, m.type));
      for (const a of own) aliases.push(inheritedChildAlias(nameOfUrn(a), parent!.name, pa, typeOfUrn(a)));
    }
    const out = { urn, aliases: [...new Set(aliases)].filter((a) => a !== urn) };
    this.urns.set(m, out);
    return out;
  }

  newResource(args: pulumi.runtime.MockResourceArgs): { id: string | undefined; state: Record<string, unknown> } {
    const m = this.meta.get(resourceKey(args.type, args.name));
    if (m && this.opts.prior) return this.planResource(args, m);
    const prior = this.opts.priorState?.get(resourceKey(args.type, args.name));
    let state: Record<string, unknown>;
    let id: string;
    if (prior) {
      id = prior.id;
      state = { ...args.inputs, ...stripInputs(prior.state, prior.inputs) };
    } else {
      id = args.id || `${args.name}-id-${++this.counter}`;
      state = { ...args.inputs, ...(this.opts.outputs?.[args.type]?.(unwrapAll(args.inputs) as Record<string, unknown>, args.name, id) ?? {}) };
    }
    for (const key of SECRET_OUTPUTS[args.type] ?? []) if (key in state) state[key] = wrapSecret(state[key]);
    this.resources.push({
      type: args.type,
      name: args.name,
      inputs: args.inputs,
      id,
      importId: args.id || undefined,
      provider: args.provider || undefined,
      state,
    });
    return { id, state };
  }

  private planResource(args: pulumi.runtime.MockResourceArgs, m: Meta): { id: string | undefined; state: Record<string, unknown> } {
    const { urn, aliases } = this.urnOf(m);
    const o = m.opts as pulumi.CustomResourceOptions;
    const options: SeenOptions = {
      aliases,
      ...(o.protect !== undefined ? { protect: o.protect } : {}),
      ...(o.retainOnDelete !== undefined ? { retainOnDelete: o.retainOnDelete } : {}),
      ...(o.deleteBeforeReplace !== undefined ? { deleteBeforeReplace: o.deleteBeforeReplace } : {}),
      ...(o.replaceOnChanges ? { replaceOnChanges: o.replaceOnChanges } : {}),
      ...(o.ignoreChanges ? { ignoreChanges: o.ignoreChanges } : {}),
      ...(args.id && !o.id ? { import: args.id } : {}),
      ...(o.id ? { read: true } : {}),
    };
    const prior = this.opts.prior!;
    const matchUrn = prior.has(urn) ? urn : aliases.find((a) => prior.has(a));
    const before = matchUrn ? prior.get(matchUrn) : undefined;
    let inputs = unwrapAll(args.inputs) as Record<string, unknown>;
    let op: StepOp;
    let changed: string[] = [];
    let id: string;
    let state: Record<string, unknown>;
    if (o.id) {
      op = "read";
      id = args.id!;
      state = { ...args.inputs, ...(this.opts.outputs?.[args.type]?.(inputs, args.name, id) ?? {}) };
    } else if (!before) {
      op = args.id ? "import" : "create";
      id = args.id || `${args.name}-id-${++this.counter}`;
      state = { ...args.inputs, ...(this.opts.outputs?.[args.type]?.(inputs, args.name, id) ?? {}) };
    } else {
      // ignoreChanges: the engine keeps the prior value of those inputs.
      // (A key absent from the prior inputs stays absent, as in the engine's processIgnoreChanges.)
      for (const key of o.ignoreChanges ?? []) {
        if (key in before.inputs) inputs = { ...inputs, [key]: before.inputs[key] };
        else if (key in inputs) inputs = Object.fromEntries(Object.entries(inputs).filter(([k]) => k !== key));
      }
      changed = diffPaths(before.inputs, inputs);
      const replaceKeys = [...replaceOn(args.type, this.opts.secretMutable ?? true), ...(o.replaceOnChanges ?? [])];
      const replaces = changed.some((p) => replaceKeys.some((k) => k === "*" || p === k || p.startsWith(`${k}.`)));
      op = changed.length === 0 ? "same" : replaces ? "replace" : "update";
      if (op === "replace") {
        id = `${args.name}-id-${++this.counter}`;
        state = { ...args.inputs, ...(this.opts.outputs?.[args.type]?.(inputs, args.name, id) ?? {}) };
      } else {
        id = before.id;
        state = { ...wrapLike(args.inputs, inputs), ...stripInputs(before.state, before.inputs) };
      }
    }
    for (const key of SECRET_OUTPUTS[args.type] ?? []) if (key in state) state[key] = wrapSecret(state[key]);
    const step: PlanStep = {
      op,
      urn,
      type: args.type,
      name: args.name,
      changed,
      ...(op === "replace" && before?.options.protect ? { blocked: true } : {}),
      ...(matchUrn && matchUrn !== urn ? { aliasedFrom: matchUrn } : {}),
      options,
    };
    this.planned.push({ urn, type: args.type, name: args.name, custom: args.custom ?? true, id, inputs, state, options, step });
    this.resources.push({ type: args.type, name: args.name, inputs: args.inputs, id, importId: args.id || undefined, provider: args.provider || undefined, state });
    return { id, state };
  }

  /** The plan: this run's steps, then the deletes of prior resources no longer declared. */
  plan(): PlanStep[] {
    const matched = new Set(this.planned.map((p) => p.step.aliasedFrom ?? p.urn));
    const deletes: PlanStep[] = [...(this.opts.prior ?? new Map<string, StateEntry>()).values()]
      .filter((e) => !matched.has(e.urn) && !e.options.read)
      .map((e) => ({
        op: "delete",
        urn: e.urn,
        type: e.type,
        name: e.name,
        changed: [],
        ...(e.options.retainOnDelete ? { retained: true } : {}),
        ...(e.options.protect ? { blocked: true } : {}),
        options: e.options,
      }));
    return [...this.planned.map((p) => p.step), ...deletes];
  }

  /** The state after this run was applied (blocked deletes stay, as the engine leaves them). */
  nextState(): Map<string, StateEntry> {
    const out = new Map<string, StateEntry>();
    for (const p of this.planned) out.set(p.urn, { urn: p.urn, type: p.type, name: p.name, custom: p.custom, id: p.id, inputs: p.inputs, state: p.state, options: p.options });
    for (const step of this.plan()) if (step.op === "delete" && step.blocked) out.set(step.urn, this.opts.prior!.get(step.urn)!);
    return out;
  }

  call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
    this.calls.push({ token: args.token, inputs: args.inputs, provider: args.provider || undefined });
    const fn = this.opts.calls?.[args.token];
    if (!fn) throw new Error(`unexpected invoke ${args.token}`);
    return fn(args.inputs);
  }

  /** Resources of one type, in registration order. */
  ofType(type: string): RecordedResource[] {
    return this.resources.filter((r) => r.type === type);
  }

  one(type: string, name?: string): RecordedResource {
    const found = this.ofType(type).filter((r) => name === undefined || r.name === name);
    if (found.length !== 1) throw new Error(`expected one ${type}${name ? ` named ${name}` : ""}, found ${found.length}: ${found.map((r) => r.name).join(", ")}`);
    return found[0];
  }

  /** This run's resources as a seed for the next run. */
  state(): Map<string, RecordedResource> {
    return new Map(this.resources.map((r) => [resourceKey(r.type, r.name), r]));
  }
}

function createUrn(name: string, type: string, parentUrn?: string): string {
  if (parentUrn) {
    const i = parentUrn.lastIndexOf("::");
    return `${parentUrn.slice(0, i)}$${type}::${name}`;
  }
  return `urn:pulumi:${pulumi.getStack()}::${pulumi.getProject()}::${type}::${name}`;
}

function nameOfUrn(urn: string): string {
  return urn.slice(urn.lastIndexOf("::") + 2);
}

function typeOfUrn(urn: string): string {
  const chain = urn.split("::")[2].split("$");
  return chain[chain.length - 1];
}

/** resource.ts inheritedChildAlias: a child named `<parent>-x` follows its parent's alias name. */
function inheritedChildAlias(childName: string, parentName: string, parentAlias: string, childType: string): string {
  const aliasName = childName.startsWith(parentName) ? nameOfUrn(parentAlias) + childName.slice(parentName.length) : childName;
  return createUrn(aliasName, childType, parentAlias);
}

/** Leaf paths (`metadata.name`, `spec.replicas`) where two plain values differ. */
export function diffPaths(a: unknown, b: unknown, path = ""): string[] {
  const isObj = (v: unknown) => v !== null && typeof v === "object" && !Array.isArray(v);
  if (isObj(a) && isObj(b)) {
    const keys = [...new Set([...Object.keys(a as object), ...Object.keys(b as object)])].sort();
    return keys.flatMap((k) => diffPaths((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], path ? `${path}.${k}` : k));
  }
  return JSON.stringify(a) === JSON.stringify(b) ? [] : [path];
}

/** Top-level inputs as given (secret wrappers kept) except where `plain` replaced them (ignoreChanges). */
function wrapLike(given: Record<string, unknown>, plain: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...given };
  for (const [k, v] of Object.entries(plain)) if (JSON.stringify(unwrapAll(given[k])) !== JSON.stringify(v)) out[k] = v;
  return out;
}

/** Keeps only the provider-computed part of a prior state (inputs come from the new run). */
function stripInputs(state: Record<string, unknown>, inputs: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(state)) if (!(k in inputs)) out[k] = v;
  return out;
}

export function isSecretInput(v: unknown): boolean {
  return pulumi.runtime.isRpcSecret(v);
}

/** Removes secret wrappers anywhere in a value (for asserting on plaintext under mocks). */
export function unwrapAll(v: unknown): unknown {
  if (pulumi.runtime.isRpcSecret(v)) return unwrapAll(pulumi.runtime.unwrapRpcSecret(v));
  if (Array.isArray(v)) return v.map(unwrapAll);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unwrapAll(x)]));
  return v;
}

/** Installs the harness as Pulumi's mock monitor. */
export async function useHarness(harness: MockHarness, opts: { project?: string; stack?: string; preview?: boolean } = {}): Promise<void> {
  await pulumi.runtime.setMocks(harness, opts.project ?? "vmcp-okta", opts.stack ?? "test", opts.preview ?? false);
}

/** Resolves an Output's value (undefined while unknown in preview). */
export function valueOf<T>(o: pulumi.Output<T> | pulumi.Input<T>): Promise<T> {
  return new Promise((resolve) => pulumi.output(o).apply((v) => {
    resolve(v as T);
    return v;
  }));
}

/** Waits until every resource registration settled (outputs resolved). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}
