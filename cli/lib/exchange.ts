import { InvokeCommand, type InvokeCommandOutput } from '@aws-sdk/client-lambda';
import type { ExchangeResult } from '../../functions/exchange/exchange-grant-code.js';
import { hasErrorName } from '../../functions/lib/errors.js';
import { commandLine } from './args.js';
import { awsFailure } from './aws-errors.js';
import { CliError } from './cli-error.js';
import type { CliClients } from './clients.js';
import { EXIT_CODES } from './exit-codes.js';
import type { ConnectionStack } from './stack.js';

/** The exchange function's event (contract): the client only when it must be stored. */
export interface ExchangeRequest {
  readonly code: string;
  readonly client_id?: string;
  readonly client_secret?: string;
}

export type ExchangeOutcome =
  | { readonly kind: 'connected'; readonly result: ExchangeResult }
  | { readonly kind: 'failed'; readonly errorType: string; readonly errorMessage: string };

/** Invokes the exchange function synchronously and reads its answer. */
export async function invokeExchange(
  clients: CliClients,
  stack: ConnectionStack,
  request: ExchangeRequest,
): Promise<ExchangeOutcome> {
  let output: InvokeCommandOutput;
  try {
    output = await clients.lambda.send(
      new InvokeCommand({
        FunctionName: stack.outputs.exchangeFunctionName,
        InvocationType: 'RequestResponse',
        Payload: new TextEncoder().encode(JSON.stringify(request)),
      }),
    );
  } catch (error) {
    throw invokeFailure(error, stack);
  }
  const payload = parsePayload(output.Payload);
  if (output.FunctionError) {
    return {
      kind: 'failed',
      errorType: stringField(payload, 'errorType') ?? output.FunctionError,
      errorMessage: stringField(payload, 'errorMessage') ?? 'no message',
    };
  }
  const result = asExchangeResult(payload);
  return result
    ? { kind: 'connected', result }
    : {
        kind: 'failed',
        errorType: 'UnexpectedAnswer',
        errorMessage: 'the function returned no connection result',
      };
}

function invokeFailure(error: unknown, stack: ConnectionStack): CliError {
  const functionName = stack.outputs.exchangeFunctionName;
  if (hasErrorName(error, 'ResourceNotFoundException')) {
    return new CliError(`The exchange function ${functionName} named by the stack does not exist.`, {
      exitCode: EXIT_CODES.userError,
      nextSteps: [
        'Deploy the stack again (npx cdk deploy) to restore it, then run connect with a new grant code.',
      ],
      cause: error,
    });
  }
  const failure = awsFailure(error, {
    action: `invoke the exchange function ${functionName}`,
    region: stack.region,
    profile: stack.target.profile,
  });
  if (failure.exitCode !== EXIT_CODES.serviceError) return failure;
  // The request may have reached the function, which may have used the single-use code.
  return new CliError(failure.message, {
    exitCode: failure.exitCode,
    details: failure.details,
    cause: error,
    nextSteps: [
      `Run ${commandLine('status', stack.target)} to see whether the exchange went through.`,
      'If it is not connected, generate a new grant code and run connect again.',
    ],
  });
}

function parsePayload(payload: Uint8Array | undefined): unknown {
  if (payload === undefined || payload.length === 0) return undefined;
  try {
    return JSON.parse(new TextDecoder().decode(payload));
  } catch {
    return undefined;
  }
}

function stringField(value: unknown, key: string): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const field = (value as Record<string, unknown>)[key];
  return typeof field === 'string' ? field : undefined;
}

function asExchangeResult(payload: unknown): ExchangeResult | undefined {
  const apiDomain = stringField(payload, 'api_domain');
  const expiresAt = stringField(payload, 'expires_at');
  const scope = stringField(payload, 'scope');
  if (stringField(payload, 'status') !== 'connected' || !apiDomain || !expiresAt) return undefined;
  return { status: 'connected', api_domain: apiDomain, expires_at: expiresAt, ...(scope ? { scope } : {}) };
}
