import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import type { CliClients } from './clients.js';

export interface AlarmStatus {
  readonly name: string;
  readonly state: string;
  /** The alarm's description: what it means and the operator's next step. */
  readonly description: string | undefined;
}

/**
 * The connection's CloudWatch alarms, by their fixed names (infra/connection-names.ts): found the
 * same way whichever stack holds the connection. Names that do not exist are left out by AWS.
 */
export async function connectionAlarms(
  clients: CliClients,
  alarmNames: readonly string[],
): Promise<AlarmStatus[]> {
  // Far fewer than the 100 names DescribeAlarms takes per call.
  const answer = await clients.cloudWatch.send(new DescribeAlarmsCommand({ AlarmNames: [...alarmNames] }));
  const alarms: AlarmStatus[] = [];
  for (const alarm of answer.MetricAlarms ?? []) {
    if (!alarm.AlarmName) continue;
    alarms.push({
      name: alarm.AlarmName,
      state: alarm.StateValue ?? 'UNKNOWN',
      description: alarm.AlarmDescription,
    });
  }
  return alarms.sort((a, b) => a.name.localeCompare(b.name));
}
