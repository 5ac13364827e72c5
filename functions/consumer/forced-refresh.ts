import type { InvokeCommandOutput, LambdaClient } from '@aws-sdk/client-lambda';
import { ENV } from '../lib/environment.js';
import {
  ConfigError,
  ConnectionBusyError,
  type ContractErrorName,
  hasErrorName,
  InvalidClientError,
  InvalidEventError,
  InvalidGrantCodeError,
  NotConnectedError,
  RefreshBudgetExhaustedError,
  RefreshTokenRevokedError,
  ZohoRateLimitedError,
  type ZohoTokenKeeperError,
  ZohoUnavailableError,
} from '../lib/errors.js';
import { RefreshFunctionError } from './consumer-errors.js';
import { loadLambdaModule } from './default-clients.js';

/**
 * `answered`: the refresh function ran (refreshed or not); `busy`: another run holds its only slot,
 * or holds the claim on the Zoho call (in another container) and is about to write the new token.
 */
export type ForcedRefreshAnswer = 'answered' | 'busy';

const FORCE_PAYLOAD = new TextEncoder().encode(JSON.stringify({ force: true }));

// The refresh function's errors arrive by name; rebuilding the contract's classes lets callers
// use instanceof on them as on errors raised in their own process.
const CONTRACT_ERRORS: Readonly<Record<ContractErrorName, new (message: string) => ZohoTokenKeeperError>> = {
  InvalidEventError,
  ConfigError,
  NotConnectedError,
  InvalidGrantCodeError,
  InvalidClientError,
  RefreshTokenRevokedError,
  ZohoRateLimitedError,
  ZohoUnavailableError,
  RefreshBudgetExhaustedError,
  ConnectionBusyError,
};

/**
 * Asks the refresh function for a new access token: a synchronous invoke with `{"force": true}`.
 * The function spaces refreshes at least 10 minutes apart, so asking is always safe for Zoho.
 */
export class ForcedRefresh {
  readonly #lambda: () => LambdaClient | Promise<LambdaClient>;
  readonly functionName: string;

  /**
   * `lambda` is called on the first request only, so a reader that never asks never builds a client,
   * nor loads its module.
   */
  constructor(lambda: () => LambdaClient | Promise<LambdaClient>, functionName: string) {
    this.#lambda = lambda;
    this.functionName = functionName;
  }

  /** `abortSignal` cancels the invoke; the run it started may still finish and store a token. */
  async request(abortSignal?: AbortSignal): Promise<ForcedRefreshAnswer> {
    let output: InvokeCommandOutput;
    try {
      const [client, { InvokeCommand }] = await Promise.all([this.#lambda(), loadLambdaModule()]);
      output = await client.send(
        new InvokeCommand({
          FunctionName: this.functionName,
          InvocationType: 'RequestResponse',
          Payload: FORCE_PAYLOAD,
        }),
        { abortSignal },
      );
    } catch (error) {
      // Reserved concurrency 1: another run (scheduled, or another container's) is refreshing now.
      if (hasErrorName(error, 'TooManyRequestsException')) return 'busy';
      throw this.#explainInvokeFailure(error);
    }
    if (output.FunctionError) throw this.#errorOfFailedRun(output.Payload);
    return parsePayload(output.Payload).reason === 'in-progress' ? 'busy' : 'answered';
  }

  /** For when the function stayed busy through every attempt of a caller. */
  busyError(attempts: number): RefreshFunctionError {
    return new RefreshFunctionError(
      'TooManyRequestsException',
      `The refresh function ${this.functionName} was busy ${attempts} times in a row, so no new access token ` +
        'could be asked for. Try again in a minute; if this repeats, check that nothing else invokes it in a loop ' +
        'and that its reserved concurrency is 1.',
    );
  }

  /** The run's own error, by name and message: the contract's messages carry no secret. */
  #errorOfFailedRun(payload: Uint8Array | undefined): Error {
    const { errorType, errorMessage } = parseErrorPayload(payload);
    if (!errorType || !errorMessage) {
      return new RefreshFunctionError(
        'RefreshFunctionError',
        `The refresh function ${this.functionName} failed without a readable error. See its logs.`,
      );
    }
    if (errorType === 'ConfigError') {
      // The refresh function's own deployment is wrong, not this function's: the caller keeps serving
      // a token that still works, and the message says where to look.
      return new RefreshFunctionError(
        'RefreshFunctionError',
        `The refresh function ${this.functionName} is misconfigured (ConfigError): ${errorMessage} ` +
          "This function's own setup is fine; fix the keeper's deployment.",
      );
    }
    const ContractError = CONTRACT_ERRORS[errorType as ContractErrorName];
    return ContractError
      ? new ContractError(errorMessage)
      : new RefreshFunctionError(errorType, errorMessage);
  }

  #explainInvokeFailure(error: unknown): unknown {
    const options = { cause: error };
    if (hasErrorName(error, 'ResourceNotFoundException')) {
      return new ConfigError(
        `The refresh function ${this.functionName} was not found. Check ${ENV.refreshFunctionName} on this ` +
          "function: it must name the connection's refresh function in this account and region.",
        options,
      );
    }
    if (hasErrorName(error, 'AccessDeniedException')) {
      return new ConfigError(
        `This function's role may not invoke the refresh function ${this.functionName}. Grant it with ` +
          'connection.grantForceRefresh(fn) (or connection.addConsumer(fn)) in CDK and redeploy.',
        options,
      );
    }
    return error;
  }
}

function parseErrorPayload(payload: Uint8Array | undefined): { errorType?: string; errorMessage?: string } {
  const { errorType, errorMessage } = parsePayload(payload);
  return {
    errorType: typeof errorType === 'string' ? errorType : undefined,
    errorMessage: typeof errorMessage === 'string' ? errorMessage : undefined,
  };
}

function parsePayload(payload: Uint8Array | undefined): Record<string, unknown> {
  if (!payload) return {};
  try {
    const parsed: unknown = JSON.parse(new TextDecoder().decode(payload));
    return parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
