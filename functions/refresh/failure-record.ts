import {
  ConfigError,
  InvalidClientError,
  RefreshTokenRevokedError,
  ZohoRateLimitedError,
  ZohoUnavailableError,
} from '../lib/errors.js';
import type { ConnectionItem } from '../lib/store/connection-item.js';
import { retryAfterFailure } from './refresh-policy.js';

export interface FailedRefresh {
  /** The state to store. */
  readonly next: ConnectionItem;
  /** When a one-time follow-up run should try again; undefined when no run may call Zoho again. */
  readonly retryAt: Date | undefined;
}

/**
 * What a failed refresh changes: a revoked refresh token puts the connection in needs-reconnect and
 * no run calls Zoho with it again; any other failure makes it `failing` (the stored token may still
 * be valid) and holds forced runs back until a follow-up run tries again.
 */
export function failedRefresh(item: ConnectionItem, error: unknown, now: Date): FailedRefresh {
  const errorName = error instanceof Error ? error.name : 'Error';
  const failure = { ...item, lastFailureAt: now.toISOString(), lastFailureError: errorName };
  if (error instanceof RefreshTokenRevokedError) {
    return {
      next: {
        ...failure,
        state: 'needs-reconnect',
        stateReason: errorName,
        stateSince: now.toISOString(),
        retryAfter: undefined,
      },
      retryAt: undefined,
    };
  }
  const retryAt = retryAfterFailure(error, item.expiresAt, now);
  const entering = item.state !== 'failing';
  return {
    next: {
      ...failure,
      state: 'failing',
      stateReason: errorName,
      stateSince: entering ? now.toISOString() : item.stateSince,
      retryAfter: retryAt.toISOString(),
    },
    retryAt,
  };
}

/** The error of a forced run held back by a failure another run recorded. */
export function heldBackError(item: ConnectionItem): Error {
  const until = item.retryAfter ?? 'later';
  if (item.lastFailureError === 'ZohoRateLimitedError') {
    return new ZohoRateLimitedError(
      `Zoho refused new access tokens for this refresh token moments ago; the next try is at ${until}. ` +
        'Nothing to do unless this repeats: then look for another tool refreshing with the same refresh token.',
    );
  }
  if (item.lastFailureError === 'InvalidClientError') {
    return new InvalidClientError(
      `Zoho refused the stored client id and secret moments ago; the next try is at ${until}. Check that the ` +
        'Self Client still exists in the Zoho API Console of this data centre, then connect again ' +
        '(npx zoho-token-keeper connect).',
    );
  }
  if (item.lastFailureError === 'ConfigError') {
    return new ConfigError(
      `The last refresh could not use AWS (ConfigError) moments ago; the next try is at ${until}. Read the refresh ` +
        "function's log for what to fix (often the secret's KMS key or the role's permissions).",
    );
  }
  return new ZohoUnavailableError(
    `The last refresh failed moments ago (${item.lastFailureError ?? 'unknown error'}); the next try is at ` +
      `${until}. Nothing to do: the current access token stays in place until then.`,
  );
}
