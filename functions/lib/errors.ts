/**
 * The errors of the public contract. Each `name` is stable: operators alarm and search on it, and
 * callers in other languages see it as the Lambda `errorType`. Messages say what to do next and
 * never carry a token, a secret or a grant code.
 */
export abstract class ZohoTokenKeeperError extends Error {
  abstract override readonly name: ContractErrorName;
}

export const CONTRACT_ERROR_NAMES = [
  'InvalidEventError',
  'ConfigError',
  'NotConnectedError',
  'InvalidGrantCodeError',
  'InvalidClientError',
  'RefreshTokenRevokedError',
  'ZohoRateLimitedError',
  'ZohoUnavailableError',
  'RefreshBudgetExhaustedError',
  'ConnectionBusyError',
] as const;

export type ContractErrorName = (typeof CONTRACT_ERROR_NAMES)[number];

/** The event is not of the documented shape. */
export class InvalidEventError extends ZohoTokenKeeperError {
  override readonly name = 'InvalidEventError';
}

/** Configuration (an environment variable or a stored document) is missing or malformed. */
export class ConfigError extends ZohoTokenKeeperError {
  override readonly name = 'ConfigError';
}

/** No successful exchange yet, or the client id/secret are missing. */
export class NotConnectedError extends ZohoTokenKeeperError {
  override readonly name = 'NotConnectedError';
}

/** Zoho answered `invalid_code` to a grant-code exchange. */
export class InvalidGrantCodeError extends ZohoTokenKeeperError {
  override readonly name = 'InvalidGrantCodeError';
}

/** Zoho answered `invalid_client` or `invalid_client_secret`. */
export class InvalidClientError extends ZohoTokenKeeperError {
  override readonly name = 'InvalidClientError';
}

/** Zoho answered `invalid_code` to a refresh: the refresh token is gone for good. */
export class RefreshTokenRevokedError extends ZohoTokenKeeperError {
  override readonly name = 'RefreshTokenRevokedError';
}

/** Zoho answered `Access Denied` / `access_denied`: its token limits were reached. */
export class ZohoRateLimitedError extends ZohoTokenKeeperError {
  override readonly name = 'ZohoRateLimitedError';
}

/** Network failure, timeout, 5xx or an unparseable answer, after bounded retries. */
export class ZohoUnavailableError extends ZohoTokenKeeperError {
  override readonly name = 'ZohoUnavailableError';
}

/**
 * A forced refresh was refused: forced refreshes have used their share of the access-token secret's
 * daily write budget (Secrets Manager keeps at most 100 versions a day). Almost always a consumer
 * whose calls Zoho rejects for a reason a new token cannot fix (data centre, scope, organisation).
 */
export class RefreshBudgetExhaustedError extends ZohoTokenKeeperError {
  override readonly name = 'RefreshBudgetExhaustedError';
}

/**
 * A connect or disconnect found another change of the connection under way (a refresh storing a
 * token, another connect) for longer than it could wait. Nothing was changed and no grant code used.
 */
export class ConnectionBusyError extends ZohoTokenKeeperError {
  override readonly name = 'ConnectionBusyError';
}

export function isContractError(error: unknown): error is ZohoTokenKeeperError {
  return error instanceof ZohoTokenKeeperError;
}

/** True for an Error of that name: how AWS SDK errors are told apart without importing their classes. */
export function hasErrorName(error: unknown, name: string): error is Error {
  return error instanceof Error && error.name === name;
}
