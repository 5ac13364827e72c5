import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { connectionNames } from '../../infra/connection-names.js';
import { ref, type Synthesised, synthesise } from './connection-test-kit.js';

beforeAll(() => {
  vi.stubEnv('CDK_VALIDATION', 'false');
});
afterAll(() => {
  vi.unstubAllEnvs();
});

let synthesised: Synthesised;
beforeAll(() => {
  synthesised = synthesise();
});

function descriptionOf(suffix: string): string {
  const alarms = Object.values(synthesised.template.findResources('AWS::CloudWatch::Alarm')).map(
    (alarm) => (alarm as { Properties: { AlarmName: string; AlarmDescription: string } }).Properties,
  );
  const alarm = alarms.find((candidate) => candidate.AlarmName === `zoho-token-keeper-crm-${suffix}`);
  if (!alarm) throw new Error(`no alarm ${suffix}`);
  return alarm.AlarmDescription;
}

describe('the silence alarm', () => {
  it('fires when the refresh function was not invoked at all for 2 hours, missing data included', () => {
    const { template, stack, connection } = synthesised;
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'zoho-token-keeper-crm-refresh-silent',
      Namespace: 'AWS/Lambda',
      MetricName: 'Invocations',
      Dimensions: [{ Name: 'FunctionName', Value: ref(stack, connection.refreshFunction.functionName) }],
      Statistic: 'Sum',
      Period: 7200,
      EvaluationPeriods: 1,
      ComparisonOperator: 'LessThanThreshold',
      Threshold: 1,
      // A deleted or disabled schedule produces no data at all: that must raise it.
      TreatMissingData: 'breaching',
    });
    expect(connection.alarms.refreshSilent.alarmName).toBeDefined();
  });

  it('names the schedule, the command that shows it and the fix', () => {
    const description = descriptionOf('refresh-silent');
    expect(description).toContain('zoho-token-keeper-crm-refresh');
    expect(description).toContain('npx zoho-token-keeper status --connection crm');
    expect(description).toMatch(/deleted or disabled/);
    expect(description).toMatch(/redeploy the stack/);
  });
});

describe('the write-budget alarm', () => {
  it('fires when a forced refresh was refused within the hour', () => {
    synthesised.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'zoho-token-keeper-crm-forced-refresh-refused',
      Namespace: 'ZohoTokenKeeper',
      MetricName: 'ForcedRefreshRefused',
      Dimensions: [{ Name: 'service', Value: 'crm' }],
      Statistic: 'Sum',
      Period: 3600,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Threshold: 1,
      TreatMissingData: 'notBreaching',
    });
  });

  it('names the likely cause: a consumer rejected for a reason a new token cannot fix', () => {
    const description = descriptionOf('forced-refresh-refused');
    expect(description).toContain('RefreshBudgetExhaustedError');
    expect(description).toMatch(/data centre/);
    expect(description).toMatch(/scope/);
    expect(description).toMatch(/organisation/);
    expect(description).toMatch(/Scheduled refreshes go on/);
  });
});

describe('the health-event alarm', () => {
  it('fires when a state change could not be put on EventBridge', () => {
    synthesised.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'zoho-token-keeper-crm-health-event-not-published',
      MetricName: 'HealthEventNotPublished',
      Dimensions: [{ Name: 'service', Value: 'crm' }],
      Statistic: 'Sum',
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Threshold: 1,
    });
    expect(descriptionOf('health-event-not-published')).toMatch(/events:PutEvents/);
  });
});

describe('alarm names and runbooks', () => {
  it('are exactly the names status reads', () => {
    const names = Object.values(synthesised.template.findResources('AWS::CloudWatch::Alarm')).map(
      (alarm) => (alarm as { Properties: { AlarmName: string } }).Properties.AlarmName,
    );
    expect([...names].sort()).toEqual([...connectionNames('crm').alarms].sort());
  });

  it('tell the operator to run the installed command, never an npm script of a checkout', () => {
    for (const suffix of ['refresh-silent', 'forced-refresh-refused', 'health-event-not-published']) {
      expect(descriptionOf(suffix)).not.toMatch(/npm run/);
      expect(descriptionOf(suffix).length).toBeLessThanOrEqual(1024);
    }
  });

  it('show refresh invocations, refused forced refreshes and lost health events on the dashboard', () => {
    // Metrics as the dashboard body spells them (the alarm widget's logical ids hold the names too).
    const body = JSON.stringify(synthesised.template.findResources('AWS::CloudWatch::Dashboard'));
    for (const expected of [
      '[\\"AWS/Lambda\\",\\"Invocations\\"',
      '[\\"ZohoTokenKeeper\\",\\"ForcedRefreshRefused\\"',
      '[\\"ZohoTokenKeeper\\",\\"HealthEventNotPublished\\"',
    ]) {
      expect(body).toContain(expected);
    }
  });
});
