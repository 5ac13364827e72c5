import { App, DefaultStackSynthesizer, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type { CfnFunction, IFunction } from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DATA_CENTRE_IDS, type DataCentreId } from '../../functions/lib/data-centres.js';
import { ZohoConnection } from '../../infra/zoho-connection.js';
import {
  actionPatternMatches,
  FAST_CONTEXT,
  isDeniedBy,
  KEY_ACCOUNT_ENV,
  KEY_ARN,
  policyStatementsOf,
  ref,
  resourcePolicyStatementsOf,
  type Synthesised,
  synthesise,
  VIA_SECRETS_MANAGER,
} from './connection-test-kit.js';

beforeAll(() => {
  vi.stubEnv('CDK_VALIDATION', 'false');
});
afterAll(() => {
  vi.unstubAllEnvs();
});

/** A Scheduler ARN as the template spells it, e.g. `schedule/default/<name>` or `schedule-group/default`. */
function schedulerArn(resource: string): unknown {
  return {
    'Fn::Join': [
      '',
      [
        'arn:',
        { Ref: 'AWS::Partition' },
        ':scheduler:',
        { Ref: 'AWS::Region' },
        ':',
        { Ref: 'AWS::AccountId' },
        `:${resource}`,
      ],
    ],
  };
}

function scheduleArn(name: string): unknown {
  return schedulerArn(`schedule/default/${name}`);
}

describe('ZohoConnection with default settings', () => {
  // One synthesis shared by the read-only assertions below keeps the file fast.
  let synthesised: Synthesised;
  beforeAll(() => {
    synthesised = synthesise();
  });

  describe('secrets', () => {
    it('creates the two secrets with fixed names and an empty JSON document, kept on deletion unless just created', () => {
      const { template } = synthesised;
      template.resourceCountIs('AWS::SecretsManager::Secret', 2);
      for (const name of ['zoho-token-keeper/crm/credentials', 'zoho-token-keeper/crm/access-token']) {
        // A failed first deploy removes them, so that the retry does not fail on their names.
        template.hasResource('AWS::SecretsManager::Secret', {
          Properties: { Name: name, SecretString: '{}', KmsKeyId: Match.absent() },
          DeletionPolicy: 'RetainExceptOnCreate',
          UpdateReplacePolicy: 'Retain',
        });
      }
    });

    it('puts no token, client secret or grant code in the template', () => {
      const json = JSON.stringify(synthesised.template.toJSON());
      expect(json).not.toMatch(/"(access_token|refresh_token|client_secret|code)"\s*:/);
      expect(json).not.toMatch(/1000\.[0-9a-f]{8,}/i);
      const secretStrings = Object.values(
        synthesised.template.findResources('AWS::SecretsManager::Secret'),
      ).map((secret) => (secret as { Properties: { SecretString: unknown } }).Properties.SecretString);
      expect(secretStrings).toEqual(['{}', '{}']);
    });
  });

  describe('functions', () => {
    it('runs both functions on the newest Node.js runtime, arm64, 256 MB, JSON logs, no tracing', () => {
      const { template } = synthesised;
      template.resourceCountIs('AWS::Lambda::Function', 2);
      template.allResourcesProperties('AWS::Lambda::Function', {
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        MemorySize: 256,
        Handler: 'index.handler',
        LoggingConfig: { LogFormat: 'JSON', LogGroup: Match.anyValue() },
        TracingConfig: Match.absent(),
      });
    });

    it('gives the refresh 30 s and the exchange 60 s, room for a Zoho call plus, on a failed exchange, a revoke', () => {
      const { template, stack, connection } = synthesised;
      const timeoutOf = (fn: IFunction) =>
        template.toJSON().Resources[stack.getLogicalId(fn.node.defaultChild as CfnFunction)].Properties
          .Timeout;
      expect(timeoutOf(connection.refreshFunction)).toBe(30);
      expect(timeoutOf(connection.exchangeFunction)).toBe(60);
    });

    it('configures both functions through the contract environment variables', () => {
      const { template, stack, connection } = synthesised;
      const environment: Record<string, unknown> = {
        ZOHO_ACCOUNTS_URL: 'https://accounts.zoho.eu',
        CREDENTIALS_SECRET_ID: ref(stack, connection.credentialsSecret.secretArn),
        ACCESS_TOKEN_SECRET_ID: ref(stack, connection.accessTokenSecret.secretArn),
        REFRESH_SCHEDULE_NAME: 'zoho-token-keeper-crm-refresh',
        REFRESH_SCHEDULE_GROUP: 'default',
        POWERTOOLS_SERVICE_NAME: 'crm',
        POWERTOOLS_METRICS_NAMESPACE: 'ZohoTokenKeeper',
        POWERTOOLS_LOG_LEVEL: 'INFO',
        NODE_OPTIONS: '--enable-source-maps',
        STATE_TABLE_NAME: ref(stack, connection.stateTable.tableName),
        CONNECTION_NAME: 'crm',
        EVENT_BUS_NAME: 'default',
      };
      template.hasResourceProperties('AWS::Lambda::Function', {
        Role: ref(stack, connection.exchangeFunction.role?.roleArn ?? ''),
        Environment: { Variables: Match.objectEquals(environment) },
      });
      // The refresh also knows the schedule's rate: a token that outlives the next run is left alone.
      template.hasResourceProperties('AWS::Lambda::Function', {
        Role: ref(stack, connection.refreshFunction.role?.roleArn ?? ''),
        Environment: { Variables: Match.objectEquals({ ...environment, REFRESH_RATE_MINUTES: '50' }) },
      });
    });

    it('reserves one concurrent execution for the refresh function only', () => {
      const { template, stack, connection } = synthesised;
      template.hasResourceProperties('AWS::Lambda::Function', {
        Role: ref(stack, connection.refreshFunction.role?.roleArn ?? ''),
        ReservedConcurrentExecutions: 1,
      });
      template.hasResourceProperties('AWS::Lambda::Function', {
        Role: ref(stack, connection.exchangeFunction.role?.roleArn ?? ''),
        ReservedConcurrentExecutions: Match.absent(),
      });
    });

    it('never lets Lambda retry an asynchronous invocation of either function', () => {
      const { template, stack, connection } = synthesised;
      template.resourceCountIs('AWS::Lambda::EventInvokeConfig', 2);
      for (const fn of [connection.exchangeFunction, connection.refreshFunction]) {
        template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
          FunctionName: ref(stack, fn.functionName),
          MaximumRetryAttempts: 0,
        });
      }
    });

    it('drops a throttled scheduled event after an hour instead of running it up to 6 hours late', () => {
      const { template, stack, connection } = synthesised;
      template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: ref(stack, connection.refreshFunction.functionName),
        MaximumEventAgeInSeconds: 3600,
      });
    });

    it('gives each function its own log group, kept 30 days and deleted with the stack', () => {
      const { template } = synthesised;
      template.resourceCountIs('AWS::Logs::LogGroup', 2);
      for (const name of ['/zoho-token-keeper/crm/exchange', '/zoho-token-keeper/crm/refresh']) {
        template.hasResource('AWS::Logs::LogGroup', {
          Properties: { LogGroupName: name, RetentionInDays: 30 },
          DeletionPolicy: 'Delete',
        });
      }
    });
  });

  describe('refresh schedule', () => {
    it('runs the refresh function every 50 minutes with {}, enabled from deployment', () => {
      const { template, stack, connection } = synthesised;
      template.resourceCountIs('AWS::Scheduler::Schedule', 1);
      template.hasResourceProperties('AWS::Scheduler::Schedule', {
        Name: 'zoho-token-keeper-crm-refresh',
        GroupName: Match.absent(),
        ScheduleExpression: 'rate(50 minutes)',
        State: 'ENABLED',
        FlexibleTimeWindow: { Mode: 'OFF' },
        Target: Match.objectEquals({
          Arn: ref(stack, connection.refreshFunction.functionArn),
          RoleArn: Match.anyValue(),
          Input: '{}',
          RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 900 },
          DeadLetterConfig: { Arn: ref(stack, connection.deadLetterQueue.queueArn) },
        }),
      });
    });

    it('sends undeliverable runs to an encrypted, TLS-only queue that keeps them 14 days', () => {
      const { template, stack, connection } = synthesised;
      template.resourceCountIs('AWS::SQS::Queue', 1);
      template.hasResourceProperties('AWS::SQS::Queue', {
        SqsManagedSseEnabled: true,
        MessageRetentionPeriod: 14 * 24 * 3600,
      });
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [ref(stack, connection.deadLetterQueue.queueUrl)],
        PolicyDocument: {
          Statement: [
            Match.objectLike({
              Effect: 'Deny',
              Action: 'sqs:*',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
          ],
        },
      });
    });
  });

  describe('IAM', () => {
    it('creates exactly three roles (two functions, the scheduler) with no managed policy', () => {
      const { template } = synthesised;
      template.resourceCountIs('AWS::IAM::Role', 3);
      template.resourceCountIs('AWS::IAM::Policy', 3);
      template.allResourcesProperties('AWS::IAM::Role', { ManagedPolicyArns: Match.absent() });
    });

    it('lets the exchange function write its log, read and put both secrets, read the schedules and cancel the follow-up', () => {
      const { template, stack, connection } = synthesised;
      const statements = policyStatementsOf(template, stack, connection.exchangeFunction.role);
      expect(statements).toEqual([
        logStatement(synthesised, 'Exchange'),
        ...readAndPut(synthesised, connection.credentialsSecret.secretArn),
        ...readAndPut(synthesised, connection.accessTokenSecret.secretArn),
        readSchedulesStatement,
        {
          Effect: 'Allow',
          Action: 'scheduler:DeleteSchedule',
          Resource: scheduleArn('zoho-token-keeper-crm-refresh-retry'),
        },
        stateTableStatement(synthesised),
        putEventsOnDefaultBusStatement,
      ]);
    });

    it('lets the refresh function read the credentials, put only the access token, and manage only its -retry follow-up', () => {
      const { template, stack, connection } = synthesised;
      const statements = policyStatementsOf(template, stack, connection.refreshFunction.role);
      expect(statements).toEqual([
        logStatement(synthesised, 'Refresh'),
        readStatement(synthesised, connection.credentialsSecret.secretArn),
        ...readAndPut(synthesised, connection.accessTokenSecret.secretArn),
        readSchedulesStatement,
        {
          Effect: 'Allow',
          Action: ['scheduler:CreateSchedule', 'scheduler:UpdateSchedule', 'scheduler:DeleteSchedule'],
          Resource: scheduleArn('zoho-token-keeper-crm-refresh-retry'),
        },
        {
          Effect: 'Allow',
          Action: 'iam:PassRole',
          Resource: ref(stack, schedulerRole(synthesised).roleArn),
          Condition: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
        },
        stateTableStatement(synthesised),
        putEventsOnDefaultBusStatement,
      ]);
    });

    it('lets nobody change the refresh schedule at runtime: the template owns it', () => {
      const { template } = synthesised;
      const policies = JSON.stringify(template.findResources('AWS::IAM::Policy'));
      const mainSchedule = JSON.stringify(scheduleArn('zoho-token-keeper-crm-refresh'));
      const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
        (policy) =>
          (
            policy as {
              Properties: { PolicyDocument: { Statement: { Action: unknown; Resource: unknown }[] } };
            }
          ).Properties.PolicyDocument.Statement,
      );
      const onMainSchedule = statements.filter((statement) =>
        [statement.Resource].flat().some((resource) => JSON.stringify(resource) === mainSchedule),
      );
      expect(policies).toContain(mainSchedule);
      for (const statement of onMainSchedule) expect(statement.Action).toBe('scheduler:GetSchedule');
    });

    it('lets the scheduler role only invoke the refresh function and send to the dead-letter queue', () => {
      const { template, stack, connection } = synthesised;
      const role = schedulerRole(synthesised);
      expect(policyStatementsOf(template, stack, role)).toEqual([
        {
          Effect: 'Allow',
          Action: 'lambda:InvokeFunction',
          Resource: ref(stack, connection.refreshFunction.functionArn),
        },
        {
          Effect: 'Allow',
          Action: 'sqs:SendMessage',
          Resource: ref(stack, connection.deadLetterQueue.queueArn),
        },
      ]);
      template.hasResourceProperties('AWS::IAM::Role', {
        RoleName: Match.absent(),
        AssumeRolePolicyDocument: {
          Statement: [
            {
              Effect: 'Allow',
              Action: 'sts:AssumeRole',
              Principal: { Service: 'scheduler.amazonaws.com' },
              Condition: {
                StringEquals: {
                  'aws:SourceAccount': { Ref: 'AWS::AccountId' },
                  'aws:SourceArn': schedulerArn('schedule-group/default'),
                },
              },
            },
          ],
        },
      });
    });

    it('grants no wildcard action and nothing on the * resource', () => {
      const policies = Object.values(synthesised.template.findResources('AWS::IAM::Policy')) as {
        Properties: { PolicyDocument: { Statement: { Action: unknown; Resource: unknown }[] } };
      }[];
      const statements = policies.flatMap((policy) => policy.Properties.PolicyDocument.Statement);
      expect(statements.length).toBeGreaterThan(0);
      for (const statement of statements) {
        expect([statement.Resource].flat()).not.toContain('*');
        for (const action of [statement.Action].flat()) expect(action).not.toMatch(/\*/);
      }
    });
  });

  describe('alarms and dashboard', () => {
    it('alarms when a refresh fails', () => {
      synthesised.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: 'zoho-token-keeper-crm-refresh-failed',
        Namespace: 'ZohoTokenKeeper',
        MetricName: 'RefreshFailed',
        Dimensions: [{ Name: 'service', Value: 'crm' }],
        Statistic: 'Sum',
        Period: 300,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        Threshold: 1,
        TreatMissingData: 'notBreaching',
        AlarmActions: Match.absent(),
      });
    });

    it('alarms when runs happened while connected but none ended with a fresh token for 75 minutes', () => {
      const metricStat = (name: string, stat = 'Sum') => ({
        Metric: {
          Namespace: 'ZohoTokenKeeper',
          MetricName: name,
          Dimensions: [{ Name: 'service', Value: 'crm' }],
        },
        Period: 4500,
        Stat: stat,
      });
      synthesised.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: 'zoho-token-keeper-crm-token-stale',
        Metrics: Match.arrayWith([
          Match.objectLike({
            Expression:
              'IF((FILL(connected, 0) > 0) AND ((FILL(succeeded, 0) + FILL(skipped, 0) + FILL(exchanged, 0)) == 0), 1, 0)',
            ReturnData: true,
          }),
          // Published only when a token is stored: runs before the first exchange do not count.
          { Id: 'connected', MetricStat: metricStat('TokenMinutesLeft', 'SampleCount'), ReturnData: false },
          { Id: 'succeeded', MetricStat: metricStat('RefreshSucceeded'), ReturnData: false },
          { Id: 'skipped', MetricStat: metricStat('RefreshSkipped'), ReturnData: false },
          { Id: 'exchanged', MetricStat: metricStat('ExchangeSucceeded'), ReturnData: false },
        ]),
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        Threshold: 1,
      });
    });

    it('tells the operator what each alarm means and what to do', () => {
      const descriptions = Object.fromEntries(
        Object.values(synthesised.template.findResources('AWS::CloudWatch::Alarm')).map((alarm) => {
          const { AlarmName, AlarmDescription } = (
            alarm as { Properties: { AlarmName: string; AlarmDescription: string } }
          ).Properties;
          return [AlarmName.replace('zoho-token-keeper-crm-', ''), AlarmDescription];
        }),
      );
      expect(descriptions['token-stale']).toMatch(
        /Quiet while nothing is connected \(before the first exchange/,
      );
      expect(descriptions['token-stale']).not.toMatch(/disabled/);
      expect(descriptions['needs-reconnect']).toMatch(/new grant code .* npx zoho-token-keeper connect/);
      expect(descriptions['refresh-errors']).toMatch(/crash, a timeout, or a failed cold start/);
      expect(descriptions['refresh-throttles']).toMatch(/reserved concurrency/);
      for (const description of Object.values(descriptions))
        expect(description.length).toBeLessThanOrEqual(1024);
    });

    it('treats no data as fine for every alarm but the silence alarm: nothing connected, or nothing happened', () => {
      const missingData = Object.values(synthesised.template.findResources('AWS::CloudWatch::Alarm')).map(
        (alarm) => {
          const { AlarmName, TreatMissingData } = (
            alarm as { Properties: { AlarmName: string; TreatMissingData: string } }
          ).Properties;
          return [AlarmName, TreatMissingData];
        },
      );
      expect(Object.fromEntries(missingData)).toEqual({
        'zoho-token-keeper-crm-refresh-failed': 'notBreaching',
        'zoho-token-keeper-crm-refresh-errors': 'notBreaching',
        'zoho-token-keeper-crm-refresh-throttles': 'notBreaching',
        'zoho-token-keeper-crm-needs-reconnect': 'notBreaching',
        'zoho-token-keeper-crm-token-stale': 'notBreaching',
        'zoho-token-keeper-crm-token-expiring': 'notBreaching',
        'zoho-token-keeper-crm-schedule-dead-letters': 'notBreaching',
        // No invocation at all is what this alarm watches for.
        'zoho-token-keeper-crm-refresh-silent': 'breaching',
        'zoho-token-keeper-crm-forced-refresh-refused': 'notBreaching',
        'zoho-token-keeper-crm-health-event-not-published': 'notBreaching',
      });
    });

    it('alarms on the first failed invocation of the refresh function, crashes included', () => {
      const { stack, connection } = synthesised;
      synthesised.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: 'zoho-token-keeper-crm-refresh-errors',
        Namespace: 'AWS/Lambda',
        MetricName: 'Errors',
        Dimensions: [{ Name: 'FunctionName', Value: ref(stack, connection.refreshFunction.functionName) }],
        Statistic: 'Sum',
        Period: 300,
        EvaluationPeriods: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        Threshold: 1,
      });
    });

    it('alarms on refresh throttles that last two 5-minute periods, not on one burst of forced refreshes', () => {
      const { stack, connection } = synthesised;
      synthesised.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: 'zoho-token-keeper-crm-refresh-throttles',
        Namespace: 'AWS/Lambda',
        MetricName: 'Throttles',
        Dimensions: [{ Name: 'FunctionName', Value: ref(stack, connection.refreshFunction.functionName) }],
        Statistic: 'Sum',
        Period: 300,
        EvaluationPeriods: 2,
        DatapointsToAlarm: 2,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        Threshold: 10,
      });
    });

    it('alarms when a run within the last hour found the connection needing a reconnect', () => {
      synthesised.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: 'zoho-token-keeper-crm-needs-reconnect',
        Namespace: 'ZohoTokenKeeper',
        MetricName: 'NeedsReconnect',
        Dimensions: [{ Name: 'service', Value: 'crm' }],
        Statistic: 'Maximum',
        Period: 3600,
        EvaluationPeriods: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        Threshold: 1,
      });
    });

    it('alarms when the stored token has less than 10 minutes left', () => {
      synthesised.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: 'zoho-token-keeper-crm-token-expiring',
        MetricName: 'TokenMinutesLeft',
        Dimensions: [{ Name: 'service', Value: 'crm' }],
        Statistic: 'Minimum',
        Period: 300,
        ComparisonOperator: 'LessThanThreshold',
        Threshold: 10,
      });
    });

    it('alarms when a scheduled run lands in the dead-letter queue', () => {
      const { stack, connection } = synthesised;
      synthesised.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: 'zoho-token-keeper-crm-schedule-dead-letters',
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: ref(stack, connection.deadLetterQueue.queueName) }],
        Statistic: 'Maximum',
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        Threshold: 1,
      });
    });

    it('creates exactly these ten alarms and no topic when nobody is to be notified', () => {
      synthesised.template.resourceCountIs('AWS::CloudWatch::Alarm', 10);
      expect(Object.keys(synthesised.connection.alarms)).toHaveLength(10);
      synthesised.template.resourceCountIs('AWS::SNS::Topic', 0);
      expect(synthesised.connection.alarmTopic).toBeUndefined();
    });

    it('builds a dashboard of refresh outcomes, token life, Zoho latency, alarms and function health', () => {
      const { template } = synthesised;
      template.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'ZohoTokenKeeper-crm' });
      const body = JSON.stringify(template.findResources('AWS::CloudWatch::Dashboard'));
      for (const expected of [
        'RefreshSucceeded',
        'RefreshFailed',
        'RefreshSkipped',
        'TokenMinutesLeft',
        'ZohoLatency',
        'p50',
        'p99',
        'alarm',
        'Errors',
        'Throttles',
        'NeedsReconnect',
        'Duration',
      ]) {
        expect(body).toContain(expected);
      }
    });
  });
});

function logStatement({ stack, connection }: Synthesised, fn: 'Exchange' | 'Refresh'): unknown {
  const logGroup = connection.node.findChild(fn).node.findChild('LogGroup') as logs.ILogGroup;
  return {
    Effect: 'Allow',
    Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
    Resource: ref(stack, logGroup.logGroupArn),
  };
}

/** Exactly the item operations the runtime makes on the state table: no DeleteItem, Scan or Query. */
function stateTableStatement({ stack, connection }: Synthesised): unknown {
  return {
    Effect: 'Allow',
    Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
    Resource: ref(stack, connection.stateTable.tableArn),
  };
}

const putEventsOnDefaultBusStatement = {
  Effect: 'Allow',
  Action: 'events:PutEvents',
  Resource: {
    'Fn::Join': [
      '',
      [
        'arn:',
        { Ref: 'AWS::Partition' },
        ':events:',
        { Ref: 'AWS::Region' },
        ':',
        { Ref: 'AWS::AccountId' },
        ':event-bus/default',
      ],
    ],
  },
};

function readStatement({ stack }: Synthesised, secretArn: string): unknown {
  return {
    Effect: 'Allow',
    Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
    Resource: ref(stack, secretArn),
  };
}

function readAndPut(synthesised: Synthesised, secretArn: string): unknown[] {
  return [
    readStatement(synthesised, secretArn),
    { Effect: 'Allow', Action: 'secretsmanager:PutSecretValue', Resource: ref(synthesised.stack, secretArn) },
  ];
}

/** GetSchedule on the refresh schedule (its rate) and on its follow-up: both functions read them. */
const readSchedulesStatement = {
  Effect: 'Allow',
  Action: 'scheduler:GetSchedule',
  Resource: [
    scheduleArn('zoho-token-keeper-crm-refresh'),
    scheduleArn('zoho-token-keeper-crm-refresh-retry'),
  ],
};

function schedulerRole({ connection }: Synthesised): iam.IRole {
  return connection.node.findChild('RefreshSchedule').node.findChild('SchedulerRole') as iam.IRole;
}

describe('the credentials secret resource policy', () => {
  const CI_ROLE = 'arn:aws:iam::123456789012:role/ci';
  const BREAK_GLASS_ROLE = 'arn:aws:iam::123456789012:role/zoho-break-glass';
  // The bootstrap role CloudFormation deploys with (`cdk bootstrap`'s default qualifier).
  const CFN_EXEC_ROLE = {
    'Fn::Sub': DefaultStackSynthesizer.DEFAULT_CLOUDFORMATION_ROLE_ARN.replace(
      /\$\{Qualifier\}/,
      DefaultStackSynthesizer.DEFAULT_QUALIFIER,
    ),
  };
  let reader: iam.Role;
  let synthesised: Synthesised;
  beforeAll(() => {
    synthesised = synthesise({}, (stack, connection) => {
      // What a CI or admin role often holds: every Secrets Manager action on every secret.
      const ci = iam.Role.fromRoleArn(stack, 'Ci', CI_ROLE);
      ci.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['secretsmanager:*'], resources: ['*'] }));
      reader = new iam.Role(stack, 'Reader', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
      connection.grantRead(reader);
    });
  });
  const credentialsPolicy = ({ template, stack, connection }: Synthesised) =>
    resourcePolicyStatementsOf(template, stack, connection.credentialsSecret.secretArn);
  const roleArn = ({ stack }: Synthesised, role: iam.IRole | undefined) => ref(stack, role?.roleArn ?? '');

  it('denies a role with secretsmanager:* on * reading or writing the credentials', () => {
    const policy = credentialsPolicy(synthesised);
    expect(actionPatternMatches('secretsmanager:*', 'secretsmanager:GetSecretValue')).toBe(true);
    for (const action of [
      'secretsmanager:GetSecretValue',
      'secretsmanager:PutSecretValue',
      'secretsmanager:UpdateSecret',
      'secretsmanager:UpdateSecretVersionStage',
      'secretsmanager:RestoreSecret',
      'secretsmanager:RotateSecret',
      'secretsmanager:CancelRotateSecret',
      // Removing the policy would undo all of the above.
      'secretsmanager:DeleteResourcePolicy',
      'secretsmanager:PutResourcePolicy',
    ]) {
      expect(isDeniedBy(policy, { principalArn: CI_ROLE, action }), action).toBe(true);
    }
  });

  it('denies a consumer granted read on the access token the credentials', () => {
    const policy = credentialsPolicy(synthesised);
    const principalArn = roleArn(synthesised, reader);
    expect(isDeniedBy(policy, { principalArn, action: 'secretsmanager:GetSecretValue' })).toBe(true);
  });

  it('lets the exchange and refresh functions read and write the credentials', () => {
    const policy = credentialsPolicy(synthesised);
    const { connection } = synthesised;
    for (const fn of [connection.exchangeFunction, connection.refreshFunction]) {
      const principalArn = roleArn(synthesised, fn.role);
      for (const action of ['secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue']) {
        expect(isDeniedBy(policy, { principalArn, action }), action).toBe(false);
      }
    }
  });

  it('lets the CDK execution role update the secret and this policy, but never read the value', () => {
    const policy = credentialsPolicy(synthesised);
    for (const action of [
      'secretsmanager:UpdateSecret',
      'secretsmanager:PutResourcePolicy',
      'secretsmanager:DeleteResourcePolicy',
    ]) {
      expect(isDeniedBy(policy, { principalArn: CFN_EXEC_ROLE, action }), action).toBe(false);
    }
    // A stack resolving {{resolve:secretsmanager:...}} must not be a way around the policy.
    expect(isDeniedBy(policy, { principalArn: CFN_EXEC_ROLE, action: 'secretsmanager:GetSecretValue' })).toBe(
      true,
    );
  });

  it('denies a role with secretsmanager:* replacing the policy through a stack of its own', () => {
    // The role deploys its own AWS::SecretsManager::ResourcePolicy with its own credentials:
    // CloudFormation then calls Secrets Manager as that role, via cloudformation.amazonaws.com.
    const policy = credentialsPolicy(synthesised);
    const viaItsOwnStack = { principalArn: CI_ROLE, calledViaFirst: 'cloudformation.amazonaws.com' };
    for (const action of [
      'secretsmanager:PutResourcePolicy',
      'secretsmanager:DeleteResourcePolicy',
      'secretsmanager:PutSecretValue',
      'secretsmanager:GetSecretValue',
    ]) {
      expect(isDeniedBy(policy, { ...viaItsOwnStack, action }), action).toBe(true);
    }
    expect(JSON.stringify(policy)).not.toContain('aws:CalledVia');
  });

  it('keeps the policy on stack deletion, like the secrets, so a retained refresh token stays guarded', () => {
    synthesised.template.hasResource('AWS::SecretsManager::ResourcePolicy', {
      Properties: { SecretId: ref(synthesised.stack, synthesised.connection.credentialsSecret.secretArn) },
      DeletionPolicy: 'RetainExceptOnCreate',
      UpdateReplacePolicy: 'Retain',
    });
  });

  it('denies nobody DescribeSecret or DeleteSecret, so the stack can still be deleted', () => {
    const policy = credentialsPolicy(synthesised);
    for (const action of ['secretsmanager:DescribeSecret', 'secretsmanager:DeleteSecret']) {
      expect(isDeniedBy(policy, { principalArn: CI_ROLE, action }), action).toBe(false);
    }
  });

  it('leaves the access-token secret without a policy: consumers read it with grantRead', () => {
    const { template, stack, connection } = synthesised;
    expect(resourcePolicyStatementsOf(template, stack, connection.accessTokenSecret.secretArn)).toEqual([]);
    template.resourceCountIs('AWS::SecretsManager::ResourcePolicy', 1);
  });

  it('lets the break-glass role through too, when one is given', () => {
    const app = new App({ context: FAST_CONTEXT });
    const stack = new Stack(app, 'Test');
    const connection = new ZohoConnection(stack, 'Connection', {
      connectionName: 'crm',
      credentialsBreakGlassRole: iam.Role.fromRoleArn(stack, 'BreakGlass', BREAK_GLASS_ROLE),
    });
    const policy = resourcePolicyStatementsOf(
      Template.fromStack(stack),
      stack,
      connection.credentialsSecret.secretArn,
    );

    for (const action of ['secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue']) {
      expect(isDeniedBy(policy, { principalArn: BREAK_GLASS_ROLE, action }), action).toBe(false);
      expect(isDeniedBy(policy, { principalArn: CI_ROLE, action }), action).toBe(true);
    }
    // Without the prop the same role is denied like any other.
    expect(
      isDeniedBy(credentialsPolicy(synthesised), {
        principalArn: BREAK_GLASS_ROLE,
        action: 'secretsmanager:GetSecretValue',
      }),
    ).toBe(true);
  });
});

describe('ZohoConnection options', () => {
  it('encrypts both secrets with the given key and lets the functions use it only through Secrets Manager', () => {
    const app = new App({ context: FAST_CONTEXT });
    const keyed = new Stack(app, 'Keyed', { env: KEY_ACCOUNT_ENV });
    const key = kms.Key.fromKeyArn(keyed, 'Key', KEY_ARN);
    const keyedConnection = new ZohoConnection(keyed, 'Connection', {
      connectionName: 'crm',
      encryptionKey: key,
    });
    const keyedTemplate = Template.fromStack(keyed);

    keyedTemplate.allResourcesProperties('AWS::SecretsManager::Secret', { KmsKeyId: KEY_ARN });
    for (const role of [keyedConnection.exchangeFunction.role, keyedConnection.refreshFunction.role]) {
      expect(policyStatementsOf(keyedTemplate, keyed, role)).toContainEqual({
        Effect: 'Allow',
        Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
        Resource: KEY_ARN,
        Condition: VIA_SECRETS_MANAGER,
      });
    }
  });

  it('uses the given refresh rate, memory, log retention and secret removal policy', () => {
    const { template } = synthesise({
      refreshRate: Duration.minutes(30),
      memorySize: 512,
      logRetention: 7,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    template.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'rate(30 minutes)' });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'zoho-token-keeper-crm-token-stale',
      Metrics: Match.arrayWith([
        Match.objectLike({ Id: 'succeeded', MetricStat: Match.objectLike({ Period: 2700 }) }),
      ]),
    });
    template.allResourcesProperties('AWS::Lambda::Function', { MemorySize: 512 });
    template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 7 });
    template.allResources('AWS::SecretsManager::Secret', { DeletionPolicy: 'Delete' });
    template.allResources('AWS::SecretsManager::ResourcePolicy', { DeletionPolicy: 'Delete' });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ REFRESH_RATE_MINUTES: '30' }) },
    });
  });

  it.each([Duration.minutes(5), Duration.minutes(60), Duration.seconds(1830)])(
    'refuses a refresh rate of %s, which would let tokens expire or always be skipped',
    (refreshRate) => {
      expect(() => synthesise({ refreshRate })).toThrow(
        /refreshRate must be a whole number of minutes from 10 to 55/,
      );
    },
  );

  it('reserves no concurrency when asked for 0 (accounts with the default quota of 10)', () => {
    const { template } = synthesise({ refreshReservedConcurrency: 0 });
    template.allResourcesProperties('AWS::Lambda::Function', {
      ReservedConcurrentExecutions: Match.absent(),
    });
  });

  it('refuses a negative or fractional reserved concurrency', () => {
    expect(() => synthesise({ refreshReservedConcurrency: -1 })).toThrow(/refreshReservedConcurrency/);
    expect(() => synthesise({ refreshReservedConcurrency: 1.5 })).toThrow(/refreshReservedConcurrency/);
  });

  it('points the functions at an overriding accounts server, such as a local test server', () => {
    const { template } = synthesise({ accountsUrl: 'http://127.0.0.1:8443/' });
    template.allResourcesProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ ZOHO_ACCOUNTS_URL: 'http://127.0.0.1:8443' }) },
    });
  });

  it('refuses an accounts server reached over plain http off the machine', () => {
    expect(() => synthesise({ accountsUrl: 'http://accounts.example.com' })).toThrow(/must use https/);
  });

  it('uses the data centre accounts server', () => {
    const { template } = synthesise({ dataCenter: 'in' });
    template.allResourcesProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ ZOHO_ACCOUNTS_URL: 'https://accounts.zoho.in' }) },
    });
  });

  it('fails on an unknown data centre, listing the valid ones', () => {
    const act = () => synthesise({ dataCenter: 'mars' as DataCentreId });
    expect(act).toThrow(/Unknown Zoho data centre "mars"/);
    expect(act).toThrow(DATA_CENTRE_IDS.join(', '));
  });

  it.each(['CRM', 'crm_eu', '-crm', 'crm-', '', 'a'.repeat(33)])(
    'refuses the connection name %j',
    (connectionName) => {
      expect(() => synthesise({ connectionName })).toThrow(/Invalid connectionName/);
    },
  );

  it('accepts a 32-character name, whose follow-up schedule name just fits 64 characters', () => {
    const connectionName = 'a'.repeat(32);
    const { template } = synthesise({ connectionName });
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      Name: `zoho-token-keeper-${connectionName}-refresh`,
    });
    expect(`zoho-token-keeper-${connectionName}-refresh-retry`).toHaveLength(64);
  });

  it('notifies an email address of every alarm and its recovery through a TLS-only topic', () => {
    const { template, stack, connection } = synthesise({ alarmEmail: 'ops@example.com' });
    template.resourceCountIs('AWS::SNS::Topic', 1);
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
    });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
    const topicRef = ref(stack, connection.alarmTopic?.topicArn ?? '');
    template.allResourcesProperties('AWS::CloudWatch::Alarm', {
      AlarmActions: [topicRef],
      OKActions: [topicRef],
    });
  });

  it('notifies an existing topic instead of creating one', () => {
    const topicArn = 'arn:aws:sns:eu-west-1:123456789012:ops';
    const app = new App({ context: FAST_CONTEXT });
    const stack = new Stack(app, 'Test');
    new ZohoConnection(stack, 'Connection', {
      connectionName: 'crm',
      alarmTopic: sns.Topic.fromTopicArn(stack, 'Ops', topicArn),
      alarmEmail: 'ignored@example.com',
    });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::SNS::Topic', 0);
    template.allResourcesProperties('AWS::CloudWatch::Alarm', { AlarmActions: [topicArn] });
  });

  it('refuses an alarm email that is not an address', () => {
    expect(() => synthesise({ alarmEmail: 'ops' })).toThrow(/alarmEmail/);
  });
});

describe('several connections', () => {
  it('can live in one stack without clashing names', () => {
    const app = new App({ context: FAST_CONTEXT });
    const stack = new Stack(app, 'Test');
    new ZohoConnection(stack, 'Crm', { connectionName: 'crm', dataCenter: 'eu' });
    new ZohoConnection(stack, 'Books', { connectionName: 'books', dataCenter: 'in' });
    const template = Template.fromStack(stack);

    const namesOf = (type: string, property: string) =>
      Object.values(template.findResources(type)).map(
        (resource) => (resource as { Properties: Record<string, unknown> }).Properties[property],
      );
    for (const [type, property, count] of [
      ['AWS::SecretsManager::Secret', 'Name', 4],
      ['AWS::Scheduler::Schedule', 'Name', 2],
      ['AWS::Logs::LogGroup', 'LogGroupName', 4],
      ['AWS::CloudWatch::Alarm', 'AlarmName', 20],
      ['AWS::DynamoDB::Table', 'TableName', 2],
      ['AWS::CloudWatch::Dashboard', 'DashboardName', 2],
    ] as const) {
      const names = namesOf(type, property);
      expect(names).toHaveLength(count);
      expect(new Set(names).size).toBe(count);
    }
  });
});

describe('cdk-nag AwsSolutions', () => {
  function appWithNag(): { app: App; stack: Stack } {
    const app = new App({ context: FAST_CONTEXT });
    const stack = new Stack(app, 'Nagged');
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    return { app, stack };
  }

  it('finds nothing unacknowledged, with every option switched on', () => {
    const { app, stack } = appWithNag();
    const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
    const connection = new ZohoConnection(stack, 'Connection', {
      connectionName: 'crm',
      alarmEmail: 'ops@example.com',
      encryptionKey: key,
      exampleConsumer: true,
    });
    const reader = new iam.Role(stack, 'Reader', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    });
    connection.grantRead(reader);
    connection.grantForceRefresh(reader);
    connection.onStateChange('NeedsReconnect', {
      states: ['needs-reconnect'],
      target: new targets.SnsTopic(connection.alarmTopic as sns.ITopic),
    });

    // Under Vitest (NODE_ENV=test) the CDK throws the validation report when a rule fails.
    expect(() => app.synth()).not.toThrow();
  });

  it('does report what is not acknowledged (so the test above can fail)', () => {
    const { app, stack } = appWithNag();
    new ZohoConnection(stack, 'Connection', { connectionName: 'crm' });
    new sqs.Queue(stack, 'UnprotectedQueue');

    expect(() => app.synth()).toThrow(/AwsSolutions-SQS4/);
  });
});
