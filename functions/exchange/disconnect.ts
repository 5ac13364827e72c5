import type { DisconnectResult } from '../lib/connection-status.js';
import type { RefreshSchedule } from '../lib/schedule/refresh-schedule.js';
import { writesWithin24Hours } from '../lib/store/connection-item.js';
import type { TokenStore } from '../lib/store/token-store.js';
import type { ZohoAccountsClient } from '../lib/zoho/accounts-client.js';
import { type OperatorLeaseDependencies, takeOperatorLease } from './operator-lease.js';

export interface DisconnectDependencies extends OperatorLeaseDependencies {
  readonly store: Pick<
    TokenStore,
    'readCredentials' | 'readTokenRecord' | 'putCredentials' | 'putTokenRecord'
  >;
  readonly zoho: Pick<ZohoAccountsClient, 'revokeRefreshToken'>;
  readonly schedule: Pick<RefreshSchedule, 'cancelFollowUp'>;
  readonly accountsUrl: string;
  readonly onSidePathFailure?: (action: string, error: unknown) => void;
}

/**
 * Ends the connection from AWS, so the operator's machine never holds the refresh token nor needs a
 * route to Zoho. It takes the connection's lease first, so no refresh or connect writes meanwhile;
 * then it revokes the refresh token at the accounts server that issued it (which revokes every access
 * token made from it): if Zoho cannot be reached nothing changes and the connection keeps working.
 * Then the tokens are cleared and the state stored as not connected; the client id and secret stay,
 * so a reconnect needs only a grant code. The refresh schedule stays on: its runs make no Zoho call
 * while not connected.
 */
export async function disconnect(deps: DisconnectDependencies): Promise<DisconnectResult> {
  const lease = await takeOperatorLease(deps, 'disconnect');
  try {
    const credentials = await deps.store.readCredentials();
    let refreshToken: DisconnectResult['refresh_token'] = 'none-stored';
    if (credentials.refresh_token) {
      const { alreadyInvalid } = await deps.zoho.revokeRefreshToken(
        credentials.refresh_token,
        credentials.accounts_url ?? deps.accountsUrl,
      );
      refreshToken = alreadyInvalid ? 'already-invalid' : 'revoked';
    }

    const now = deps.now();
    // The access token first: consumers read "not connected" from the moment the tokens are gone.
    const versionId = await deps.store.putTokenRecord(undefined, 'not-connected');
    await deps.store.putCredentials({
      client_id: credentials.client_id,
      client_secret: credentials.client_secret,
      accounts_url: credentials.accounts_url,
    });
    const item = lease.item;
    await lease.commit(
      {
        state: 'not-connected',
        stateReason: 'disconnected',
        stateSince: now.toISOString(),
        tokenVersionId: versionId,
        ...(item.lastFailureAt ? { lastFailureAt: item.lastFailureAt } : {}),
        ...(item.lastFailureError ? { lastFailureError: item.lastFailureError } : {}),
        tokenWrites: writesWithin24Hours(item.tokenWrites, now, now),
        forcedWrites: writesWithin24Hours(item.forcedWrites, now),
      },
      now,
    );
    try {
      await deps.schedule.cancelFollowUp();
    } catch (error) {
      deps.onSidePathFailure?.('cancel the pending follow-up run', error);
    }
    return { status: 'disconnected', refresh_token: refreshToken };
  } finally {
    await lease.end(deps.onSidePathFailure);
  }
}
