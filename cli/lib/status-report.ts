import { GetScheduleCommand } from '@aws-sdk/client-scheduler';
import { isConnected } from '../../functions/lib/documents.js';
import { DEFAULT_SCHEDULE_GROUP } from '../../functions/lib/environment.js';
import { hasErrorName } from '../../functions/lib/errors.js';
import { followUpScheduleName, RefreshSchedule } from '../../functions/lib/schedule/refresh-schedule.js';
import { TokenStore } from '../../functions/lib/store/token-store.js';
import { stackAlarms } from './alarms.js';
import { awsFailure } from './aws-errors.js';
import type { CliClients } from './clients.js';
import { assessHealth, type Health } from './health.js';
import { describeDataCentre, minutesUntil } from './output.js';
import { type ConnectionStack, deployedAccountsUrl } from './stack.js';

/**
 * Everything `status` shows, and its `--json` form. Built from the secrets field by field, so no
 * token, refresh token or client secret can reach it.
 */
export interface StatusReport {
  readonly connection: string | null;
  readonly stack: string;
  readonly region: string | null;
  readonly health: Health;
  readonly connected: boolean;
  readonly client_stored: boolean;
  readonly data_centre: string | null;
  readonly api_domain: string | null;
  readonly scope: string | null;
  readonly connected_at: string | null;
  readonly token: {
    readonly expires_at: string;
    readonly expires_in_minutes: number;
    readonly refreshed_at: string;
  } | null;
  readonly schedule: {
    readonly name: string;
    readonly state: 'ENABLED' | 'DISABLED';
    readonly expression: string;
    readonly follow_up: { readonly name: string; readonly expression: string } | null;
  };
  readonly alarms: ReadonlyArray<{ readonly name: string; readonly state: string }>;
  readonly actions: readonly string[];
}

export async function gatherStatus(clients: CliClients, stack: ConnectionStack): Promise<StatusReport> {
  const { outputs, target } = stack;
  const store = new TokenStore({
    client: clients.secretsManager,
    credentialsSecretId: outputs.credentialsSecretArn,
    accessTokenSecretId: outputs.accessTokenSecretArn,
  });
  const schedule = new RefreshSchedule({
    client: clients.scheduler,
    name: outputs.refreshScheduleName,
    group: DEFAULT_SCHEDULE_GROUP,
  });
  const attempt = async <T>(action: string, read: () => Promise<T>): Promise<T> => {
    try {
      return await read();
    } catch (error) {
      throw awsFailure(error, { action, region: stack.region, profile: target.profile });
    }
  };
  const [credentials, accessToken, scheduleState, followUp, alarms, deployedUrl] = await Promise.all([
    attempt(`read the credentials secret ${outputs.credentialsSecretName}`, () => store.readCredentials()),
    attempt(`read the access-token secret ${outputs.accessTokenSecretName}`, () => store.readAccessToken()),
    attempt(`read the refresh schedule ${outputs.refreshScheduleName}`, () => schedule.describe()),
    attempt('read the follow-up refresh schedule', () => readFollowUp(clients, outputs.refreshScheduleName)),
    attempt(`list the alarms of the stack ${target.stackName}`, () => stackAlarms(clients, target.stackName)),
    deployedAccountsUrl(clients, stack),
  ]);

  const now = clients.now();
  const connected = isConnected(credentials) && accessToken !== undefined;
  const accountsUrl = credentials.accounts_url ?? deployedUrl;
  const { health, actions } = assessHealth(
    {
      connected,
      clientStored: Boolean(credentials.client_id && credentials.client_secret),
      tokenExpiresAt: accessToken?.expires_at,
      scheduleState: scheduleState.state,
      alarms,
    },
    { target, accountsUrl, refreshFunctionName: outputs.refreshFunctionName, now },
  );
  return {
    connection: target.connectionName ?? null,
    stack: target.stackName,
    region: stack.region ?? null,
    health,
    connected,
    client_stored: Boolean(credentials.client_id && credentials.client_secret),
    data_centre: describeDataCentre(accountsUrl) ?? null,
    api_domain: connected ? (accessToken?.api_domain ?? credentials.api_domain ?? null) : null,
    scope: connected ? (credentials.scope ?? null) : null,
    connected_at: connected ? (credentials.connected_at ?? null) : null,
    token:
      connected && accessToken
        ? {
            expires_at: accessToken.expires_at,
            expires_in_minutes: minutesUntil(accessToken.expires_at, now),
            refreshed_at: accessToken.refreshed_at,
          }
        : null,
    schedule: {
      name: outputs.refreshScheduleName,
      state: scheduleState.state,
      expression: scheduleState.expression,
      follow_up: followUp ?? null,
    },
    alarms: alarms.map(({ name, state }) => ({ name, state })),
    actions,
  };
}

/** The one-time follow-up the refresh function arranges after a passing failure, if one is pending. */
async function readFollowUp(
  clients: CliClients,
  scheduleName: string,
): Promise<{ name: string; expression: string } | undefined> {
  const name = followUpScheduleName(scheduleName);
  try {
    const answer = await clients.scheduler.send(
      new GetScheduleCommand({ Name: name, GroupName: DEFAULT_SCHEDULE_GROUP }),
    );
    return { name, expression: answer.ScheduleExpression ?? '' };
  } catch (error) {
    if (hasErrorName(error, 'ResourceNotFoundException')) return undefined;
    throw error;
  }
}
