import type { ConnectionState } from '../connection-status.js';
import { isConnected } from '../documents.js';
import { ConfigError } from '../errors.js';
import type { ConnectionItem, StateStore } from './connection-item.js';
import type { TokenStore } from './token-store.js';

/**
 * The connection's state as the secrets tell it, for a table that holds none yet: a new table next
 * to retained secrets, or the first run after an upgrade from 0.2.0, which kept its state in the
 * access-token secret. Never an error: what the secrets do not say starts empty.
 */
export async function rebuildState(
  store: Pick<TokenStore, 'readCredentials' | 'readTokenRecord'>,
): Promise<ConnectionItem> {
  const credentials = await store.readCredentials();
  const { value: record, versionId } = await readTokenRecordOrNone(store);
  const fields = record.fields;
  // A refresh token stored means connected, unless Zoho was seen to refuse it.
  const state: ConnectionState = !isConnected(credentials)
    ? 'not-connected'
    : record.state === 'not-connected'
      ? 'connected'
      : record.state;
  return {
    state,
    ...optional('stateReason', fields.state_reason),
    ...optional('stateSince', fields.state_since ?? credentials.connected_at),
    ...optional('connectedAt', credentials.connected_at),
    ...optional('tokenVersionId', record.token ? versionId : undefined),
    ...optional('refreshedAt', record.token?.refreshed_at),
    ...optional('expiresAt', record.token?.expires_at),
    ...optional('lastFailureAt', fields.last_failure_at),
    ...optional('lastFailureError', fields.last_failure_error),
    tokenWrites: [],
    forcedWrites: [],
  };
}

function optional<K extends keyof ConnectionItem>(
  key: K,
  value: string | undefined,
): Partial<ConnectionItem> {
  return value === undefined ? {} : { [key]: value };
}

/**
 * The access-token secret as the state's starting point. A value the keeper cannot read (saved by hand)
 * counts as no token: the next write replaces it, which is what the operator needs, rather than an
 * error that stops every run until someone repairs it by hand.
 */
async function readTokenRecordOrNone(
  store: Pick<TokenStore, 'readTokenRecord'>,
): Promise<Awaited<ReturnType<TokenStore['readTokenRecord']>>> {
  try {
    return await store.readTokenRecord();
  } catch (error) {
    // A secret the function cannot reach (not found, denied, KMS) is a ConfigError with the AWS error as
    // its cause, for the operator to fix; a value that does not parse has none.
    if (!(error instanceof ConfigError) || error.cause !== undefined) throw error;
    return { value: { token: undefined, state: 'not-connected', fields: {} }, versionId: undefined };
  }
}

/** Rebuilds the state for a run that holds the lease; gives the lease back if the secrets cannot be read. */
export async function rebuildOrRelease(
  state: StateStore,
  holder: string,
  store: Pick<TokenStore, 'readCredentials' | 'readTokenRecord'>,
): Promise<ConnectionItem> {
  try {
    return await rebuildState(store);
  } catch (error) {
    await state.release(holder).catch(() => undefined);
    throw error;
  }
}
