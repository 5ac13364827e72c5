import type { ConnectionStatus } from '../lib/connection-status.js';
import { isConnected } from '../lib/documents.js';
import type { RefreshSchedule, ScheduleState } from '../lib/schedule/refresh-schedule.js';
import { type StateStore, writesWithin24Hours } from '../lib/store/connection-item.js';
import { rebuildState } from '../lib/store/rebuild-state.js';
import type { TokenStore } from '../lib/store/token-store.js';

export interface DescribeDependencies {
  readonly state: Pick<StateStore, 'read'>;
  readonly store: Pick<TokenStore, 'readCredentials' | 'readTokenRecord'>;
  readonly now: () => Date;
  readonly schedule: Pick<RefreshSchedule, 'describe' | 'followUpTime'>;
  readonly scheduleName: string;
  /** The accounts server this function is configured with, reported until a connection records its own. */
  readonly accountsUrl: string;
}

/**
 * What an operator may know about the connection: its state from the table (or, before any run
 * stored one, as the secrets tell it), the non-secret fields of the credentials, and the schedules.
 * Never a token or the client secret. Reads only: it takes no lease.
 */
export async function describeConnection(deps: DescribeDependencies): Promise<ConnectionStatus> {
  const credentials = await deps.store.readCredentials();
  const item = (await deps.state.read()) ?? (await rebuildState(deps.store));
  const schedule: ScheduleState = await deps.schedule.describe();
  const followUp = await deps.schedule.followUpTime();
  // The table saying connected next to credentials without a refresh token: they were cleared by hand.
  const state = item.state !== 'not-connected' && !isConnected(credentials) ? 'not-connected' : item.state;
  const connected = state !== 'not-connected';
  const now = deps.now();
  return withoutUndefined({
    connection_state: state,
    state_reason: item.stateReason,
    state_since: item.stateSince,
    client_stored: Boolean(credentials.client_id && credentials.client_secret),
    client_id: credentials.client_id,
    accounts_url: credentials.accounts_url ?? deps.accountsUrl,
    api_domain: connected ? credentials.api_domain : undefined,
    scope: connected ? credentials.scope : undefined,
    connected_at: connected ? credentials.connected_at : undefined,
    expires_at: connected ? item.expiresAt : undefined,
    refreshed_at: connected ? item.refreshedAt : undefined,
    last_failure_at: item.lastFailureAt,
    last_failure_error: item.lastFailureError,
    retry_after: item.retryAfter,
    token_versions_24h: writesWithin24Hours(item.tokenWrites, now).length,
    forced_refreshes_24h: writesWithin24Hours(item.forcedWrites, now).length,
    schedule_name: deps.scheduleName,
    schedule_state: schedule.state,
    schedule_expression: schedule.expression,
    follow_up_at: followUp?.toISOString(),
  });
}

/** A JSON answer with absent fields rather than nulls, as the contract's documents have. */
function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined)) as T;
}
