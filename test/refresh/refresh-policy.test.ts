import { describe, expect, it } from 'vitest';
import type { AccessTokenDocument } from '../../functions/lib/documents.js';
import {
  ConfigError,
  InvalidClientError,
  ZohoRateLimitedError,
  ZohoUnavailableError,
} from '../../functions/lib/errors.js';
import {
  decideRefresh,
  followUpAfterSkip,
  retryAfterFailure,
  retryAfterRateLimit,
} from '../../functions/refresh/refresh-policy.js';

const MINUTE = 60_000;
const minted = new Date('2026-11-30T08:00:00.000Z');

function tokenMintedAt(at: Date, lifetimeMinutes = 60): AccessTokenDocument {
  return {
    access_token: 'stored-token',
    api_domain: 'https://www.zohoapis.eu',
    token_type: 'Bearer',
    refreshed_at: at.toISOString(),
    expires_at: new Date(at.getTime() + lifetimeMinutes * MINUTE).toISOString(),
  };
}

const atMinute = (minutes: number) => new Date(minted.getTime() + minutes * MINUTE);

describe('decideRefresh', () => {
  it('refreshes when no token is stored', () => {
    expect(decideRefresh(undefined, false, atMinute(0))).toEqual({ refresh: true, reason: 'no-token' });
  });

  it('lets a duplicate scheduled delivery and a burst of forced refreshes through only once per 10 minutes', () => {
    const stored = tokenMintedAt(minted);
    for (const minutes of [0, 1, 5, 9.9]) {
      expect(decideRefresh(stored, false, atMinute(minutes)).refresh).toBe(false);
      expect(decideRefresh(stored, true, atMinute(minutes)).refresh).toBe(false);
    }
    expect(decideRefresh(stored, true, atMinute(10))).toEqual({ refresh: true, reason: 'forced' });
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

  it('arms a follow-up when the schedule rate is unknown (cron expression)', () => {
    expect(followUpAfterSkip(tokenMintedAt(minted), undefined, atMinute(1))).toEqual(atMinute(10));
  });
});

describe('retryAfterRateLimit', () => {
  it("waits out Zoho's 10-minute window when the token outlives it", () => {
    expect(retryAfterRateLimit(tokenMintedAt(minted), atMinute(20))).toEqual(atMinute(30));
  });

  it('tries again every minute when the token would expire first', () => {
    expect(retryAfterRateLimit(tokenMintedAt(minted), atMinute(50))).toEqual(atMinute(51));
    expect(retryAfterRateLimit(undefined, atMinute(50))).toEqual(atMinute(51));
  });
});

describe('retryAfterFailure', () => {
  const token = tokenMintedAt(minted);

  it('tries again a minute after an outage', () => {
    expect(retryAfterFailure(new ZohoUnavailableError('down'), token, atMinute(20))).toEqual(atMinute(21));
  });

  it("follows Zoho's window after Access Denied", () => {
    expect(retryAfterFailure(new ZohoRateLimitedError('denied'), token, atMinute(20))).toEqual(atMinute(30));
  });

  it('waits the refresh spacing after anything that will not mend in a minute', () => {
    for (const error of [new InvalidClientError('client'), new ConfigError('kms'), new Error('other')]) {
      expect(retryAfterFailure(error, token, atMinute(20))).toEqual(atMinute(30));
    }
  });
});
