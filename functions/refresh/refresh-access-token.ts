import { randomUUID } from 'node:crypto';
import type { ConnectionState } from '../lib/connection-status.js';
import { type AccessTokenDocument, isConnected } from '../lib/documents.js';
import { DEFAULT_REFRESH_RATE_MINUTES } from '../lib/environment.js';
import {
  ConfigError,
  NotConnectedError,
  RefreshBudgetExhaustedError,
  RefreshTokenRevokedError,
} from '../lib/errors.js';
import type { RefreshSchedule } from '../lib/schedule/refresh-schedule.js';
import { type ConnectionItem, type StateStore, writesWithin24Hours } from '../lib/store/connection-item.js';
import { HeldLease, type StateChangeListener } from '../lib/store/held-lease.js';
import { rebuildOrRelease } from '../lib/store/rebuild-state.js';
import type { TokenStore } from '../lib/store/token-store.js';
import type { ZohoAccountsClient } from '../lib/zoho/accounts-client.js';
import { failedRefresh, heldBackError } from './failure-record.js';
import { armFollowUp, cancelFollowUp } from './follow-ups.js';
import {
  decideRefresh,
  FORCED_REFRESHES_PER_DAY,
  followUpAfterSkip,
  forcedRefreshFitsBudget,
  REFRESH_LEASE_MS,
  type RefreshDecision,
  refreshFitsBudget,
  TOKEN_VERSIONS_PER_DAY,
} from './refresh-policy.js';

export interface RefreshDependencies {
  readonly state: StateStore;
  readonly store: Pick<
    TokenStore,
    'readCredentials' | 'readTokenRecord' | 'currentTokenVersion' | 'putTokenRecord'
  >;
  readonly zoho: Pick<ZohoAccountsClient, 'refreshAccessToken'>;
  readonly schedule: Pick<RefreshSchedule, 'scheduleFollowUp' | 'cancelFollowUp'>;
  /** The accounts server this function is configured with; it must be the one the connection was made with. */
  readonly accountsUrl: string;
  /** Minutes between scheduled runs. @default 50 */
  readonly rateMinutes?: number;
  readonly now: () => Date;
  /** A fresh id for each lease. @default crypto.randomUUID */
  readonly newLeaseHolder?: () => string;
  /** Told each change of state once it is stored (health events). */
  readonly onStateChange?: StateChangeListener;
  /** Told about side paths (follow-ups armed, the lease given back) that must not hide the main outcome. */
  readonly onSidePathFailure?: (action: string, error: unknown) => void;
  /** Told the state as first read, so a failed run can still report minutes left and state. */
  readonly onStoredState?: (item: ConnectionItem) => void;
}

/** Why a run did, or did not, call Zoho. */
export type RefreshReason =
  | RefreshDecision['reason']
  | 'secret-replaced'
  | 'not-connected'
  | 'needs-reconnect'
  | 'in-progress';

export interface RefreshOutcome {
  readonly refreshed: boolean;
  /** Undefined when no token is stored. */
  readonly expiresAt: string | undefined;
  readonly connectionState: ConnectionState;
  readonly reason: RefreshReason;
  /** Set when this run armed a one-time follow-up run of the refresh function. */
  readonly followUpAt?: string;
}

/**
 * Keeps a valid access token in the shareable secret. A run first takes the connection's lease in the
 * state table (one conditional write that also reads the state), so that one run at a time, in any
 * number of containers, calls Zoho and writes the secret; it gives the lease back on every path, in
 * the same write that stores what changed. The secret is written only when a token is minted, or
 * when Zoho says the refresh token is revoked: a failing run writes the table alone.
 *
 * A run while not connected, or after Zoho said the refresh token is revoked, makes no Zoho call:
 * a scheduled run returns quietly, a forced one fails, since a consumer waits for it.
 */
export async function refreshAccessToken(deps: RefreshDependencies, force: boolean): Promise<RefreshOutcome> {
  const now = deps.now();
  const holder = (deps.newLeaseHolder ?? randomUUID)();
  const attempt = await deps.state.acquire(holder, now, REFRESH_LEASE_MS);
  if (!attempt.acquired) {
    if (attempt.item) deps.onStoredState?.(attempt.item);
    return whileAnotherRunWrites(deps, attempt.item, attempt.lease.until, force);
  }
  const item = attempt.item ?? (await rebuildOrRelease(deps.state, holder, deps.store));
  deps.onStoredState?.(item);
  const lease = new HeldLease(deps.state, holder, item, attempt.item === undefined, deps.onStateChange);
  try {
    return await refreshHolding(deps, lease, force, now);
  } finally {
    await lease.end(deps.onSidePathFailure);
  }
}

async function refreshHolding(
  deps: RefreshDependencies,
  lease: HeldLease,
  force: boolean,
  now: Date,
): Promise<RefreshOutcome> {
  const item = lease.item;
  if (item.state === 'not-connected' || item.state === 'needs-reconnect') return notRefreshable(item, force);
  if (force && isFuture(item.retryAfter, now)) throw heldBackError(item);

  const rateMinutes = deps.rateMinutes ?? DEFAULT_REFRESH_RATE_MINUTES;
  let decision: { readonly refresh: boolean; readonly reason: RefreshReason } = decideRefresh(
    item,
    force,
    now,
    rateMinutes,
  );
  if (!decision.refresh) {
    // The secret holds what the keeper wrote last, unless an administrator restored an older version
    // or saved one by hand: then the token consumers read may be stale, and this run replaces it.
    if ((await deps.store.currentTokenVersion()) === item.tokenVersionId) {
      const followUp = force ? undefined : followUpAfterSkip(item, rateMinutes, now);
      const followUpAt = followUp ? await armFollowUp(deps, followUp, 'after a skipped run') : undefined;
      return outcome(item, decision.reason, followUpAt);
    }
    decision = { refresh: true, reason: 'secret-replaced' };
  }
  assertWithinBudget(item, force, now);

  const credentials = await deps.store.readCredentials();
  if (!isConnected(credentials)) {
    // The table says connected but no refresh token is stored: the credentials were cleared by hand.
    await lease.commit(
      { ...item, state: 'not-connected', stateReason: 'no-refresh-token', stateSince: now.toISOString() },
      now,
    );
    return notRefreshable({ ...item, state: 'not-connected' }, force);
  }
  if (credentials.accounts_url !== deps.accountsUrl)
    throw accountsServerMismatch(credentials.accounts_url, deps);

  let document: AccessTokenDocument;
  let versionId: string;
  try {
    const grant = await deps.zoho.refreshAccessToken(
      { clientId: credentials.client_id, clientSecret: credentials.client_secret },
      credentials.refresh_token,
    );
    document = {
      access_token: grant.accessToken,
      api_domain: grant.apiDomain,
      token_type: grant.tokenType,
      expires_at: grant.expiresAt.toISOString(),
      refreshed_at: grant.receivedAt.toISOString(),
    };
    versionId = await deps.store.putTokenRecord(document, 'connected');
  } catch (error) {
    await recordFailure(deps, lease, error, now);
    throw error;
  }

  const entering = item.state !== 'connected';
  await lease.commit(
    {
      ...item,
      state: 'connected',
      stateReason: entering ? 'refreshed' : item.stateReason,
      stateSince: entering ? now.toISOString() : item.stateSince,
      connectedAt: credentials.connected_at,
      tokenVersionId: versionId,
      refreshedAt: document.refreshed_at,
      expiresAt: document.expires_at,
      retryAfter: undefined,
      tokenWrites: writesWithin24Hours(item.tokenWrites, now, now),
      forcedWrites: writesWithin24Hours(item.forcedWrites, now, force ? now : undefined),
    },
    now,
  );
  return {
    refreshed: true,
    expiresAt: document.expires_at,
    connectionState: 'connected',
    reason: decision.reason,
  };
}

/**
 * Records a failed refresh in the table and arms the next try. A revoked refresh token also changes
 * what consumers read: the access-token secret says so (its token is kept, for the record).
 */
async function recordFailure(
  deps: RefreshDependencies,
  lease: HeldLease,
  error: unknown,
  now: Date,
): Promise<void> {
  const failure = failedRefresh(lease.item, error, now);
  let next = failure.next;
  try {
    if (error instanceof RefreshTokenRevokedError) {
      const current = await deps.store.readTokenRecord();
      const versionId = await deps.store.putTokenRecord(current.value.token, 'needs-reconnect');
      next = {
        ...next,
        tokenVersionId: versionId,
        tokenWrites: writesWithin24Hours(next.tokenWrites, now, now),
      };
    }
    await lease.commit(next, now);
  } catch (sideError) {
    deps.onSidePathFailure?.(`record ${next.lastFailureError}`, sideError);
  }
  // Armed even when the state could not be stored (the store itself may be what failed).
  if (failure.retryAt) await armFollowUp(deps, failure.retryAt, `after ${next.lastFailureError}`);
  else await cancelFollowUp(deps);
}

/**
 * Another run holds the lease: a refresh about to store a token, or a connect or disconnect under
 * way. What it stores is the answer; a scheduled run looks again when the lease ends, in case its
 * holder died.
 */
async function whileAnotherRunWrites(
  deps: RefreshDependencies,
  item: ConnectionItem | undefined,
  leaseUntil: Date,
  force: boolean,
): Promise<RefreshOutcome> {
  if (item && (item.state === 'not-connected' || item.state === 'needs-reconnect')) {
    return notRefreshable(item, force);
  }
  const followUpAt = force ? undefined : await armFollowUp(deps, leaseUntil, 'after a lease');
  return {
    refreshed: false,
    expiresAt: item?.expiresAt,
    connectionState: item?.state ?? 'connected',
    reason: 'in-progress',
    ...(followUpAt !== undefined ? { followUpAt } : {}),
  };
}

function assertWithinBudget(item: ConnectionItem, force: boolean, now: Date): void {
  if (force && !forcedRefreshFitsBudget(item, now)) {
    throw new RefreshBudgetExhaustedError(
      `Forced refreshes have used their share of the access-token secret's write budget (at most ` +
        `${FORCED_REFRESHES_PER_DAY} of ${TOKEN_VERSIONS_PER_DAY} new versions in any 24 hours; Secrets Manager keeps ` +
        `100), so no new token was made; the stored one expires at ${item.expiresAt ?? 'an unknown time'} and scheduled ` +
        "refreshes go on. Zoho keeps rejecting some consumer's calls for a reason a new token cannot fix: an API " +
        'domain of another data centre, a missing scope, or another organisation. Find that consumer (its log shows ' +
        "the Zoho error) and fix its request or the connection's scopes.",
    );
  }
  if (!refreshFitsBudget(item, now)) {
    throw new RefreshBudgetExhaustedError(
      `The access-token secret was written ${TOKEN_VERSIONS_PER_DAY} times in the last 24 hours, the keeper's cap ` +
        '(Secrets Manager allows 100 versions a day), so no new token was made. Something invokes the refresh ' +
        'function or replaces the secret in a loop: find it (CloudTrail: PutSecretValue, Invoke) and stop it.',
    );
  }
}

function outcome(item: ConnectionItem, reason: RefreshReason, followUpAt?: string): RefreshOutcome {
  return {
    refreshed: false,
    expiresAt: item.expiresAt,
    connectionState: item.state,
    reason,
    ...(followUpAt !== undefined ? { followUpAt } : {}),
  };
}

/** Not connected or needing a reconnect: quiet for the schedule, an error for a consumer waiting on it. */
function notRefreshable(item: ConnectionItem, force: boolean): RefreshOutcome {
  const needsReconnect = item.state === 'needs-reconnect';
  if (!force) return outcome(item, needsReconnect ? 'needs-reconnect' : 'not-connected');
  if (needsReconnect) {
    throw new RefreshTokenRevokedError(
      `Zoho answered${item.stateSince ? ` at ${item.stateSince}` : ''} that the stored refresh token is revoked or ` +
        'deleted; no call is made with it again. Generate a new grant code in the Zoho API Console and exchange ' +
        'it (npx zoho-token-keeper connect).',
    );
  }
  throw new NotConnectedError(
    'There is no refresh token stored: exchange a grant code with the exchange function first ' +
      '(npx zoho-token-keeper connect).',
  );
}

function accountsServerMismatch(stored: string, deps: RefreshDependencies): ConfigError {
  return new ConfigError(
    `The connection was made with the accounts server ${stored}, but this function is configured with ` +
      `${deps.accountsUrl} (ZOHO_ACCOUNTS_URL). A refresh token works only in the data centre that issued it, so ` +
      'no call was made. Redeploy with the data centre the connection was made in (e.g. -c dataCenter=eu), or ' +
      'connect again with a grant code from the configured data centre.',
  );
}

function isFuture(time: string | undefined, now: Date): boolean {
  return time !== undefined && Date.parse(time) > now.getTime();
}
