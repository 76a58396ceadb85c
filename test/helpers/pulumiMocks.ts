/**
 * A Pulumi unit-test harness over `pulumi.runtime.setMocks` that behaves like the engine where the
 * mock monitor does not: outputs listed in a provider's `additionalSecretOutputs` come back secret,
 * and a second run can be seeded with the first run's state to prove the program is stable.
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

export interface HarnessOptions {
  /** Extra outputs per resource type (computed by the "provider"). */
  outputs?: Record<string, OutputFn>;
  /** Data-source results per invoke token. */
  calls?: Record<string, CallFn>;
  /** Seed: the previous run's resources, by `type::name`; their ids and state are returned again. */
  priorState?: Map<string, RecordedResource>;
}

export function resourceKey(type: string, name: string): string {
  return `${type}::${name}`;
}

function wrapSecret(value: unknown): unknown {
  if (value === undefined) return value;
  if (pulumi.runtime.isRpcSecret(value)) return value;
  return { [pulumi.runtime.specialSigKey]: pulumi.runtime.specialSecretSig, value };
}

export class MockHarness implements pulumi.runtime.Mocks {
  readonly resources: RecordedResource[] = [];
  readonly calls: RecordedCall[] = [];
  private counter = 0;

  constructor(private readonly opts: HarnessOptions = {}) {}

  newResource(args: pulumi.runtime.MockResourceArgs): { id: string | undefined; state: Record<string, unknown> } {
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
