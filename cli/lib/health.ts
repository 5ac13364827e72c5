import type { ConnectionStatus } from '../../functions/lib/connection-status.js';
import type { AlarmStatus } from './alarms.js';
import { commandLine, type Target } from './args.js';
import { apiConsole, describeAge, minutesUntil, plural } from './output.js';

export type Health = 'healthy' | 'not-connected' | 'needs-attention';

export interface HealthContext {
  readonly target: Target;
  readonly now: Date;
}

const RUNBOOK = 'docs/operating.md, "Alarms: runbook"';

/**
 * The verdict and, when something is wrong, what the operator should do about each problem.
 * `not-connected` wins over everything else: nothing can be healthy before a connect.
 */
export function assessHealth(
  status: ConnectionStatus,
  alarms: readonly AlarmStatus[],
  context: HealthContext,
): { health: Health; actions: string[] } {
  const connect = `generate a grant code in ${apiConsole(status.accounts_url)} (Self Client > Generate Code) and run ${commandLine('connect', context.target, ['--code', '<grant code>'])}`;
  const actions: string[] = [];
  if (status.connection_state === 'not-connected') {
    const client = status.client_stored
      ? ''
      : ' No client id and secret are stored yet: you will be asked for them (or set ZOHO_CLIENT_ID and ZOHO_CLIENT_SECRET).';
    actions.push(`Not connected: ${connect}.${client}`);
  }
  if (status.connection_state === 'needs-reconnect') {
    const since = status.state_since ? ` since ${status.state_since}` : '';
    actions.push(
      `Zoho no longer accepts the stored refresh token (${status.state_reason ?? 'revoked or deleted'})${since}, so no ` +
        `refresh calls Zoho any more. To reconnect, ${connect} (only a new grant code is needed).`,
    );
  }
  if (status.connection_state === 'connected' || status.connection_state === 'failing') {
    actions.push(...connectedProblems(status, context));
  }
  actions.push(...scheduleProblems(status));
  for (const alarm of alarms) {
    if (alarm.state !== 'ALARM') continue;
    const meaning = alarm.description ? ` ${alarm.description}` : '';
    actions.push(`Alarm ${alarm.name} is in ALARM.${meaning} See ${RUNBOOK}.`);
  }
  const health: Health =
    status.connection_state === 'not-connected'
      ? 'not-connected'
      : actions.length > 0
        ? 'needs-attention'
        : 'healthy';
  return { health, actions };
}

function connectedProblems(status: ConnectionStatus, context: HealthContext): string[] {
  const problems: string[] = [];
  const expiresAt = status.expires_at;
  if (expiresAt !== undefined && Date.parse(expiresAt) <= context.now.getTime()) {
    problems.push(
      `The access token expired ${plural(-minutesUntil(expiresAt, context.now), 'minute')} ago, so refreshes are ` +
        `failing or not running: see ${RUNBOOK}. To try a refresh now, invoke the connection's refresh function ` +
        `(described "Refreshes the Zoho access token (connection ${context.target.connectionName})" in the Lambda ` +
        `console) with {"force": true}; its log is ${context.target.names.logGroupPrefix}/refresh.`,
    );
  }
  const failedAt = status.last_failure_at;
  const refreshedAt = status.refreshed_at;
  if (
    failedAt !== undefined &&
    (refreshedAt === undefined || Date.parse(failedAt) > Date.parse(refreshedAt))
  ) {
    const pause =
      status.retry_after !== undefined && Date.parse(status.retry_after) > context.now.getTime()
        ? ` Runs make no Zoho call until ${status.retry_after} (${describeAge(status.retry_after, context.now)}).`
        : '';
    const error = status.last_failure_error ?? 'an unnamed error';
    problems.push(
      `The last refresh failed with ${error} (${describeAge(failedAt, context.now)}) and none has succeeded ` +
        `since.${pause} See ${error} in docs/troubleshooting.md.`,
    );
  }
  return problems;
}

function scheduleProblems(status: ConnectionStatus): string[] {
  if (status.schedule_state === 'ENABLED') return [];
  if (status.schedule_state === 'DISABLED') {
    return [
      `The refresh schedule ${status.schedule_name} is DISABLED. Nothing switches it off at runtime, so someone did ` +
        'by hand, and no scheduled refresh runs. Enable it again in the EventBridge Scheduler console.',
    ];
  }
  return [
    `The exchange function could not read the refresh schedule ${status.schedule_name}: if it was deleted, deploy ` +
      'again (npx cdk deploy) to restore it.',
  ];
}
