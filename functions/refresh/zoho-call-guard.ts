import { createHash } from 'node:crypto';

/**
 * Remembers, for the life of a function container, what Zoho said that makes further calls
 * pointless: `Access Denied` (Zoho blocks the refresh token for the rest of a 10-minute window) and
 * `invalid_code` on a refresh (the refresh token is gone for good). Runs in that state fail fast
 * without calling Zoho, however many consumers ask for forced refreshes. The refresh function runs
 * one at a time (reserved concurrency 1), so one container normally sees every run.
 */
export class ZohoCallGuard {
  private blockedUntilMs = 0;
  private readonly revokedFingerprints = new Set<string>();

  block(until: Date): void {
    this.blockedUntilMs = until.getTime();
  }

  /** The time until which calls are held back, if that is still in the future. */
  blockedUntil(now: Date): Date | undefined {
    return this.blockedUntilMs > now.getTime() ? new Date(this.blockedUntilMs) : undefined;
  }

  markRevoked(refreshToken: string): void {
    this.revokedFingerprints.add(fingerprint(refreshToken));
  }

  /** A new exchange stores a new refresh token, which this does not match. */
  isRevoked(refreshToken: string): boolean {
    return this.revokedFingerprints.has(fingerprint(refreshToken));
  }
}

// Only a digest is kept, so the guard holds no copy of the secret.
function fingerprint(refreshToken: string): string {
  return createHash('sha256').update(refreshToken).digest('base64url');
}
