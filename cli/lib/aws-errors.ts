import { ConfigError } from '../../functions/lib/errors.js';
import { CliError } from './cli-error.js';
import type { ClientTimeouts } from './clients.js';
import { EXIT_CODES } from './exit-codes.js';

export interface AwsCallContext {
  /** The service called, as AWS names it: "AWS Lambda", "Amazon CloudWatch". */
  readonly service: string;
  /** What was being done, e.g. "invoke the exchange function zoho-token-keeper-crm-exchange". */
  readonly action: string;
  /** The IAM permission the call needs, named when AWS denies it. */
  readonly permission: string;
  readonly region: string | undefined;
  readonly profile: string | undefined;
  /** The timeouts the call ran with, named when it timed out. */
  readonly timeouts: ClientTimeouts;
  /** The request timeout of this call, when not `timeouts.requestMs` (Lambda Invoke). */
  readonly requestTimeoutMs?: number;
}

/*
 * Error names as the SDK reports them (its service models, node_modules/@aws-sdk/client-*\/dist-types/
 * models/errors.d.ts, and AWS's API references). Some are not modelled and arrive with the name AWS
 * sends (x-amzn-ErrorType, or x-amzn-query-error for CloudWatch's query-compatible JSON protocol).
 */
/** The SDK's own, when no credential provider found anything (@smithy/property-provider). */
const NO_CREDENTIALS = new Set(['CredentialsProviderError']);
/** Lambda: ExpiredTokenException; query-compatible services (CloudWatch): ExpiredToken. */
const EXPIRED = new Set(['ExpiredToken', 'ExpiredTokenException', 'TokenProviderError']);
/** Lambda: UnrecognizedClientException, InvalidSignatureException; CloudWatch: InvalidClientTokenId... */
const REJECTED_CREDENTIALS = new Set([
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'InvalidSignatureException',
  'SignatureDoesNotMatch',
]);
/** Lambda: AccessDeniedException (not modelled); CloudWatch: AccessDenied. */
const ACCESS_DENIED = new Set(['AccessDenied', 'AccessDeniedException']);
/** The SDK's NodeHttpHandler names both its connection and its request timeout TimeoutError. */
const TIMED_OUT = 'TimeoutError';
/** Lambda: TooManyRequestsException (429), ServiceException (500); CloudWatch: Throttling, InternalServiceFault. */
const PASSING = new Set([
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'ServiceException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'InternalFailure',
  'InternalServiceFault',
  'InternalServiceError',
  'InternalServerError',
]);
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'ETIMEDOUT', 'EAI_AGAIN', 'EPIPE']);

/**
 * Turns a failed AWS call into what the operator should do. The shared modules (TokenStore,
 * RefreshSchedule) wrap some AWS errors in a ConfigError written for the functions' role; here the
 * caller is a person, so the AWS error underneath is what counts.
 */
export function awsFailure(error: unknown, context: AwsCallContext): CliError {
  if (error instanceof CliError) return error;
  const aws = error instanceof ConfigError && error.cause instanceof Error ? error.cause : error;
  const name = aws instanceof Error ? aws.name : '';
  const message = aws instanceof Error ? aws.message : String(aws);
  const where = describeWhere(context);
  const fail = (headline: string, exitCode: 1 | 2, nextSteps: string[], details?: string) =>
    new CliError(headline, { exitCode, nextSteps, details, cause: error });

  if (NO_CREDENTIALS.has(name) || /could not load credentials/i.test(message)) {
    return fail(`No AWS credentials were found (${where}).`, EXIT_CODES.userError, [
      'Configure credentials: pass --profile NAME or set AWS_PROFILE to a profile of the account the connection ' +
        'is deployed in (aws configure, or aws sso login --profile NAME), or set AWS_ACCESS_KEY_ID and ' +
        'AWS_SECRET_ACCESS_KEY.',
    ]);
  }
  if (EXPIRED.has(name) || /sso session .* expired|token .*expired/i.test(message)) {
    return fail(
      `Your AWS session has expired (${name || 'expired token'}, ${where}).`,
      EXIT_CODES.userError,
      ['Log in again (aws sso login, or refresh your temporary credentials), then run the command again.'],
    );
  }
  if (REJECTED_CREDENTIALS.has(name)) {
    return fail(`AWS rejected your credentials (${name}, ${where}).`, EXIT_CODES.userError, [
      'Check the access key or profile (--profile, AWS_PROFILE), then run the command again.',
    ]);
  }
  if (/region is missing|region not accepted/i.test(message)) {
    return fail('No valid AWS region is set.', EXIT_CODES.userError, [
      'Pass --region REGION (the region the connection is deployed in), or set AWS_REGION.',
    ]);
  }
  if (ACCESS_DENIED.has(name)) {
    return fail(
      `Your AWS identity may not ${context.action} (${where}): it needs ${context.permission}.`,
      EXIT_CODES.userError,
      [
        `Use a profile that has ${context.permission} (--profile), or ask your AWS administrator to grant it ` +
          '(docs/operating.md, "Permissions", lists what the operator commands need).',
      ],
      `AWS said: ${message}`,
    );
  }
  if (error instanceof ConfigError) {
    return fail(`Could not ${context.action}: ${error.message}`, EXIT_CODES.userError, []);
  }
  if (name === TIMED_OUT) {
    const connecting = /establish a connection/i.test(message);
    const ms = connecting
      ? context.timeouts.connectionMs
      : (context.requestTimeoutMs ?? context.timeouts.requestMs);
    return fail(
      `No answer from ${context.service} in ${context.region ?? 'the configured region'} within ` +
        `${seconds(ms)} s when trying to ${context.action}.`,
      EXIT_CODES.serviceError,
      ['Check your network connection or proxy (HTTPS_PROXY), or retry.'],
    );
  }
  const code = errorCode(aws);
  if (PASSING.has(name) || NETWORK_CODES.has(code) || httpStatus(aws) >= 500) {
    const reason = NETWORK_CODES.has(code) ? code : name && name !== 'Error' ? name : 'network error';
    return fail(
      `${context.service} did not answer when trying to ${context.action} (${where}): ${reason}.`,
      EXIT_CODES.serviceError,
      ['Check your network connection and https://health.aws.amazon.com, then run the command again.'],
    );
  }
  return fail(
    `Could not ${context.action} (${where}).`,
    EXIT_CODES.serviceError,
    ['Read the AWS error above, fix its cause, then run the command again.'],
    `AWS said: ${name ? `${name}: ` : ''}${message}`,
  );
}

function seconds(ms: number): string {
  return String(Math.round(ms / 100) / 10);
}

function describeWhere(context: AwsCallContext): string {
  const region = `region ${context.region ?? 'not set'}`;
  return context.profile === undefined ? region : `${region}, profile ${context.profile}`;
}

function errorCode(error: unknown): string {
  if (typeof error !== 'object' || error === null) return '';
  const own = 'code' in error && typeof error.code === 'string' ? error.code : '';
  if (own) return own;
  const cause = 'cause' in error ? error.cause : undefined;
  return typeof cause === 'object' && cause !== null && 'code' in cause && typeof cause.code === 'string'
    ? cause.code
    : '';
}

function httpStatus(error: unknown): number {
  if (typeof error !== 'object' || error === null || !('$metadata' in error)) return 0;
  const metadata = error.$metadata;
  return typeof metadata === 'object' &&
    metadata !== null &&
    'httpStatusCode' in metadata &&
    typeof metadata.httpStatusCode === 'number'
    ? metadata.httpStatusCode
    : 0;
}
