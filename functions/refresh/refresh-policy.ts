import { DEFAULT_REFRESH_RATE_MINUTES } from '../lib/environment.js';
import { ZohoRateLimitedError, ZohoUnavailableError } from '../lib/errors.js';
import type { ConnectionItem } from '../lib/store/connection-item.js';
import { writesWithin24Hours } from '../lib/store/connection-item.js';

/**
 * The spacing between two refreshes that write the access-token secret. Ten minutes keeps every
 * pattern of invocations (duplicate deliveries, concurrent forced refreshes, retries) under both
 * Zoho's limit of 10 access tokens per refresh token per 10 minutes and AWS's advice not to put a
 * secret value more than once every 10 minutes on a sustained basis.
 */
export const MIN_REFRESH_SPACING_MS = 10 * 60_000;

/** A token this close to expiry is replaced whatever the spacing says. */
export const EXPIRY_MARGIN_MS = 5 * 60_000;

/** Zoho blocks a refresh token for the rest of a 10-minute window once its limit is reached. */
export const RATE_LIMIT_BACKOFF_MS = 10 * 60_000;

/** How often to try again after `Access Denied` when the stored token would not outlive the full wait. */
export const RATE_LIMIT_PROBE_MS = 60_000;

/** After a transient failure, try again this soon: a valid token is back within 2 minutes of Zoho's recovery. */
export const UNAVAILABLE_RETRY_DELAY_MS = 60_000;

/**
 * How long a refresh run's lease keeps other writers out. Longer than the refresh function's 30 s
 * timeout, so a slow run is never overtaken; a run that dies holding it delays the next by a minute.
 */
export const REFRESH_LEASE_MS = 60_000;

/**
 * The access-token secret's daily write budget. Secrets Manager keeps every version for 24 hours and
 * allows 100 per secret; the keeper stays well below: at most 72 versions in any 24 hours.
 */
export const TOKEN_VERSIONS_PER_DAY = 72;

/**
 * Forced refreshes may write at most this many of them in any 24 hours. The rest is the reserve of
 * the scheduled refreshes (about 29 a day: one per 50 minutes) and of connects and disconnects.
 */
export const FORCED_REFRESHES_PER_DAY = 36;

/** Versions a forced refresh must leave free for the scheduled refreshes and connects still to come. */
export const RESERVED_TOKEN_VERSIONS = 8;

export type RefreshDecision =
  | { readonly refresh: true; readonly reason: 'no-token' | 'expiring' | 'forced' | 'due' }
  | { readonly refresh: false; readonly reason: 'recently-refreshed' | 'not-due' };

/**
 * Decides whether a run calls Zoho, from the times of the token the keeper stored last. A scheduled
 * run refreshes when the token would not outlive the next scheduled run (plus a margin), so whatever
 * the rate there is about one new token per 50 minutes. A forced run refreshes whenever spacing
 * allows, so that many consumers rejecting the same token at once cause a single refresh.
 */
export function decideRefresh(
  item: Pick<ConnectionItem, 'refreshedAt' | 'expiresAt'>,
  force: boolean,
  now: Date,
  rateMinutes: number = DEFAULT_REFRESH_RATE_MINUTES,
): RefreshDecision {
  if (item.expiresAt === undefined || item.refreshedAt === undefined)
    return { refresh: true, reason: 'no-token' };
  const remainingMs = Date.parse(item.expiresAt) - now.getTime();
  if (remainingMs <= EXPIRY_MARGIN_MS) return { refresh: true, reason: 'expiring' };
  if (now.getTime() - Date.parse(item.refreshedAt) < MIN_REFRESH_SPACING_MS) {
    return { refresh: false, reason: 'recently-refreshed' };
  }
  if (force) return { refresh: true, reason: 'forced' };
  if (remainingMs > rateMinutes * 60_000 + EXPIRY_MARGIN_MS) return { refresh: false, reason: 'not-due' };
  return { refresh: true, reason: 'due' };
}

/**
 * Whether a forced refresh still fits the access-token secret's write budget: within the forced
 * refreshes' share, and leaving the reserve of the scheduled ones.
 */
export function forcedRefreshFitsBudget(
  item: Pick<ConnectionItem, 'tokenWrites' | 'forcedWrites'>,
  now: Date,
): boolean {
  return (
    writesWithin24Hours(item.forcedWrites, now).length < FORCED_REFRESHES_PER_DAY &&
    writesWithin24Hours(item.tokenWrites, now).length < TOKEN_VERSIONS_PER_DAY - RESERVED_TOKEN_VERSIONS
  );
}

/** Whether any refresh may still write: the hard cap that keeps the secret far from its 100 versions. */
export function refreshFitsBudget(item: Pick<ConnectionItem, 'tokenWrites'>, now: Date): boolean {
  return writesWithin24Hours(item.tokenWrites, now).length < TOKEN_VERSIONS_PER_DAY;
}

/**
 * When a scheduled run skips a young token, the next scheduled run may come too late for it (the
 * schedule's phase is unrelated to when the token was minted, e.g. right after an exchange). Returns
 * when a one-time follow-up run must happen, or undefined when the next scheduled run is early enough.
 */
export function followUpAfterSkip(
  item: Pick<ConnectionItem, 'refreshedAt' | 'expiresAt'>,
  scheduleRateMinutes: number,
  now: Date,
): Date | undefined {
  if (item.expiresAt === undefined || item.refreshedAt === undefined) return undefined;
  const nextScheduledRun = now.getTime() + scheduleRateMinutes * 60_000;
  if (nextScheduledRun <= Date.parse(item.expiresAt) - EXPIRY_MARGIN_MS) return undefined;
  return new Date(Date.parse(item.refreshedAt) + MIN_REFRESH_SPACING_MS);
}

/**
 * When to try again after Zoho's `Access Denied`. Waiting out the whole window is right while the
 * stored token outlives it. Otherwise probe every minute: a refused call mints nothing, so it
 * cannot push Zoho further past its limit, and a token arrives within a minute or two of the window's end
 * (whose start this container may not know, e.g. when another container was refused first).
 */
export function retryAfterRateLimit(expiresAt: string | undefined, now: Date): Date {
  const afterWindow = now.getTime() + RATE_LIMIT_BACKOFF_MS;
  const tokenLastsUntil = expiresAt ? Date.parse(expiresAt) - EXPIRY_MARGIN_MS : 0;
  return new Date(tokenLastsUntil >= afterWindow ? afterWindow : now.getTime() + RATE_LIMIT_PROBE_MS);
}

/**
 * When to try again after a refresh failed. Outages pass quickly; `Access Denied` has its own window;
 * anything else Zoho or AWS refused (a wrong client, a token that could not be stored) will not mend
 * within a minute, and each try may mint a token Zoho counts: the same spacing as between two
 * refreshes, but never past the moment the stored token needs replacing.
 */
export function retryAfterFailure(error: unknown, expiresAt: string | undefined, now: Date): Date {
  if (error instanceof ZohoRateLimitedError) return retryAfterRateLimit(expiresAt, now);
  const soon = now.getTime() + UNAVAILABLE_RETRY_DELAY_MS;
  if (error instanceof ZohoUnavailableError) return new Date(soon);
  const spaced = now.getTime() + MIN_REFRESH_SPACING_MS;
  const tokenNeedsReplacing = expiresAt ? Date.parse(expiresAt) - EXPIRY_MARGIN_MS : soon;
  return new Date(Math.max(soon, Math.min(spaced, tokenNeedsReplacing)));
}
