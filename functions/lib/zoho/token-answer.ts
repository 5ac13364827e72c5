import { isDataCentreApiDomain } from '../data-centres.js';
import type { ZohoTokenKeeperError } from '../errors.js';
import { parseServerOrigin } from '../urls.js';
import type { AccessTokenGrant, GrantCodeExchange } from './accounts-client.js';
import {
  invalidClient,
  invalidGrantCode,
  rateLimited,
  redirected,
  refreshTokenRevoked,
  unexpectedZohoError,
  unusableSuccess,
  type ZohoOperation,
} from './operator-messages.js';

/**
 * Reads one answer of Zoho's accounts server. Zoho reports errors with HTTP 200, so the body, not
 * the status code, decides, as in Zoho's own SDKs. Each answer is either usable, worth another attempt,
 * or a final error.
 */

export interface HttpAnswer {
  readonly status: number;
  readonly contentType: string | undefined;
  readonly text: string;
  /** When the answer was fully read: the start of the access token's life. */
  readonly receivedAt: Date;
}

export type AnswerVerdict<T> =
  | { readonly kind: 'ok'; readonly value: T }
  | { readonly kind: 'retryable'; readonly problem: string }
  | { readonly kind: 'error'; readonly error: ZohoTokenKeeperError };

export interface AnswerContext {
  readonly accountsUrl: string;
  readonly operation: ZohoOperation;
  readonly attempt: number;
  /** Values that must never reach a message, even inside an odd Zoho error name. */
  readonly secrets: readonly string[];
}

export function readExchangeAnswer(
  answer: HttpAnswer,
  context: AnswerContext,
): AnswerVerdict<GrantCodeExchange> {
  const verdict = readTokenAnswer(answer, context);
  if (verdict.kind !== 'ok') return verdict;
  const { refreshToken, grant } = verdict.value;
  if (refreshToken === undefined) {
    return {
      kind: 'error',
      error: unusableSuccess(context.accountsUrl, context.operation, 'an access token but no refresh token'),
    };
  }
  return { kind: 'ok', value: { ...grant, refreshToken } };
}

/** Zoho's refresh never replaces the refresh token, so one in the answer is ignored. */
export function readRefreshAnswer(
  answer: HttpAnswer,
  context: AnswerContext,
): AnswerVerdict<AccessTokenGrant> {
  const verdict = readTokenAnswer(answer, context);
  return verdict.kind === 'ok' ? { kind: 'ok', value: verdict.value.grant } : verdict;
}

interface TokenAnswer {
  readonly grant: AccessTokenGrant;
  readonly refreshToken: string | undefined;
}

function readTokenAnswer(answer: HttpAnswer, context: AnswerContext): AnswerVerdict<TokenAnswer> {
  const early = classifyTransport(answer, context);
  if (early) return early;
  const body = parseJsonObject(answer.text);
  if (!body) return { kind: 'retryable', problem: notJson(answer) };

  if (typeof body.access_token === 'string' && body.access_token !== '') {
    const grant = readGrant(body, body.access_token, answer.receivedAt, context.accountsUrl);
    if ('problem' in grant) {
      return { kind: 'error', error: unusableSuccess(context.accountsUrl, context.operation, grant.problem) };
    }
    const refreshToken =
      typeof body.refresh_token === 'string' && body.refresh_token !== '' ? body.refresh_token : undefined;
    return { kind: 'ok', value: { grant, refreshToken } };
  }
  if (typeof body.error === 'string') return { kind: 'error', error: zohoError(body.error, context) };
  return {
    kind: 'retryable',
    problem: `HTTP ${answer.status} with JSON holding neither access_token nor error`,
  };
}

export function readRevokeAnswer(
  answer: HttpAnswer,
  context: AnswerContext,
): AnswerVerdict<{ alreadyInvalid: boolean }> {
  // Zoho documents HTTP 400 for a token that is already invalid.
  if (answer.status === 400) return { kind: 'ok', value: { alreadyInvalid: true } };
  const early = classifyTransport(answer, context);
  if (early) return early;
  const body = parseJsonObject(answer.text);
  if (!body) return { kind: 'retryable', problem: notJson(answer) };
  if (answer.status >= 200 && answer.status < 300 && body.status === 'success') {
    return { kind: 'ok', value: { alreadyInvalid: false } };
  }
  if (body.error === 'invalid_token') return { kind: 'ok', value: { alreadyInvalid: true } };
  if (typeof body.error === 'string') return { kind: 'error', error: zohoError(body.error, context) };
  const described =
    typeof body.status === 'string' ? `status "${sanitise(body.status, context.secrets)}"` : 'no status';
  return {
    kind: 'error',
    error: unexpectedZohoError(context.accountsUrl, context.operation, `HTTP ${answer.status}, ${described}`),
  };
}

/** Redirects and server errors, which say all there is to say before the body is read. */
function classifyTransport(answer: HttpAnswer, context: AnswerContext): AnswerVerdict<never> | undefined {
  if (answer.status >= 300 && answer.status < 400) {
    return { kind: 'error', error: redirected(context.accountsUrl, context.operation, answer.status) };
  }
  if (answer.status >= 500) return { kind: 'retryable', problem: `HTTP ${answer.status}` };
  return undefined;
}

function zohoError(value: string, context: AnswerContext): ZohoTokenKeeperError {
  const { accountsUrl, operation } = context;
  // Zoho spells the throttle "Access Denied" and the grant-code limit "access_denied".
  const normalised = value.trim().toLowerCase().replace(/\s+/g, '_');
  switch (normalised) {
    case 'invalid_code':
      if (operation === 'exchange') return invalidGrantCode(accountsUrl, context.attempt > 1);
      if (operation === 'refresh') return refreshTokenRevoked(accountsUrl);
      break;
    case 'invalid_client':
    case 'invalid_client_secret':
      return invalidClient(accountsUrl, normalised);
    case 'access_denied':
      return rateLimited(accountsUrl, operation);
  }
  return unexpectedZohoError(accountsUrl, operation, sanitise(value, context.secrets));
}

function readGrant(
  body: Record<string, unknown>,
  accessToken: string,
  receivedAt: Date,
  accountsUrl: string,
): AccessTokenGrant | { problem: string } {
  const apiDomain = typeof body.api_domain === 'string' ? parseServerOrigin(body.api_domain) : undefined;
  if (!apiDomain || 'problem' in apiDomain) {
    return { problem: 'an access token but an api_domain that is missing or not an https server address' };
  }
  // Consumers send the access token to this host: only Zoho's own API domains may receive it (or,
  // for a test server on this machine, that same server).
  const isTestServer = apiDomain.origin === accountsUrl && new URL(accountsUrl).protocol === 'http:';
  if (!isDataCentreApiDomain(apiDomain.origin) && !isTestServer) {
    return {
      problem: `an access token for ${apiDomain.origin}, which is not the API domain of any Zoho data centre`,
    };
  }
  const lifetimeSeconds = lifetimeInSeconds(body);
  if (lifetimeSeconds === undefined) {
    return { problem: 'an access token but no positive lifetime (expires_in)' };
  }
  const scope = typeof body.scope === 'string' && body.scope.trim() !== '' ? body.scope : undefined;
  return {
    accessToken,
    apiDomain: apiDomain.origin,
    tokenType: typeof body.token_type === 'string' && body.token_type !== '' ? body.token_type : 'Bearer',
    ...(scope !== undefined ? { scope } : {}),
    receivedAt,
    expiresAt: new Date(receivedAt.getTime() + lifetimeSeconds * 1000),
  };
}

/**
 * Zoho's answers once carried `expires_in_sec` (seconds) beside `expires_in` in milliseconds; today
 * only `expires_in`, in seconds. The official SDKs still read both forms, and so does this.
 */
function lifetimeInSeconds(body: Record<string, unknown>): number | undefined {
  const seconds = 'expires_in_sec' in body ? toNumber(body.expires_in_sec) : toNumber(body.expires_in);
  return seconds !== undefined && seconds > 0 ? seconds : undefined;
}

function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && /^\d+(\.\d+)?$/.test(value.trim())) return Number(value);
  return undefined;
}

function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function notJson(answer: HttpAnswer): string {
  const type = answer.contentType?.split(';')[0]?.trim() || 'no content type';
  return `HTTP ${answer.status} with a body that is not a JSON object (${type}), such as a maintenance page`;
}

/** Grant codes and tokens look like `1000.<hex>.<hex>`. */
const ZOHO_TOKEN_SHAPE = /\b\d{4}\.[0-9a-f]{8,}\.[0-9a-f]{8,}\b/gi;

/** Zoho's error names are short words; anything else is cut down and scrubbed before it is quoted. */
function sanitise(value: string, secrets: readonly string[]): string {
  let cleaned = value;
  for (const secret of secrets) if (secret) cleaned = cleaned.split(secret).join('[redacted]');
  cleaned = cleaned.replace(ZOHO_TOKEN_SHAPE, '[redacted]');
  cleaned = cleaned.replace(/[^\x20-\x7e]/g, '?');
  return cleaned.length > 80 ? `${cleaned.slice(0, 80)}...` : cleaned;
}
