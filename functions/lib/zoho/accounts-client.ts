import { ConfigError } from '../errors.js';
import { parseServerOrigin } from '../urls.js';
import { unavailable, type ZohoOperation } from './operator-messages.js';
import {
  type AnswerContext,
  type AnswerVerdict,
  type HttpAnswer,
  readExchangeAnswer,
  readRefreshAnswer,
  readRevokeAnswer,
} from './token-answer.js';

export interface ZohoClientCredentials {
  readonly clientId: string;
  readonly clientSecret: string;
}

export interface AccessTokenGrant {
  readonly accessToken: string;
  readonly apiDomain: string;
  readonly tokenType: string;
  readonly scope?: string;
  readonly receivedAt: Date;
  /** `receivedAt` plus Zoho's `expires_in` (seconds), counted from when the answer arrived. */
  readonly expiresAt: Date;
}

export interface GrantCodeExchange extends AccessTokenGrant {
  readonly refreshToken: string;
}

/** One HTTP attempt, for latency metrics. Carries no token, code or secret. */
export interface ZohoCallObservation {
  operation: ZohoOperation;
  attempt: number;
  durationMs: number;
  outcome: 'ok' | 'retryable' | 'error';
}

export interface ZohoAccountsClientOptions {
  /** An already-validated origin, e.g. https://accounts.zoho.eu or http://127.0.0.1:PORT. */
  accountsUrl: string;
  /** @default globalThis.fetch */
  fetch?: typeof globalThis.fetch;
  /** Per attempt. @default 5000 */
  timeoutMs?: number;
  /** @default 3 */
  maxAttempts?: number;
  /** First retry waits about this long, then doubling, with jitter, capped at 4 s. @default 250 */
  backoffBaseMs?: number;
  /** @default () => new Date() */
  now?: () => Date;
  sleep?: (ms: number) => Promise<void>;
  /**
   * The signal that ends one attempt after `ms`; a simulation passes one that follows its own clock.
   * @default AbortSignal.timeout
   */
  timeoutSignal?: (ms: number) => AbortSignal;
  /** Uniform in [0, 1), for the backoff's jitter. @default Math.random */
  random?: () => number;
  onCall?: (observation: ZohoCallObservation) => void;
}

const TOKEN_PATH = '/oauth/v2/token';
const REVOKE_PATH = '/oauth/v2/token/revoke';
// Three attempts of 5 s plus their waits stay well inside the functions' 30 s timeout.
const DEFAULT_TIMEOUT_MS = 5000;
const DEFAULT_MAX_ATTEMPTS = 3;
const DEFAULT_BACKOFF_BASE_MS = 250;
const MAX_BACKOFF_MS = 4000;

/**
 * Talks to one Zoho accounts server: exchanges grant codes, refreshes and revokes tokens. Parameters
 * travel in a url-encoded body, never in a URL, so secrets stay out of access logs. Only failures
 * that may pass (network, timeout, 5xx, an unreadable answer) are retried; Zoho's own verdicts are not.
 */
export class ZohoAccountsClient {
  private readonly accountsUrl: string;
  private readonly fetch: typeof globalThis.fetch;
  private readonly timeoutMs: number;
  private readonly maxAttempts: number;
  private readonly backoffBaseMs: number;
  private readonly now: () => Date;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly timeoutSignal: (ms: number) => AbortSignal;
  private readonly random: () => number;
  private readonly onCall: (observation: ZohoCallObservation) => void;

  constructor(options: ZohoAccountsClientOptions) {
    // Checked here too, not only at cold start: the operator commands pass the accounts_url stored
    // in the credentials secret, and a refresh token must never travel over plain http.
    const parsed = parseServerOrigin(options.accountsUrl);
    if ('problem' in parsed) {
      throw new ConfigError(
        `The Zoho accounts server ${parsed.problem}. Use your data centre's, e.g. https://accounts.zoho.eu.`,
      );
    }
    this.accountsUrl = parsed.origin;
    this.fetch = options.fetch ?? globalThis.fetch;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.maxAttempts = Math.max(1, options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS);
    this.backoffBaseMs = options.backoffBaseMs ?? DEFAULT_BACKOFF_BASE_MS;
    this.now = options.now ?? (() => new Date());
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.timeoutSignal = options.timeoutSignal ?? ((ms) => AbortSignal.timeout(ms));
    this.random = options.random ?? Math.random;
    this.onCall = options.onCall ?? (() => {});
  }

  /** Turns a Self Client grant code into tokens. No redirect_uri: a Self Client needs none. */
  async exchangeGrantCode(client: ZohoClientCredentials, code: string): Promise<GrantCodeExchange> {
    const params = {
      grant_type: 'authorization_code',
      client_id: client.clientId,
      client_secret: client.clientSecret,
      code,
    };
    return this.call('exchange', TOKEN_PATH, params, [client.clientSecret, code], readExchangeAnswer);
  }

  async refreshAccessToken(client: ZohoClientCredentials, refreshToken: string): Promise<AccessTokenGrant> {
    const params = {
      grant_type: 'refresh_token',
      client_id: client.clientId,
      client_secret: client.clientSecret,
      refresh_token: refreshToken,
    };
    return this.call('refresh', TOKEN_PATH, params, [client.clientSecret, refreshToken], readRefreshAnswer);
  }

  /**
   * Revokes a refresh token and every access token made from it, at the accounts server that issued
   * it (a token is known only in its own data centre), which may differ from this client's after a
   * move to another data centre.
   */
  async revokeRefreshToken(
    refreshToken: string,
    issuedBy: string = this.accountsUrl,
  ): Promise<{ alreadyInvalid: boolean }> {
    const parsed = parseServerOrigin(issuedBy);
    if ('problem' in parsed) {
      throw new ConfigError(`The Zoho accounts server that issued the refresh token ${parsed.problem}.`);
    }
    return this.call(
      'revoke',
      REVOKE_PATH,
      { token: refreshToken },
      [refreshToken],
      readRevokeAnswer,
      parsed.origin,
    );
  }

  private async call<T>(
    operation: ZohoOperation,
    path: string,
    params: Record<string, string>,
    secrets: readonly string[],
    read: (answer: HttpAnswer, context: AnswerContext) => AnswerVerdict<T>,
    origin: string = this.accountsUrl,
  ): Promise<T> {
    let lastProblem = '';
    let lastCause: unknown;
    for (let attempt = 1; attempt <= this.maxAttempts; attempt += 1) {
      if (attempt > 1) await this.sleep(this.backoffMs(attempt - 1));
      const startedAt = performance.now();
      const sent = await this.post(origin, path, params);
      const verdict: AnswerVerdict<T> =
        'answer' in sent
          ? read(sent.answer, { accountsUrl: origin, operation, attempt, secrets })
          : { kind: 'retryable', problem: sent.problem };
      this.onCall({
        operation,
        attempt,
        durationMs: Math.round(performance.now() - startedAt),
        outcome: verdict.kind,
      });
      if (verdict.kind === 'ok') return verdict.value;
      if (verdict.kind === 'error') throw verdict.error;
      lastProblem = verdict.problem;
      // The network error is safe to keep; an answer's body may hold tokens, so only its summary is kept.
      lastCause = 'answer' in sent ? new Error(verdict.problem) : sent.cause;
    }
    throw unavailable(origin, operation, this.maxAttempts, lastProblem, lastCause);
  }

  private async post(
    origin: string,
    path: string,
    params: Record<string, string>,
  ): Promise<{ answer: HttpAnswer } | { problem: string; cause: unknown }> {
    const signal = this.timeoutSignal(this.timeoutMs);
    try {
      const response = await this.fetch(`${origin}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: new URLSearchParams(params).toString(),
        // Following a redirect would resend the client secret to wherever it points.
        redirect: 'manual',
        signal,
      });
      const text = await response.text();
      return {
        answer: {
          status: response.status,
          contentType: response.headers.get('content-type') ?? undefined,
          text,
          receivedAt: this.now(),
        },
      };
    } catch (error) {
      if (signal.aborted) return { problem: `no answer within ${this.timeoutMs} ms`, cause: error };
      return { problem: `network error (${networkErrorCode(error)})`, cause: error };
    }
  }

  /** Exponential with "equal jitter": half the delay is fixed, half random, so retries spread out. */
  private backoffMs(retry: number): number {
    const ceiling = Math.min(MAX_BACKOFF_MS, this.backoffBaseMs * 2 ** (retry - 1));
    return ceiling / 2 + this.random() * (ceiling / 2);
  }
}

/** undici reports "fetch failed" and keeps the useful part (ECONNRESET, ...) in its cause. */
function networkErrorCode(error: unknown): string {
  const cause = error instanceof Error ? error.cause : undefined;
  if (typeof cause === 'object' && cause !== null && 'code' in cause && typeof cause.code === 'string') {
    return cause.code;
  }
  return error instanceof Error ? error.message : 'unknown';
}
