import { InvalidEventError } from '../lib/errors.js';
import { describeUnknownKeys } from '../lib/event-keys.js';

export interface GrantCodeEvent {
  readonly kind: 'connect';
  readonly code: string;
  readonly client?: { readonly clientId: string; readonly clientSecret: string };
}

/** The operator's events: a grant code to exchange, or `{"status": true}`, or `{"disconnect": true}`. */
export type ExchangeEvent = GrantCodeEvent | { readonly kind: 'status' } | { readonly kind: 'disconnect' };

const ALLOWED_KEYS = new Set(['code', 'client_id', 'client_secret']);
const OPERATOR_KEYS = ['status', 'disconnect'] as const;

// Zoho grant codes, client ids and secrets are dot-separated tokens of letters and digits
// ("1000.<hex>.<hex>", "1000.<ID>"). Anything else is a paste mistake and is refused before Zoho
// is called, which would otherwise burn one of the client's grant-code attempts.
const GRANT_CODE = /^\d{3,6}\.[0-9a-z]{16,128}\.[0-9a-z]{16,128}$/i;
const GRANT_CODE_RULE =
  'a number such as 1000, a dot, 16 to 128 letters or digits, a dot and 16 to 128 letters or digits';
/** A made-up code of the real shape (Zoho's are 1000.<32 hex>.<32 hex>), for examples and placeholders. */
export const EXAMPLE_GRANT_CODE = '1000.1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d.7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b';
const CLIENT_ID = /^\d{3,6}\.[0-9a-z]{8,128}$/i;
const CLIENT_SECRET = /^[0-9a-z]{16,128}$/i;

/**
 * Validates the exchange event. Messages describe what is wrong with a value without repeating it,
 * since the value may be a real code or secret.
 */
export function parseExchangeEvent(event: unknown): ExchangeEvent {
  if (event === null || typeof event !== 'object' || Array.isArray(event)) {
    throw new InvalidEventError(
      `The exchange event must be a JSON object such as {"code": "${EXAMPLE_GRANT_CODE}"}, with the grant code from the Zoho API Console.`,
    );
  }
  const record = event as Record<string, unknown>;
  const operatorEvent = parseOperatorEvent(record);
  if (operatorEvent) return operatorEvent;
  const unknownKeys = Object.keys(record).filter((key) => !ALLOWED_KEYS.has(key));
  if (unknownKeys.length > 0) {
    throw new InvalidEventError(
      `The exchange event has unknown field(s) ${describeUnknownKeys(unknownKeys)}; allowed are code, client_id and client_secret (or one of {"status": true}, {"disconnect": true}).`,
    );
  }

  const code = readTrimmed(record, 'code');
  if (code === undefined) {
    throw new InvalidEventError(
      'The exchange event has no "code". Generate a grant code in the Zoho API Console (Self Client > Generate Code) and send {"code": "..."}.',
    );
  }
  if (!GRANT_CODE.test(code)) {
    throw new InvalidEventError(
      `The "code" does not look like a Zoho grant code: one is ${GRANT_CODE_RULE}, e.g. ${EXAMPLE_GRANT_CODE}. ` +
        'Copy the whole code from the Zoho API Console; a client id, client secret or refresh token is not a grant code.',
    );
  }

  const clientId = readTrimmed(record, 'client_id');
  const clientSecret = readTrimmed(record, 'client_secret');
  if ((clientId === undefined) !== (clientSecret === undefined)) {
    throw new InvalidEventError(
      'Give both "client_id" and "client_secret", or neither to use the ones already in the credentials secret.',
    );
  }
  if (clientId === undefined || clientSecret === undefined) return { kind: 'connect', code };
  if (!CLIENT_ID.test(clientId)) {
    throw new InvalidEventError(
      'The "client_id" does not look like a Zoho client id (e.g. 1000.ABCDEF...). Copy it from Self Client > Client Secret in the Zoho API Console.',
    );
  }
  if (!CLIENT_SECRET.test(clientSecret)) {
    throw new InvalidEventError(
      'The "client_secret" does not look like a Zoho client secret (letters and digits only). Copy it from Self Client > Client Secret in the Zoho API Console.',
    );
  }
  return { kind: 'connect', code, client: { clientId, clientSecret } };
}

/** `{"status": true}` or `{"disconnect": true}`, alone; undefined when the event is neither. */
function parseOperatorEvent(record: Record<string, unknown>): ExchangeEvent | undefined {
  const asked = OPERATOR_KEYS.filter((key) => key in record);
  const [kind] = asked;
  if (kind === undefined) return undefined;
  const others = Object.keys(record).filter((key) => key !== kind);
  if (others.length > 0 || record[kind] !== true) {
    throw new InvalidEventError(
      `Send {"${kind}": true} on its own to ask for the connection's ${kind}, or {"code": "..."} to exchange a grant code.`,
    );
  }
  return { kind };
}

function readTrimmed(record: Record<string, unknown>, key: string): string | undefined {
  const value = record[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') {
    throw new InvalidEventError(`The exchange event field "${key}" must be a string.`);
  }
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}
