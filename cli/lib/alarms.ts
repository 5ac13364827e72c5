import { paginateListStackResources } from '@aws-sdk/client-cloudformation';
import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import type { CliClients } from './clients.js';

export interface AlarmStatus {
  readonly name: string;
  readonly state: string;
  /** The alarm's description: what it means and the operator's next step. */
  readonly description: string | undefined;
}

const ALARM_RESOURCE_TYPE = 'AWS::CloudWatch::Alarm';
/** DescribeAlarms takes at most 100 names per call. */
const NAMES_PER_CALL = 100;

/** The CloudWatch alarms the stack created, found through its resources rather than by name. */
export async function stackAlarms(clients: CliClients, stackName: string): Promise<AlarmStatus[]> {
  const names: string[] = [];
  for await (const page of paginateListStackResources(
    { client: clients.cloudFormation },
    { StackName: stackName },
  )) {
    for (const resource of page.StackResourceSummaries ?? []) {
      if (resource.ResourceType === ALARM_RESOURCE_TYPE && resource.PhysicalResourceId) {
        names.push(resource.PhysicalResourceId);
      }
    }
  }
  const alarms: AlarmStatus[] = [];
  for (let start = 0; start < names.length; start += NAMES_PER_CALL) {
    const answer = await clients.cloudWatch.send(
      new DescribeAlarmsCommand({ AlarmNames: names.slice(start, start + NAMES_PER_CALL) }),
    );
    for (const alarm of answer.MetricAlarms ?? []) {
      if (!alarm.AlarmName) continue;
      alarms.push({
        name: alarm.AlarmName,
        state: alarm.StateValue ?? 'UNKNOWN',
        description: alarm.AlarmDescription,
      });
    }
  }
  return alarms.sort((a, b) => a.name.localeCompare(b.name));
}
