import type { DisconnectResult } from '../lib/connection-status.js';
import { ConfigError } from '../lib/errors.js';
import type { RefreshSchedule } from '../lib/schedule/refresh-schedule.js';
import type { TokenStore } from '../lib/store/token-store.js';
import type { ZohoAccountsClient } from '../lib/zoho/accounts-client.js';

export interface DisconnectDependencies {
  readonly store: Pick<TokenStore, 'readCredentials' | 'replaceCredentials' | 'replaceTokenRecord'>;
  readonly zoho: Pick<ZohoAccountsClient, 'revokeRefreshToken'>;
  readonly schedule: Pick<RefreshSchedule, 'cancelFollowUp'>;
  readonly accountsUrl: string;
  readonly now: () => Date;
  readonly onSidePathFailure?: (action: string, error: unknown) => void;
}

/**
 * Ends the connection from AWS, so the operator's machine never holds the refresh token nor needs a
 * route to Zoho. The refresh token is revoked first (which revokes every access token made from it):
 * if Zoho cannot be reached nothing changes and the connection keeps working. Then the state is
 * stored as not connected and the tokens are cleared; the client id and secret stay, so a reconnect
 * needs only a grant code. The refresh schedule stays on: its runs make no Zoho call while not connected.
 */
export async function disconnect(deps: DisconnectDependencies): Promise<DisconnectResult> {
  const credentials = (await deps.store.readCredentials()).value;
  let refreshToken: DisconnectResult['refresh_token'] = 'none-stored';
  if (credentials.refresh_token) {
    if (credentials.accounts_url && credentials.accounts_url !== deps.accountsUrl) {
      throw new ConfigError(
        `The connection was made with the accounts server ${credentials.accounts_url}, but this function is ` +
          `configured with ${deps.accountsUrl} (ZOHO_ACCOUNTS_URL), where its refresh token cannot be revoked. ` +
          'Nothing was changed. Redeploy with the data centre the connection was made in, then disconnect again.',
      );
    }
    const { alreadyInvalid } = await deps.zoho.revokeRefreshToken(credentials.refresh_token);
    refreshToken = alreadyInvalid ? 'already-invalid' : 'revoked';
  }

  const now = deps.now().toISOString();
  // The state first: a refresh run that starts now stops at its first read.
  await deps.store.replaceTokenRecord((current) => ({
    token: undefined,
    fields: {
      connection_state: 'not-connected',
      state_reason: 'disconnected',
      state_since: now,
      last_failure_at: current.fields.last_failure_at,
      last_failure_error: current.fields.last_failure_error,
    },
  }));
  await deps.store.replaceCredentials((current) => ({
    client_id: current.client_id,
    client_secret: current.client_secret,
    accounts_url: current.accounts_url,
  }));
  try {
    await deps.schedule.cancelFollowUp();
  } catch (error) {
    deps.onSidePathFailure?.('cancel the pending follow-up run', error);
  }
  return { status: 'disconnected', refresh_token: refreshToken };
}
