import type { ReplacedRefreshToken } from '../lib/connection-status.js';
import type { CredentialsDocument, StoredCredentials } from '../lib/documents.js';
import { NotConnectedError } from '../lib/errors.js';
import type { TokenStore } from '../lib/store/token-store.js';
import type { ZohoAccountsClient } from '../lib/zoho/accounts-client.js';
import type { GrantCodeEvent } from './exchange-event.js';

export interface ExchangeDependencies {
  readonly store: Pick<
    TokenStore,
    'readCredentials' | 'readTokenRecord' | 'replaceCredentials' | 'replaceTokenRecord' | 'putCredentials'
  >;
  readonly zoho: Pick<ZohoAccountsClient, 'exchangeGrantCode' | 'revokeRefreshToken'>;
  readonly accountsUrl: string;
  readonly credentialsSecretId: string;
  /** Told about failures of side paths (an undo, revoking a replaced token) that must not hide the outcome. */
  readonly onSidePathFailure?: (action: string, error: unknown) => void;
}

/** The contract's result: never a token or a secret. */
export interface ExchangeResult {
  readonly status: 'connected';
  readonly api_domain: string;
  readonly scope?: string;
  readonly expires_at: string;
  /** On a reconnect: what became of the refresh token this one replaced. */
  readonly previous_refresh_token?: ReplacedRefreshToken;
}

/**
 * Turns a grant code into a stored refresh token and access token, which the next scheduled run
 * refreshes. Nothing is written unless Zoho answered with tokens, so a bad or reused code leaves a
 * working connection as it was; if storing fails half-way, the credentials are put back and the new
 * refresh token is revoked, so a failed exchange changes nothing. A refresh token this one replaces
 * is revoked once the new one is stored, so it neither lingers nor counts against Zoho's limit.
 */
export async function exchangeGrantCode(
  deps: ExchangeDependencies,
  event: GrantCodeEvent,
): Promise<ExchangeResult> {
  const stored = (await deps.store.readCredentials()).value;
  const clientId = event.client?.clientId ?? stored.client_id;
  const clientSecret = event.client?.clientSecret ?? stored.client_secret;
  if (!clientId || !clientSecret) {
    throw new NotConnectedError(
      `No Zoho client id and secret: pass "client_id" and "client_secret" in the event, or put them into the ` +
        `credentials secret ${deps.credentialsSecretId} as {"client_id": "...", "client_secret": "..."}.`,
    );
  }

  const grant = await deps.zoho.exchangeGrantCode({ clientId, clientSecret }, event.code);
  const connectedAt = grant.receivedAt.toISOString();
  const credentials: CredentialsDocument = {
    client_id: clientId,
    client_secret: clientSecret,
    refresh_token: grant.refreshToken,
    accounts_url: deps.accountsUrl,
    api_domain: grant.apiDomain,
    ...(grant.scope ? { scope: grant.scope } : {}),
    connected_at: connectedAt,
  };

  // The credentials go first: they hold the new refresh token, the one thing that cannot be minted
  // again. A refresh run that sees them ahead of the access token waits for this exchange to finish.
  let written: { readonly replaced: StoredCredentials; readonly versionId: string } | undefined;
  try {
    written = await deps.store.replaceCredentials(() => credentials);
    await deps.store.replaceTokenRecord((current) => ({
      token: {
        access_token: grant.accessToken,
        api_domain: grant.apiDomain,
        token_type: grant.tokenType,
        expires_at: grant.expiresAt.toISOString(),
        refreshed_at: connectedAt,
      },
      fields: {
        connection_state: 'connected',
        state_since: connectedAt,
        connected_at: connectedAt,
        last_failure_at: current.fields.last_failure_at,
        last_failure_error: current.fields.last_failure_error,
      },
    }));
  } catch (error) {
    throw await undoExchange(deps, written, grant.refreshToken, error);
  }

  const replacedToken = written.replaced.refresh_token;
  const previous =
    replacedToken && replacedToken !== grant.refreshToken
      ? await revokeReplaced(deps, replacedToken)
      : undefined;
  return {
    status: 'connected',
    api_domain: grant.apiDomain,
    ...(grant.scope ? { scope: grant.scope } : {}),
    expires_at: grant.expiresAt.toISOString(),
    ...(previous ? { previous_refresh_token: previous } : {}),
  };
}

async function revokeReplaced(
  deps: ExchangeDependencies,
  refreshToken: string,
): Promise<ReplacedRefreshToken> {
  try {
    const { alreadyInvalid } = await deps.zoho.revokeRefreshToken(refreshToken);
    return alreadyInvalid ? 'already-invalid' : 'revoked';
  } catch (error) {
    deps.onSidePathFailure?.('revoke the refresh token this connection replaced', error);
    return 'revoke-failed';
  }
}

/**
 * Puts the credentials back (unless another writer changed them since) and then revokes the refresh
 * token Zoho just issued, and says so in the failure's message (keeping its name, which tells the
 * operator what to fix). If the credentials cannot be put back, the new refresh token may be the
 * one stored now: it is kept valid rather than revoked, so the connection keeps working.
 */
async function undoExchange(
  deps: ExchangeDependencies,
  written: { readonly replaced: StoredCredentials; readonly versionId: string } | undefined,
  newRefreshToken: string,
  error: unknown,
): Promise<unknown> {
  let outcome: string;
  try {
    const restored = written
      ? await deps.store.putCredentials(written.replaced, written.versionId)
      : undefined;
    const what =
      restored === undefined
        ? 'nothing had been stored'
        : restored.written
          ? 'the credentials were put back as they were'
          : 'the credentials had been changed again by another writer, which was kept';
    try {
      await deps.zoho.revokeRefreshToken(newRefreshToken);
      outcome = `${what}, and the new refresh token was revoked at Zoho (so it does not count against Zoho's 20 per client)`;
    } catch (revokeError) {
      deps.onSidePathFailure?.('revoke the refresh token of a failed exchange', revokeError);
      outcome = `${what}; the new refresh token could not be revoked at Zoho (${nameOf(revokeError)})`;
    }
  } catch (restoreError) {
    deps.onSidePathFailure?.('put the credentials back after a failed exchange', restoreError);
    outcome =
      `the credentials could not be put back (${nameOf(restoreError)}), so the credentials secret may now hold the ` +
      'new refresh token: it was kept valid so that the connection keeps working. Once the cause is fixed, invoke ' +
      'the refresh function with {"force": true}; if that works, no new code is needed';
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
