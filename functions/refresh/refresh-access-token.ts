import { randomUUID } from 'node:crypto';
import type { ConnectionState } from '../lib/connection-status.js';
import type { AccessTokenDocument, ConnectionFields, TokenRecord } from '../lib/documents.js';
import { isConnected } from '../lib/documents.js';
import { ConfigError, NotConnectedError, RefreshTokenRevokedError } from '../lib/errors.js';
import type { RefreshSchedule } from '../lib/schedule/refresh-schedule.js';
import type { TokenStore } from '../lib/store/token-store.js';
import type { ZohoAccountsClient } from '../lib/zoho/accounts-client.js';
import { heldBackError, recordFailure } from './failure-record.js';
import { armFollowUp, followUpForSkippedRun } from './follow-ups.js';
import {
  CLAIM_LEASE_MS,
  decideRefresh,
  RECONNECT_WINDOW_MS,
  type RefreshDecision,
} from './refresh-policy.js';

export interface RefreshDependencies {
  readonly store: Pick<TokenStore, 'readCredentials' | 'readTokenRecord' | 'putTokenRecord'>;
  readonly zoho: Pick<ZohoAccountsClient, 'refreshAccessToken'>;
  readonly schedule: Pick<RefreshSchedule, 'describe' | 'scheduleFollowUp' | 'cancelFollowUp'>;
  /** The accounts server this function is configured with; it must be the one the connection was made with. */
  readonly accountsUrl: string;
  readonly now: () => Date;
  /** A fresh id for each claim. @default crypto.randomUUID */
  readonly newClaimId?: () => string;
  /** Told about side paths (follow-ups armed, state recorded) that must not hide the main outcome. */
  readonly onSidePathFailure?: (action: string, error: unknown) => void;
  /** Told the stored record as first read, so a failed run can still report minutes left and state. */
  readonly onStoredRecord?: (record: TokenRecord) => void;
}

/** Why a run did, or did not, call Zoho. */
export type RefreshReason =
  | RefreshDecision['reason']
  | 'not-connected'
  | 'needs-reconnect'
  | 'in-progress'
  | 'superseded';

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
 * Keeps a valid access token in the shareable secret. Writes only that secret, and every write is a
 * compare-and-swap on the version this run read, so a run never overwrites what an exchange, a
 * disconnect or another run stored while it waited on Zoho. A forced run first claims the next Zoho
 * call the same way, so that many runs at once (in as many containers) make one call.
 *
 * A run while not connected, or after Zoho said the refresh token is revoked, reads one secret and
 * makes no Zoho call: a scheduled run returns quietly, a forced one fails, since a consumer waits.
 */
export async function refreshAccessToken(deps: RefreshDependencies, force: boolean): Promise<RefreshOutcome> {
  const now = deps.now();
  const read = await deps.store.readTokenRecord();
  const record = read.value;
  deps.onStoredRecord?.(record);
  if (record.state !== 'connected') return notRefreshable(record, force, record.state);

  const decision = decideRefresh(record.token, force, now);
  if (!decision.refresh) {
    const followUpAt =
      force || !record.token ? undefined : await followUpForSkippedRun(deps, record.token, now);
    return outcome(record, decision.reason, { followUpAt });
  }
  const claimedUntil = record.fields.claimed_until;
  if (claimedUntil !== undefined && isFuture(claimedUntil, now)) {
    // If the claim's holder dies, nothing else may come before the token expires: look again then.
    const followUpAt = force ? undefined : await armFollowUp(deps, new Date(claimedUntil), 'after a claim');
    return outcome(record, 'in-progress', { followUpAt });
  }
  if (force && isFuture(record.fields.retry_after, now)) throw heldBackError(record.fields);

  let basis = read.versionId;
  if (force) {
    const claim = await deps.store.putTokenRecord(
      record.token,
      {
        ...record.fields,
        claimed_until: new Date(now.getTime() + CLAIM_LEASE_MS).toISOString(),
        claimed_by: (deps.newClaimId ?? randomUUID)(),
      },
      basis,
    );
    if (!claim.written) return afterLostRace(deps, force, 'in-progress');
    basis = claim.versionId;
  }

  const credentials = (await deps.store.readCredentials()).value;
  if (!isConnected(credentials)) {
    // The record says connected but no refresh token is stored: a disconnect is clearing them.
    return notRefreshable(record, force, 'not-connected');
  }
  if (credentials.accounts_url !== deps.accountsUrl)
    throw accountsServerMismatch(credentials.accounts_url, deps);
  const recordedConnection = record.fields.connected_at;
  if (
    recordedConnection !== undefined &&
    recordedConnection !== credentials.connected_at &&
    now.getTime() - Date.parse(credentials.connected_at) < RECONNECT_WINDOW_MS
  ) {
    // A reconnect stored its refresh token and is about to store its access token: let it finish.
    // An older mismatch is a reconnect that stopped half-way, which this run completes.
    const settled = new Date(Date.parse(credentials.connected_at) + RECONNECT_WINDOW_MS);
    const followUpAt = force ? undefined : await armFollowUp(deps, settled, 'after a reconnect');
    return outcome(record, 'in-progress', { followUpAt });
  }

  const connection: ConnectionFields = {
    connection_state: 'connected',
    state_since: record.fields.state_since ?? credentials.connected_at,
    connected_at: credentials.connected_at,
    last_failure_at: record.fields.last_failure_at,
    last_failure_error: record.fields.last_failure_error,
  };
  let document: AccessTokenDocument;
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
  } catch (error) {
    const recorded = await recordFailure(deps, error, { record, basis, now });
    if (recorded === 'superseded') return afterLostRace(deps, force, 'superseded');
    throw error;
  }

  let written: Awaited<ReturnType<RefreshDependencies['store']['putTokenRecord']>>;
  try {
    written = await deps.store.putTokenRecord(document, connection, basis);
  } catch (error) {
    // Zoho minted a token that could not be stored: space the next attempt as after any answer.
    const recorded = await recordFailure(deps, error, { record, basis, now });
    if (recorded === 'superseded') return afterLostRace(deps, force, 'superseded');
    throw error;
  }
  if (!written.written) return afterLostRace(deps, force, 'superseded');
  return {
    refreshed: true,
    expiresAt: document.expires_at,
    connectionState: 'connected',
    reason: decision.reason,
  };
}

function outcome(
  record: TokenRecord,
  reason: RefreshReason,
  extra: { followUpAt?: string | undefined } = {},
): RefreshOutcome {
  return {
    refreshed: false,
    expiresAt: record.token?.expires_at,
    connectionState: record.state,
    reason,
    ...(extra.followUpAt !== undefined ? { followUpAt: extra.followUpAt } : {}),
  };
}

/** Not connected or needing a reconnect: quiet for the schedule, an error for a consumer waiting on it. */
function notRefreshable(record: TokenRecord, force: boolean, state: ConnectionState): RefreshOutcome {
  if (!force) {
    const reason = state === 'needs-reconnect' ? 'needs-reconnect' : 'not-connected';
    return { ...outcome(record, reason), connectionState: state };
  }
  if (state === 'needs-reconnect') {
    throw new RefreshTokenRevokedError(
      `Zoho answered${record.fields.state_since ? ` at ${record.fields.state_since}` : ''} that the stored refresh ` +
        'token is revoked or deleted; no call is made with it again. Generate a new grant code in the Zoho API ' +
        'Console and exchange it (npx zoho-token-keeper connect).',
    );
  }
  throw new NotConnectedError(
    'There is no refresh token stored: exchange a grant code with the exchange function first ' +
      '(see the README, "Connect to Zoho").',
  );
}

/**
 * Another writer changed the record after this run read it: another run claimed the call, or an
 * exchange or disconnect stored something newer. What is stored now is the answer.
 */
async function afterLostRace(
  deps: RefreshDependencies,
  force: boolean,
  reason: 'in-progress' | 'superseded',
): Promise<RefreshOutcome> {
  const current = (await deps.store.readTokenRecord()).value;
  if (current.state !== 'connected') return notRefreshable(current, force, current.state);
  return outcome(current, reason);
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
