import { createHook } from 'node:async_hooks';

/**
 * Async work whose turn the microtask queue alone decides. Anything else (a timer, an immediate, a
 * socket, a file read, a module loader's message, even a random-bytes request) runs when the machine
 * gets to it, so under load it overtakes or falls behind simulated events and the same seed prints
 * other figures.
 */
const ORDERED_BY_MICROTASKS: ReadonlySet<string> = new Set(['PROMISE', 'Microtask', 'TickObject']);
const STACK_FRAMES = 12;

export class RealAsyncWorkError extends Error {
  override readonly name = 'RealAsyncWorkError';
}

/**
 * Watches a simulation for async work that real time orders: simulated events must run on microtasks
 * only, so that a seed decides their order whatever the machine's load.
 */
export class RealAsyncWatch {
  #found: { readonly type: string; readonly stack: string } | undefined;
  readonly #hook = createHook({
    init: (_id, type) => {
      // A hook must not throw (Node exits), so the first offender is kept for `check`.
      if (this.#found || ORDERED_BY_MICROTASKS.has(type)) return;
      const limit = Error.stackTraceLimit;
      // Node's own frames come first; enough room to reach the simulation's.
      Error.stackTraceLimit = 40;
      this.#found = { type, stack: callerFrames(new Error().stack) };
      Error.stackTraceLimit = limit;
    },
  });

  start(): void {
    this.#hook.enable();
  }

  stop(): void {
    this.#hook.disable();
  }

  /** Throws when real async work started since the watch did, naming `during` and where it started. */
  check(during: string): void {
    const found = this.#found;
    if (!found) return;
    throw new RealAsyncWorkError(
      `${during} started a ${found.type}, async work ordered by real time, so the same seed could print ` +
        'other figures on a busier machine. Inject a simulated alternative (clock, sleep, transport, ' +
        `seeded id) or load the module before the first event. Started at:\n${found.stack}`,
    );
  }
}

function callerFrames(stack: string | undefined): string {
  return (stack ?? '')
    .split('\n')
    .slice(1)
    .filter((line) => !line.includes('node:internal/async_hooks') && !line.includes('real-async-watch'))
    .slice(0, STACK_FRAMES)
    .join('\n');
}
