import {
  CloudWatchClient,
  DescribeAlarmsCommand,
  type MetricAlarm,
  type StateValue,
} from '@aws-sdk/client-cloudwatch';
import { type InvocationResponse, InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { FakeExchangeFunction, FunctionFailure } from './fake-exchange-function.js';

export const EXCHANGE_FUNCTION = 'zoho-token-keeper-default-exchange';
export const CREDENTIALS_NAME = 'zoho-token-keeper/default/credentials';
export const ACCESS_TOKEN_NAME = 'zoho-token-keeper/default/access-token';
export const SCHEDULE_NAME = 'zoho-token-keeper-default-refresh';
export const ALARM_NAMES = [
  'zoho-token-keeper-default-refresh-failed',
  'zoho-token-keeper-default-token-stale',
] as const;

/** A client id is an identifier the status answer carries; the values below must never be shown. */
export const CLIENT_ID = '1000.CLIENTID7QX2ZK';
export const CLIENT_SECRET = 'c1e2n3t4s5e6c7r8e9t0abcd';
export const GRANT_CODE = '1000.0123456789abcdef0123456789abcdef.fedcba9876543210fedcba9876543210';
export const REFRESH_TOKEN = '1000.refresh0123456789abcdef.refresh0123456789abcdef';
export const NEW_REFRESH_TOKEN = '1000.refreshfedcba9876543210.refreshfedcba9876543210';
export const ACCESS_TOKEN = '1000.access0123456789abcdef.access0123456789abcdef';

/** Values that must never appear in any output. */
export const SECRET_VALUES = [CLIENT_SECRET, GRANT_CODE, REFRESH_TOKEN, NEW_REFRESH_TOKEN, ACCESS_TOKEN];

export type EventKind = 'status' | 'disconnect' | 'exchange';

/**
 * One deployed connection in memory, found as the commands find it, by fixed names: its alarms and
 * its exchange function (fake-exchange-function.ts) behind Lambda Invoke; any other function name
 * is answered with ResourceNotFoundException, as Lambda does. Secrets Manager and
 * Scheduler are mocked too, answering nothing, so that any call the commands make to them shows.
 */
export class FakeDeployment {
  readonly lambda = mockClient(LambdaClient);
  readonly cloudWatch = mockClient(CloudWatchClient);
  readonly secretsManager = mockClient(SecretsManagerClient);
  readonly scheduler = mockClient(SchedulerClient);
  readonly exchangeFunction: FakeExchangeFunction;
  /** The events the exchange function received, in order. */
  readonly events: Array<Record<string, unknown>> = [];
  private readonly failures = new Map<EventKind, { errorType: string; errorMessage: string }>();
  private alarms: MetricAlarm[] = ALARM_NAMES.map((name) => ({
    AlarmName: name,
    StateValue: 'OK',
    AlarmDescription: `What ${name} means.`,
  }));

  constructor(now: () => Date = () => new Date()) {
    this.exchangeFunction = new FakeExchangeFunction('https://accounts.zoho.eu', SCHEDULE_NAME, now);
    this.exchangeFunction.nextRefreshToken = NEW_REFRESH_TOKEN;
    this.cloudWatch.on(DescribeAlarmsCommand).callsFake((input: { AlarmNames?: string[] }) => ({
      MetricAlarms: this.alarms.filter((alarm) => input.AlarmNames?.includes(alarm.AlarmName ?? '')),
    }));
    this.lambda.on(InvokeCommand).callsFake((input: { FunctionName?: string }) => {
      throw functionMissing(input.FunctionName ?? '');
    });
    this.lambda
      .on(InvokeCommand, { FunctionName: EXCHANGE_FUNCTION })
      .callsFake((input: { Payload?: Uint8Array }) => this.invoke(decode(input.Payload)));
  }

  /** The client was stored by an earlier connect, then disconnected. */
  storeClient(): void {
    this.exchangeFunction.connection.client = { id: CLIENT_ID, secret: CLIENT_SECRET };
  }

  /** A connection as the exchange function leaves it, token issued at `issuedAt`. */
  storeConnection(issuedAt: Date): void {
    const at = issuedAt.toISOString();
    this.exchangeFunction.connection = {
      state: 'connected',
      stateSince: at,
      client: { id: CLIENT_ID, secret: CLIENT_SECRET },
      refreshToken: REFRESH_TOKEN,
      connectedAt: at,
      expiresAt: new Date(issuedAt.getTime() + 3_600_000).toISOString(),
      refreshedAt: at,
      scheduleState: 'ENABLED',
    };
  }

  /** Zoho answered a refresh with invalid_code at `since`. */
  markNeedsReconnect(since: Date): void {
    Object.assign(this.exchangeFunction.connection, {
      state: 'needs-reconnect',
      stateReason: 'refresh-token-revoked',
      stateSince: since.toISOString(),
      lastFailure: { at: since.toISOString(), error: 'RefreshTokenRevokedError' },
    });
  }

  /** The function fails this kind of event with an error of that name, as Lambda reports it. */
  failWith(
    kind: EventKind,
    errorType: string,
    errorMessage = `The function's own words about ${errorType}.`,
  ): void {
    this.failures.set(kind, { errorType, errorMessage });
  }

  setAlarm(name: string, state: StateValue, description?: string): void {
    this.alarms = this.alarms.map((alarm) =>
      alarm.AlarmName === name
        ? { ...alarm, StateValue: state, AlarmDescription: description ?? alarm.AlarmDescription }
        : alarm,
    );
  }

  eventsOf(kind: EventKind): Array<Record<string, unknown>> {
    return this.events.filter((event) => kindOf(event) === kind);
  }

  /** Calls the commands made to services they must not use. */
  forbiddenCalls(): number {
    return this.secretsManager.calls().length + this.scheduler.calls().length;
  }

  restore(): void {
    for (const mock of [this.lambda, this.cloudWatch, this.secretsManager, this.scheduler]) {
      mock.restore();
    }
  }

  /** Lambda's RequestResponse answer: a failure is FunctionError 'Unhandled' and the runtime's error JSON. */
  private invoke(event: Record<string, unknown>): InvocationResponse {
    this.events.push(event);
    const fail = (errorType: string, errorMessage: string): InvocationResponse => ({
      StatusCode: 200,
      FunctionError: 'Unhandled',
      ExecutedVersion: '$LATEST',
      Payload: encode({ errorType, errorMessage, trace: [] }),
    });
    const failure = this.failures.get(kindOf(event));
    if (failure) return fail(failure.errorType, failure.errorMessage);
    try {
      const result = this.exchangeFunction.handle(event);
      return { StatusCode: 200, ExecutedVersion: '$LATEST', Payload: encode(result) };
    } catch (error) {
      if (error instanceof FunctionFailure) return fail(error.errorType, error.message);
      throw error;
    }
  }
}

function kindOf(event: Record<string, unknown>): EventKind {
  if (event.status === true) return 'status';
  if (event.disconnect === true) return 'disconnect';
  return 'exchange';
}

/** Lambda's answer to an Invoke of a function that does not exist, as the SDK reports it. */
export function functionMissing(functionName: string): Error {
  return Object.assign(
    new Error(`Function not found: arn:aws:lambda:eu-west-1:123456789012:function:${functionName}`),
    { name: 'ResourceNotFoundException' },
  );
}

function encode(value: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(value));
}

function decode(payload: Uint8Array | undefined): Record<string, unknown> {
  return JSON.parse(new TextDecoder().decode(payload)) as Record<string, unknown>;
}
