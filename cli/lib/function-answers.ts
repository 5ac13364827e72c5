import type { ExchangeResult } from '../../functions/exchange/exchange-grant-code.js';
import {
  CONNECTION_STATES,
  type ConnectionStatus,
  type DisconnectResult,
  type ReplacedRefreshToken,
} from '../../functions/lib/connection-status.js';

/** The exchange's answer to a grant code, with what became of the refresh token it replaced. */
export type ExchangeAnswer = ExchangeResult & { readonly previous_refresh_token?: ReplacedRefreshToken };

const SCHEDULE_STATES = ['ENABLED', 'DISABLED'] as const;
const REPLACED_OUTCOMES: readonly ReplacedRefreshToken[] = ['revoked', 'already-invalid', 'revoke-failed'];
const DISCONNECT_OUTCOMES: readonly DisconnectResult['refresh_token'][] = [
  'revoked',
  'already-invalid',
  'none-stored',
];

/*
 * Each reader copies the known fields one by one rather than passing the payload on: whatever else
 * a function answers (a future field, or by mistake a token) never reaches the operator's screen.
 */

export function readConnectionStatus(payload: unknown): ConnectionStatus | undefined {
  const record = asRecord(payload);
  const state = oneOf(record?.connection_state, CONNECTION_STATES);
  const scheduleName = text(record?.schedule_name);
  if (record === undefined || state === undefined || scheduleName === undefined) return undefined;
  if (typeof record.client_stored !== 'boolean') return undefined;
  return {
    connection_state: state,
    client_stored: record.client_stored,
    schedule_name: scheduleName,
    ...optionalTexts(record, [
      'state_reason',
      'state_since',
      'client_id',
      'accounts_url',
      'api_domain',
      'scope',
      'connected_at',
      'expires_at',
      'refreshed_at',
      'last_failure_at',
      'last_failure_error',
      'retry_after',
      'schedule_expression',
      'follow_up_at',
    ]),
    ...optional('schedule_state', oneOf(record.schedule_state, SCHEDULE_STATES)),
  };
}

export function readExchangeAnswer(payload: unknown): ExchangeAnswer | undefined {
  const record = asRecord(payload);
  const apiDomain = text(record?.api_domain);
  const expiresAt = text(record?.expires_at);
  if (record?.status !== 'connected' || apiDomain === undefined || expiresAt === undefined) return undefined;
  return {
    status: 'connected',
    api_domain: apiDomain,
    expires_at: expiresAt,
    ...optional('scope', text(record.scope)),
    ...optional('previous_refresh_token', oneOf(record.previous_refresh_token, REPLACED_OUTCOMES)),
  };
}

export function readDisconnectResult(payload: unknown): DisconnectResult | undefined {
  const record = asRecord(payload);
  const outcome = oneOf(record?.refresh_token, DISCONNECT_OUTCOMES);
  if (record?.status !== 'disconnected' || outcome === undefined) return undefined;
  return { status: 'disconnected', refresh_token: outcome };
}

function asRecord(value: unknown): Readonly<Record<string, unknown>> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[]): T | undefined {
  return allowed.find((candidate) => candidate === value);
}

function optional<K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, V>);
}

function optionalTexts<K extends string>(
  record: Readonly<Record<string, unknown>>,
  keys: readonly K[],
): Partial<Record<K, string>> {
  const found: Partial<Record<K, string>> = {};
  for (const key of keys) {
    const value = text(record[key]);
    if (value !== undefined) found[key] = value;
  }
  return found;
}
