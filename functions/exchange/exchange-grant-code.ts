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
  /** Told about failures while undoing a failed exchange, which must not hide the original failure. */
  readonly onSidePathFailure?: (action: string, error: unknown) => void;
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
 * Puts both secrets back and then revokes the refresh token Zoho just issued, and says so in the
 * failure's message (keeping its name, which tells the operator what to fix). If the secrets cannot
 * be put back, the new refresh token may be the one stored now: it is kept valid rather than
 * revoked, so the connection keeps working.
 */
async function undoExchange(
  deps: ExchangeDependencies,
  before: StoreSnapshot,
  newRefreshToken: string,
  error: unknown,
): Promise<unknown> {
  let outcome: string;
  try {
    await deps.store.restore(before);
    try {
      await deps.zoho.revokeRefreshToken(newRefreshToken);
      outcome =
        "both secrets were put back as they were, and the new refresh token was revoked at Zoho (so it does not count against Zoho's 20 per client)";
    } catch (revokeError) {
      deps.onSidePathFailure?.('revoke the refresh token of a failed exchange', revokeError);
      outcome = `both secrets were put back as they were; the new refresh token could not be revoked at Zoho (${nameOf(revokeError)})`;
    }
  } catch (restoreError) {
    deps.onSidePathFailure?.('put the secrets back after a failed exchange', restoreError);
    outcome =
      `the secrets could not be put back (${nameOf(restoreError)}), so the credentials secret may now hold the new ` +
      'refresh token: it was kept valid so that the connection keeps working. Once the cause is fixed, invoke the ' +
      'refresh function with {"force": true}; if that works, no new code is needed';
  }
  if (error instanceof Error) {
    error.message =
      `${error.message} This happened after Zoho had accepted the grant code: ${outcome}. ` +
      'The grant code is used up: fix the cause above, then generate a new code and exchange it.';
  }
  return error;
}

function nameOf(error: unknown): string {
  return error instanceof Error ? error.name : 'unknown error';
}
