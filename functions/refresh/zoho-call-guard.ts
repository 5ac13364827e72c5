import { createHash } from 'node:crypto';

export type BlockReason = 'rate-limited' | 'unavailable';

export interface Block {
  readonly until: Date;
  readonly reason: BlockReason;
}

/**
 * Remembers, for the life of a function container, what Zoho said that makes calls pointless for a
 * while: `Access Denied` (Zoho blocks the refresh token for the rest of a 10-minute window), an
 * outage (until the follow-up run), and `invalid_code` on a refresh (the refresh token is gone for
 * good). Forced runs in that state fail fast without calling Zoho, however many consumers ask. The
 * refresh function runs one at a time (reserved concurrency 1), so one container normally sees
 * every run.
 */
export class ZohoCallGuard {
  private block: Block | undefined;
  private readonly revokedFingerprints = new Set<string>();

  holdBack(until: Date, reason: BlockReason): void {
    this.block = { until, reason };
  }

  /** Why and until when calls are held back, if that is still in the future. */
  heldBack(now: Date): Block | undefined {
    return this.block && this.block.until.getTime() > now.getTime() ? this.block : undefined;
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
