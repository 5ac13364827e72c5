import type { ReplacedRefreshToken } from '../lib/connection-status.js';
import type { CredentialsDocument, StoredCredentials } from '../lib/documents.js';
import { NotConnectedError } from '../lib/errors.js';
import { writesWithin24Hours } from '../lib/store/connection-item.js';
import type { TokenStore } from '../lib/store/token-store.js';
import type { ZohoAccountsClient } from '../lib/zoho/accounts-client.js';
import type { GrantCodeEvent } from './exchange-event.js';
import { type OperatorLeaseDependencies, takeOperatorLease } from './operator-lease.js';

export interface ExchangeDependencies extends OperatorLeaseDependencies {
  readonly store: Pick<
    TokenStore,
    'readCredentials' | 'readTokenRecord' | 'putCredentials' | 'putTokenRecord'
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
 * refreshes. It first takes the connection's lease, so that no refresh and no other connect writes
 * meanwhile: two connects at once run one after the other, and the later one replaces (and revokes)
 * the refresh token of the earlier. Nothing is written unless Zoho answered with tokens, so a bad or
 * reused code leaves a working connection as it was; if storing fails half-way, the credentials are
 * put back and the new refresh token is revoked, so a failed exchange changes nothing. A refresh
 * token this one replaces is revoked once the new one is stored, at the accounts server that issued it.
 */
export async function exchangeGrantCode(
  deps: ExchangeDependencies,
  event: GrantCodeEvent,
): Promise<ExchangeResult> {
  const lease = await takeOperatorLease(deps, 'connect');
  try {
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
    const token = {
      access_token: grant.accessToken,
      api_domain: grant.apiDomain,
      token_type: grant.tokenType,
      expires_at: grant.expiresAt.toISOString(),
      refreshed_at: connectedAt,
    };

    // The credentials go first: they hold the new refresh token, the one thing that cannot be minted again.
    let credentialsWritten = false;
    let versionId: string;
    try {
      await deps.store.putCredentials(credentials);
      credentialsWritten = true;
      versionId = await deps.store.putTokenRecord(token, 'connected');
    } catch (error) {
      throw await undoExchange(deps, credentialsWritten ? stored : undefined, grant.refreshToken, error);
    }

    const now = deps.now();
    const item = lease.item;
    try {
      await lease.commit(
        {
          ...item,
          state: 'connected',
          stateReason: 'connected',
          stateSince: connectedAt,
          connectedAt,
          tokenVersionId: versionId,
          refreshedAt: connectedAt,
          expiresAt: token.expires_at,
          retryAfter: undefined,
          tokenWrites: writesWithin24Hours(item.tokenWrites, now, now),
          forcedWrites: writesWithin24Hours(item.forcedWrites, now),
        },
        now,
      );
    } catch (error) {
      // The secrets hold a working pair; the next refresh run sees the new version and records it.
      deps.onSidePathFailure?.('record the connection in the state table', error);
    }

    const replacedToken = stored.refresh_token;
    const previous =
      replacedToken && replacedToken !== grant.refreshToken
        ? await revokeReplaced(deps, replacedToken, stored.accounts_url ?? deps.accountsUrl)
        : undefined;
    return {
      status: 'connected',
      api_domain: grant.apiDomain,
      ...(grant.scope ? { scope: grant.scope } : {}),
      expires_at: token.expires_at,
      ...(previous ? { previous_refresh_token: previous } : {}),
    };
  } finally {
    await lease.end(deps.onSidePathFailure);
  }
}

async function revokeReplaced(
  deps: ExchangeDependencies,
  refreshToken: string,
  issuedBy: string,
): Promise<ReplacedRefreshToken> {
  try {
    const { alreadyInvalid } = await deps.zoho.revokeRefreshToken(refreshToken, issuedBy);
    return alreadyInvalid ? 'already-invalid' : 'revoked';
  } catch (error) {
    deps.onSidePathFailure?.('revoke the refresh token this connection replaced', error);
    return 'revoke-failed';
  }
}

/**
 * Puts the credentials back (the lease keeps every other writer out meanwhile) and then revokes the
 * refresh token Zoho just issued, and says so in the failure's message (keeping its name, which tells
 * the operator what to fix). If the credentials cannot be put back, the new refresh token may be the
 * one stored now: it is kept valid rather than revoked, so the connection keeps working.
 */
async function undoExchange(
  deps: ExchangeDependencies,
  replaced: StoredCredentials | undefined,
  newRefreshToken: string,
  error: unknown,
): Promise<unknown> {
  let outcome: string;
  try {
    if (replaced) await deps.store.putCredentials(replaced);
    const what = replaced ? 'the credentials were put back as they were' : 'nothing had been stored';
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
