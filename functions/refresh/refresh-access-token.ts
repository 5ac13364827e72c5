import type { AccessTokenDocument } from '../lib/documents.js';
import { isConnected } from '../lib/documents.js';
import {
  NotConnectedError,
  RefreshTokenRevokedError,
  ZohoRateLimitedError,
  ZohoUnavailableError,
} from '../lib/errors.js';
import type { RefreshSchedule } from '../lib/schedule/refresh-schedule.js';
import type { TokenStore } from '../lib/store/token-store.js';
import type { ZohoAccountsClient } from '../lib/zoho/accounts-client.js';
import {
  decideRefresh,
  followUpAfterSkip,
  type RefreshDecision,
  retryAfterRateLimit,
  UNAVAILABLE_RETRY_DELAY_MS,
} from './refresh-policy.js';
import type { Block, ZohoCallGuard } from './zoho-call-guard.js';

export interface RefreshDependencies {
  readonly store: Pick<
    TokenStore,
    'readCredentials' | 'readAccessToken' | 'saveAccessToken' | 'saveCredentials'
  >;
  readonly zoho: Pick<ZohoAccountsClient, 'refreshAccessToken'>;
  readonly schedule: Pick<
    RefreshSchedule,
    'describe' | 'enable' | 'disable' | 'scheduleFollowUp' | 'cancelFollowUp'
  >;
  readonly guard: ZohoCallGuard;
  readonly now: () => Date;
  /** Told about side paths (follow-ups armed, schedule disabled) that must not hide the main outcome. */
  readonly onSidePathFailure?: (action: string, error: unknown) => void;
  /** Told the expiry of the token found in the store, so a failed run can still report minutes left. */
  readonly onStoredToken?: (expiresAt: string | undefined) => void;
}

export interface RefreshOutcome {
  readonly refreshed: boolean;
  readonly expiresAt: string;
  readonly decision: RefreshDecision['reason'];
  /** Set when this run armed a one-time follow-up run of the refresh function. */
  readonly followUpAt?: string;
  /** Set when a forced run found the schedule off while connected, and switched it back on. */
  readonly scheduleReenabled?: boolean;
}

/**
 * Keeps a valid access token in the shareable secret. Calls Zoho at most once per run (the client's
 * own bounded retries aside) and never writes anything when Zoho fails, so the stored refresh token
 * and the current access token stay as they were. A failure arms a one-time follow-up run instead of
 * waiting for the next scheduled one.
 */
export async function refreshAccessToken(deps: RefreshDependencies, force: boolean): Promise<RefreshOutcome> {
  const now = deps.now();
  const stored = await deps.store.readAccessToken();
  deps.onStoredToken?.(stored?.expires_at);
  const decision = decideRefresh(stored, force, now);

  if (!decision.refresh && stored) {
    const followUpAt = force ? undefined : await followUpForSkippedRun(deps, stored, now);
    return { refreshed: false, expiresAt: stored.expires_at, decision: decision.reason, followUpAt };
  }

  const credentials = await deps.store.readCredentials();
  if (!isConnected(credentials)) {
    throw new NotConnectedError(
      'There is no refresh token yet: exchange a grant code with the exchange function first ' +
        '(see the README, "Connect to Zoho").',
    );
  }

  if (deps.guard.isRevoked(credentials.refresh_token)) {
    throw new RefreshTokenRevokedError(
      'Zoho already answered that the stored refresh token is revoked or deleted; no call is made with it again. ' +
        'Generate a new grant code in the Zoho API Console and exchange it (npm run connect).',
    );
  }
  // Only forced runs are held back: scheduled and follow-up runs are already spaced by the
  // schedule, and holding one back would leave nothing armed to try again.
  const block = force ? deps.guard.heldBack(now) : undefined;
  if (block) throw heldBackError(block);

  try {
    const grant = await deps.zoho.refreshAccessToken(
      { clientId: credentials.client_id, clientSecret: credentials.client_secret },
      credentials.refresh_token,
    );
    const document: AccessTokenDocument = {
      access_token: grant.accessToken,
      api_domain: grant.apiDomain,
      token_type: grant.tokenType,
      expires_at: grant.expiresAt.toISOString(),
      refreshed_at: grant.receivedAt.toISOString(),
    };
    // Only the access-token secret is written: the credentials (and their refresh token) are never
    // rewritten by a refresh, so a refresh can never put back a refresh token an exchange replaced.
    await deps.store.saveAccessToken(document);
    const scheduleReenabled = force ? await reenableSchedule(deps) : undefined;
    return { refreshed: true, expiresAt: document.expires_at, decision: decision.reason, scheduleReenabled };
  } catch (error) {
    await handleRefreshFailure(deps, error, { now, stored, refreshToken: credentials.refresh_token });
    throw error;
  }
}

/**
 * A deploy that changes the schedule leaves it disabled, as the template creates it, and nothing
 * renews the token any more. A forced refresh that succeeded has just proved the connection works,
 * so it switches the schedule back on: consumers asking for a token heal the connection by themselves.
 */
async function reenableSchedule(deps: RefreshDependencies): Promise<boolean | undefined> {
  try {
    return (await deps.schedule.enable()).changed;
  } catch (error) {
    deps.onSidePathFailure?.('switch the refresh schedule back on', error);
    return undefined;
  }
}

async function followUpForSkippedRun(
  deps: RefreshDependencies,
  stored: AccessTokenDocument,
  now: Date,
): Promise<string | undefined> {
  try {
    const { rateMinutes } = await deps.schedule.describe();
    const at = followUpAfterSkip(stored, rateMinutes, now);
    if (!at) return undefined;
    await deps.schedule.scheduleFollowUp(at);
    return at.toISOString();
  } catch (error) {
    deps.onSidePathFailure?.('arm follow-up after a skipped run', error);
    return undefined;
  }
}

interface FailedRun {
  readonly now: Date;
  readonly stored: AccessTokenDocument | undefined;
  readonly refreshToken: string;
}

async function handleRefreshFailure(
  deps: RefreshDependencies,
  error: unknown,
  run: FailedRun,
): Promise<void> {
  const { now } = run;
  try {
    if (error instanceof RefreshTokenRevokedError) {
      // Nothing can succeed until a person exchanges a new grant code: stop calling Zoho.
      deps.guard.markRevoked(run.refreshToken);
      await deps.schedule.disable();
      await deps.schedule.cancelFollowUp();
    } else if (error instanceof ZohoRateLimitedError) {
      const retryAt = retryAfterRateLimit(run.stored, now);
      deps.guard.holdBack(retryAt, 'rate-limited');
      await deps.schedule.scheduleFollowUp(retryAt);
    } else if (error instanceof ZohoUnavailableError) {
      const retryAt = new Date(now.getTime() + UNAVAILABLE_RETRY_DELAY_MS);
      deps.guard.holdBack(retryAt, 'unavailable');
      await deps.schedule.scheduleFollowUp(retryAt);
    }
  } catch (sideError) {
    deps.onSidePathFailure?.(`react to ${error instanceof Error ? error.name : 'failure'}`, sideError);
  }
}

function heldBackError(block: Block): Error {
  const until = block.until.toISOString();
  if (block.reason === 'rate-limited') {
    return new ZohoRateLimitedError(
      `Zoho refused new access tokens for this refresh token moments ago; the next try is at ${until}. ` +
        'Nothing to do unless this repeats: then look for another tool refreshing with the same refresh token.',
    );
  }
  return new ZohoUnavailableError(
    `Zoho's accounts server could not be reached moments ago; the next try is at ${until}. ` +
      'Nothing to do: the current access token stays in place until then.',
  );
}
