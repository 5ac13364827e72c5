import type { CredentialsDocument } from '../lib/documents.js';
import { NotConnectedError } from '../lib/errors.js';
import type { RefreshSchedule } from '../lib/schedule/refresh-schedule.js';
import type { StoreSnapshot, TokenStore } from '../lib/store/token-store.js';
import type { ZohoAccountsClient } from '../lib/zoho/accounts-client.js';
import type { ExchangeEvent } from './exchange-event.js';

export interface ExchangeDependencies {
  readonly store: Pick<TokenStore, 'snapshot' | 'saveCredentials' | 'saveAccessToken' | 'restore'>;
  readonly zoho: Pick<ZohoAccountsClient, 'exchangeGrantCode' | 'revokeRefreshToken'>;
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
 * a working connection as it was; and if storing fails half-way, both secrets are put back and the
 * new refresh token is revoked, so a failed exchange changes nothing.
 */
export async function exchangeGrantCode(
  deps: ExchangeDependencies,
  event: ExchangeEvent,
): Promise<ExchangeResult> {
  const before = await deps.store.snapshot();
  const stored = before.credentials;
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
  try {
    await deps.store.saveCredentials(credentials);
    await deps.store.saveAccessToken({
      access_token: grant.accessToken,
      api_domain: grant.apiDomain,
      token_type: grant.tokenType,
      expires_at: grant.expiresAt.toISOString(),
      refreshed_at: grant.receivedAt.toISOString(),
    });
    await deps.schedule.enable();
  } catch (error) {
    throw await undoExchange(deps, before, grant.refreshToken, error);
  }

  return {
    status: 'connected',
    api_domain: grant.apiDomain,
    ...(grant.scope ? { scope: grant.scope } : {}),
    expires_at: grant.expiresAt.toISOString(),
  };
}

/**
 * Puts both secrets back and revokes the refresh token Zoho just issued, then says so in the
 * failure's message (keeping its name, which tells the operator what to fix).
 */
async function undoExchange(
  deps: ExchangeDependencies,
  before: StoreSnapshot,
  newRefreshToken: string,
  error: unknown,
): Promise<unknown> {
  const undone: string[] = [];
  const notUndone: string[] = [];
  try {
    await deps.store.restore(before);
    undone.push('both secrets were put back as they were');
  } catch {
    notUndone.push(
      'the secrets could not be put back (the credentials secret may hold the new refresh token)',
    );
  }
  try {
    await deps.zoho.revokeRefreshToken(newRefreshToken);
    undone.push(
      "the new refresh token was revoked at Zoho, so it does not count against Zoho's 20 per client",
    );
  } catch {
    notUndone.push('the new refresh token could not be revoked at Zoho');
  }
  if (error instanceof Error) {
    error.message =
      `${error.message} This happened after Zoho had accepted the grant code: ${[...undone, ...notUndone].join('; ')}. ` +
      'The grant code is used up: fix the cause above, then generate a new code and exchange it.';
  }
  return error;
}
