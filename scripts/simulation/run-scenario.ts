import { performance } from 'node:perf_hooks';
import { type BurstLog, ConsumerFleet } from './consumer-fleet.js';
import { EventQueue } from './event-queue.js';
import { type DeliveryCounts, EventBridgeModel } from './eventbridge-model.js';
import { KeeperWorld } from './keeper-world.js';
import { SeededRandom } from './random.js';
import { RealAsyncWatch } from './real-async-watch.js';
import { type ScenarioFigures, summarise } from './scenario-figures.js';
import { ScenarioRecorder } from './scenario-recorder.js';
import { faultSource, SCENARIOS, type ScenarioName } from './scenarios.js';
import { DAY_MS, HOUR_MS, MINUTE_MS, SimulatedClock } from './simulated-clock.js';

export interface ScenarioOptions {
  /** Simulated days. @default 30 */
  readonly days?: number;
  /** @default 1 */
  readonly seed?: number;
  /** Consumer containers calling Zoho once a minute each. @default 3 */
  readonly containers?: number;
  /** Consumers in each burst of the forced-refresh-burst scenario. @default 50 */
  readonly burstSize?: number;
  /** Share of token-endpoint requests that meet a passing fault. @default the scenario's */
  readonly transientFaultRate?: number;
}

/** Mid-month dates are arbitrary; a fixed start keeps runs with the same seed identical. */
const START_MS = Date.parse('2026-11-02T00:00:00.000Z');
/** Lambda recycles the refresh function's containers after this long. */
const REFRESH_CONTAINER_LIFETIME_MS: readonly [number, number] = [HOUR_MS, 8 * HOUR_MS];
/**
 * Lambda reclaims an idle container after some minutes (not documented; commonly seen between 5 and
 * 30). The refresh function idles about 50 minutes between scheduled runs, so most runs start cold;
 * nothing a run learns lives in the container, so a cold one knows what a warm one does.
 */
const REFRESH_CONTAINER_IDLE_RECLAIM_MS: readonly [number, number] = [5 * MINUTE_MS, 30 * MINUTE_MS];

export interface ScenarioRun {
  readonly world: KeeperWorld;
  readonly fleet: ConsumerFleet;
  readonly recorder: ScenarioRecorder;
  readonly bursts: BurstLog;
  readonly deliveries: DeliveryCounts;
  readonly reservedConcurrency: number;
  readonly startMs: number;
  readonly endMs: number;
}

/**
 * Runs one scenario on a simulated clock: the operator connects at the start, EventBridge fires the
 * refresh schedule and its follow-ups, consumers call Zoho every minute, and the scenario's faults
 * strike on schedule. Returns the figures and the verdict on each target.
 */
export async function runScenario(
  name: ScenarioName,
  options: ScenarioOptions = {},
): Promise<ScenarioFigures> {
  const scenario = SCENARIOS[name];
  const days = options.days ?? 30;
  const seed = options.seed ?? 1;
  const random = new SeededRandom(seed).fork(name);
  const clock = new SimulatedClock(START_MS);
  const startedAt = performance.now();

  const reclaimRandom = random.fork('idle reclaim');
  const transientFault = faultSource(
    random.fork('transient faults'),
    options.transientFaultRate ?? scenario.transientFaultRate,
  );
  const reservedConcurrency = scenario.reservedConcurrency ?? 1;
  // Faults start once connected: an operator watches the first exchange and repeats it if it fails.
  let connected = false;
  const world = await KeeperWorld.start({
    clock,
    random: random.fork('world'),
    faultFor: () => (connected ? transientFault() : undefined),
    reclaimAfterIdleMs: () =>
      reclaimRandom.between(...(scenario.refreshIdleReclaimMs ?? REFRESH_CONTAINER_IDLE_RECLAIM_MS)),
    reservedConcurrency,
  });
  // Started after the world: loading modules there is real I/O, and belongs before the first event.
  const watch = new RealAsyncWatch();
  watch.start();
  try {
    const queue = new EventQueue();
    const eventBridge = new EventBridgeModel(world, queue, clock, random.fork('eventbridge'));
    const fleet = new ConsumerFleet(world, clock, random.fork('consumers'), {
      containers: options.containers,
    });
    const recorder = new ScenarioRecorder(world, clock);
    const bursts: BurstLog = { records: [], moved: 0 };
    const endMs = START_MS + days * DAY_MS;

    await world.exchange();
    watch.check('The first connect');
    connected = true;
    eventBridge.start();
    fleet.start(queue, START_MS + MINUTE_MS);
    recycleRefreshContainers(queue, world, random.fork('refresh containers'));
    scenario.plan?.({
      world,
      queue,
      clock,
      random: random.fork('plan'),
      eventBridge,
      fleet,
      recorder,
      startMs: START_MS,
      days,
      burstSize: options.burstSize ?? 50,
      bursts,
    });

    for (let next = queue.peekTime(); next !== undefined && next < endMs; next = queue.peekTime()) {
      const event = queue.take();
      if (!event) break;
      clock.advanceTo(event.at);
      await event.run();
      watch.check(`The event "${event.label}" at ${new Date(event.at).toISOString()}`);
      recorder.afterEvent();
    }
    clock.advanceTo(endMs);

    return summarise(
      { name, summary: scenario.summary, seed, days, elapsedMs: performance.now() - startedAt },
      {
        world,
        fleet,
        recorder,
        bursts,
        deliveries: eventBridge.deliveries,
        reservedConcurrency,
        startMs: START_MS,
        endMs,
      },
    );
  } finally {
    watch.stop();
    await world.close();
  }
}

function recycleRefreshContainers(queue: EventQueue, world: KeeperWorld, random: SeededRandom): void {
  const [shortest, longest] = REFRESH_CONTAINER_LIFETIME_MS;
  const recycleAt = (at: number): void =>
    queue.add({
      at,
      label: 'refresh container recycled',
      run: () => {
        world.recycleRefreshContainer();
        recycleAt(at + random.between(shortest, longest));
      },
    });
  recycleAt(START_MS + random.between(shortest, longest));
}
