import type { ZohoTokenReader } from '../../functions/consumer/index.js';
import type { EventQueue } from './event-queue.js';
import type { KeeperWorld } from './keeper-world.js';
import type { SeededRandom } from './random.js';
import { HOUR_MS, MINUTE_MS, type SimulatedClock } from './simulated-clock.js';

export const USERS_PATH = '/crm/v8/users?type=CurrentUser';

export interface ConsumerFleetOptions {
  /** Consumer containers alive at any time. @default 3 */
  readonly containers?: number;
  /** Lambda recycles a container after a random lifetime in this range. @default 1 to 6 hours */
  readonly lifetimeMs?: readonly [number, number];
}

/** A call that was not answered 200: when, and why (an HTTP status or the error's name). */
export interface FailedCall {
  readonly at: number;
  readonly reason: string;
}

export interface BurstRecord {
  readonly at: number;
  readonly consumers: number;
  /** Age of the token the burst found rejected, in minutes. */
  readonly tokenAgeMinutes: number;
  readonly zohoRequests: number;
  readonly accessTokensMinted: number;
  readonly invokes: number;
  readonly invokesTurnedAwayBusy: number;
  readonly failedCalls: number;
  readonly failureReasons: Readonly<Record<string, number>>;
}

export interface BurstLog {
  readonly records: BurstRecord[];
  /** Bursts moved because the token was younger than the refresh spacing. */
  moved: number;
}

interface Container {
  readonly reader: ZohoTokenReader;
  readonly retiresAt: number;
  /** A token this container has already seen Zoho accept. */
  acceptedToken: string | undefined;
}

/**
 * Consumer Lambdas calling a Zoho API once a minute each through ZohoTokenReader.fetch. Each call is
 * judged by what Zoho answered in the end, after the library's one retry with a new token.
 *
 * Calls are the slow part of a simulated month, so a call whose token this container has already
 * seen accepted, and which Zoho's ledger still holds valid, is counted as answered without sending
 * it: the sandbox would answer 200 to it, and the reader acts only on a rejection. Every call with a
 * token new to the container, or one Zoho no longer accepts, goes through the library to the
 * in-process sandbox.
 */
export class ConsumerFleet {
  calls = 0;
  httpCalls = 0;
  coldStarts = 0;
  readonly failures: FailedCall[] = [];
  readonly #containers: Container[] = [];
  readonly #lifetimeMs: readonly [number, number];
  readonly #size: number;

  constructor(
    private readonly world: KeeperWorld,
    private readonly clock: SimulatedClock,
    private readonly random: SeededRandom,
    options: ConsumerFleetOptions = {},
  ) {
    this.#size = options.containers ?? 3;
    this.#lifetimeMs = options.lifetimeMs ?? [HOUR_MS, 6 * HOUR_MS];
  }

  get size(): number {
    return this.#size;
  }

  /** Every container calls at the start of each minute, all at once. */
  start(queue: EventQueue, firstCallAt: number): void {
    const tick = (at: number): void => {
      queue.add({
        at,
        label: 'consumers call Zoho',
        run: async () => {
          tick(at + MINUTE_MS);
          await this.#callOnceEach();
        },
      });
    };
    tick(firstCallAt);
  }

  /**
   * `consumers` new containers hold the current token when Zoho stops accepting it, and all call at
   * once: each recovers through the library, so the refresh function is asked `consumers` times at once.
   */
  async burst(consumers: number): Promise<BurstRecord> {
    const readers = Array.from({ length: consumers }, () => this.world.createReader('burst'));
    const tokens = await Promise.all(readers.map((reader) => reader.getToken()));
    const rejected = tokens[0];
    if (!rejected) throw new Error('A burst needs at least one consumer.');
    this.world.sandbox.invalidateAccessToken(rejected.accessToken);

    const before = {
      zohoRequests: this.world.sandbox.stats.tokenRequests,
      mints: this.world.sandbox.stats.mints,
      invokes: this.world.invokes.total,
      busy: this.world.invokes.busy,
    };
    const outcomes = await Promise.all(readers.map((reader) => this.#send(reader)));
    const failureReasons: Record<string, number> = {};
    for (const outcome of outcomes) {
      if (outcome !== 'ok') failureReasons[outcome] = (failureReasons[outcome] ?? 0) + 1;
    }
    return {
      at: this.clock.nowMs(),
      consumers,
      tokenAgeMinutes: Math.round((this.clock.nowMs() - rejected.refreshedAt.getTime()) / MINUTE_MS),
      zohoRequests: this.world.sandbox.stats.tokenRequests - before.zohoRequests,
      accessTokensMinted: this.world.sandbox.stats.mints - before.mints,
      invokes: this.world.invokes.total - before.invokes,
      invokesTurnedAwayBusy: this.world.invokes.busy - before.busy,
      failedCalls: outcomes.filter((outcome) => outcome !== 'ok').length,
      failureReasons,
    };
  }

  async #callOnceEach(): Promise<void> {
    const now = this.clock.nowMs();
    for (let index = 0; index < this.#size; index += 1) {
      const container = this.#containers[index];
      if (!container || container.retiresAt <= now) this.#containers[index] = this.#coldStart(now);
    }
    await Promise.all(this.#containers.map((container) => this.#call(container)));
  }

  async #call(container: Container): Promise<void> {
    this.calls += 1;
    const outcome = await this.#judge(container);
    if (outcome !== 'ok') this.failures.push({ at: this.clock.nowMs(), reason: outcome });
  }

  async #judge(container: Container): Promise<string> {
    let token: string;
    try {
      token = (await container.reader.getToken()).accessToken;
    } catch (error) {
      return errorName(error);
    }
    const acceptedNow = this.world.sandbox.isAccessTokenValid(token);
    if (acceptedNow && token === container.acceptedToken) return 'ok';
    const outcome = await this.#send(container.reader);
    // Remembered only when Zoho took it at the first attempt: after a recovery the reader holds another.
    if (outcome === 'ok' && acceptedNow) container.acceptedToken = token;
    return outcome;
  }

  /** One call through the library: 'ok', the final HTTP status, or the error's name. */
  async #send(reader: ZohoTokenReader): Promise<string> {
    this.httpCalls += 1;
    try {
      const response = await reader.fetch(USERS_PATH);
      await response.arrayBuffer();
      return response.status === 200 ? 'ok' : `HTTP ${response.status} after retry`;
    } catch (error) {
      return errorName(error);
    }
  }

  #coldStart(now: number): Container {
    this.coldStarts += 1;
    const [shortest, longest] = this.#lifetimeMs;
    return {
      reader: this.world.createReader('fleet'),
      retiresAt: now + Math.floor(this.random.between(shortest, longest)),
      acceptedToken: undefined,
    };
  }
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : 'non-Error thrown';
}
