/**
 * The platform stack program (examples/platform): `pulumi up` here once per cluster, before any team
 * stack previews, so the ToolHive CRDs exist. Team stacks then leave `kubernetes.operator.install` off.
 */
import * as pulumi from "@pulumi/pulumi";
import { declarePlatform, platformSettings } from "./platform";

const config = new pulumi.Config("vmcp-okta-platform");
const platform = declarePlatform(platformSettings((key) => config.get(key)));

export const toolhiveVersion = platform.toolhiveVersion;
export const operatorNamespace = platform.operatorNamespace;
export const clusterIssuers = platform.clusterIssuers;
export const ingressClass = platform.ingressClass;
