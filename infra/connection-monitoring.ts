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
  /** The recurring refresh schedule, named in the silence alarm's runbook. */
  readonly refreshScheduleName: string;
  /** How often the refresh schedule runs: the stale-token alarm looks at one and a half times that. */
  readonly refreshRate: Duration;
  /** @default - the alarms notify nobody */
  readonly alarmTopic?: sns.ITopic;
}

/** The alarms of one connection, each with the operator's next step, and one dashboard. */
export interface ConnectionAlarms {
  /** A refresh run failed. */
  readonly refreshFailed: cloudwatch.Alarm;
  /**
   * The refresh function itself failed (Lambda's `Errors`), including a crash, a timeout or a cold
   * start that failed before the function could publish a metric of its own.
   */
  readonly refreshErrors: cloudwatch.Alarm;
  /** Lambda throttled the refresh function, repeatedly: more than a burst of forced refreshes. */
  readonly refreshThrottles: cloudwatch.Alarm;
  /** Zoho revoked the refresh token: a new grant code must be exchanged. */
  readonly needsReconnect: cloudwatch.Alarm;
  /**
   * Runs happened while connected, but none ended with a fresh token, for one and a half schedule
   * intervals. Quiet while nothing is connected.
   */
  readonly tokenStale: cloudwatch.Alarm;
  /** The stored access token expires in less than 10 minutes. */
  readonly tokenExpiring: cloudwatch.Alarm;
  /** The scheduler could not invoke the refresh function and gave up. */
  readonly deadLetters: cloudwatch.Alarm;
  /**
   * The refresh function was not invoked at all for 2 hours (missing data breaches): a schedule that
   * was deleted or disabled, or a scheduler role that can no longer invoke it, publishes nothing else.
   */
  readonly refreshSilent: cloudwatch.Alarm;
  /** Forced refreshes were refused: they used their share of the access-token secret's write budget. */
  readonly forcedRefreshRefused: cloudwatch.Alarm;
  /** A change of the connection's state could not be put on EventBridge. */
  readonly healthEventNotPublished: cloudwatch.Alarm;
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
    const oneHour = Duration.hours(1);
    const silencePeriod = Duration.hours(2);
    const status = `npx zoho-token-keeper status --connection ${props.connectionName}`;
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
      refreshErrors: new cloudwatch.Alarm(this, 'RefreshErrors', {
        alarmName: `${props.alarmPrefix}-refresh-errors`,
        alarmDescription:
          'An invocation of the refresh function failed (Lambda Errors), possibly before it could report ' +
          'anything itself: a crash, a timeout, or a failed cold start such as a ConfigError. Read the refresh ' +
          'function log for the error name; a forced refresh while not connected also counts (NotConnectedError, ' +
          'RefreshTokenRevokedError). Fix what the log names, then invoke the refresh function with {"force": true}.',
        metric: props.refreshFunction.metricErrors({ statistic: cloudwatch.Stats.SUM, period: fiveMinutes }),
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        threshold: 1,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      refreshThrottles: new cloudwatch.Alarm(this, 'RefreshThrottles', {
        alarmName: `${props.alarmPrefix}-refresh-throttles`,
        alarmDescription:
          'Lambda kept throttling the refresh function for 10 minutes (10 or more throttles in each of two ' +
          '5-minute periods), so scheduled or forced refreshes may not run. Check the account concurrency and ' +
          'the refresh function reserved concurrency, and whether consumers force refreshes in a loop.',
        // With a reserved concurrency of 1, consumers that find a token rejected at the same moment
        // force overlapping refreshes, and all but one are throttled by design: that burst is over
        // within a period. Throttles in two consecutive periods mean something keeps the function out.
        metric: props.refreshFunction.metricThrottles({
          statistic: cloudwatch.Stats.SUM,
          period: fiveMinutes,
        }),
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        threshold: 10,
        evaluationPeriods: 2,
        datapointsToAlarm: 2,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      needsReconnect: new cloudwatch.Alarm(this, 'NeedsReconnect', {
        alarmName: `${props.alarmPrefix}-needs-reconnect`,
        alarmDescription:
          'Zoho said the refresh token is revoked or deleted (RefreshTokenRevokedError): no refresh can succeed ' +
          'and no run calls Zoho with that token again. Generate a new grant code in the Zoho API Console and ' +
          'run npx zoho-token-keeper connect. The alarm clears within an hour of the reconnect.',
        // Published by every run once a connection was ever made; Maximum over an hour, which always
        // holds a scheduled run, so one run that saw the state is enough.
        metric: metric(METRICS.needsReconnect, cloudwatch.Stats.MAXIMUM, oneHour),
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        threshold: 1,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      tokenStale: new cloudwatch.Alarm(this, 'TokenStale', {
        alarmName: `${props.alarmPrefix}-token-stale`,
        alarmDescription:
          `Refresh runs happened while connected, but none ended with a fresh Zoho access token for ` +
          `${stalePeriod.toMinutes()} minutes. The refresh function log has the error of each failed run; ` +
          'npx zoho-token-keeper status shows the token expiry. Quiet while nothing is connected (before the first ' +
          'exchange, after a disconnect): runs publish no token life then. A revoked refresh token raises ' +
          'needs-reconnect; a refresh function that does not run at all raises refresh-errors, ' +
          'refresh-throttles or schedule-dead-letters.',
        // One and a half schedule intervals always hold a scheduled run. A skipped run found a token
        // refreshed minutes ago, which is fresh too, and a successful exchange clears the alarm at
        // once. Runs publish TokenMinutesLeft only when a token is stored, so its sample count tells
        // connected runs from the quiet runs before the first exchange: the schedule is always
        // enabled and those runs must not raise an alarm that stays on until someone connects.
        // FILL keeps one silent series from blanking the expression.
        metric: new cloudwatch.MathExpression({
          label: 'connected runs, none ending with a fresh token',
          expression:
            'IF((FILL(connected, 0) > 0) AND ((FILL(succeeded, 0) + FILL(skipped, 0) + FILL(exchanged, 0)) == 0), 1, 0)',
          usingMetrics: {
            connected: metric(METRICS.tokenMinutesLeft, cloudwatch.Stats.SAMPLE_COUNT, stalePeriod),
            succeeded: metric(METRICS.refreshSucceeded, cloudwatch.Stats.SUM, stalePeriod),
            skipped: metric(METRICS.refreshSkipped, cloudwatch.Stats.SUM, stalePeriod),
            exchanged: metric(METRICS.exchangeSucceeded, cloudwatch.Stats.SUM, stalePeriod),
          },
          period: stalePeriod,
        }),
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        threshold: 1,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
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
      refreshSilent: new cloudwatch.Alarm(this, 'RefreshSilent', {
        alarmName: `${props.alarmPrefix}-refresh-silent`,
        alarmDescription:
          'The refresh function has not been invoked at all for 2 hours, so nothing renews the Zoho access ' +
          `token and no other alarm can see it. The schedule ${props.refreshScheduleName} was deleted or ` +
          'disabled, its scheduler role can no longer invoke the function, or every run was dropped. Run ' +
          `${status}: the schedule must be ENABLED. Read the errors in the schedule's dead-letter queue, if any, ` +
          'then redeploy the stack, which restores the schedule and its role. Right after the first ' +
          'deployment it can fire until the first scheduled run.',
        // Lambda publishes Invocations only for minutes with invocations: a function nobody invokes
        // has no data at all, which is exactly what this alarm is for. Two hours always hold two
        // scheduled runs (at most 55 minutes apart), so one late run does not raise it.
        metric: props.refreshFunction.metricInvocations({
          statistic: cloudwatch.Stats.SUM,
          period: silencePeriod,
        }),
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        threshold: 1,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      }),
      forcedRefreshRefused: new cloudwatch.Alarm(this, 'ForcedRefreshRefused', {
        alarmName: `${props.alarmPrefix}-forced-refresh-refused`,
        alarmDescription:
          'Forced refreshes were refused (RefreshBudgetExhaustedError): they used their share of the access-token ' +
          "secret's daily write budget. Scheduled refreshes go on and keep the token fresh. The likely cause is " +
          'a consumer whose Zoho calls are rejected for a reason a new token cannot fix: the wrong data centre ' +
          '(it must call the api_domain stored with the token), a missing scope, or another organisation. Find ' +
          'the function that invokes the refresh function with {"force": true} and fix its configuration; ' +
          `${status} shows the connection. The alarm clears after an hour without refusals.`,
        metric: metric(METRICS.forcedRefreshRefused, cloudwatch.Stats.SUM, oneHour),
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        threshold: 1,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      healthEventNotPublished: new cloudwatch.Alarm(this, 'HealthEventNotPublished', {
        alarmName: `${props.alarmPrefix}-health-event-not-published`,
        alarmDescription:
          "A change of the connection's state could not be put on EventBridge, so rules on the connection's " +
          'event bus (and the notifications they send) missed it; the refresh itself is not affected. The ' +
          'exchange or refresh function log names the AWS error (HealthEventNotPublishedError): check the ' +
          "functions' events:PutEvents permission and, for a bus in another account, that bus's resource " +
          `policy. ${status} shows the current state.`,
        metric: metric(METRICS.healthEventNotPublished, cloudwatch.Stats.SUM, oneHour),
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
            title: 'Exchanges, reconnects needed, refused forced refreshes, lost health events',
            width: 12,
            left: [
              metric(METRICS.exchangeSucceeded, cloudwatch.Stats.SUM, oneHour).with({ label: 'connected' }),
              metric(METRICS.exchangeFailed, cloudwatch.Stats.SUM, oneHour).with({ label: 'failed' }),
              metric(METRICS.needsReconnect, cloudwatch.Stats.SUM, oneHour).with({
                label: 'needs reconnect',
              }),
              metric(METRICS.forcedRefreshRefused, cloudwatch.Stats.SUM, oneHour).with({
                label: 'forced refreshes refused',
              }),
              metric(METRICS.healthEventNotPublished, cloudwatch.Stats.SUM, oneHour).with({
                label: 'health events not published',
              }),
            ],
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Refresh invocations, function errors and throttles',
            width: 12,
            left: [
              props.refreshFunction.metricInvocations({ period: oneHour, label: 'refresh invocations' }),
              props.refreshFunction.metricErrors({ period: oneHour, label: 'refresh errors' }),
              props.exchangeFunction.metricErrors({ period: oneHour, label: 'exchange errors' }),
              props.refreshFunction.metricThrottles({ period: oneHour, label: 'refresh throttles' }),
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
