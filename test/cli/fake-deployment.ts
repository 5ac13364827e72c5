import {
  CloudFormationClient,
  DescribeStacksCommand,
  ListStackResourcesCommand,
} from '@aws-sdk/client-cloudformation';
import {
  CloudWatchClient,
  DescribeAlarmsCommand,
  type MetricAlarm,
  type StateValue,
} from '@aws-sdk/client-cloudwatch';
import { GetFunctionConfigurationCommand, InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { parseExchangeEvent } from '../../functions/exchange/exchange-event.js';
import { exchangeGrantCode } from '../../functions/exchange/exchange-grant-code.js';
import { RefreshSchedule } from '../../functions/lib/schedule/refresh-schedule.js';
import { TokenStore } from '../../functions/lib/store/token-store.js';
import { ZohoAccountsClient } from '../../functions/lib/zoho/accounts-client.js';
import { InMemoryScheduler, InMemorySecretsManager } from '../support/in-memory-aws.js';

export const STACK_NAME = 'ZohoTokenKeeper-default';
export const EXCHANGE_FUNCTION = 'ZohoTokenKeeper-default-Exchange1234';
export const REFRESH_FUNCTION = 'ZohoTokenKeeper-default-Refresh5678';
export const CREDENTIALS_NAME = 'zoho-token-keeper/default/credentials';
export const CREDENTIALS_ARN = `arn:aws:secretsmanager:eu-west-1:123456789012:secret:${CREDENTIALS_NAME}-AbCdEf`;
export const ACCESS_TOKEN_NAME = 'zoho-token-keeper/default/access-token';
export const ACCESS_TOKEN_ARN = `arn:aws:secretsmanager:eu-west-1:123456789012:secret:${ACCESS_TOKEN_NAME}-GhIjKl`;
export const SCHEDULE_NAME = 'zoho-token-keeper-default-refresh';
export const ALARM_NAMES = [
  'zoho-token-keeper-default-refresh-failed',
  'zoho-token-keeper-default-token-stale',
] as const;

/** Values that must never appear in any output. */
export const CLIENT_ID = '1000.CLIENTID7QX2ZK';
export const CLIENT_SECRET = 'c1e2n3t4s5e6c7r8e9t0abcd';
export const GRANT_CODE = '1000.0123456789abcdef0123456789abcdef.fedcba9876543210fedcba9876543210';
export const REFRESH_TOKEN = '1000.refresh0123456789abcdef.refresh0123456789abcdef';
export const ACCESS_TOKEN = '1000.access0123456789abcdef.access0123456789abcdef';

const OUTPUTS: Record<string, string> = {
  ExchangeFunctionName: EXCHANGE_FUNCTION,
  RefreshFunctionName: REFRESH_FUNCTION,
  CredentialsSecretName: CREDENTIALS_NAME,
  CredentialsSecretArn: CREDENTIALS_ARN,
  AccessTokenSecretName: ACCESS_TOKEN_NAME,
  AccessTokenSecretArn: ACCESS_TOKEN_ARN,
  RefreshScheduleName: SCHEDULE_NAME,
  DashboardName: STACK_NAME,
  ExchangeCommand: `aws lambda invoke --function-name ${EXCHANGE_FUNCTION} ...`,
};

type FunctionAnswer = { result: unknown } | { errorType: string; errorMessage: string };

/**
 * One deployed connection in memory: the stack and its outputs (CloudFormation), both secrets and
 * the refresh schedule (test/support/in-memory-aws.ts), the alarms, and the exchange function,
 * which either runs the real use case against a Zoho sandbox or gives a canned answer.
 */
export class FakeDeployment {
  readonly cloudFormation = mockClient(CloudFormationClient);
  readonly lambda = mockClient(LambdaClient);
  readonly cloudWatch = mockClient(CloudWatchClient);
  readonly secrets = new InMemorySecretsManager();
  readonly scheduler = new InMemoryScheduler();
  /** The events the exchange function received. */
  readonly exchangeEvents: Array<Record<string, unknown>> = [];
  private alarms: MetricAlarm[] = ALARM_NAMES.map((name) => ({
    AlarmName: name,
    StateValue: 'OK',
    AlarmDescription: `What ${name} means.`,
  }));

  constructor(readonly accountsUrl = 'https://accounts.zoho.eu') {
    this.cloudFormation.on(DescribeStacksCommand).rejects(stackMissing('another stack'));
    this.cloudFormation.on(DescribeStacksCommand, { StackName: STACK_NAME }).resolves({
      Stacks: [
        {
          StackName: STACK_NAME,
          StackStatus: 'UPDATE_COMPLETE',
          CreationTime: new Date('2026-11-01T00:00:00Z'),
          Outputs: Object.entries(OUTPUTS).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
        },
      ],
    });
    this.cloudFormation.on(ListStackResourcesCommand).resolves({
      StackResourceSummaries: [
        ...ALARM_NAMES.map((name) => resource('AWS::CloudWatch::Alarm', name)),
        resource('AWS::Lambda::Function', EXCHANGE_FUNCTION),
      ],
    });
    this.cloudWatch.on(DescribeAlarmsCommand).callsFake((input: { AlarmNames?: string[] }) => ({
      MetricAlarms: this.alarms.filter((alarm) => input.AlarmNames?.includes(alarm.AlarmName ?? '')),
    }));
    this.lambda.on(GetFunctionConfigurationCommand, { FunctionName: EXCHANGE_FUNCTION }).resolves({
      Environment: { Variables: { ZOHO_ACCOUNTS_URL: accountsUrl, CREDENTIALS_SECRET_ID: CREDENTIALS_ARN } },
    });
    this.secrets.create(CREDENTIALS_ARN, {});
    this.secrets.create(ACCESS_TOKEN_ARN, {});
    this.scheduler.seedRefreshSchedule(SCHEDULE_NAME);
  }

  /** The operator stored the client before connecting. */
  storeClient(): void {
    this.secrets.create(CREDENTIALS_ARN, { client_id: CLIENT_ID, client_secret: CLIENT_SECRET });
  }

  /** A connection as the exchange function leaves it, token issued at `issuedAt`. */
  storeConnection(issuedAt: Date, accountsUrl = this.accountsUrl, refreshToken = REFRESH_TOKEN): void {
    const at = issuedAt.toISOString();
    this.secrets.create(CREDENTIALS_ARN, {
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
      refresh_token: refreshToken,
      accounts_url: accountsUrl,
      api_domain: 'https://www.zohoapis.eu',
      scope: 'ZohoCRM.modules.ALL',
      connected_at: at,
    });
    this.secrets.create(ACCESS_TOKEN_ARN, {
      access_token: ACCESS_TOKEN,
      api_domain: 'https://www.zohoapis.eu',
      token_type: 'Bearer',
      expires_at: new Date(issuedAt.getTime() + 3_600_000).toISOString(),
      refreshed_at: at,
    });
    this.scheduler.seedRefreshSchedule(SCHEDULE_NAME, 'default', { State: 'ENABLED' });
  }

  setAlarm(name: string, state: StateValue, description?: string): void {
    this.alarms = this.alarms.map((alarm) =>
      alarm.AlarmName === name
        ? { ...alarm, StateValue: state, AlarmDescription: description ?? alarm.AlarmDescription }
        : alarm,
    );
  }

  /** The exchange function answers with this result or error, as Lambda reports them. */
  exchangeAnswers(answer: FunctionAnswer): void {
    this.lambda.on(InvokeCommand).callsFake((input: { Payload?: Uint8Array }) => {
      this.exchangeEvents.push(decode(input.Payload));
      return 'result' in answer
        ? { StatusCode: 200, Payload: encode(answer.result) }
        : { StatusCode: 200, FunctionError: 'Unhandled', Payload: encode({ ...answer, trace: [] }) };
    });
  }

  /** The exchange function runs the real use case against this accounts server (a Zoho sandbox). */
  exchangeRunsAgainst(accountsUrl: string): void {
    const dependencies = {
      store: new TokenStore({
        client: new SecretsManagerClient({}),
        credentialsSecretId: CREDENTIALS_ARN,
        accessTokenSecretId: ACCESS_TOKEN_ARN,
      }),
      zoho: new ZohoAccountsClient({ accountsUrl, backoffBaseMs: 1 }),
      schedule: new RefreshSchedule({
        client: new SchedulerClient({}),
        name: SCHEDULE_NAME,
        group: 'default',
      }),
      accountsUrl,
      credentialsSecretId: CREDENTIALS_ARN,
    };
    this.lambda.on(InvokeCommand).callsFake(async (input: { Payload?: Uint8Array }) => {
      const event = decode(input.Payload);
      this.exchangeEvents.push(event);
      try {
        const result = await exchangeGrantCode(dependencies, parseExchangeEvent(event));
        return { StatusCode: 200, Payload: encode(result) };
      } catch (error) {
        const { name, message } = error as Error;
        return {
          StatusCode: 200,
          FunctionError: 'Unhandled',
          Payload: encode({ errorType: name, errorMessage: message, trace: [] }),
        };
      }
    });
  }

  credentials(): Record<string, unknown> {
    return this.secrets.jsonOf(CREDENTIALS_ARN);
  }

  accessToken(): Record<string, unknown> {
    return this.secrets.jsonOf(ACCESS_TOKEN_ARN);
  }

  scheduleState(): string | undefined {
    return this.scheduler.get(SCHEDULE_NAME)?.State;
  }

  restore(): void {
    this.cloudFormation.restore();
    this.lambda.restore();
    this.cloudWatch.restore();
    this.secrets.restore();
    this.scheduler.restore();
  }
}

export function stackMissing(stackName: string): Error {
  return Object.assign(new Error(`Stack with id ${stackName} does not exist`), {
    name: 'ValidationException',
  });
}

function resource(type: string, physicalId: string) {
  return {
    LogicalResourceId: physicalId.replace(/[^A-Za-z0-9]/g, ''),
    PhysicalResourceId: physicalId,
    ResourceType: type,
    ResourceStatus: 'CREATE_COMPLETE' as const,
    LastUpdatedTimestamp: new Date('2026-11-01T00:00:00Z'),
  };
}

function encode(value: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(value));
}

function decode(payload: Uint8Array | undefined): Record<string, unknown> {
  return JSON.parse(new TextDecoder().decode(payload)) as Record<string, unknown>;
}

/** Asserts with a readable failure that none of the values appears in the text. */
export const SECRET_VALUES = [CLIENT_SECRET, GRANT_CODE, REFRESH_TOKEN, ACCESS_TOKEN];
