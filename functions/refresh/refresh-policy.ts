import type { AccessTokenDocument } from '../lib/documents.js';
import { ZohoRateLimitedError, ZohoUnavailableError } from '../lib/errors.js';

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
 * How long a forced run's claim on the next Zoho call keeps other runs out. Longer than the refresh
 * function's 30 s timeout, so a slow run is never overtaken; short enough that a run that died
 * holding it delays the next one by a minute at most.
 */
export const CLAIM_LEASE_MS = 60_000;

/**
 * How long a reconnect may take between storing its refresh token and storing its access token (the
 * exchange function's timeout). A run that finds the two out of step for longer completes the
 * reconnect itself.
 */
export const RECONNECT_WINDOW_MS = 2 * 60_000;

export type RefreshDecision =
  | { readonly refresh: true; readonly reason: 'no-token' | 'expiring' | 'forced' | 'due' }
  | { readonly refresh: false; readonly reason: 'recently-refreshed' };

/**
 * Decides whether a run calls Zoho. A scheduled run refreshes whenever spacing allows, since the
 * schedule fires about every 50 minutes of a 60-minute token; a forced run does the same, so that
 * many consumers rejecting the same token at once cause a single refresh.
 */
export function decideRefresh(
  stored: AccessTokenDocument | undefined,
  force: boolean,
  now: Date,
): RefreshDecision {
  if (!stored) return { refresh: true, reason: 'no-token' };
  const remainingMs = Date.parse(stored.expires_at) - now.getTime();
  if (remainingMs <= EXPIRY_MARGIN_MS) return { refresh: true, reason: 'expiring' };
  if (now.getTime() - Date.parse(stored.refreshed_at) < MIN_REFRESH_SPACING_MS) {
    return { refresh: false, reason: 'recently-refreshed' };
  }
  return { refresh: true, reason: force ? 'forced' : 'due' };
}

/**
 * When a scheduled run skips a young token, the next scheduled run may come too late for it (the
 * schedule's phase is unrelated to when the token was minted, e.g. right after an exchange). Returns
 * when a one-time follow-up run must happen, or undefined when the next scheduled run is early enough.
 */
export function followUpAfterSkip(
  stored: AccessTokenDocument,
  scheduleRateMinutes: number | undefined,
  now: Date,
): Date | undefined {
  const expiresAt = Date.parse(stored.expires_at);
  const nextScheduledRun = now.getTime() + (scheduleRateMinutes ?? Number.POSITIVE_INFINITY) * 60_000;
  if (nextScheduledRun <= expiresAt - EXPIRY_MARGIN_MS) return undefined;
  return new Date(Date.parse(stored.refreshed_at) + MIN_REFRESH_SPACING_MS);
}

/**
 * When to try again after Zoho's `Access Denied`. Waiting out the whole window is right while the
 * stored token outlives it. Otherwise probe every minute: a refused call mints nothing, so it
 * cannot push Zoho further past its limit, and a token arrives within a minute or two of the window's end
 * (whose start this container may not know, e.g. when another container was refused first).
 */
export function retryAfterRateLimit(stored: AccessTokenDocument | undefined, now: Date): Date {
  const afterWindow = now.getTime() + RATE_LIMIT_BACKOFF_MS;
  const tokenLastsUntil = stored ? Date.parse(stored.expires_at) - EXPIRY_MARGIN_MS : 0;
  return new Date(tokenLastsUntil >= afterWindow ? afterWindow : now.getTime() + RATE_LIMIT_PROBE_MS);
}

/**
 * When to try again after a refresh that reached Zoho failed. Outages pass quickly; `Access Denied`
 * has its own window; anything else Zoho or AWS refused (a wrong client, a token that could not be
 * stored) will not mend within a minute, and each try may mint a token Zoho counts: the same spacing
 * as between two refreshes.
 */
export function retryAfterFailure(error: unknown, stored: AccessTokenDocument | undefined, now: Date): Date {
  if (error instanceof ZohoRateLimitedError) return retryAfterRateLimit(stored, now);
  if (error instanceof ZohoUnavailableError) return new Date(now.getTime() + UNAVAILABLE_RETRY_DELAY_MS);
  return new Date(now.getTime() + MIN_REFRESH_SPACING_MS);
}
