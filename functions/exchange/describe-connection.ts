import type { ConnectionStatus } from '../lib/connection-status.js';
import { isConnected } from '../lib/documents.js';
import type { RefreshSchedule, ScheduleState } from '../lib/schedule/refresh-schedule.js';
import type { TokenStore } from '../lib/store/token-store.js';

export interface DescribeDependencies {
  readonly store: Pick<TokenStore, 'readCredentials' | 'readTokenRecord'>;
  readonly schedule: Pick<RefreshSchedule, 'describe' | 'followUpTime'>;
  readonly scheduleName: string;
  /** The accounts server this function is configured with, reported until a connection records its own. */
  readonly accountsUrl: string;
}

/**
 * What an operator may know about the connection: its state and the non-secret fields of both
 * secrets and of the schedules. Never a token or the client secret.
 */
export async function describeConnection(deps: DescribeDependencies): Promise<ConnectionStatus> {
  const credentials = (await deps.store.readCredentials()).value;
  const record = (await deps.store.readTokenRecord()).value;
  const schedule: ScheduleState = await deps.schedule.describe();
  const followUp = await deps.schedule.followUpTime();
  // A record that says connected next to credentials without a refresh token is a disconnect half-done.
  const state = record.state === 'connected' && !isConnected(credentials) ? 'not-connected' : record.state;
  const connected = state !== 'not-connected';
  const fields = record.fields;
  return withoutUndefined({
    connection_state: state,
    state_reason: fields.state_reason,
    state_since: fields.state_since,
    client_stored: Boolean(credentials.client_id && credentials.client_secret),
    client_id: credentials.client_id,
    accounts_url: credentials.accounts_url ?? deps.accountsUrl,
    api_domain: connected ? (record.token?.api_domain ?? credentials.api_domain) : undefined,
    scope: connected ? credentials.scope : undefined,
    connected_at: connected ? credentials.connected_at : undefined,
    expires_at: record.token?.expires_at,
    refreshed_at: record.token?.refreshed_at,
    last_failure_at: fields.last_failure_at,
    last_failure_error: fields.last_failure_error,
    retry_after: fields.retry_after,
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
