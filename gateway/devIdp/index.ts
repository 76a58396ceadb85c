/** The embedded development identity provider (see idp.ts). */
export { startDevIdp, DEV_LOGIN_GRANT, DEV_CLIENT_ID, type DevIdp, type DevIdpOptions } from "./idp";
export { oktaAccessTokenClaims, DEV_SCOPES, DEFAULT_TOKEN_SCOPES } from "./claims";
export { defaultStateDir, loadOrCreateState, STATE_FILE, type DevIdpState } from "./state";
