import type { ConnectionFields, TokenRecord } from '../lib/documents.js';
import {
  InvalidClientError,
  RefreshTokenRevokedError,
  ZohoRateLimitedError,
  ZohoUnavailableError,
} from '../lib/errors.js';
import { armFollowUp } from './follow-ups.js';
import type { RefreshDependencies } from './refresh-access-token.js';
import { retryAfterFailure } from './refresh-policy.js';

export interface FailedRun {
  readonly record: TokenRecord;
  /** The version this run last read or wrote: the failure is recorded only if nothing newer came since. */
  readonly basis: string | undefined;
  readonly now: Date;
}

/**
 * Records what Zoho said, so that every container knows it: a revoked refresh token puts the
 * connection in needs-reconnect, any other failure holds forced runs back until a one-time
 * follow-up run tries again. The claim, if this run held one, is released by the same write.
 * Returns `superseded` when another writer stored something newer meanwhile (a reconnect, a
 * disconnect), which makes this run's failure moot.
 */
export async function recordFailure(
  deps: RefreshDependencies,
  error: unknown,
  run: FailedRun,
): Promise<'recorded' | 'superseded' | 'unrecorded'> {
  const { record, now } = run;
  const failure: ConnectionFields = {
    ...record.fields,
    claimed_until: undefined,
    claimed_by: undefined,
    last_failure_at: now.toISOString(),
    last_failure_error: error instanceof Error ? error.name : 'Error',
  };
  const revoked = error instanceof RefreshTokenRevokedError;
  const retryAt = revoked ? undefined : retryAfterFailure(error, record.token, now);
  let recorded: 'recorded' | 'superseded' | 'unrecorded' = 'unrecorded';
  try {
    const fields: ConnectionFields = revoked
      ? {
          ...failure,
          connection_state: 'needs-reconnect',
          state_reason: 'refresh-token-revoked',
          state_since: now.toISOString(),
          retry_after: undefined,
        }
      : { ...failure, retry_after: retryAt?.toISOString() };
    const written = await deps.store.putTokenRecord(record.token, fields, run.basis);
    recorded = written.written ? 'recorded' : 'superseded';
  } catch (sideError) {
    deps.onSidePathFailure?.(`record ${failure.last_failure_error}`, sideError);
  }
  if (recorded === 'superseded') return recorded;
  // Armed even when the record could not be written (the store itself may be what failed).
  if (retryAt) {
    await armFollowUp(deps, retryAt, `after ${failure.last_failure_error}`);
  } else {
    try {
      await deps.schedule.cancelFollowUp();
    } catch (sideError) {
      deps.onSidePathFailure?.('cancel the pending follow-up', sideError);
    }
  }
  return recorded;
}

/** The error of a forced run held back by a failure another run recorded. */
export function heldBackError(fields: ConnectionFields): Error {
  const until = fields.retry_after ?? 'later';
  if (fields.last_failure_error === 'ZohoRateLimitedError') {
    return new ZohoRateLimitedError(
      `Zoho refused new access tokens for this refresh token moments ago; the next try is at ${until}. ` +
        'Nothing to do unless this repeats: then look for another tool refreshing with the same refresh token.',
    );
  }
  if (fields.last_failure_error === 'InvalidClientError') {
    return new InvalidClientError(
      `Zoho refused the stored client id and secret moments ago; the next try is at ${until}. Check that the ` +
        'Self Client still exists in the Zoho API Console of this data centre, then connect again (npx zoho-token-keeper connect).',
    );
  }
  return new ZohoUnavailableError(
    `The last refresh failed moments ago (${fields.last_failure_error ?? 'unknown error'}); the next try is at ` +
      `${until}. Nothing to do: the current access token stays in place until then.`,
  );
}
