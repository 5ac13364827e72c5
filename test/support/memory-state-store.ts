import type { ConnectionItem, LeaseAttempt, StateStore } from '../../functions/lib/store/connection-item.js';

interface StoredItem {
  state?: ConnectionItem;
  leaseHolder?: string;
  leaseUntil?: number;
}

/**
 * The state table in memory, for the simulation and the benchmark, which must not depend on real
 * I/O for their order of events. It keeps the semantics of DynamoStateStore over DynamoDB (the same
 * contract tests run against both, the DynamoDB one on dynalite) and counts the DynamoDB calls that
 * each method stands for, as that store makes them.
 */
export class MemoryStateStore implements StateStore {
  readonly calls = { UpdateItem: 0, PutItem: 0, GetItem: 0 };
  #item: StoredItem | undefined;

  async acquire(holder: string, now: Date, leaseMs: number): Promise<LeaseAttempt> {
    await Promise.resolve();
    this.calls.UpdateItem += 1;
    const item = this.#item ?? {};
    if (item.leaseUntil !== undefined && item.leaseUntil > now.getTime()) {
      this.calls.GetItem += 1;
      return {
        acquired: false,
        item: copy(item.state),
        lease: { holder: item.leaseHolder ?? 'unknown', until: new Date(item.leaseUntil) },
      };
    }
    this.#item = { ...item, leaseHolder: holder, leaseUntil: now.getTime() + leaseMs };
    return { acquired: true, item: copy(item.state) };
  }

  async release(holder: string, next?: ConnectionItem): Promise<boolean> {
    await Promise.resolve();
    if (next) this.calls.PutItem += 1;
    else this.calls.UpdateItem += 1;
    if (this.#item?.leaseHolder !== holder) return false;
    this.#item = next ? { state: copy(next) } : { state: this.#item.state };
    return true;
  }

  async read(): Promise<ConnectionItem | undefined> {
    await Promise.resolve();
    this.calls.GetItem += 1;
    return copy(this.#item?.state);
  }

  /** The stored state, as an operator would see it in the console. */
  current(): ConnectionItem | undefined {
    return copy(this.#item?.state);
  }

  /** Deletes the item, as a new table (or an operator) would leave it. */
  clear(): void {
    this.#item = undefined;
  }

  totalCalls(): number {
    return this.calls.UpdateItem + this.calls.PutItem + this.calls.GetItem;
  }
}

function copy<T>(value: T): T {
  return value === undefined ? value : structuredClone(value);
}
