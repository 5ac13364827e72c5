import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  InvalidClientError,
  ZohoRateLimitedError,
  ZohoUnavailableError,
} from '../../functions/lib/errors.js';
import type { ConnectionItem } from '../../functions/lib/store/connection-item.js';
import {
  decideRefresh,
  FORCED_REFRESHES_PER_DAY,
  followUpAfterSkip,
  forcedRefreshFitsBudget,
  RESERVED_TOKEN_VERSIONS,
  refreshFitsBudget,
  retryAfterFailure,
  retryAfterRateLimit,
  TOKEN_VERSIONS_PER_DAY,
} from '../../functions/refresh/refresh-policy.js';

const MINUTE = 60_000;
const minted = new Date('2026-11-30T08:00:00.000Z');

function tokenMintedAt(at: Date, lifetimeMinutes = 60): Pick<ConnectionItem, 'refreshedAt' | 'expiresAt'> {
  return {
    refreshedAt: at.toISOString(),
    expiresAt: new Date(at.getTime() + lifetimeMinutes * MINUTE).toISOString(),
  };
}

const atMinute = (minutes: number) => new Date(minted.getTime() + minutes * MINUTE);

describe('decideRefresh', () => {
  it('refreshes when no token is stored', () => {
    expect(decideRefresh({}, false, atMinute(0))).toEqual({ refresh: true, reason: 'no-token' });
  });

  it('lets a duplicate scheduled delivery and a burst of forced refreshes through only once per 10 minutes', () => {
    const stored = tokenMintedAt(minted);
    for (const minutes of [0, 1, 5, 9.9]) {
      expect(decideRefresh(stored, false, atMinute(minutes)).refresh).toBe(false);
      expect(decideRefresh(stored, true, atMinute(minutes)).refresh).toBe(false);
    }
    expect(decideRefresh(stored, true, atMinute(10))).toEqual({ refresh: true, reason: 'forced' });
  });

  it('leaves a token alone on a scheduled run when it outlives the next run, whatever the rate', () => {
    const stored = tokenMintedAt(minted);
    // Every 10 minutes: the token is replaced once it has no more than 15 minutes left, at minute 50.
    for (const minutes of [10, 20, 30, 40]) {
      expect(decideRefresh(stored, false, atMinute(minutes), 10)).toEqual({
        refresh: false,
        reason: 'not-due',
      });
    }
    expect(decideRefresh(stored, false, atMinute(50), 10)).toEqual({ refresh: true, reason: 'due' });
    // Every 50 minutes (the default): each run replaces it.
    expect(decideRefresh(stored, false, atMinute(10))).toEqual({ refresh: true, reason: 'due' });
  });

  it('replaces a token close to expiry even if it is young, e.g. when Zoho issued a short-lived one', () => {
    const stored = tokenMintedAt(minted, 8);
    expect(decideRefresh(stored, false, atMinute(3))).toEqual({ refresh: true, reason: 'expiring' });
  });

  it('replaces an expired token', () => {
    expect(decideRefresh(tokenMintedAt(minted), false, atMinute(75))).toEqual({
      refresh: true,
      reason: 'expiring',
    });
  });
});

describe('followUpAfterSkip', () => {
  it('asks for nothing when the next scheduled run comes before the token runs low', () => {
    // A duplicate delivery two minutes after a refresh: the next run (52 min) is before expiry minus margin (55 min).
    expect(followUpAfterSkip(tokenMintedAt(minted), 50, atMinute(2))).toBeUndefined();
  });

  it('arms a follow-up at the first moment a refresh is allowed when the next run would come too late', () => {
    // A scheduled run 8 minutes after an exchange: the next one at 58 minutes would leave 2 minutes of life.
    expect(followUpAfterSkip(tokenMintedAt(minted), 50, atMinute(8))).toEqual(atMinute(10));
  });
});

describe('the write budget of the access-token secret', () => {
  const now = atMinute(24 * 60);
  const times = (count: number, everyMinutes: number) =>
    Array.from({ length: count }, (_, index) => now.getTime() - (index + 1) * everyMinutes * MINUTE);

  it('lets forced refreshes write their share in any 24 hours, and no more', () => {
    const forced = times(FORCED_REFRESHES_PER_DAY - 1, 10);
    expect(forcedRefreshFitsBudget({ tokenWrites: forced, forcedWrites: forced }, now)).toBe(true);
    const full = times(FORCED_REFRESHES_PER_DAY, 10);
    expect(forcedRefreshFitsBudget({ tokenWrites: full, forcedWrites: full }, now)).toBe(false);
  });

  it('forgets writes older than 24 hours', () => {
    const old = times(FORCED_REFRESHES_PER_DAY, 10).map((time) => time - 24 * 60 * MINUTE);
    expect(forcedRefreshFitsBudget({ tokenWrites: old, forcedWrites: old }, now)).toBe(true);
  });

  it('keeps the reserve of the scheduled refreshes and connects from forced refreshes', () => {
    const all = times(TOKEN_VERSIONS_PER_DAY - RESERVED_TOKEN_VERSIONS, 15);
    expect(forcedRefreshFitsBudget({ tokenWrites: all, forcedWrites: [] }, now)).toBe(false);
    expect(refreshFitsBudget({ tokenWrites: all }, now)).toBe(true);
  });

  it('stops every refresh at the cap, far below the 100 versions Secrets Manager keeps', () => {
    expect(refreshFitsBudget({ tokenWrites: times(TOKEN_VERSIONS_PER_DAY - 1, 15) }, now)).toBe(true);
    expect(refreshFitsBudget({ tokenWrites: times(TOKEN_VERSIONS_PER_DAY, 15) }, now)).toBe(false);
  });
});

describe('retryAfterRateLimit', () => {
  const expiresAt = tokenMintedAt(minted).expiresAt;

  it("waits out Zoho's 10-minute window when the token outlives it", () => {
    expect(retryAfterRateLimit(expiresAt, atMinute(20))).toEqual(atMinute(30));
  });

  it('tries again every minute when the token would expire first', () => {
    expect(retryAfterRateLimit(expiresAt, atMinute(50))).toEqual(atMinute(51));
    expect(retryAfterRateLimit(undefined, atMinute(50))).toEqual(atMinute(51));
  });
});

describe('retryAfterFailure', () => {
  const expiresAt = tokenMintedAt(minted).expiresAt;

  it('tries again a minute after an outage', () => {
    expect(retryAfterFailure(new ZohoUnavailableError('down'), expiresAt, atMinute(20))).toEqual(
      atMinute(21),
    );
  });

  it("follows Zoho's window after Access Denied", () => {
    expect(retryAfterFailure(new ZohoRateLimitedError('denied'), expiresAt, atMinute(20))).toEqual(
      atMinute(30),
    );
  });

  it('waits the refresh spacing after anything that will not mend in a minute', () => {
    for (const error of [new InvalidClientError('client'), new ConfigError('kms'), new Error('other')]) {
      expect(retryAfterFailure(error, expiresAt, atMinute(20))).toEqual(atMinute(30));
    }
  });

  it('holds back no longer than the stored token stays valid, and at least a minute', () => {
    // The token needs replacing at minute 55 (5 minutes before it expires).
    expect(retryAfterFailure(new ConfigError('store'), expiresAt, atMinute(48))).toEqual(atMinute(55));
    expect(retryAfterFailure(new ConfigError('store'), expiresAt, atMinute(58))).toEqual(atMinute(59));
  });
});
