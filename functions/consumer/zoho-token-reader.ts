import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { readOptional } from '../lib/config.js';
import { ENV } from '../lib/environment.js';
import { ConfigError, NotConnectedError, RefreshBudgetExhaustedError } from '../lib/errors.js';
import { MalformedAccessTokenSecretError, readAccessTokenSecret } from './access-token-secret.js';
import {
  refreshBudgetExhausted,
  ZohoTokenDeadlineError,
  ZohoTokenExpiredError,
  ZohoTokenRejectedError,
} from './consumer-errors.js';
import { CallDeadlines, type Deadline, type StartTimer, startRealTimer } from './deadline.js';
import { sharedLambda, sharedSecretsManager } from './default-clients.js';
import { ForcedRefresh, type ForcedRefreshAnswer } from './forced-refresh.js';
import { isInvalidTokenAnswer } from './invalid-token-answer.js';
import type { ZohoAccessToken } from './zoho-access-token.js';
import { assertApiPath, callZohoApi, canSendAgain, peekJson, type ZohoFetch } from './zoho-api-request.js';

export interface ZohoTokenReaderOptions {
  /** Name or ARN of the access-token secret. @default process.env.ACCESS_TOKEN_SECRET_ID (required) */
  readonly secretId?: string;
  /**
   * The refresh function to ask for a new token when the stored one is stale or rejected. Without
   * it, recovery can only re-read the secret.
   * @default process.env.REFRESH_FUNCTION_NAME
   */
  readonly refreshFunctionName?: string;
  /** @default one client per container, created on first use */
  readonly secretsManager?: SecretsManagerClient;
  /** @default one client per container, created on the first forced refresh */
  readonly lambda?: LambdaClient;
  /** A token is served from memory until this long before it expires. @default 5 minutes */
  readonly expiryMarginMs?: number;
  /**
   * While the stored token is itself stale (the refresh function is late or failing), the secret is
   * read at most once per this interval, so a broken refresh never turns into a read storm.
   * @default 30 seconds
   */
  readonly minRereadIntervalMs?: number;
  /**
   * The longest one call (`getToken`, `recover`) waits in all for Secrets Manager, the refresh function
   * and the pauses between attempts before it fails with ZohoTokenDeadlineError. Inside Lambda (see
   * `boundWaitsBy`) the invocation's remaining time less `invocationMarginMs` shortens it further.
   * @default 30 seconds
   */
  readonly deadlineMs?: number;
  /**
   * Inside Lambda, the time kept back from the invocation's end for the caller to log a
   * ZohoTokenDeadlineError and return it, so that the invocation fails with that error, not a timeout.
   * @default 1 second
   */
  readonly invocationMarginMs?: number;
  /** @default () => new Date() */
  readonly now?: () => Date;
  /** The pause between attempts while the refresh function is busy. @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  /**
   * Starts the timer that ends a call at its deadline, in milliseconds of the `now` clock; returns its
   * cancel function.
   * @default setTimeout
   */
  readonly timer?: StartTimer;
  /**
   * Sends `fetch`'s requests to Zoho, e.g. through a proxy-aware client or, in tests, an in-process
   * transport.
   * @default globalThis.fetch, looked up on each call
   */
  readonly fetch?: ZohoFetch;
}

// Five minutes of margin covers a cold start, a slow API call and clock skew, and matches the
// refresh function's own margin, so a token the reader calls stale is one the function replaces.
const DEFAULT_EXPIRY_MARGIN_MS = 5 * 60_000;
const DEFAULT_MIN_REREAD_INTERVAL_MS = 30_000;
// The refresh function's own timeout: one forced refresh that ran its full course fits, and no call
// waits longer than a refresh can take.
const DEFAULT_DEADLINE_MS = 30_000;
// Time for the caller to log, for middy's after/onError middlewares, and for the runtime to post the
// error, with room for a timer that fires late on a busy fractional-vCPU (128 MB) function.
const DEFAULT_INVOCATION_MARGIN_MS = 1000;
/** A forced refresh that finds the function busy waits this long, then re-reads. */
const BUSY_WAIT_MS = 1000;
/** A refresh run takes a second or two; ten waits cover even its retries against a slow Zoho. */
const MAX_BUSY_ATTEMPTS = 10;
/** How long "not connected" is repeated before the secret is read again: quick to notice a connect, no read storm. */
const NOT_CONNECTED_RECHECK_MS = 10_000;
/** Time a waiting caller keeps for the API call it wants the token for. */
const CALL_RESERVE_MS = 3000;
/** Rejected tokens remembered, so each is recovered once per container; a few cover any overlap. */
const REMEMBERED_REJECTIONS = 8;
/**
 * How long a refused forced refresh (daily write budget used up) is repeated without asking again:
 * the budget frees up over hours, and the many calls of one invocation then cost one invoke.
 */
const REFUSAL_MEMORY_MS = 5 * 60_000;

type StaleOutcome = { readonly until: number } & (
  | { readonly token: ZohoAccessToken }
  | { readonly error: unknown }
);

interface Recovery {
  readonly outcome: Promise<ZohoAccessToken>;
  settled?: { readonly ok: true } | { readonly ok: false; readonly at: number };
}

interface Refusal {
  readonly until: number;
  readonly error: RefreshBudgetExhaustedError;
}

/**
 * Gives other Lambdas the Zoho access token that the refresh function keeps in Secrets Manager.
 * The token is read once per token lifetime and kept in memory until shortly before it expires;
 * concurrent callers share one read, and a rejected token is replaced with at most one request to
 * the refresh function per container. Create one per container (module scope), not per invocation.
 */
export class ZohoTokenReader {
  readonly #secretId: string;
  readonly #secretsManager: SecretsManagerClient;
  readonly #refresh: ForcedRefresh | undefined;
  readonly #expiryMarginMs: number;
  readonly #minRereadIntervalMs: number;
  readonly #now: () => Date;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #deadlines: CallDeadlines;
  readonly #fetch: ZohoFetch;

  #held: ZohoAccessToken | undefined;
  #reading: Promise<ZohoAccessToken> | undefined;
  #staleOutcome: StaleOutcome | undefined;
  readonly #recoveries = new Map<string, Recovery>();
  #refusal: Refusal | undefined;

  constructor(options: ZohoTokenReaderOptions = {}) {
    this.#secretId = options.secretId ?? requiredSecretId();
    this.#secretsManager = options.secretsManager ?? sharedSecretsManager();
    const refreshFunctionName =
      options.refreshFunctionName ?? readOptional(process.env, ENV.refreshFunctionName);
    this.#refresh = refreshFunctionName
      ? new ForcedRefresh(() => options.lambda ?? sharedLambda(), refreshFunctionName)
      : undefined;
    this.#expiryMarginMs = options.expiryMarginMs ?? DEFAULT_EXPIRY_MARGIN_MS;
    this.#minRereadIntervalMs = options.minRereadIntervalMs ?? DEFAULT_MIN_REREAD_INTERVAL_MS;
    this.#now = options.now ?? (() => new Date());
    this.#sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.#deadlines = new CallDeadlines({
      deadlineMs: options.deadlineMs ?? DEFAULT_DEADLINE_MS,
      invocationMarginMs: options.invocationMarginMs ?? DEFAULT_INVOCATION_MARGIN_MS,
      callReserveMs: CALL_RESERVE_MS,
      now: () => this.#nowMs(),
      timer: options.timer ?? startRealTimer,
    });
    // Looked up per call, so that a fetch patched after this reader was built (tracing, mocks) is used.
    this.#fetch = options.fetch ?? ((url, init) => globalThis.fetch(url, init));
  }

  /**
   * Ends every wait of a call before the current invocation does (as the middleware does with
   * `context.getRemainingTimeInMillis`), keeping `invocationMarginMs` for the caller to return an
   * error. Lambda runs one invocation per container at a time, so one bound per reader holds.
   */
  boundWaitsBy(remainingTimeMs: () => number): void {
    this.#deadlines.boundBy(remainingTimeMs);
  }

  /**
   * The current token: from memory while it is fresh, otherwise from the secret. A stored token that
   * is stale gets one forced refresh (when a refresh function is configured) and a re-read.
   */
  getToken(): Promise<ZohoAccessToken> {
    const held = this.#held;
    if (held && this.#isFresh(held)) return Promise.resolve(held);
    if (!this.#reading) {
      const reading = this.#deadlines
        .within((deadline) => this.#read(deadline))
        .finally(() => {
          this.#reading = undefined;
        });
      this.#reading = reading;
    }
    return this.#reading;
  }

  /**
   * Zoho rejected `rejected`: returns the token to use instead. Re-reads the secret; when it still
   * holds the rejected token, asks the refresh function for a new one (once per rejected token in
   * this container) and reads again.
   */
  recover(rejected: ZohoAccessToken): Promise<ZohoAccessToken> {
    const known = this.#recoveries.get(rejected.accessToken);
    if (known) {
      const { settled } = known;
      if (!settled) return known.outcome;
      // Replaced already: whatever is current now is at least as new as that replacement.
      if (settled.ok) return this.getToken();
      if (this.#nowMs() - settled.at < this.#minRereadIntervalMs) return known.outcome;
    }
    const recovery: Recovery = {
      outcome: this.#deadlines.within((deadline) => this.#replaceRejected(rejected, deadline)),
    };
    recovery.outcome.then(
      () => {
        recovery.settled = { ok: true };
      },
      (error: unknown) => {
        recovery.settled = { ok: false, at: this.#nowMs() };
        // Running out of time says nothing about the token: the next call, with its own time, tries again.
        if (
          error instanceof ZohoTokenDeadlineError &&
          this.#recoveries.get(rejected.accessToken) === recovery
        ) {
          this.#recoveries.delete(rejected.accessToken);
        }
      },
    );
    this.#recoveries.delete(rejected.accessToken);
    this.#recoveries.set(rejected.accessToken, recovery);
    for (const oldest of this.#recoveries.keys()) {
      if (this.#recoveries.size <= REMEMBERED_REJECTIONS) break;
      this.#recoveries.delete(oldest);
    }
    return recovery.outcome;
  }

  /**
   * Calls a Zoho API on the connection's `api_domain` with the token; when Zoho answers that the
   * token is unusable, recovers and sends the request once more.
   */
  async fetch(path: string, init: RequestInit = {}): Promise<Response> {
    assertApiPath(path);
    const token = await this.getToken();
    const answer = await callZohoApi(this.#fetch, token, path, init);
    if (answer.status !== 401 || !canSendAgain(init)) return answer;
    if (!isInvalidTokenAnswer(answer.status, await peekJson(answer))) return answer;
    await answer.body?.cancel();
    return callZohoApi(this.#fetch, await this.recover(token), path, init);
  }

  async #read(deadline: Deadline): Promise<ZohoAccessToken> {
    const startedAt = this.#nowMs();
    // The floor between reads of a stale token: repeat what the last such read gave.
    const last = this.#staleOutcome;
    if (last && startedAt < last.until) {
      if ('error' in last) throw last.error;
      if (!this.#isExpired(last.token)) return last.token;
    }
    let stored: ZohoAccessToken;
    try {
      stored = await this.#readStored(deadline);
    } catch (error) {
      if (error instanceof MalformedAccessTokenSecretError && this.#refresh) {
        return this.#replaceMalformed(this.#refresh, error, deadline);
      }
      // Every caller would otherwise read the secret again until someone connects.
      if (error instanceof NotConnectedError)
        this.#staleOutcome = { until: startedAt + NOT_CONNECTED_RECHECK_MS, error };
      throw error;
    }
    if (this.#isFresh(stored)) return stored;
    try {
      const token = await this.#replaceStale(stored, deadline);
      if (!this.#isFresh(token)) this.#staleOutcome = { until: startedAt + this.#minRereadIntervalMs, token };
      return token;
    } catch (error) {
      // Running out of time is this call's own; the next one, with its own time, tries again.
      if (!(error instanceof ZohoTokenDeadlineError)) {
        this.#staleOutcome = { until: startedAt + this.#minRereadIntervalMs, error };
      }
      throw error;
    }
  }

  async #replaceStale(stored: ZohoAccessToken, deadline: Deadline): Promise<ZohoAccessToken> {
    let latest = stored;
    let refreshError: unknown;
    if (this.#refresh) {
      // While the stored token still works, one wait for a busy function is enough: the caller is
      // served now and a later read picks up the new token, rather than holding up the invocation.
      const attempts = this.#isExpired(stored) ? MAX_BUSY_ATTEMPTS : 1;
      try {
        const isWanted = (token: ZohoAccessToken) => this.#isFresh(token);
        latest = await this.#refreshAndReread(this.#refresh, stored, isWanted, attempts, deadline);
      } catch (error) {
        // A mistake in this function's configuration is reported at once, not hidden behind a token
        // that still works for a few minutes.
        if (error instanceof ConfigError) throw error;
        refreshError = error;
      }
    }
    // A token inside the margin still works: serve it while the refresh function recovers (its own
    // alarm reports the failure).
    if (!this.#isExpired(latest)) return latest;
    throw refreshError ?? new ZohoTokenExpiredError(this.#secretId, latest.expiresAt, Boolean(this.#refresh));
  }

  /**
   * Someone saved a value of their own into the secret: the refresh function sees that the secret no
   * longer holds its version and writes a valid token over it. One ask, one read; if the value is still
   * there (the function was busy, or refused), the caller gets the ConfigError that says what is wrong.
   */
  async #replaceMalformed(
    refresh: ForcedRefresh,
    malformed: MalformedAccessTokenSecretError,
    deadline: Deadline,
  ): Promise<ZohoAccessToken> {
    const answer = await this.#requestRefresh(refresh, '', deadline);
    if (answer === 'busy' && deadline.msLeft() >= BUSY_WAIT_MS + CALL_RESERVE_MS) {
      await deadline.wait('a pause before reading again', () => this.#sleep(BUSY_WAIT_MS));
    }
    try {
      return await this.#readStored(deadline);
    } catch (error) {
      throw error instanceof MalformedAccessTokenSecretError ? malformed : error;
    }
  }

  async #replaceRejected(rejected: ZohoAccessToken, deadline: Deadline): Promise<ZohoAccessToken> {
    const isReplacement = (token: ZohoAccessToken): boolean =>
      token.accessToken !== rejected.accessToken && !this.#isExpired(token);
    const held = this.#held;
    if (held && isReplacement(held) && this.#isFresh(held)) return held;
    const stored = await this.#readStored(deadline);
    if (isReplacement(stored)) return stored;
    if (!this.#refresh) throw ZohoTokenRejectedError.noRefreshFunction(stored.apiDomain);
    const latest = await this.#refreshAndReread(
      this.#refresh,
      stored,
      isReplacement,
      MAX_BUSY_ATTEMPTS,
      deadline,
    );
    if (isReplacement(latest)) return latest;
    const minutesOld = Math.max(0, Math.round((this.#nowMs() - latest.refreshedAt.getTime()) / 60_000));
    throw ZohoTokenRejectedError.recentlyMinted(latest.apiDomain, minutesOld);
  }

  /**
   * Asks for a forced refresh and reads the secret again. When another run holds the function's
   * only slot, waits and reads: that run is probably writing the token we want. A pause is taken
   * only when the call the token is for still fits before the deadline after it.
   */
  async #refreshAndReread(
    refresh: ForcedRefresh,
    stored: ZohoAccessToken,
    isWanted: (token: ZohoAccessToken) => boolean,
    maxAttempts: number,
    deadline: Deadline,
  ): Promise<ZohoAccessToken> {
    for (let attempt = 1; ; attempt += 1) {
      const answer = await this.#requestRefresh(refresh, stored.apiDomain, deadline);
      const msLeft = deadline.msLeft();
      const canWait = msLeft >= BUSY_WAIT_MS + CALL_RESERVE_MS;
      if (answer === 'busy' && canWait) {
        await deadline.wait('a pause before asking again', () => this.#sleep(BUSY_WAIT_MS));
      }
      const token = await this.#readStored(deadline);
      if (answer === 'answered' || isWanted(token)) return token;
      if (!canWait) {
        const needed = BUSY_WAIT_MS + CALL_RESERVE_MS;
        const busy = refresh.busyError(attempt);
        throw ZohoTokenDeadlineError.noTimeToWait(
          refresh.functionName,
          msLeft,
          needed,
          deadline.advice,
          busy,
        );
      }
      if (attempt >= maxAttempts) throw refresh.busyError(attempt);
    }
  }

  /**
   * One forced refresh, cut at the deadline. A refusal for the write budget is final for a while:
   * asking again within minutes would be refused too.
   */
  async #requestRefresh(
    refresh: ForcedRefresh,
    apiDomain: string,
    deadline: Deadline,
  ): Promise<ForcedRefreshAnswer> {
    const refusal = this.#refusal;
    if (refusal && this.#nowMs() < refusal.until) throw refusal.error;
    try {
      return await deadline.wait(
        `the refresh function ${refresh.functionName} (a forced refresh)`,
        (signal) => refresh.request(signal),
        ' The refresh may still finish and store a new token, which a later call reads.',
      );
    } catch (error) {
      if (!(error instanceof RefreshBudgetExhaustedError)) throw error;
      const explained = refreshBudgetExhausted(
        refresh.functionName,
        apiDomain,
        REFUSAL_MEMORY_MS / 60_000,
        error,
      );
      this.#refusal = { until: this.#nowMs() + REFUSAL_MEMORY_MS, error: explained };
      throw explained;
    }
  }

  async #readStored(deadline: Deadline): Promise<ZohoAccessToken> {
    const token = await deadline.wait(`Secrets Manager (GetSecretValue of ${this.#secretId})`, (signal) =>
      readAccessTokenSecret(this.#secretsManager, this.#secretId, signal),
    );
    this.#held = token;
    if (this.#isFresh(token)) this.#staleOutcome = undefined;
    return token;
  }

  #isFresh(token: ZohoAccessToken): boolean {
    return this.#nowMs() < token.expiresAt.getTime() - this.#expiryMarginMs;
  }

  #isExpired(token: ZohoAccessToken): boolean {
    return this.#nowMs() >= token.expiresAt.getTime();
  }

  #nowMs(): number {
    return this.#now().getTime();
  }
}

function requiredSecretId(): string {
  const secretId = readOptional(process.env, ENV.accessTokenSecretId);
  if (secretId === undefined) {
    throw new ConfigError(
      `Environment variable ${ENV.accessTokenSecretId} is not set. Set it on this function to the name or ARN of ` +
        "the connection's access-token secret: connection.addConsumer(fn) in CDK sets it and grants read.",
    );
  }
  return secretId;
}
