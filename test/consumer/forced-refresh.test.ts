import {
  InvokeCommand,
  type InvokeCommandOutput,
  LambdaClient,
  TooManyRequestsException,
} from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ForcedRefresh } from '../../functions/consumer/forced-refresh.js';
import { RefreshFunctionError } from '../../functions/consumer/index.js';
import {
  ConfigError,
  NotConnectedError,
  RefreshBudgetExhaustedError,
  ZohoRateLimitedError,
} from '../../functions/lib/errors.js';

const FUNCTION_NAME = 'zoho-token-keeper-refresh';

/** Lambda's answer payload (the SDK wraps the bytes in an adapter; plain bytes are what is read). */
function payload(text: string): InvokeCommandOutput['Payload'] {
  return new TextEncoder().encode(text) as InvokeCommandOutput['Payload'];
}

function failedRun(body: unknown): Partial<InvokeCommandOutput> {
  return {
    StatusCode: 200,
    FunctionError: 'Unhandled',
    Payload: payload(typeof body === 'string' ? body : JSON.stringify(body)),
  };
}

describe('ForcedRefresh', () => {
  const lambda = mockClient(LambdaClient);
  const refresh = new ForcedRefresh(() => new LambdaClient({}), FUNCTION_NAME);

  afterEach(() => {
    lambda.reset();
  });
  afterAll(() => {
    lambda.restore();
  });

  it('invokes the refresh function synchronously with {"force": true}', async () => {
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: payload('{"refreshed":true}') });

    await expect(refresh.request()).resolves.toBe('answered');

    const input = lambda.commandCalls(InvokeCommand)[0]?.args[0].input;
    expect(input?.FunctionName).toBe(FUNCTION_NAME);
    expect(input?.InvocationType).toBe('RequestResponse');
    expect(JSON.parse(new TextDecoder().decode(input?.Payload as Uint8Array))).toEqual({ force: true });
  });

  it('cancels the invoke with the signal it is given', async () => {
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: payload('{"refreshed":true}') });
    const controller = new AbortController();

    await refresh.request(controller.signal);

    const options = (lambda.commandCalls(InvokeCommand)[0]?.args as unknown[] | undefined)?.[1];
    expect(options).toEqual({ abortSignal: controller.signal });
  });

  it('builds the client on the first request only, also when the client comes asynchronously', async () => {
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: payload('{"refreshed":true}') });
    let built = 0;
    const lazy = new ForcedRefresh(async () => {
      built += 1;
      return new LambdaClient({});
    }, FUNCTION_NAME);

    expect(built).toBe(0);
    await expect(lazy.request()).resolves.toBe('answered');
    expect(built).toBe(1);
    expect(lambda.commandCalls(InvokeCommand)).toHaveLength(1);
  });

  it('answers busy when another run holds the only slot', async () => {
    lambda
      .on(InvokeCommand)
      .rejects(new TooManyRequestsException({ message: 'Rate Exceeded.', $metadata: {} }));

    await expect(refresh.request()).resolves.toBe('busy');
  });

  it('answers busy when a run in another container holds the claim on the Zoho call', async () => {
    const inProgress = {
      refreshed: false,
      expires_at: '2026-12-01T09:00:00.000Z',
      connection_state: 'connected',
      reason: 'in-progress',
    };
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: payload(JSON.stringify(inProgress)) });

    await expect(refresh.request()).resolves.toBe('busy');
  });

  it.each([
    ['NotConnectedError', NotConnectedError],
    ['ZohoRateLimitedError', ZohoRateLimitedError],
    ['RefreshBudgetExhaustedError', RefreshBudgetExhaustedError],
  ])("rebuilds the contract's %s with the function's message", async (errorType, errorClass) => {
    lambda.on(InvokeCommand).resolves(failedRun({ errorType, errorMessage: 'What to do next.', trace: [] }));

    const failure = await refresh.request().catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(errorClass);
    expect(failure).toMatchObject({ name: errorType, message: 'What to do next.' });
  });

  it('keeps the name and message of any other failure', async () => {
    lambda
      .on(InvokeCommand)
      .resolves(
        failedRun({ errorType: 'Sandbox.Timedout', errorMessage: 'Task timed out after 30.00 seconds' }),
      );

    const failure = await refresh.request().catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(RefreshFunctionError);
    expect(failure).toMatchObject({
      name: 'Sandbox.Timedout',
      message: 'Task timed out after 30.00 seconds',
    });
  });

  it('says to read the logs when the failure is unreadable', async () => {
    lambda.on(InvokeCommand).resolves(failedRun('not json'));

    await expect(refresh.request()).rejects.toThrow(/failed without a readable error. See its logs/);
  });

  it.each([
    ['ResourceNotFoundException', /not found. Check REFRESH_FUNCTION_NAME/],
    ['AccessDeniedException', /grantForceRefresh/],
  ])('turns %s into a ConfigError that says what to fix', async (name, advice) => {
    lambda.on(InvokeCommand).rejects(Object.assign(new Error('denied'), { name }));

    const failure = await refresh.request().catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(ConfigError);
    expect((failure as Error).message).toMatch(advice);
  });
});
