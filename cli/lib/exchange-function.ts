import { InvokeCommand, type InvokeCommandOutput } from '@aws-sdk/client-lambda';
import type {
  ConnectionStatus,
  DisconnectResult,
  OperatorEvent,
} from '../../functions/lib/connection-status.js';
import { DATA_CENTRE_IDS } from '../../functions/lib/data-centres.js';
import { hasErrorName } from '../../functions/lib/errors.js';
import { commandLine } from './args.js';
import { awsFailure } from './aws-errors.js';
import { CliError } from './cli-error.js';
import type { CliClients } from './clients.js';
import type { Connection } from './connection.js';
import {
  type AdviceContext,
  exchangeFailure,
  type OperatorRequest,
  operatorFailure,
  redeploy,
} from './contract-advice.js';
import { EXIT_CODES } from './exit-codes.js';
import {
  type ExchangeAnswer,
  readConnectionStatus,
  readDisconnectResult,
  readExchangeAnswer,
} from './function-answers.js';

/** The exchange function's grant-code event (contract): the client only when it must be stored. */
export interface ExchangeRequest {
  readonly code: string;
  readonly client_id?: string;
  readonly client_secret?: string;
}

type Request = 'exchange' | OperatorRequest;

type InvokeOutcome =
  | { readonly kind: 'answered'; readonly payload: unknown }
  | { readonly kind: 'failed'; readonly errorType: string; readonly errorMessage: string };

/** Asks the exchange function for the connection's state: the only way an operator learns it. */
export async function requestStatus(
  clients: CliClients,
  connection: Connection,
  advice: AdviceContext,
): Promise<ConnectionStatus> {
  const outcome = await invoke(clients, connection, 'status', { status: true });
  if (outcome.kind === 'failed') {
    throw operatorFailure('status', outcome.errorType, outcome.errorMessage, advice);
  }
  return readConnectionStatus(outcome.payload) ?? unreadable(connection, 'status', advice);
}

/** Has the function revoke the refresh token at Zoho, clear the tokens and cancel any follow-up. */
export async function requestDisconnect(
  clients: CliClients,
  connection: Connection,
  advice: AdviceContext,
): Promise<DisconnectResult> {
  const outcome = await invoke(clients, connection, 'disconnect', { disconnect: true });
  if (outcome.kind === 'failed') {
    throw operatorFailure('disconnect', outcome.errorType, outcome.errorMessage, advice);
  }
  return readDisconnectResult(outcome.payload) ?? unreadable(connection, 'disconnect', advice);
}

export async function requestExchange(
  clients: CliClients,
  connection: Connection,
  request: ExchangeRequest,
  advice: AdviceContext,
): Promise<ExchangeAnswer> {
  const outcome = await invoke(clients, connection, 'exchange', request);
  if (outcome.kind === 'failed') throw exchangeFailure(outcome.errorType, outcome.errorMessage, advice);
  const answer = readExchangeAnswer(outcome.payload);
  // The exchange may well have gone through: the advice points to status, which tells without a code.
  if (answer === undefined) {
    throw exchangeFailure('UnexpectedAnswer', 'the function returned no connection result', advice);
  }
  return answer;
}

/** Synchronous, so that the answer (or the function's error) comes back to the operator. */
async function invoke(
  clients: CliClients,
  connection: Connection,
  request: Request,
  event: ExchangeRequest | OperatorEvent,
): Promise<InvokeOutcome> {
  let output: InvokeCommandOutput;
  try {
    output = await clients.lambda.send(
      new InvokeCommand({
        FunctionName: connection.target.names.exchangeFunction,
        InvocationType: 'RequestResponse',
        Payload: new TextEncoder().encode(JSON.stringify(event)),
      }),
    );
  } catch (error) {
    throw invokeFailure(error, connection, request, clients);
  }
  const payload = parsePayload(output.Payload);
  if (output.FunctionError) {
    return {
      kind: 'failed',
      errorType: stringField(payload, 'errorType') ?? output.FunctionError,
      errorMessage: stringField(payload, 'errorMessage') ?? 'no message',
    };
  }
  return { kind: 'answered', payload };
}

/** What to do when the request may or may not have reached the function. */
const UNCERTAIN: Readonly<Record<Request, (status: string) => string[]>> = {
  exchange: (status) => [
    `Run ${status} to see whether the exchange went through.`,
    'If it is not connected, generate a new grant code and run connect again.',
  ],
  status: () => ['Run the command again.'],
  disconnect: (status) => [
    `Run ${status} to see whether it disconnected; running disconnect again is harmless.`,
  ],
};

function invokeFailure(
  error: unknown,
  connection: Connection,
  request: Request,
  clients: CliClients,
): CliError {
  const { target, region } = connection;
  const functionName = target.names.exchangeFunction;
  // Lambda answers 404 ResourceNotFoundException: no connection of that name in this account and region.
  if (hasErrorName(error, 'ResourceNotFoundException')) {
    const profile = target.profile === undefined ? '' : ` with profile ${target.profile}`;
    return new CliError(
      `No connection "${target.connectionName}" in region ${region ?? '(not set)'}${profile}: ` +
        `its exchange function ${functionName} does not exist.`,
      {
        exitCode: EXIT_CODES.userError,
        nextSteps: [
          'If it is deployed in another region or account, pass --region REGION and --profile PROFILE ' +
            '(or set AWS_REGION, AWS_PROFILE).',
          'If the connection has another name, pass --connection NAME (the connectionName it was deployed with).',
          'If it is not deployed yet, or was deployed by a version whose exchange function had no fixed name, ' +
            `deploy it: npx cdk deploy -c dataCenter=<${DATA_CENTRE_IDS.join('|')}> ` +
            `-c connectionName=${target.connectionName}, or deploy your own stack that holds the ZohoConnection.`,
        ],
        cause: error,
      },
    );
  }
  const failure = awsFailure(error, {
    service: 'AWS Lambda',
    action: `invoke the exchange function ${functionName}`,
    permission: `lambda:InvokeFunction on ${functionName}`,
    region,
    profile: target.profile,
    timeouts: clients.timeouts,
    requestTimeoutMs: clients.timeouts.invokeMs,
  });
  if (failure.exitCode !== EXIT_CODES.serviceError) return failure;
  return new CliError(failure.message, {
    exitCode: failure.exitCode,
    details: failure.details,
    cause: error,
    nextSteps: [...failure.nextSteps, ...UNCERTAIN[request](commandLine('status', target))],
  });
}

function unreadable(connection: Connection, request: OperatorRequest, advice: AdviceContext): never {
  throw new CliError(
    `The exchange function ${connection.target.names.exchangeFunction} gave an answer to the ${request} request that these commands do not understand.`,
    {
      exitCode: EXIT_CODES.userError,
      nextSteps: [
        `Deploy the same version as these commands: ${redeploy(advice)}`,
        'Then run the command again.',
      ],
    },
  );
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
