/**
 * Validates core Kubernetes objects against the API server's OpenAPI v3 documents, offline. The
 * documents are the ones client-go ships as test data (openapi/openapitest/testdata: core/v1 and
 * apps/v1, served by a real API server), from the client-go module that ToolHive 0.44.0 pins in its
 * go.mod; `scripts/install-vmcp.sh` (run by .ci/run) puts both modules in Go's module cache.
 * Like kubeconform's strict mode, a field the schema does not define is an error (the upstream
 * schemas leave additionalProperties open).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { execFileSync } from "node:child_process";
import Ajv, { type ValidateFunction } from "ajv";

const TOOLHIVE = "github.com/stacklok/toolhive@v0.44.0";
const DOCS = { "v1": "api__v1_openapi.json", "apps/v1": "apis__apps__v1_openapi.json" } as const;
export type GroupVersion = keyof typeof DOCS;

function modCache(): string {
  return process.env.GOMODCACHE || execFileSync("go", ["env", "GOMODCACHE"], { encoding: "utf8" }).trim();
}

/** The client-go version ToolHive's go.mod requires (the one its module graph downloads). */
function clientGoDir(cache: string): string {
  const goMod = fs.readFileSync(path.join(cache, TOOLHIVE, "go.mod"), "utf8");
  const version = /^\s*k8s\.io\/client-go\s+(v\S+)/m.exec(goMod)?.[1];
  if (!version) throw new Error(`no k8s.io/client-go requirement in ${TOOLHIVE}/go.mod`);
  return path.join(cache, `k8s.io/client-go@${version}`, "openapi", "openapitest", "testdata");
}

/** Closes every object schema that lists its properties (unless it keeps unknown fields on purpose). */
function strict(node: unknown): void {
  if (Array.isArray(node)) return node.forEach(strict);
  if (!node || typeof node !== "object") return;
  const o = node as Record<string, unknown>;
  if (o.properties && o.additionalProperties === undefined && !o["x-kubernetes-preserve-unknown-fields"]) o.additionalProperties = false;
  for (const v of Object.values(o)) strict(v);
}

export class KubeSchemas {
  private readonly ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true });
  private readonly cache = new Map<string, ValidateFunction>();

  constructor() {
    const dir = clientGoDir(modCache());
    for (const [gv, file] of Object.entries(DOCS)) {
      const doc = JSON.parse(fs.readFileSync(path.join(dir, file), "utf8")) as Record<string, unknown>;
      strict(doc.components);
      this.ajv.addSchema({ $id: gv, components: doc.components });
    }
  }

  /** Schema errors of `obj` (its apiVersion and kind pick the schema); empty when it is valid. */
  errors(obj: { apiVersion: string; kind: string }): string[] {
    const gv = obj.apiVersion as GroupVersion;
    if (!(gv in DOCS)) throw new Error(`no OpenAPI document here for ${obj.apiVersion}`);
    const group = gv === "v1" ? "core.v1" : gv.replace("/", ".");
    const key = `${gv}#/components/schemas/io.k8s.api.${group}.${obj.kind}`;
    let validate = this.cache.get(key);
    if (!validate) {
      validate = this.ajv.compile({ $ref: key });
      this.cache.set(key, validate);
    }
    if (validate(obj)) return [];
    return (validate.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message}${e.params && "additionalProperty" in e.params ? `: ${String(e.params.additionalProperty)}` : ""}`);
  }
}
