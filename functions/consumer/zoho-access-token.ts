import type { AccessTokenDocument } from '../lib/documents.js';

/** The access token as a consumer uses it. Never log it: it is a bearer credential. */
export interface ZohoAccessToken {
  readonly accessToken: string;
  /** As Zoho returned it, e.g. `https://www.zohoapis.eu`. */
  readonly apiDomain: string;
  /** `apiDomain` without a trailing slash, ready for `${apiBaseUrl}/crm/v8/...`. */
  readonly apiBaseUrl: string;
  readonly tokenType: string;
  readonly expiresAt: Date;
  readonly refreshedAt: Date;
  /** The value of the `Authorization` header Zoho's APIs expect. */
  readonly authorizationHeader: string;
}

export function toZohoAccessToken(document: AccessTokenDocument): ZohoAccessToken {
  return {
    accessToken: document.access_token,
    apiDomain: document.api_domain,
    apiBaseUrl: document.api_domain.replace(/\/+$/, ''),
    tokenType: document.token_type,
    expiresAt: new Date(document.expires_at),
    refreshedAt: new Date(document.refreshed_at),
    authorizationHeader: `Zoho-oauthtoken ${document.access_token}`,
  };
}
