/**
 * `vmcp-okta render` of a stack with a `gateway:` section: the gateway's objects appear in
 * kubernetes.yaml, deploy-time values are named placeholders and no secret value appears. In its own
 * file: render installs its own mock runtime, which must not meet another test's pending registrations.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse, parseAllDocuments, stringify } from "yaml";
import { renderStack } from "../cli/render";
import { GATEWAY_COMMAND } from "../components/gatewayDeploy/objects";

const ROOT = path.resolve(__dirname, "..");
type Obj = Record<string, any>;
const IMAGE = "ghcr.io/acme/vmcp-okta-gateway:0.1.0";

test("render shows the gateway's objects, with no secret value and the same image and command", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vmcp-gw-render-"));
  const doc = parse(fs.readFileSync(path.join(ROOT, "Pulumi.engineering.yaml"), "utf8")) as Obj;
  doc.config["vmcp-okta:team"].gateway = { image: IMAGE };
  doc.config["kubernetes:enableSecretMutable"] = "true";
  fs.writeFileSync(path.join(dir, "Pulumi.gw.yaml"), stringify(doc));
  const { files } = await renderStack("gw", dir);
  const objects = parseAllDocuments(files["kubernetes.yaml"]).map((d) => d.toJS() as Obj);
  const kinds = objects.map((o) => `${o.kind}/${o.metadata.name}`);
  for (const k of ["ConfigMap/engineering-tools-gateway", "Deployment/engineering-tools-gateway", "Service/engineering-tools-gateway", "PodDisruptionBudget/engineering-tools-gateway"]) assert.ok(kinds.includes(k), `${k} in ${kinds.join(", ")}`);
  const d = objects.find((o) => o.kind === "Deployment")!;
  assert.equal(d.spec.template.spec.containers[0].image, IMAGE);
  assert.deepEqual(d.spec.template.spec.containers[0].command, GATEWAY_COMMAND);
  const issuer = d.spec.template.spec.containers[0].env.find((e: Obj) => e.name === "VMCP_ISSUER").value;
  assert.equal(issuer, "<okta:auth-server.issuer>", "a deploy-time value is a named placeholder");
  assert.ok(!files["kubernetes.yaml"].includes("REPLACE-ME"), "no secret ciphertext in the render");
  assert.match(files["outputs.yaml"], /gatewayServiceUrl: http:\/\/engineering-tools-gateway\.vmcp-engineering\.svc\.cluster\.local:8080\/mcp/);
});
