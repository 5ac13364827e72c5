import { type DeadlineAdvice, type DeadlineSource, ZohoTokenDeadlineError } from './consumer-errors.js';

/** Calls `callback` after `ms` milliseconds; returns a function that cancels the call. */
export type StartTimer = (ms: number, callback: () => void) => () => void;

export const startRealTimer: StartTimer = (ms, callback) => {
  const handle = setTimeout(callback, ms);
  return () => clearTimeout(handle);
};

export interface CallDeadlineOptions {
  readonly deadlineMs: number;
  readonly invocationMarginMs: number;
  /** Time a call keeps, after the token comes, for the Zoho call it wants the token for. */
  readonly callReserveMs: number;
  readonly now: () => number;
  readonly timer: StartTimer;
}

/**
 * Gives each call of the reader its deadline: `deadlineMs` after it starts or, inside Lambda, the
 * invocation's end less the margin, whichever comes first.
 */
export class CallDeadlines {
  readonly #options: CallDeadlineOptions;
  #remainingTimeMs: (() => number) | undefined;

  constructor(options: CallDeadlineOptions) {
    this.#options = options;
  }

  boundBy(remainingTimeMs: () => number): void {
    this.#remainingTimeMs = remainingTimeMs;
  }

  /** Runs `run` with a new deadline, whose timer is stopped when it settles. */
  async within<T>(run: (deadline: Deadline) => Promise<T>): Promise<T> {
    const deadline = this.#start();
    try {
      return await run(deadline);
    } finally {
      deadline.dispose();
    }
  }

  #start(): Deadline {
    const { deadlineMs, invocationMarginMs: marginMs, callReserveMs, now } = this.#options;
    const startedAt = now();
    const remainingMs = this.#remainingTimeMs?.();
    // With a timeout of this much, the reader's own deadline, not the invocation's end, ends its waits.
    const minimumTimeoutSeconds = Math.ceil((deadlineMs + marginMs + callReserveMs) / 1000);
    if (remainingMs !== undefined && remainingMs - marginMs < deadlineMs) {
      const source = { kind: 'invocation', remainingMs, marginMs } as const;
      return new Deadline(
        startedAt + remainingMs - marginMs,
        { source, minimumTimeoutSeconds },
        this.#options,
      );
    }
    const source = { kind: 'option', deadlineMs } as const;
    return new Deadline(startedAt + deadlineMs, { source, minimumTimeoutSeconds }, this.#options);
  }
}

/**
 * The moment, on the reader's clock, by which one call of the reader must be answered. Every wait of
 * the call (an AWS request, a pause between attempts) races it, and AWS requests get its signal, so
 * that nothing the call started is still running when its invocation ends. The timer starts with the
 * first wait only: a call served from memory costs none.
 */
export class Deadline {
  readonly at: number;
  readonly advice: DeadlineAdvice;
  readonly #now: () => number;
  readonly #startTimer: StartTimer;
  readonly #controller = new AbortController();
  #cancelTimer: (() => void) | undefined;

  constructor(at: number, advice: DeadlineAdvice, clock: { now: () => number; timer: StartTimer }) {
    this.at = at;
    this.advice = advice;
    this.#now = clock.now;
    this.#startTimer = clock.timer;
  }

  msLeft(): number {
    return this.at - this.#now();
  }

  /**
   * `work`'s result, or a ZohoTokenDeadlineError about `waitedFor` at the deadline; `work` receives the
   * signal that fires then, to cancel its request. A deadline already passed fails without starting it.
   */
  async wait<T>(waitedFor: string, work: (signal: AbortSignal) => Promise<T>, afterwards = ''): Promise<T> {
    const msLeft = this.msLeft();
    const expired = () => ZohoTokenDeadlineError.cut(waitedFor, msLeft, this.advice, afterwards);
    const signal = this.#signal();
    if (signal.aborted) throw expired();
    let stopListening = () => {};
    const timedOut = new Promise<never>((_, reject) => {
      const onAbort = () => reject(expired());
      signal.addEventListener('abort', onAbort, { once: true });
      stopListening = () => signal.removeEventListener('abort', onAbort);
    });
    try {
      return await Promise.race([work(signal), timedOut]);
    } catch (error) {
      // A request cancelled by the signal rejects with its own AbortError: report the deadline instead.
      throw signal.aborted ? expired() : error;
    } finally {
      stopListening();
    }
  }

  /** Stops the timer; the call is over. */
  dispose(): void {
    this.#cancelTimer?.();
    this.#cancelTimer = undefined;
  }

  #signal(): AbortSignal {
    if (!this.#cancelTimer && !this.#controller.signal.aborted) {
      const msLeft = this.msLeft();
      if (msLeft <= 0) this.#controller.abort();
      else this.#cancelTimer = this.#startTimer(msLeft, () => this.#controller.abort());
    }
    return this.#controller.signal;
  }
}
