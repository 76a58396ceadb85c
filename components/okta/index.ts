/** The Okta side of a team: config validation, pure derivations and the Pulumi component. */
export * from "./types";
export { validateOkta, OKTA_DEFAULTS } from "./config";
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
  checkSharedClaim,
  pointsAtOrgServer,
  serverIdFromIssuer,
  RULE_NAME,
  type ConsistencyReport,
  type ConsistencyRow,
  type ObservedClaim,
} from "./derive";
export { OktaTeam, OKTA_TEAM_TYPE, type OktaTeamArgs } from "./oktaTeam";
