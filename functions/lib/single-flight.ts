/**
 * Runs one operation at a time per key: callers that arrive while it is in flight share its
 * promise instead of starting another. Used where a duplicate would cost a call to Zoho or a read
 * of Secrets Manager.
 */
export class SingleFlight<T> {
  private readonly inFlight = new Map<string, Promise<T>>();

  run(key: string, operation: () => Promise<T>): Promise<T> {
    const existing = this.inFlight.get(key);
    if (existing) return existing;
    const started = operation().finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, started);
    return started;
  }
}
