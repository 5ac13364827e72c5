import type { AlarmStatus } from './alarms.js';
import { commandLine, type Target } from './args.js';
import { apiConsole, minutesUntil, plural } from './output.js';

export type Health = 'healthy' | 'not-connected' | 'needs-attention';

/** What `status` found, without any secret value. */
export interface HealthFacts {
  readonly connected: boolean;
  readonly clientStored: boolean;
  readonly tokenExpiresAt: string | undefined;
  readonly scheduleState: 'ENABLED' | 'DISABLED';
  readonly alarms: readonly AlarmStatus[];
}

export interface HealthContext {
  readonly target: Target;
  readonly accountsUrl: string | undefined;
  readonly refreshFunctionName: string;
  readonly now: Date;
}

const RUNBOOK = 'the README, "Alarms: runbook"';

/** The verdict and, when something is wrong, what the operator should do about each problem. */
export function assessHealth(
  facts: HealthFacts,
  context: HealthContext,
): { health: Health; actions: string[] } {
  const connect = `generate a grant code in ${apiConsole(context.accountsUrl)} (Self Client > Generate Code) and run ${commandLine('connect', context.target, ['--code', '<grant code>'])}`;
  const actions: string[] = [];
  if (!facts.connected) {
    const client = facts.clientStored
      ? ''
      : ' No client id and secret are stored yet: you will be asked for them (or set ZOHO_CLIENT_ID and ZOHO_CLIENT_SECRET).';
    actions.push(`Not connected: ${connect}.${client}`);
    if (facts.scheduleState === 'ENABLED') {
      actions.push(
        'The refresh schedule is enabled although nothing is connected, so every run fails: connect, or run ' +
          `${commandLine('disconnect', context.target)} to switch it off.`,
      );
    }
  } else {
    const minutesLeft =
      facts.tokenExpiresAt === undefined ? undefined : minutesUntil(facts.tokenExpiresAt, context.now);
    if (facts.tokenExpiresAt !== undefined && Date.parse(facts.tokenExpiresAt) <= context.now.getTime()) {
      actions.push(
        `The access token expired ${plural(-(minutesLeft ?? 0), 'minute')} ago, so refreshes are failing or not running: ` +
          `see ${RUNBOOK}. To try a refresh now: aws lambda invoke --function-name ${context.refreshFunctionName} ` +
          `--cli-binary-format raw-in-base64-out --payload '{"force": true}' /dev/stdout`,
      );
    }
    if (facts.scheduleState === 'DISABLED') {
      actions.push(
        'The refresh schedule is disabled although tokens are stored: a redeploy switched it back off ' +
          '(CloudFormation re-applies its disabled state), or the refresh token was revoked ' +
          `(RefreshTokenRevokedError in the refresh function's log). To reconnect, ${connect}; after a redeploy, ` +
          'enabling the schedule in the EventBridge Scheduler console also works.',
      );
    }
  }
  for (const alarm of facts.alarms) {
    if (alarm.state !== 'ALARM') continue;
    const meaning = alarm.description ? ` ${alarm.description}` : '';
    actions.push(`Alarm ${alarm.name} is in ALARM.${meaning} See ${RUNBOOK}.`);
  }
  const health: Health = !facts.connected
    ? 'not-connected'
    : actions.length > 0
      ? 'needs-attention'
      : 'healthy';
  return { health, actions };
}
