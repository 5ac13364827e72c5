import { DeleteItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import { inject, vi } from 'vitest';
import { STATE_TABLE_KEY } from '../../functions/lib/environment.js';
import type { ConnectionItem } from '../../functions/lib/store/connection-item.js';
import { DynamoStateStore } from '../../functions/lib/store/dynamo-state-store.js';
import { ZohoSandbox } from '../sandbox/zoho-sandbox.js';
import { InMemoryScheduler, InMemorySecretsManager } from './in-memory-aws.js';
import { LocalEventBridge } from './local-event-bridge.js';
import { createStateTable, dynamoClient } from './state-table.js';

export const CREDENTIALS_SECRET = 'zoho-token-keeper/test/credentials';
export const ACCESS_TOKEN_SECRET = 'zoho-token-keeper/test/access-token';
export const SCHEDULE_NAME = 'zoho-token-keeper-test-refresh';
export const CLIENT = {
  clientId: '1000.TESTCLIENT0123456789ABCDEFGHIJ',
  clientSecret: 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678ab',
};

/**
 * The instant handler tests run at. The handlers read the wall clock (`new Date()`), so the harness
 * stops it here: times a handler computes are then exact, whatever the machine's speed.
 */
export const NOW = Date.parse('2026-11-30T08:00:00.000Z');

export type LambdaHandler = (event: unknown, context: Context) => Promise<unknown>;

/**
 * A deployed connection in miniature: the Zoho sandbox on 127.0.0.1, Secrets Manager and Scheduler
 * in memory, a state table of its own in the run's DynamoDB (dynalite), and the contract's
 * environment variables pointing at them. Handlers are imported afresh so that each test gets its
 * own cold start.
 */
export class HandlerHarness {
  readonly output: string[] = [];
  private writeSpy?: { mockRestore(): void };

  private constructor(
    readonly sandbox: ZohoSandbox,
    readonly secrets: InMemorySecretsManager,
    readonly scheduler: InMemoryScheduler,
    readonly stateTable: string,
    /** Where the functions put their health events: the real SDK client, on the wire. */
    readonly eventBridge: LocalEventBridge,
  ) {}

  static async start(): Promise<HandlerHarness> {
    // Before the sandbox starts, so that it mints and checks tokens by the same clock.
    vi.useFakeTimers({ toFake: ['Date'], now: NOW });
    const harness = new HandlerHarness(
      await ZohoSandbox.start(),
      new InMemorySecretsManager(() => Date.now()),
      new InMemoryScheduler(),
      await createStateTable(),
      await LocalEventBridge.start(),
    );
    harness.sandbox.registerClient(CLIENT);
    harness.secrets.create(CREDENTIALS_SECRET, {});
    harness.secrets.create(ACCESS_TOKEN_SECRET, {});
    harness.scheduler.seedRefreshSchedule(SCHEDULE_NAME);
    vi.stubEnv('ZOHO_ACCOUNTS_URL', harness.sandbox.url);
    vi.stubEnv('CREDENTIALS_SECRET_ID', CREDENTIALS_SECRET);
    vi.stubEnv('ACCESS_TOKEN_SECRET_ID', ACCESS_TOKEN_SECRET);
    vi.stubEnv('REFRESH_SCHEDULE_NAME', SCHEDULE_NAME);
    vi.stubEnv('STATE_TABLE_NAME', harness.stateTable);
    vi.stubEnv('AWS_ENDPOINT_URL_DYNAMODB', inject('dynamoEndpoint'));
    vi.stubEnv('CONNECTION_NAME', 'test');
    vi.stubEnv('AWS_ENDPOINT_URL_EVENTBRIDGE', harness.eventBridge.url);
    vi.stubEnv('POWERTOOLS_SERVICE_NAME', 'test');
    harness.captureOutput();
    return harness;
  }

  async importHandler(path: 'exchange' | 'refresh'): Promise<LambdaHandler> {
    vi.resetModules();
    const module = (await import(`../../functions/${path}/handler.ts`)) as { handler: LambdaHandler };
    return module.handler;
  }

  /** The credentials document as stored now. */
  credentials(): Record<string, unknown> {
    return this.secrets.jsonOf(CREDENTIALS_SECRET);
  }

  accessToken(): Record<string, unknown> {
    return this.secrets.jsonOf(ACCESS_TOKEN_SECRET);
  }

  /** The connection's state as the table holds it. */
  state(): Promise<ConnectionItem | undefined> {
    return new DynamoStateStore({ client: dynamoClient(), tableName: this.stateTable }).read();
  }

  /** Empties the state table, as a new deployment (or an upgrade from 0.2.0) finds it. */
  async clearState(): Promise<void> {
    await dynamoClient().send(
      new DeleteItemCommand({
        TableName: this.stateTable,
        Key: { [STATE_TABLE_KEY.attribute]: { S: STATE_TABLE_KEY.value } },
      }),
    );
  }

  /**
   * Makes the stored access token look as if it had been minted `minutes` ago, in the secret and in
   * the table, as time passing would leave them (no new version).
   */
  async ageStoredToken(minutes: number): Promise<void> {
    const document = this.accessToken();
    const shift = (iso: unknown) => new Date(Date.parse(String(iso)) - minutes * 60_000).toISOString();
    const refreshedAt = shift(document.refreshed_at);
    const expiresAt = shift(document.expires_at);
    this.secrets.rewriteCurrent(ACCESS_TOKEN_SECRET, {
      ...document,
      refreshed_at: refreshedAt,
      expires_at: expiresAt,
    });
    await dynamoClient().send(
      new UpdateItemCommand({
        TableName: this.stateTable,
        Key: { [STATE_TABLE_KEY.attribute]: { S: STATE_TABLE_KEY.value } },
        UpdateExpression: 'SET refreshed_at = :refreshed, expires_at = :expires',
        ExpressionAttributeValues: { ':refreshed': { S: refreshedAt }, ':expires': { S: expiresAt } },
      }),
    );
  }

  /** Every string a test knows to be secret, for the no-secret-in-output checks. */
  knownSecrets(): string[] {
    const values = [CLIENT.clientSecret, this.credentials().refresh_token, this.accessToken().access_token];
    return values.filter((value): value is string => typeof value === 'string' && value.length > 0);
  }

  async stop(): Promise<void> {
    this.writeSpy?.mockRestore();
    vi.useRealTimers();
    vi.unstubAllEnvs();
    this.secrets.restore();
    this.scheduler.restore();
    await this.sandbox.close();
    await this.eventBridge.close();
  }

  // Powertools writes its JSON log lines and EMF metrics straight to stdout/stderr.
  private captureOutput(): void {
    const record = (chunk: unknown) => {
      this.output.push(String(chunk));
      return true;
    };
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(record);
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(record);
    this.writeSpy = {
      mockRestore() {
        stdout.mockRestore();
        stderr.mockRestore();
      },
    };
  }
}

export function lambdaContext(functionName = 'test-function'): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:eu-west-1:123456789012:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: `request-${Math.random().toString(16).slice(2)}`,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'stream',
    getRemainingTimeInMillis: () => 30_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

export async function captureRejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the invocation to fail');
}
