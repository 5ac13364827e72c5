import type { EventQueue } from './event-queue.js';
import type { KeeperWorld, RunSource } from './keeper-world.js';
import type { SeededRandom } from './random.js';
import { MINUTE_MS, SECOND_MS, type SimulatedClock } from './simulated-clock.js';

export interface EventBridgeModelOptions {
  /** Chance that a delivery is made a second time (Scheduler delivers at least once). @default 0.02 */
  readonly duplicateProbability?: number;
  /** The second delivery comes between a few seconds and this long after the first. @default 3 minutes */
  readonly maxDuplicateDelayMs?: number;
  /** A one-time schedule fires up to this long after its at() time. @default 10 seconds */
  readonly maxAtLatencyMs?: number;
}

export interface DeliveryCounts {
  schedule: number;
  followUp: number;
  duplicate: number;
  /** Fire times that passed while the main schedule was disabled. */
  whileDisabled: number;
}

/**
 * EventBridge Scheduler as the keeper meets it: the main rate schedule fires at a fixed phase while it
 * is enabled, the one-time `<name>-retry` schedule fires at its at() time and deletes itself, and now
 * and then a delivery is repeated. A failed run is not retried: the function's retries are 0 and its
 * own follow-up is what tries again.
 */
export class EventBridgeModel {
  readonly deliveries: DeliveryCounts = { schedule: 0, followUp: 0, duplicate: 0, whileDisabled: 0 };
  readonly #phaseMs: number;
  readonly #duplicateProbability: number;
  readonly #maxDuplicateDelayMs: number;
  readonly #maxAtLatencyMs: number;
  /** The follow-up time an event is already queued for. */
  #followUpQueuedFor: number | undefined;

  constructor(
    private readonly world: KeeperWorld,
    private readonly queue: EventQueue,
    private readonly clock: SimulatedClock,
    private readonly random: SeededRandom,
    options: EventBridgeModelOptions = {},
  ) {
    this.#phaseMs = Math.floor(random.between(0, world.mainSchedule().rateMinutes * MINUTE_MS));
    this.#duplicateProbability = options.duplicateProbability ?? 0.02;
    this.#maxDuplicateDelayMs = options.maxDuplicateDelayMs ?? 3 * MINUTE_MS;
    this.#maxAtLatencyMs = options.maxAtLatencyMs ?? 10 * SECOND_MS;
    // Any run may arm, move or cancel the follow-up: look after each one.
    world.onRun(() => this.#queueFollowUp());
  }

  start(): void {
    this.#queueMainFire(this.nextFireAfter(this.clock.nowMs()));
    this.#queueFollowUp();
  }

  /** The main schedule's first fire time strictly after `time`. */
  nextFireAfter(time: number): number {
    const rateMs = this.world.mainSchedule().rateMinutes * MINUTE_MS;
    return this.#phaseMs + (Math.floor((time - this.#phaseMs) / rateMs) + 1) * rateMs;
  }

  #queueMainFire(at: number): void {
    this.queue.add({
      at,
      label: 'schedule fires',
      run: async () => {
        this.#queueMainFire(this.nextFireAfter(at));
        if (!this.world.mainSchedule().enabled) {
          this.deliveries.whileDisabled += 1;
          return;
        }
        this.deliveries.schedule += 1;
        await this.#deliver('schedule');
      },
    });
  }

  #queueFollowUp(): void {
    const at = this.world.followUpAt();
    if (at === undefined || at === this.#followUpQueuedFor) return;
    this.#followUpQueuedFor = at;
    this.queue.add({
      at: at + Math.floor(this.random.between(0, this.#maxAtLatencyMs)),
      label: 'follow-up fires',
      run: async () => {
        // Moved or cancelled since this event was queued: the queue holds its current time instead.
        if (this.world.followUpAt() !== at) return;
        this.#followUpQueuedFor = undefined;
        this.deliveries.followUp += 1;
        await this.world.completeFollowUp();
        await this.#deliver('follow-up');
      },
    });
  }

  async #deliver(source: RunSource): Promise<void> {
    if (source !== 'duplicate' && this.random.chance(this.#duplicateProbability)) {
      this.queue.add({
        at: this.clock.nowMs() + Math.floor(this.random.between(2 * SECOND_MS, this.#maxDuplicateDelayMs)),
        label: 'duplicate delivery',
        run: async () => {
          this.deliveries.duplicate += 1;
          await this.#deliver('duplicate');
        },
      });
    }
    // An asynchronous invocation: its failure goes to the function's logs and alarms, not back here.
    await this.world.refresh(source, false).catch(() => undefined);
  }
}
