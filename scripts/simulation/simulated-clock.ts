/**
 * The one clock of a simulation: the Zoho sandbox, the keeper's use cases and the consumer readers
 * all read it, and only the event loop moves it. Calls to Zoho happen while it stands still.
 */
export class SimulatedClock {
  #nowMs: number;

  constructor(startMs: number) {
    this.#nowMs = startMs;
  }

  readonly nowMs = (): number => this.#nowMs;

  readonly now = (): Date => new Date(this.#nowMs);

  advanceTo(ms: number): void {
    if (ms < this.#nowMs) throw new Error('The simulated clock never runs backwards.');
    this.#nowMs = ms;
  }
}

export const SECOND_MS = 1000;
export const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;
