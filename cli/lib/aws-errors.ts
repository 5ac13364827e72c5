import { ConfigError } from '../../functions/lib/errors.js';
import { CliError } from './cli-error.js';
import { EXIT_CODES } from './exit-codes.js';

export interface AwsCallContext {
  /** What was being done, e.g. "read the credentials secret". */
  readonly action: string;
  readonly region: string | undefined;
  readonly profile: string | undefined;
}

const NO_CREDENTIALS = new Set(['CredentialsProviderError']);
const EXPIRED = new Set(['ExpiredToken', 'ExpiredTokenException', 'TokenProviderError']);
const REJECTED_CREDENTIALS = new Set([
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'InvalidSignatureException',
  'SignatureDoesNotMatch',
]);
const ACCESS_DENIED = new Set(['AccessDenied', 'AccessDeniedException']);
const PASSING = new Set([
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'InternalFailure',
  'InternalServiceError',
  'InternalServerError',
  'TimeoutError',
  'RequestTimeout',
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
      'Pass --profile NAME or set AWS_PROFILE to a profile of the account the stack is deployed in ' +
        '(aws configure, or aws sso login --profile NAME).',
    ]);
  }
  if (EXPIRED.has(name) || /sso session .* expired|token .*expired/i.test(message)) {
    return fail(`Your AWS session has expired (${where}).`, EXIT_CODES.userError, [
      'Log in again (aws sso login, or refresh your temporary credentials), then run the command again.',
    ]);
  }
  if (REJECTED_CREDENTIALS.has(name)) {
    return fail(`AWS rejected your credentials (${where}).`, EXIT_CODES.userError, [
      'Check the access key or profile (--profile, AWS_PROFILE), then run the command again.',
    ]);
  }
  if (/region is missing|region not accepted/i.test(message)) {
    return fail('No valid AWS region is set.', EXIT_CODES.userError, [
      'Pass --region REGION (the region the stack is deployed in), or set AWS_REGION.',
    ]);
  }
  if (ACCESS_DENIED.has(name)) {
    return fail(
      `Your AWS identity may not ${context.action} (${where}).`,
      EXIT_CODES.userError,
      ['Use a profile with that permission (--profile), or ask your AWS administrator to grant it.'],
      `AWS said: ${message}`,
    );
  }
  if (error instanceof ConfigError) {
    return fail(`Could not ${context.action}: ${error.message}`, EXIT_CODES.userError, []);
  }
  const code = errorCode(aws);
  if (PASSING.has(name) || NETWORK_CODES.has(code) || httpStatus(aws) >= 500) {
    const reason = NETWORK_CODES.has(code) ? code : name && name !== 'Error' ? name : 'network error';
    return fail(
      `AWS did not answer when trying to ${context.action} (${where}): ${reason}.`,
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
