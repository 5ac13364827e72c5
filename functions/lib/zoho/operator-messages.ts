import { dataCentreOfAccountsUrl } from '../data-centres.js';
import {
  InvalidClientError,
  InvalidGrantCodeError,
  RefreshTokenRevokedError,
  ZohoRateLimitedError,
  ZohoUnavailableError,
} from '../errors.js';

/**
 * The errors the accounts client raises, with messages that tell the operator what to do. None of
 * them ever receives a code, a token or a client secret: only the accounts URL and Zoho's error name.
 */

export type ZohoOperation = 'exchange' | 'refresh' | 'revoke';

const OPERATION_LABEL: Readonly<Record<ZohoOperation, string>> = {
  exchange: 'grant-code exchange',
  refresh: 'access-token refresh',
  revoke: 'refresh-token revocation',
};

/** Where a person generates a new grant code for the data centre of this accounts server. */
function whereToGenerateACode(accountsUrl: string): string {
  const dataCentre = dataCentreOfAccountsUrl(accountsUrl);
  return dataCentre
    ? `the Zoho API Console of the ${dataCentre.label} data centre (${dataCentre.apiConsoleUrl})`
    : `the Zoho API Console of the data centre whose accounts server is ${accountsUrl}`;
}

export function invalidGrantCode(
  accountsUrl: string,
  anEarlierAttemptMayHaveUsedIt: boolean,
): InvalidGrantCodeError {
  const earlier = anEarlierAttemptMayHaveUsedIt
    ? ' An earlier attempt of this exchange got no answer, so Zoho may have used the code then.'
    : '';
  return new InvalidGrantCodeError(
    `Zoho's accounts server at ${accountsUrl} rejected the grant code (invalid_code): grant codes are single-use, ` +
      'expire a few minutes after they are generated (3 minutes by default), and work only at the accounts server ' +
      `of the data centre they were generated in.${earlier} Generate a new code in ${whereToGenerateACode(accountsUrl)} ` +
      '(Self Client > Generate Code) and connect again straight away (npx zoho-token-keeper connect).',
  );
}

export function refreshTokenRevoked(accountsUrl: string): RefreshTokenRevokedError {
  return new RefreshTokenRevokedError(
    `Zoho's accounts server at ${accountsUrl} rejected the stored refresh token (invalid_code): it was revoked or ` +
      'deleted (revoked in Zoho, removed from Connected Apps, the Self Client deleted, a password change that ' +
      'terminated API tokens, or 20 newer refresh tokens created for the same client). Generate a new grant code in ' +
      `${whereToGenerateACode(accountsUrl)} and reconnect with it (npx zoho-token-keeper connect).`,
  );
}

export function invalidClient(
  accountsUrl: string,
  zohoError: 'invalid_client' | 'invalid_client_secret',
): InvalidClientError {
  const what =
    zohoError === 'invalid_client'
      ? 'does not know this client id (invalid_client)'
      : 'rejected the client secret (invalid_client_secret)';
  return new InvalidClientError(
    `Zoho's accounts server at ${accountsUrl} ${what}. Check the client id and client secret shown under ` +
      'Self Client > Client Secret in the Zoho API Console, and check that ZOHO_ACCOUNTS_URL is the accounts server ' +
      'of the data centre where the Self Client was created (for example https://accounts.zoho.eu for Europe).',
  );
}

export function rateLimited(accountsUrl: string, operation: ZohoOperation): ZohoRateLimitedError {
  const limit = {
    exchange: 'its limit on grant codes or refresh tokens per client',
    refresh: 'its limit of about 10 access tokens per refresh token in 10 minutes',
    revoke: 'its request limit',
  }[operation];
  return new ZohoRateLimitedError(
    `Zoho's accounts server at ${accountsUrl} refused the ${OPERATION_LABEL[operation]} with "Access Denied": ` +
      `${limit} was reached, and Zoho blocks further requests for the rest of a 10-minute window. Wait 10 minutes ` +
      'before trying again, and check that nothing else (another deployment, a script, an SDK) uses the same ' +
      'Self Client and refresh token.',
  );
}

export function unexpectedZohoError(
  accountsUrl: string,
  operation: ZohoOperation,
  zohoError: string,
): ZohoUnavailableError {
  const check =
    operation === 'revoke'
      ? 'Check that ZOHO_ACCOUNTS_URL is the accounts server of your data centre.'
      : 'Check the client id and secret, that the grant code was made by a Self Client (not a web client, which needs a ' +
        'redirect URI), and that ZOHO_ACCOUNTS_URL is the accounts server of the data centre where the Self Client was created.';
  return new ZohoUnavailableError(
    `Zoho's accounts server at ${accountsUrl} answered the ${OPERATION_LABEL[operation]} with the error ` +
      `"${zohoError}", which this function does not retry. ${check}`,
  );
}

export function unusableSuccess(
  accountsUrl: string,
  operation: ZohoOperation,
  problem: string,
): ZohoUnavailableError {
  const next =
    operation === 'exchange'
      ? `The grant code is now used: generate a new one in ${whereToGenerateACode(accountsUrl)} and check that ` +
        'ZOHO_ACCOUNTS_URL is a Zoho accounts server.'
      : 'Check that ZOHO_ACCOUNTS_URL is a Zoho accounts server; if it is, Zoho changed its answer and this function needs an update.';
  return new ZohoUnavailableError(
    `Zoho's accounts server at ${accountsUrl} answered the ${OPERATION_LABEL[operation]} with ${problem}, so the ` +
      `answer was not used. ${next}`,
  );
}

export function redirected(
  accountsUrl: string,
  operation: ZohoOperation,
  status: number,
): ZohoUnavailableError {
  return new ZohoUnavailableError(
    `Zoho's accounts server at ${accountsUrl} answered the ${OPERATION_LABEL[operation]} with a redirect ` +
      `(HTTP ${status}), which is not followed so that credentials never go to another address. Set ZOHO_ACCOUNTS_URL ` +
      "to the data centre's accounts server itself, for example https://accounts.zoho.eu.",
  );
}

export function unavailable(
  accountsUrl: string,
  operation: ZohoOperation,
  attempts: number,
  lastProblem: string,
  cause: unknown,
): ZohoUnavailableError {
  const codeNote =
    operation === 'exchange'
      ? ' If an attempt did reach Zoho, it may have used the grant code: should the next try answer invalid_code, generate a new code.'
      : '';
  return new ZohoUnavailableError(
    `Zoho's accounts server at ${accountsUrl} gave no usable answer to the ${OPERATION_LABEL[operation]} after ` +
      `${attempts} attempt${attempts === 1 ? '' : 's'} (last: ${lastProblem}). This is usually a passing Zoho outage or a ` +
      `network problem: check https://status.zoho.com and that the function can reach ${accountsUrl}, then try again.` +
      codeNote,
    { cause },
  );
}
