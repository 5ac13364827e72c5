import { ENV } from '../lib/environment.js';
import { RefreshBudgetExhaustedError } from '../lib/errors.js';

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

/**
 * A call of the reader ran out of time: its deadline (the invocation's end less a margin, or the
 * reader's own `deadlineMs`) came before what it waited for. No token is returned.
 */
export class ZohoTokenDeadlineError extends Error {
  override readonly name = 'ZohoTokenDeadlineError';
  /** What the call was waiting for when it gave up. */
  readonly waitedFor: string;
  /** Milliseconds the call had left before its deadline when this wait began (0 or less: none). */
  readonly msLeft: number;

  private constructor(waitedFor: string, msLeft: number, message: string, options?: ErrorOptions) {
    super(message, options);
    this.waitedFor = waitedFor;
    this.msLeft = msLeft;
  }

  /** A wait (an AWS request, a pause) was cut at the deadline. */
  static cut(
    waitedFor: string,
    msLeft: number,
    deadline: DeadlineAdvice,
    afterwards = '',
  ): ZohoTokenDeadlineError {
    const what =
      msLeft > 0
        ? `Stopped waiting for ${waitedFor} at this call's deadline, ${seconds(msLeft)} after the wait began.`
        : `Did not ask ${waitedFor}: this call's deadline had passed.`;
    return new ZohoTokenDeadlineError(waitedFor, msLeft, `${what} ${explainDeadline(deadline)}${afterwards}`);
  }

  /** The refresh function was busy, and too little time was left to wait for it and still call Zoho. */
  static noTimeToWait(
    functionName: string,
    msLeft: number,
    neededMs: number,
    deadline: DeadlineAdvice,
    cause: unknown,
  ): ZohoTokenDeadlineError {
    return new ZohoTokenDeadlineError(
      `the busy refresh function ${functionName}`,
      msLeft,
      `The refresh function ${functionName} was busy, and this call had ${seconds(msLeft)} left before its ` +
        `deadline: less than the ${seconds(neededMs)} it needs to wait for it and then call Zoho. ` +
        explainDeadline(deadline),
      { cause },
    );
  }
}

/** Where a deadline comes from, for the message of the error that reports it. */
export type DeadlineSource =
  | { readonly kind: 'invocation'; readonly remainingMs: number; readonly marginMs: number }
  | { readonly kind: 'option'; readonly deadlineMs: number };

/** Where a call's deadline came from, and the consumer timeout under which the reader's own deadline rules. */
export interface DeadlineAdvice {
  readonly source: DeadlineSource;
  readonly minimumTimeoutSeconds: number;
}

function explainDeadline({ source, minimumTimeoutSeconds }: DeadlineAdvice): string {
  if (source.kind === 'invocation') {
    return (
      `No token was returned. The invocation had ${seconds(source.remainingMs)} left when the call began, and ` +
      `the reader keeps ${seconds(source.marginMs)} of it for your handler to log this and return. Give this ` +
      `consumer function a timeout of at least ${minimumTimeoutSeconds} s plus what your handler does before it ` +
      'asks for the token.'
    );
  }
  return (
    `No token was returned. That deadline is the reader's deadlineMs option, ${seconds(source.deadlineMs)} from ` +
    "the call's start. Call again later; if this repeats, check this process's network path to AWS, or raise " +
    'deadlineMs.'
  );
}

function seconds(ms: number): string {
  return `${(Math.max(0, ms) / 1000).toFixed(1)} s`;
}

/** The forced refresh was refused for the daily write budget: a message that names the likely cause. */
export function refreshBudgetExhausted(
  functionName: string,
  apiDomain: string,
  rememberedMinutes: number,
  cause: unknown,
): RefreshBudgetExhaustedError {
  return new RefreshBudgetExhaustedError(
    `The refresh function ${functionName} refused a forced refresh: forced refreshes have used their share of the ` +
      "access-token secret's daily write budget, so no new token can be asked for until that budget frees up " +
      '(scheduled refreshes go on). Almost always Zoho keeps rejecting the calls of a consumer (this one, if it ' +
      "got a 401) for a reason a new token cannot fix: a call to another data centre than this connection's " +
      `api_domain${apiDomain ? ` ${apiDomain}` : ''}, a scope the grant code did not include, or an organisation the connected user ` +
      'does not belong to. Fix that call, or reconnect with a grant code that has the scopes it needs (see the ' +
      `README, "Connect to Zoho"). This function does not ask again for ${rememberedMinutes} minutes.`,
    { cause },
  );
}
