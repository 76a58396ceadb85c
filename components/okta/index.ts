/** The Okta side of a team: config validation, pure derivations and the Pulumi component. */
export * from "./types";
export { validateOkta, OKTA_DEFAULTS, sharedPolicyPriority } from "./config";
export {
  redirectUriFor,
  appLabelFor,
  authServerNameFor,
  policyNameFor,
  groupClaimNameFor,
  claimFilterFor,
  filterMatches,
  describeFilter,
  consistencyReport,
  consistencyReportToMarkdown,
  publicConsistencyReport,
  type PublicConsistencyReport,
  type PublicConsistencyRow,
  checkSharedClaim,
  pointsAtOrgServer,
  serverIdFromIssuer,
  RULE_NAME,
  type ConsistencyReport,
  type ConsistencyRow,
  type ObservedClaim,
} from "./derive";
export { OktaTeam, OKTA_TEAM_TYPE, type OktaTeamArgs } from "./oktaTeam";
export { lookupMembers, existingGroups, USERS_PER_LOOKUP, type MemberRef } from "./lookups";
