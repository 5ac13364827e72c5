import type { ConnectionState, ConnectionStatus } from '../../functions/lib/connection-status.js';
import { connectionAlarms } from './alarms.js';
import { awsFailure } from './aws-errors.js';
import type { CliClients } from './clients.js';
import type { Connection } from './connection.js';
import { adviceFor } from './contract-advice.js';
import { requestStatus } from './exchange-function.js';
import { assessHealth, type Health } from './health.js';
import { describeDataCentre, minutesUntil } from './output.js';

/**
 * Everything `status` shows, and its `--json` form. Built from the exchange function's status
 * answer, which holds no token or secret; a client id is an identifier shown in the API Console.
 */
export interface StatusReport {
  readonly connection: string;
  /** The function asked, by its fixed name: whichever stack the connection is deployed in. */
  readonly exchange_function: string;
  readonly region: string | null;
  readonly health: Health;
  readonly connection_state: ConnectionState;
  /** Why the state is what it is (set for needs-reconnect), and since when. */
  readonly state_reason: string | null;
  readonly state_since: string | null;
  readonly client_stored: boolean;
  readonly client_id: string | null;
  readonly data_centre: string | null;
  readonly api_domain: string | null;
  readonly scope: string | null;
  readonly connected_at: string | null;
  readonly token: {
    readonly expires_at: string;
    readonly expires_in_minutes: number;
    readonly refreshed_at: string | null;
  } | null;
  readonly last_failure: { readonly at: string; readonly error: string | null } | null;
  readonly retry_after: string | null;
  readonly schedule: {
    readonly name: string;
    /** Null when the exchange function could not read it. */
    readonly state: 'ENABLED' | 'DISABLED' | null;
    readonly expression: string | null;
    readonly follow_up_at: string | null;
  };
  readonly alarms: ReadonlyArray<{ readonly name: string; readonly state: string }>;
  readonly actions: readonly string[];
}

export async function gatherStatus(clients: CliClients, connection: Connection): Promise<StatusReport> {
  const { target } = connection;
  const [status, alarms] = await Promise.all([
    requestStatus(clients, connection, adviceFor(connection, undefined)),
    connectionAlarms(clients, target.names.alarms).catch((error: unknown) => {
      throw awsFailure(error, {
        service: 'Amazon CloudWatch',
        action: `read the alarms of connection "${target.connectionName}" (DescribeAlarms)`,
        permission: 'cloudwatch:DescribeAlarms',
        region: connection.region,
        profile: target.profile,
        timeouts: clients.timeouts,
      });
    }),
  ]);
  const now = clients.now();
  const { health, actions } = assessHealth(status, alarms, { target, now });
  return {
    connection: target.connectionName,
    exchange_function: target.names.exchangeFunction,
    region: connection.region ?? null,
    health,
    ...describeConnection(status),
    token: status.expires_at
      ? {
          expires_at: status.expires_at,
          expires_in_minutes: minutesUntil(status.expires_at, now),
          refreshed_at: status.refreshed_at ?? null,
        }
      : null,
    last_failure: status.last_failure_at
      ? { at: status.last_failure_at, error: status.last_failure_error ?? null }
      : null,
    retry_after: status.retry_after ?? null,
    schedule: {
      name: status.schedule_name,
      state: status.schedule_state ?? null,
      expression: status.schedule_expression ?? null,
      follow_up_at: status.follow_up_at ?? null,
    },
    alarms: alarms.map(({ name, state }) => ({ name, state })),
    actions,
  };
}

function describeConnection(status: ConnectionStatus) {
  return {
    connection_state: status.connection_state,
    state_reason: status.state_reason ?? null,
    state_since: status.state_since ?? null,
    client_stored: status.client_stored,
    client_id: status.client_id ?? null,
    data_centre: describeDataCentre(status.accounts_url) ?? null,
    api_domain: status.api_domain ?? null,
    scope: status.scope ?? null,
    connected_at: status.connected_at ?? null,
  };
}
