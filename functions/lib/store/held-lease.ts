import type { ConnectionState } from '../connection-status.js';
import type { ConnectionItem, LeaseAttempt, StateStore } from './connection-item.js';

/** A change of the connection's state, as health events report it. */
export interface StateChange {
  readonly previousState: ConnectionState;
  readonly state: ConnectionState;
  /** An error name or a plain word, never a message. */
  readonly reason: string;
  readonly at: string;
}

/** Told once per change of state, after the change is stored; never throws into the run. */
export type StateChangeListener = (change: StateChange) => Promise<void>;

/**
 * The lease a run holds on the connection, and the state it read when taking it. The run ends with
 * `commit` (a new state) or lets `end` give the lease back unchanged; `end` belongs in a `finally`,
 * so that no path leaves the lease to lapse and hold other runs back.
 */
export class HeldLease {
  #held = true;
  /** Set when the state was rebuilt from the secrets: stored on release even if nothing else changes. */
  readonly #rebuilt: boolean;

  constructor(
    private readonly store: StateStore,
    private readonly holder: string,
    /** The state as the run found it. */
    readonly item: ConnectionItem,
    rebuilt: boolean,
    private readonly onChange: StateChangeListener | undefined,
  ) {
    this.#rebuilt = rebuilt;
  }

  /**
   * Stores `next` and gives the lease back in one conditional write, then tells the listener if the
   * state changed. Resolves false when the lease had lapsed and another run took it (nothing written).
   */
  async commit(next: ConnectionItem, at: Date): Promise<boolean> {
    this.#held = false;
    const written = await this.store.release(this.holder, next);
    if (written && next.state !== this.item.state) {
      await this.onChange?.({
        previousState: this.item.state,
        state: next.state,
        reason: next.stateReason ?? next.state,
        at: at.toISOString(),
      });
    }
    return written;
  }

  /** Gives the lease back if the run has not committed; a failure is told, never thrown over the run's own outcome. */
  async end(onFailure?: (action: string, error: unknown) => void): Promise<void> {
    if (!this.#held) return;
    this.#held = false;
    try {
      await this.store.release(this.holder, this.#rebuilt ? this.item : undefined);
    } catch (error) {
      onFailure?.('release the lease on the connection state', error);
    }
  }
}

/**
 * Takes the lease for an operator's change (connect, disconnect), waiting for a run that holds it:
 * a refresh holds it for a second or two. Resolves the last attempt, taken or not.
 */
export async function acquireWaiting(
  store: StateStore,
  options: {
    readonly holder: string;
    readonly now: () => Date;
    readonly sleep: (ms: number) => Promise<void>;
    readonly leaseMs: number;
    readonly waitMs: number;
  },
): Promise<LeaseAttempt> {
  const startedAt = options.now().getTime();
  // Counted too, not only timed: where time stands still while a run waits (a simulation), the wait still ends.
  const maxAttempts = Math.ceil(options.waitMs / LEASE_POLL_MS) + 1;
  for (let attempts = 1; ; attempts += 1) {
    const attempt = await store.acquire(options.holder, options.now(), options.leaseMs);
    if (attempt.acquired) return attempt;
    const waited = options.now().getTime() - startedAt;
    if (waited >= options.waitMs || attempts >= maxAttempts) return attempt;
    await options.sleep(Math.min(LEASE_POLL_MS, options.waitMs - waited));
  }
}

const LEASE_POLL_MS = 1_000;
