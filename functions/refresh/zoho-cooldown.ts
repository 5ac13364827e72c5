/**
 * Remembers, for the life of a function container, that Zoho said `Access Denied`. Zoho blocks the
 * refresh token for the rest of a 10-minute window and every further attempt is wasted, so runs in
 * that window fail fast without calling Zoho. The refresh function runs one at a time (reserved
 * concurrency 1), so one container normally sees every run.
 */
export class ZohoCooldown {
  private blockedUntilMs = 0;

  block(until: Date): void {
    this.blockedUntilMs = Math.max(this.blockedUntilMs, until.getTime());
  }

  /** The time until which calls are held back, if that is still in the future. */
  blockedUntil(now: Date): Date | undefined {
    return this.blockedUntilMs > now.getTime() ? new Date(this.blockedUntilMs) : undefined;
  }
}
