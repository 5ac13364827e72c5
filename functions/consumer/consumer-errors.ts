import { ENV } from '../lib/environment.js';

/**
 * Zoho rejected an access token and no other one can be had now. The messages carry the API
 * domain and times, never the token.
 */
export class ZohoTokenRejectedError extends Error {
  override readonly name = 'ZohoTokenRejectedError';

  /** The refresh function declined to replace a token it minted less than 10 minutes ago. */
  static recentlyMinted(apiDomain: string, minutesOld: number): ZohoTokenRejectedError {
    return new ZohoTokenRejectedError(
      `Zoho rejected an access token minted ${minutesOld} minute(s) ago, and a refresh will not fix that (the ` +
        'refresh function replaces a token at most once every 10 minutes). A brand-new token is rejected when it ' +
        `is used in the wrong data centre or lacks scopes: check that ${apiDomain} (api_domain) is the data centre ` +
        'of your Zoho account, and that the grant code was generated with the scopes this API needs; if not, ' +
        'generate a new grant code and run the exchange function (see the README, "Connect to Zoho").',
    );
  }

  /** No refresh function is configured, and the stored token is the rejected one. */
  static noRefreshFunction(apiDomain: string): ZohoTokenRejectedError {
    return new ZohoTokenRejectedError(
      `Zoho (${apiDomain}) rejected the stored access token and this function cannot ask for a new one: set ` +
        `${ENV.refreshFunctionName} to the refresh function's name and grant this function lambda:InvokeFunction ` +
        'on it (connection.addConsumer(fn) in CDK does both), or wait for the next scheduled refresh.',
    );
  }
}

/** The stored token has expired and nothing replaced it. */
export class ZohoTokenExpiredError extends Error {
  override readonly name = 'ZohoTokenExpiredError';

  constructor(secretId: string, expiresAt: Date, canAskForRefresh: boolean) {
    const ask = canAskForRefresh
      ? ''
      : ` Set ${ENV.refreshFunctionName} on this function so that it can ask for a refresh itself.`;
    super(
      `The access token in ${secretId} expired at ${expiresAt.toISOString()} and has not been replaced: the ` +
        `refresh function is not keeping it fresh. Check its RefreshFailed alarm and its logs.${ask}`,
    );
  }
}

/**
 * The refresh function failed with an error that is not one of the contract's: it keeps the
 * function's own error name, so the caller sees what the refresh function's logs show.
 */
export class RefreshFunctionError extends Error {
  override readonly name: string;

  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}
