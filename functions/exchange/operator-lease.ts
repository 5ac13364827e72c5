import { randomUUID } from 'node:crypto';
import { ConnectionBusyError } from '../lib/errors.js';
import type { StateStore } from '../lib/store/connection-item.js';
import { acquireWaiting, HeldLease, type StateChangeListener } from '../lib/store/held-lease.js';
import { rebuildOrRelease } from '../lib/store/rebuild-state.js';
import type { TokenStore } from '../lib/store/token-store.js';

/** Longer than the exchange function's 60 s timeout: a connect is never overtaken while it runs. */
export const OPERATOR_LEASE_MS = 90_000;

/** How long a connect or disconnect waits for a refresh (a second or two) or another connect to finish. */
export const OPERATOR_WAIT_MS = 20_000;

export interface OperatorLeaseDependencies {
  readonly state: StateStore;
  readonly store: Pick<TokenStore, 'readCredentials' | 'readTokenRecord'>;
  readonly now: () => Date;
  /** @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  /** @default crypto.randomUUID */
  readonly newLeaseHolder?: () => string;
  readonly onStateChange?: StateChangeListener;
}

/**
 * Takes the connection's lease before a connect or disconnect touches Zoho, so that it never races
 * a refresh or another operator's change: two connects at once run one after the other.
 */
export async function takeOperatorLease(
  deps: OperatorLeaseDependencies,
  change: 'connect' | 'disconnect',
): Promise<HeldLease> {
  const holder = (deps.newLeaseHolder ?? randomUUID)();
  const attempt = await acquireWaiting(deps.state, {
    holder,
    now: deps.now,
    sleep: deps.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
    leaseMs: OPERATOR_LEASE_MS,
    waitMs: OPERATOR_WAIT_MS,
  });
  if (!attempt.acquired) {
    throw new ConnectionBusyError(
      `Another change of this connection (a refresh, or another connect or disconnect) has been under way for ` +
        `${OPERATOR_WAIT_MS / 1000} s and holds it until ${attempt.lease.until.toISOString()}. Nothing was changed` +
        `${change === 'connect' ? ' and the grant code was not used' : ''}: run the same command again in a minute.`,
    );
  }
  const item = attempt.item ?? (await rebuildOrRelease(deps.state, holder, deps.store));
  return new HeldLease(deps.state, holder, item, attempt.item === undefined, deps.onStateChange);
}
