/**
 * Per-attempt time-outs without a real timer. Calls to Zoho happen while simulated time stands still, so a
 * time-out cannot be the clock running out: it fires when the simulation says the request went
 * unanswered (a seeded 'hang' or 'lost-answer'), and never because the machine was slow.
 */
export class SimulatedTimeouts {
  readonly #controllers = new WeakMap<AbortSignal, AbortController>();

  /** In place of AbortSignal.timeout: the signal aborts when `expire` is called with it. */
  readonly signal = (_ms: number): AbortSignal => {
    const controller = new AbortController();
    this.#controllers.set(controller.signal, controller);
    return controller.signal;
  };

  /** The request under this signal waited out its time-out; aborts it with the reason AbortSignal.timeout gives. */
  readonly expire = (signal: AbortSignal | undefined): void => {
    if (!signal) return;
    this.#controllers
      .get(signal)
      ?.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
  };
}
