import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { readOptional } from '../lib/config.js';
import { ENV } from '../lib/environment.js';
import { ConfigError, NotConnectedError } from '../lib/errors.js';
import { readAccessTokenSecret } from './access-token-secret.js';
import { ZohoTokenExpiredError, ZohoTokenRejectedError } from './consumer-errors.js';
import { sharedLambda, sharedSecretsManager } from './default-clients.js';
import { ForcedRefresh } from './forced-refresh.js';
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
  /** @default () => new Date() */
  readonly now?: () => Date;
  /** @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
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

type StaleOutcome = { readonly until: number } & (
  | { readonly token: ZohoAccessToken }
  | { readonly error: unknown }
);

interface Recovery {
  readonly outcome: Promise<ZohoAccessToken>;
  settled?: { readonly ok: true } | { readonly ok: false; readonly at: number };
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
  readonly #fetch: ZohoFetch;

  #remainingTimeMs: (() => number) | undefined;
  #held: ZohoAccessToken | undefined;
  #reading: Promise<ZohoAccessToken> | undefined;
  #staleOutcome: StaleOutcome | undefined;
  readonly #recoveries = new Map<string, Recovery>();

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
    // Looked up per call, so that a fetch patched after this reader was built (tracing, mocks) is used.
    this.#fetch = options.fetch ?? ((url, init) => globalThis.fetch(url, init));
  }

  /**
   * Bounds the waits for a busy refresh function by the current invocation's remaining time (as the
   * middleware does with `context.getRemainingTimeInMillis`), keeping a few seconds for the call the
   * token is for. Lambda runs one invocation per container at a time, so one bound per reader holds.
   */
  boundWaitsBy(remainingTimeMs: () => number): void {
    this.#remainingTimeMs = remainingTimeMs;
  }

  /**
   * The current token: from memory while it is fresh, otherwise from the secret. A stored token that
   * is stale gets one forced refresh (when a refresh function is configured) and a re-read.
   */
  getToken(): Promise<ZohoAccessToken> {
    const held = this.#held;
    if (held && this.#isFresh(held)) return Promise.resolve(held);
    if (!this.#reading) {
      const reading = this.#read().finally(() => {
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
    const recovery: Recovery = { outcome: this.#replaceRejected(rejected) };
    recovery.outcome.then(
      () => {
        recovery.settled = { ok: true };
      },
      () => {
        recovery.settled = { ok: false, at: this.#nowMs() };
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

  async #read(): Promise<ZohoAccessToken> {
    const startedAt = this.#nowMs();
    // The floor between reads of a stale token: repeat what the last such read gave.
    const last = this.#staleOutcome;
    if (last && startedAt < last.until) {
      if ('error' in last) throw last.error;
      if (!this.#isExpired(last.token)) return last.token;
    }
    let stored: ZohoAccessToken;
    try {
      stored = await this.#readStored();
    } catch (error) {
      // Every caller would otherwise read the secret again until someone connects.
      if (error instanceof NotConnectedError)
        this.#staleOutcome = { until: startedAt + NOT_CONNECTED_RECHECK_MS, error };
      throw error;
    }
    if (this.#isFresh(stored)) return stored;
    try {
      const token = await this.#replaceStale(stored);
      if (!this.#isFresh(token)) this.#staleOutcome = { until: startedAt + this.#minRereadIntervalMs, token };
      return token;
    } catch (error) {
      this.#staleOutcome = { until: startedAt + this.#minRereadIntervalMs, error };
      throw error;
    }
  }

  async #replaceStale(stored: ZohoAccessToken): Promise<ZohoAccessToken> {
    let latest = stored;
    let refreshError: unknown;
    if (this.#refresh) {
      // While the stored token still works, one wait for a busy function is enough: the caller is
      // served now and a later read picks up the new token, rather than holding up the invocation.
      const attempts = this.#isExpired(stored) ? MAX_BUSY_ATTEMPTS : 1;
      try {
        latest = await this.#refreshAndReread(this.#refresh, (token) => this.#isFresh(token), attempts);
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

  async #replaceRejected(rejected: ZohoAccessToken): Promise<ZohoAccessToken> {
    const isReplacement = (token: ZohoAccessToken): boolean =>
      token.accessToken !== rejected.accessToken && !this.#isExpired(token);
    const held = this.#held;
    if (held && isReplacement(held) && this.#isFresh(held)) return held;
    const stored = await this.#readStored();
    if (isReplacement(stored)) return stored;
    if (!this.#refresh) throw ZohoTokenRejectedError.noRefreshFunction(stored.apiDomain);
    const latest = await this.#refreshAndReread(this.#refresh, isReplacement, MAX_BUSY_ATTEMPTS);
    if (isReplacement(latest)) return latest;
    const minutesOld = Math.max(0, Math.round((this.#nowMs() - latest.refreshedAt.getTime()) / 60_000));
    throw ZohoTokenRejectedError.recentlyMinted(latest.apiDomain, minutesOld);
  }

  /**
   * Asks for a forced refresh and reads the secret again. When another run holds the function's
   * only slot, waits and reads: that run is probably writing the token we want.
   */
  async #refreshAndReread(
    refresh: ForcedRefresh,
    isWanted: (token: ZohoAccessToken) => boolean,
    maxAttempts: number,
  ): Promise<ZohoAccessToken> {
    for (let attempt = 1; ; attempt += 1) {
      const answer = await refresh.request();
      const canWait = this.#hasTimeToWait();
      if (answer === 'busy' && canWait) await this.#sleep(BUSY_WAIT_MS);
      const token = await this.#readStored();
      if (answer === 'answered' || isWanted(token)) return token;
      if (attempt >= maxAttempts || !canWait) throw refresh.busyError(attempt);
    }
  }

  async #readStored(): Promise<ZohoAccessToken> {
    const token = await readAccessTokenSecret(this.#secretsManager, this.#secretId);
    this.#held = token;
    if (this.#isFresh(token)) this.#staleOutcome = undefined;
    return token;
  }

  #hasTimeToWait(): boolean {
    const remaining = this.#remainingTimeMs?.();
    return remaining === undefined || remaining >= BUSY_WAIT_MS + CALL_RESERVE_MS;
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
