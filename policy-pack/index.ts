/**
 * The vmcp-okta CrossGuard policy pack. Run with a team stack's preview:
 *
 *   pulumi preview --stack engineering --policy-pack ./policy-pack [--policy-pack-config policy-config.json]
 *
 * Every policy is mandatory by default; a config file sets levels per policy (`advisory`,
 * `mandatory`, `disabled`, or `"all": …`) and `developmentStacks`. The policies are in policies.ts.
 */
import { PolicyPack } from "@pulumi/policy";
import { policies } from "./policies";

new PolicyPack("vmcp-okta", { policies, enforcementLevel: "mandatory" });
