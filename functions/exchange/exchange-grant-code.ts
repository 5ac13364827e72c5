import type { CredentialsDocument } from '../lib/documents.js';
import { NotConnectedError } from '../lib/errors.js';
import type { RefreshSchedule } from '../lib/schedule/refresh-schedule.js';
import type { TokenStore } from '../lib/store/token-store.js';
import type { ZohoAccountsClient } from '../lib/zoho/accounts-client.js';
import type { ExchangeEvent } from './exchange-event.js';

export interface ExchangeDependencies {
  readonly store: Pick<TokenStore, 'readCredentials' | 'saveCredentials' | 'saveAccessToken'>;
  readonly zoho: Pick<ZohoAccountsClient, 'exchangeGrantCode'>;
  readonly schedule: Pick<RefreshSchedule, 'enable'>;
  readonly accountsUrl: string;
  readonly credentialsSecretId: string;
}

/** The contract's result: never a token or a secret. */
export interface ExchangeResult {
  readonly status: 'connected';
  readonly api_domain: string;
  readonly scope?: string;
  readonly expires_at: string;
}

/**
 * Turns a grant code into a stored refresh token and access token, then switches the refresh
 * schedule on. Nothing is written unless Zoho answered with tokens, so a bad or reused code leaves
 * a working connection as it was.
 */
export async function exchangeGrantCode(
  deps: ExchangeDependencies,
  event: ExchangeEvent,
): Promise<ExchangeResult> {
  const stored = await deps.store.readCredentials();
  const clientId = event.client?.clientId ?? stored.client_id;
  const clientSecret = event.client?.clientSecret ?? stored.client_secret;
  if (!clientId || !clientSecret) {
    throw new NotConnectedError(
      `No Zoho client id and secret: pass "client_id" and "client_secret" in the event, or put them into the ` +
        `credentials secret ${deps.credentialsSecretId} as {"client_id": "...", "client_secret": "..."}.`,
    );
  }

  const grant = await deps.zoho.exchangeGrantCode({ clientId, clientSecret }, event.code);

  // The credentials go first: they hold the new refresh token, the one thing that cannot be minted again.
  const credentials: CredentialsDocument = {
    client_id: clientId,
    client_secret: clientSecret,
    refresh_token: grant.refreshToken,
    accounts_url: deps.accountsUrl,
    api_domain: grant.apiDomain,
    ...(grant.scope ? { scope: grant.scope } : {}),
    connected_at: grant.receivedAt.toISOString(),
  };
  await deps.store.saveCredentials(credentials);
  await deps.store.saveAccessToken({
    access_token: grant.accessToken,
    api_domain: grant.apiDomain,
    token_type: grant.tokenType,
    expires_at: grant.expiresAt.toISOString(),
    refreshed_at: grant.receivedAt.toISOString(),
  });
  await deps.schedule.enable();

  return {
    status: 'connected',
    api_domain: grant.apiDomain,
    ...(grant.scope ? { scope: grant.scope } : {}),
    expires_at: grant.expiresAt.toISOString(),
  };
}
