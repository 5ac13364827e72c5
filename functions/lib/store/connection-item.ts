import type { ConnectionState } from '../connection-status.js';

/**
 * The connection's state as the keeper keeps it in its DynamoDB table: everything that changes more
 * often than a token. None of it is secret. Times are ISO-8601 UTC strings, as in the secrets.
 */
export interface ConnectionItem {
  readonly state: ConnectionState;
  /** Why the state is what it is: an error name or a plain word, never a message. */
  readonly stateReason?: string;
  readonly stateSince?: string;
  /** The `connected_at` of the credentials this state belongs to. */
  readonly connectedAt?: string;
  /** The access-token secret's version that the keeper wrote last, and that token's times. */
  readonly tokenVersionId?: string;
  readonly refreshedAt?: string;
  readonly expiresAt?: string;
  /** The last failed refresh: when, and the contract error name it failed with. */
  readonly lastFailureAt?: string;
  readonly lastFailureError?: string;
  /** Forced runs make no Zoho call before this time. */
  readonly retryAfter?: string;
  /** When the keeper wrote the access-token secret in the last 24 hours (epoch ms), and which were forced. */
  readonly tokenWrites: readonly number[];
  readonly forcedWrites: readonly number[];
}

/** A lease: who holds the connection's one writer slot, and until when. */
export interface Lease {
  readonly holder: string;
  readonly until: Date;
}

export type LeaseAttempt =
  /** `item` is undefined when the table holds no state yet: rebuild it from the secrets. */
  | { readonly acquired: true; readonly item: ConnectionItem | undefined }
  | { readonly acquired: false; readonly item: ConnectionItem | undefined; readonly lease: Lease };

/**
 * The state table as the functions use it. Every write is conditional: a run writes only while it
 * holds the lease, and the lease is what orders the writers of both secrets (refresh, connect,
 * disconnect), in any number of containers.
 */
export interface StateStore {
  /** Takes the lease if it is free or has lapsed, and returns the state as it is. */
  acquire(holder: string, now: Date, leaseMs: number): Promise<LeaseAttempt>;
  /**
   * Gives the lease back, writing `next` in the same conditional write when given. Resolves false
   * when the lease was no longer this holder's (it lapsed and another run took it): nothing was written.
   */
  release(holder: string, next?: ConnectionItem): Promise<boolean>;
  /** The state without taking the lease (for `status`); undefined when the table holds none yet. */
  read(): Promise<ConnectionItem | undefined>;
}

export const DAY_MS = 24 * 60 * 60_000;

/** The write times still inside the last 24 hours, with `at` added when given. */
export function writesWithin24Hours(writes: readonly number[], now: Date, at?: Date): number[] {
  const recent = writes.filter((time) => time > now.getTime() - DAY_MS);
  return at ? [...recent, at.getTime()] : recent;
}
