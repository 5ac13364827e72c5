import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { METRIC_NAMESPACE, METRIC_SERVICE_DIMENSION, METRICS } from '../functions/lib/metric-names.js';

export interface ConnectionMonitoringProps {
  readonly connectionName: string;
  readonly alarmPrefix: string;
  readonly dashboardName: string;
  readonly exchangeFunction: lambda.IFunction;
  readonly refreshFunction: lambda.IFunction;
  readonly deadLetterQueue: sqs.IQueue;
  /** How often the refresh schedule runs: the stale-token alarm waits one and a half times that. */
  readonly refreshRate: Duration;
  /** @default - the alarms notify nobody */
  readonly alarmTopic?: sns.ITopic;
}

/** The alarms of one connection, each with the operator's next step, and one dashboard. */
export interface ConnectionAlarms {
  /** A refresh run failed. */
  readonly refreshFailed: cloudwatch.Alarm;
  /**
   * No refresh run ended with a fresh token for longer than one and a half schedule intervals,
   * including when the refresh function does not run at all (also before the first exchange).
   */
  readonly tokenStale: cloudwatch.Alarm;
  /** The stored access token expires in less than 10 minutes. */
  readonly tokenExpiring: cloudwatch.Alarm;
  /** The scheduler could not invoke the refresh function and gave up. */
  readonly deadLetters: cloudwatch.Alarm;
}

export class ConnectionMonitoring extends Construct {
  readonly alarms: ConnectionAlarms;
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: ConnectionMonitoringProps) {
    super(scope, id);
    const metric = (metricName: string, statistic: string, period: Duration) =>
      new cloudwatch.Metric({
        namespace: METRIC_NAMESPACE,
        metricName,
        dimensionsMap: { [METRIC_SERVICE_DIMENSION]: props.connectionName },
        statistic,
        period,
      });
    const fiveMinutes = Duration.minutes(5);
    const stalePeriod = Duration.minutes(Math.ceil(props.refreshRate.toMinutes() * 1.5));

    this.alarms = {
      refreshFailed: new cloudwatch.Alarm(this, 'RefreshFailed', {
        alarmName: `${props.alarmPrefix}-refresh-failed`,
        alarmDescription:
          'A refresh of the Zoho access token failed. Read the refresh function log for the error name: ' +
          'RefreshTokenRevokedError needs a new grant code exchanged; ZohoUnavailableError and ' +
          'ZohoRateLimitedError are retried by the follow-up schedule.',
        metric: metric(METRICS.refreshFailed, cloudwatch.Stats.SUM, fiveMinutes),
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        threshold: 1,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      tokenStale: new cloudwatch.Alarm(this, 'TokenStale', {
        alarmName: `${props.alarmPrefix}-token-stale`,
        alarmDescription:
          `No refresh run ended with a fresh Zoho access token for ${stalePeriod.toMinutes()} minutes, or the ` +
          'refresh function did not run at all. Run npm run status: it shows whether the refresh schedule is ' +
          'disabled (a redeploy that changes the schedule switches it back off) and what to do; the refresh ' +
          "function's log has the error of a failed run. Also in alarm from deployment until the first exchange, " +
          'and after a disconnect: that is expected.',
        // One and a half schedule intervals always hold a run. A skipped run found a token refreshed
        // minutes ago, which is fresh too (the first run after an exchange often skips). Every run
        // publishes both metrics (0 or 1), so no data means no run: a schedule left disabled (as a
        // redeploy that changes it leaves it) must alarm too, at the price of alarming before the
        // first exchange and after a disconnect. A successful exchange counts too, so connecting
        // clears the alarm at once; FILL keeps one silent series from blanking the sum.
        metric: new cloudwatch.MathExpression({
          label: 'runs ending with a fresh token',
          expression: 'FILL(succeeded, 0) + FILL(skipped, 0) + FILL(exchanged, 0)',
          usingMetrics: {
            succeeded: metric(METRICS.refreshSucceeded, cloudwatch.Stats.SUM, stalePeriod),
            skipped: metric(METRICS.refreshSkipped, cloudwatch.Stats.SUM, stalePeriod),
            exchanged: metric(METRICS.exchangeSucceeded, cloudwatch.Stats.SUM, stalePeriod),
          },
          period: stalePeriod,
        }),
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        threshold: 1,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      }),
      tokenExpiring: new cloudwatch.Alarm(this, 'TokenExpiring', {
        alarmName: `${props.alarmPrefix}-token-expiring`,
        alarmDescription:
          'The stored Zoho access token expires in less than 10 minutes: readers will soon be refused. ' +
          'Invoke the refresh function with {"force": true} and read its log.',
        metric: metric(METRICS.tokenMinutesLeft, cloudwatch.Stats.MINIMUM, fiveMinutes),
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        threshold: 10,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      deadLetters: new cloudwatch.Alarm(this, 'DeadLetters', {
        alarmName: `${props.alarmPrefix}-schedule-dead-letters`,
        alarmDescription:
          'EventBridge Scheduler could not invoke the refresh function and put the event in the dead-letter ' +
          'queue. Read the message attributes for the error, fix it, then purge the queue.',
        metric: props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
          statistic: cloudwatch.Stats.MAXIMUM,
          period: fiveMinutes,
        }),
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        threshold: 1,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    };

    if (props.alarmTopic) {
      const action = new actions.SnsAction(props.alarmTopic);
      for (const alarm of Object.values(this.alarms)) {
        alarm.addAlarmAction(action);
        alarm.addOkAction(action);
      }
    }

    const oneHour = Duration.hours(1);
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName,
      defaultInterval: Duration.days(1),
      widgets: [
        [
          new cloudwatch.AlarmStatusWidget({
            title: 'Alarms',
            alarms: Object.values(this.alarms),
            width: 24,
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Refresh outcomes (runs per hour)',
            width: 12,
            stacked: true,
            left: [
              metric(METRICS.refreshSucceeded, cloudwatch.Stats.SUM, oneHour).with({ label: 'succeeded' }),
              metric(METRICS.refreshSkipped, cloudwatch.Stats.SUM, oneHour).with({
                label: 'skipped (fresh)',
              }),
              metric(METRICS.refreshFailed, cloudwatch.Stats.SUM, oneHour).with({ label: 'failed' }),
            ],
          }),
          new cloudwatch.GraphWidget({
            title: 'Access token: minutes of life left',
            width: 12,
            left: [metric(METRICS.tokenMinutesLeft, cloudwatch.Stats.MINIMUM, fiveMinutes)],
            leftAnnotations: [{ value: 10, label: 'alarm', color: cloudwatch.Color.RED }],
            leftYAxis: { min: 0 },
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Zoho accounts server latency (ms)',
            width: 12,
            left: [
              metric(METRICS.zohoLatency, cloudwatch.Stats.p(50), oneHour).with({ label: 'p50' }),
              metric(METRICS.zohoLatency, cloudwatch.Stats.p(99), oneHour).with({ label: 'p99' }),
              metric(METRICS.zohoLatency, cloudwatch.Stats.MAXIMUM, oneHour).with({ label: 'max' }),
            ],
          }),
          new cloudwatch.GraphWidget({
            title: 'Exchanges',
            width: 12,
            left: [
              metric(METRICS.exchangeSucceeded, cloudwatch.Stats.SUM, oneHour).with({ label: 'connected' }),
              metric(METRICS.exchangeFailed, cloudwatch.Stats.SUM, oneHour).with({ label: 'failed' }),
            ],
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Function errors',
            width: 12,
            left: [
              props.refreshFunction.metricErrors({ period: oneHour, label: 'refresh' }),
              props.exchangeFunction.metricErrors({ period: oneHour, label: 'exchange' }),
            ],
          }),
          new cloudwatch.GraphWidget({
            title: 'Function duration (ms)',
            width: 12,
            left: [
              props.refreshFunction.metricDuration({
                period: oneHour,
                statistic: 'Maximum',
                label: 'refresh max',
              }),
              props.exchangeFunction.metricDuration({
                period: oneHour,
                statistic: 'Maximum',
                label: 'exchange max',
              }),
            ],
          }),
        ],
      ],
    });
  }
}
