import { CONNECTION_STATES, type ConnectionState } from './connection-status.js';
import { ConfigError } from './errors.js';

/** The credentials secret once connected (contract: snake_case keys). */
export interface CredentialsDocument {
  client_id: string;
  client_secret: string;
  refresh_token: string;
  accounts_url: string;
  api_domain: string;
  scope?: string;
  connected_at: string;
}

/** Before the first exchange the credentials secret may hold only the client, or nothing. */
export type StoredCredentials = Partial<CredentialsDocument>;

/** The shareable access-token secret once connected. */
export interface AccessTokenDocument {
  access_token: string;
  api_domain: string;
  token_type: string;
  expires_at: string;
  refreshed_at: string;
}

/**
 * The connection's state as stored in the access-token secret. Since 0.3.0 the secret holds only
 * `connection_state` (written when the connection changes); 0.2.0 also kept its whole state there,
 * which is read once to rebuild the state table after an upgrade. None of it is secret; consumers
 * ignore these fields.
 */
export interface ConnectionFields {
  /** Absent in documents written before states were stored: then a token means connected. */
  connection_state?: ConnectionState;
  state_reason?: string;
  state_since?: string;
  connected_at?: string;
  last_failure_at?: string;
  last_failure_error?: string;
  retry_after?: string;
}

/** The whole access-token secret: the token a consumer reads, and the connection's state. */
export interface TokenRecord {
  readonly token: AccessTokenDocument | undefined;
  readonly state: ConnectionState;
  readonly fields: Readonly<ConnectionFields>;
}

const CONNECTION_TIME_FIELDS = [
  'state_since',
  'connected_at',
  'last_failure_at',
  'retry_after',
] as const satisfies readonly (keyof ConnectionFields)[];

const CONNECTION_KEYS = [
  'connection_state',
  'state_reason',
  'state_since',
  'connected_at',
  'last_failure_at',
  'last_failure_error',
  'retry_after',
] as const satisfies readonly (keyof ConnectionFields)[];

const CREDENTIAL_KEYS = [
  'client_id',
  'client_secret',
  'refresh_token',
  'accounts_url',
  'api_domain',
  'scope',
  'connected_at',
] as const;

const ACCESS_TOKEN_KEYS = ['access_token', 'api_domain', 'token_type', 'expires_at', 'refreshed_at'] as const;

/**
 * Parses the credentials secret. An empty or absent value means "nothing stored yet"; a value that
 * is not a JSON object of strings is refused with a message that names the secret but never quotes
 * its content.
 */
export function parseCredentials(secretString: string | undefined, secretId: string): StoredCredentials {
  const object = parseObject(secretString, secretId, 'credentials');
  const result: StoredCredentials = {};
  for (const key of CREDENTIAL_KEYS) {
    const value = readStringField(object, key, secretId, 'credentials');
    if (value !== undefined) result[key] = value;
  }
  return result;
}

/**
 * Parses the access-token secret. Returns undefined when no access token is stored yet (not
 * connected); refuses a document that holds a token but lacks the fields a reader needs.
 */
export function parseAccessToken(
  secretString: string | undefined,
  secretId: string,
): AccessTokenDocument | undefined {
  const object = parseObject(secretString, secretId, 'access-token');
  const fields: Partial<AccessTokenDocument> = {};
  for (const key of ACCESS_TOKEN_KEYS) {
    const value = readStringField(object, key, secretId, 'access-token');
    if (value !== undefined) fields[key] = value;
  }
  if (!fields.access_token) return undefined;
  const missing = ACCESS_TOKEN_KEYS.filter((key) => !fields[key]);
  if (missing.length > 0) {
    throw new ConfigError(
      `The access-token secret ${secretId} holds a token but lacks ${missing.join(', ')}. It was left untouched: ` +
        'set it to {} in the Secrets Manager console, then invoke the refresh function with {"force": true} to write a new token.',
    );
  }
  for (const key of ['expires_at', 'refreshed_at'] as const) {
    if (Number.isNaN(Date.parse(fields[key] as string))) {
      throw new ConfigError(
        `The access-token secret ${secretId} has a ${key} that is not an ISO-8601 time. It was left untouched: ` +
          'set it to {} in the Secrets Manager console, then invoke the refresh function with {"force": true}.',
      );
    }
  }
  return fields as AccessTokenDocument;
}

/**
 * Parses the whole access-token secret, token and connection state. A token without a stored state
 * (written before states were recorded) means connected.
 */
export function parseTokenRecord(secretString: string | undefined, secretId: string): TokenRecord {
  const token = parseAccessToken(secretString, secretId);
  const object = parseObject(secretString, secretId, 'access-token');
  const fields: ConnectionFields = {};
  for (const key of CONNECTION_KEYS) {
    const value = readStringField(object, key, secretId, 'access-token');
    if (value === undefined) continue;
    if (key === 'connection_state') {
      if (!(CONNECTION_STATES as readonly string[]).includes(value)) {
        throw new ConfigError(
          `The access-token secret ${secretId} has an unknown connection_state. It was left untouched: remove the ` +
            'field in the Secrets Manager console (the next run records the state again).',
        );
      }
      fields.connection_state = value as ConnectionState;
    } else if (
      (CONNECTION_TIME_FIELDS as readonly string[]).includes(key) &&
      Number.isNaN(Date.parse(value))
    ) {
      throw new ConfigError(
        `The access-token secret ${secretId} has a ${key} that is not an ISO-8601 time. It was left untouched: ` +
          'remove the field in the Secrets Manager console (the next run records it again).',
      );
    } else {
      fields[key] = value;
    }
  }
  const state = fields.connection_state ?? (token ? 'connected' : 'not-connected');
  return { token, state, fields };
}

/** True when the stored credentials hold everything a refresh needs. */
export function isConnected(credentials: StoredCredentials): credentials is CredentialsDocument {
  return Boolean(
    credentials.client_id &&
      credentials.client_secret &&
      credentials.refresh_token &&
      credentials.accounts_url,
  );
}

function parseObject(
  secretString: string | undefined,
  secretId: string,
  kind: string,
): Record<string, unknown> {
  if (secretString === undefined || secretString.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(secretString);
  } catch {
    throw new ConfigError(
      `The ${kind} secret ${secretId} is not valid JSON. It was left untouched: fix it in the Secrets Manager ` +
        'console so that it holds a JSON object (see docs/reference.md, "Secret documents").',
    );
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError(
      `The ${kind} secret ${secretId} does not hold a JSON object. It was left untouched: fix it in the ` +
        'Secrets Manager console (see docs/reference.md, "Secret documents").',
    );
  }
  return parsed as Record<string, unknown>;
}

function readStringField(
  object: Record<string, unknown>,
  key: string,
  secretId: string,
  kind: string,
): string | undefined {
  const value = object[key];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') {
    throw new ConfigError(
      `The ${kind} secret ${secretId} has a "${key}" that is not a string. It was left untouched: fix it in ` +
        'the Secrets Manager console (see docs/reference.md, "Secret documents").',
    );
  }
  return value;
}
