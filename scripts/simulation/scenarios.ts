import { MIN_REFRESH_SPACING_MS } from '../../functions/refresh/refresh-policy.js';
import type { SandboxFault } from '../../test/sandbox/zoho-sandbox.js';
import type { BurstLog, ConsumerFleet } from './consumer-fleet.js';
import type { EventQueue } from './event-queue.js';
import type { EventBridgeModel } from './eventbridge-model.js';
import type { KeeperWorld } from './keeper-world.js';
import { dayOffsets, snapToMinute } from './plan-times.js';
import type { SeededRandom } from './random.js';
import type { ScenarioRecorder } from './scenario-recorder.js';
import { DAY_MS, HOUR_MS, MINUTE_MS, SECOND_MS, type SimulatedClock } from './simulated-clock.js';
import {
  CONNECT_PAIR_EVERY_DAYS,
  EDIT_EVERY_DAYS,
  planConnectPairs,
  planHandSaves,
  planRejectedConsumer,
  planRestores,
  REJECTED_CALL_EVERY_MS,
  REJECTED_EVERY_DAYS,
} from './write-scenarios.js';

export const SCENARIO_NAMES = [
  'baseline',
  'transient-faults',
  'access-denied',
  'access-denied-cold-container',
  'outage-5m',
  'outage-10m',
  'outage-15m',
  'outage-45m',
  'outage-3h',
  'revoked-refresh-token',
  'forced-refresh-burst',
  'reconnect-during-refresh',
  'disconnect-during-refresh',
  'deploy-rerenders-schedule',
  'burst-unreserved',
  'consumer-rejected-all-day',
  'admin-restore',
  'hand-saved-secret',
  'overlapping-connects',
] as const;

export type ScenarioName = (typeof SCENARIO_NAMES)[number];

export interface PlanContext {
  readonly world: KeeperWorld;
  readonly queue: EventQueue;
  readonly clock: SimulatedClock;
  readonly random: SeededRandom;
  readonly eventBridge: EventBridgeModel;
  readonly fleet: ConsumerFleet;
  readonly recorder: ScenarioRecorder;
  readonly startMs: number;
  readonly days: number;
  readonly burstSize: number;
  /** Where a scenario's bursts report. */
  readonly bursts: BurstLog;
}

export interface Scenario {
  readonly summary: string;
  /**
   * Share of token-endpoint requests that meet a passing fault (5xx, timeout, reset, HTML page, or an
   * answer lost after Zoho minted the token).
   */
  readonly transientFaultRate?: number;
  /**
   * The refresh function's reserved concurrency: 1 runs one invocation at a time, 0 is unreserved (a
   * container per concurrent invocation, up to the account's limit). @default 1
   */
  readonly reservedConcurrency?: number;
  /** Idle time after which Lambda reclaims the refresh function's container. @default 5 to 30 minutes */
  readonly refreshIdleReclaimMs?: readonly [number, number];
  readonly plan?: (context: PlanContext) => void;
}

/** Outages begin this long before a scheduled refresh, so that the refresh meets them. */
const BEFORE_FIRE_MS = 30 * SECOND_MS;
const OUTAGE_EVERY_DAYS = 5;
const THROTTLE_EVERY_DAYS = 6;
/** How long the operator takes to generate a new grant code after the revocation alarm. */
export const RECONNECT_AFTER_MS = 90 * MINUTE_MS;
const OVERLAP_EVERY_DAYS = 5;
const DISCONNECT_EVERY_DAYS = 10;
const DEPLOY_EVERY_DAYS = 3;
/** How long after a scheduled refresh the disconnect's forced refresh comes: old enough to call Zoho. */
const FORCED_AFTER_FIRE_MS = 25 * MINUTE_MS;
/** How long the connection stays disconnected before the operator connects again. */
export const DISCONNECTED_FOR_MS = 30 * MINUTE_MS;
const OUTAGE_FAULTS: readonly [SandboxFault, ...SandboxFault[]] = ['server-error', 'reset', 'html'];
const TRANSIENT_FAULTS: readonly [SandboxFault, ...SandboxFault[]] = [
  'server-error',
  'server-error',
  'hang',
  'reset',
  'html',
  'lost-answer',
];

export const SCENARIOS: Readonly<Record<ScenarioName, Scenario>> = {
  baseline: { summary: 'no faults' },
  'transient-faults': {
    summary: '3% of token requests: 5xx, timeout, reset, HTML page or answer lost after the mint',
    transientFaultRate: 0.03,
  },
  'access-denied': {
    summary: `Access Denied for 1-10 min, from 30 s before a scheduled refresh, every ${THROTTLE_EVERY_DAYS} days`,
    plan: (context) =>
      disruptBeforeRefreshes(context, THROTTLE_EVERY_DAYS, 'throttle', (random) => ({
        fault: 'rate-limit',
        durationMs: Math.round(random.between(1, 10)) * MINUTE_MS,
      })),
  },
  'access-denied-cold-container': {
    summary:
      "Access Denied from 30 s before a scheduled refresh for the rest of Zoho's 10-min window, and the refresh " +
      'container reclaimed after 2-4 min idle, every 6 days',
    refreshIdleReclaimMs: [2 * MINUTE_MS, 4 * MINUTE_MS],
    plan: (context) =>
      disruptBeforeRefreshes(context, THROTTLE_EVERY_DAYS, 'throttle', () => ({
        fault: 'rate-limit',
        durationMs: 10 * MINUTE_MS,
      })),
  },
  'outage-5m': outageScenario(5),
  'outage-10m': outageScenario(10),
  'outage-15m': outageScenario(15),
  'outage-45m': outageScenario(45),
  'outage-3h': outageScenario(180),
  'revoked-refresh-token': {
    summary: `refresh token revoked mid-run; operator reconnects ${RECONNECT_AFTER_MS / MINUTE_MS} min later`,
    plan: planRevocation,
  },
  'forced-refresh-burst': {
    summary: 'once a day Zoho rejects the token and 50 fresh consumers recover() at once',
    plan: planBursts,
  },
  'reconnect-during-refresh': {
    summary: `every ${OVERLAP_EVERY_DAYS} days an operator reconnects (new grant code, no client) while a scheduled refresh waits on Zoho's answer`,
    plan: planReconnectsDuringRefresh,
  },
  'disconnect-during-refresh': {
    summary:
      `every ${DISCONNECT_EVERY_DAYS} days an operator disconnects while a forced refresh waits on Zoho's answer, ` +
      `and reconnects ${DISCONNECTED_FOR_MS / MINUTE_MS} min later`,
    plan: planDisconnectsDuringRefresh,
  },
  'deploy-rerenders-schedule': {
    summary: `every ${DEPLOY_EVERY_DAYS} days a deploy puts the refresh schedule back to the template's (enabled) definition, up to 5 min before it fires`,
    plan: planDeploys,
  },
  'burst-unreserved': {
    summary:
      'reserved concurrency 0 (up to 10 containers at once); once a day 50 fresh consumers recover() at once',
    reservedConcurrency: 0,
    plan: planBursts,
  },
  'consumer-rejected-all-day': {
    summary:
      `every ${REJECTED_EVERY_DAYS} days, for 24 h, a consumer whose calls Zoho rejects for a reason a new token cannot fix ` +
      `(another data centre, a missing scope) asks for a forced refresh every ${REJECTED_CALL_EVERY_MS / MINUTE_MS} min`,
    plan: planRejectedConsumer,
  },
  'admin-restore': {
    summary: `every ${EDIT_EVERY_DAYS} days, at a random moment, an administrator restores the access-token secret's previous version in the console`,
    plan: planRestores,
  },
  'hand-saved-secret': {
    summary:
      `every ${EDIT_EVERY_DAYS} days, at a random moment, an administrator saves the access-token secret by hand: ` +
      'in turn an old copy of its document and a malformed value',
    plan: planHandSaves,
  },
  'overlapping-connects': {
    summary: `every ${CONNECT_PAIR_EVERY_DAYS} days two operators connect at the same moment, each with a grant code of their own`,
    plan: planConnectPairs,
  },
};

export function faultSource(random: SeededRandom, rate: number | undefined): () => SandboxFault | undefined {
  if (!rate) return () => undefined;
  return () => (random.chance(rate) ? random.pick(TRANSIENT_FAULTS) : undefined);
}

function outageScenario(minutes: number): Scenario {
  const duration = minutes >= 60 && minutes % 60 === 0 ? `${minutes / 60} h` : `${minutes} min`;
  return {
    summary: `Zoho down for ${duration} from 30 s before a scheduled refresh, every ${OUTAGE_EVERY_DAYS} days`,
    plan: (context) =>
      disruptBeforeRefreshes(context, OUTAGE_EVERY_DAYS, 'outage', (_random, index) => ({
        fault: OUTAGE_FAULTS[index % OUTAGE_FAULTS.length] ?? 'server-error',
        durationMs: minutes * MINUTE_MS,
      })),
  };
}

function disruptBeforeRefreshes(
  context: PlanContext,
  everyDays: number,
  kind: 'outage' | 'throttle',
  shape: (random: SeededRandom, index: number) => { fault: SandboxFault; durationMs: number },
): void {
  const { queue, random, eventBridge, recorder } = context;
  dayOffsets(context.days, everyDays).forEach((day, index) => {
    const around = context.startMs + day * DAY_MS + random.between(0, 12 * HOUR_MS);
    const start = eventBridge.nextFireAfter(around) - BEFORE_FIRE_MS;
    const { fault, durationMs } = shape(random, index);
    queue.add({
      at: start,
      label: `${kind} begins`,
      run: () => recorder.disruptionStarted(kind, fault, durationMs),
    });
    queue.add({ at: start + durationMs, label: `${kind} ends`, run: () => recorder.disruptionEnded() });
  });
}

function planRevocation(context: PlanContext): void {
  const { queue, random, recorder, world } = context;
  const revokeAt = snapToMinute(
    context.startMs + Math.floor(context.days / 2) * DAY_MS + random.between(HOUR_MS, 12 * HOUR_MS),
  );
  const reconnectAt = revokeAt + RECONNECT_AFTER_MS;
  queue.add({ at: revokeAt, label: 'refresh token revoked', run: () => recorder.revoked(reconnectAt) });
  queue.add({
    at: reconnectAt,
    label: 'operator reconnects',
    run: async () => {
      await world.exchange({ withClient: false });
    },
  });
}

function planBursts(context: PlanContext): void {
  const { queue, random, world, fleet, clock } = context;
  const burstAt = (at: number): void => {
    queue.add({
      at,
      label: 'burst of forced refreshes',
      run: async () => {
        // The refresh function replaces a token at most every 10 minutes, by design: a burst on a
        // younger token is moved to when it can succeed (see the report for what it would see).
        const stored = world.storedAccessToken();
        const refreshedAt = stored ? Date.parse(stored.refreshed_at) : clock.nowMs();
        if (clock.nowMs() - refreshedAt < MIN_REFRESH_SPACING_MS) {
          context.bursts.moved += 1;
          burstAt(refreshedAt + MIN_REFRESH_SPACING_MS + MINUTE_MS + 30 * SECOND_MS);
          return;
        }
        context.bursts.records.push(await fleet.burst(context.burstSize));
      },
    });
  };
  for (let day = 0; day < Math.max(1, Math.floor(context.days)); day += 1) {
    burstAt(
      snapToMinute(context.startMs + day * DAY_MS + random.between(HOUR_MS, 23 * HOUR_MS)) + 30 * SECOND_MS,
    );
  }
}

function planReconnectsDuringRefresh(context: PlanContext): void {
  const { queue, random, eventBridge, recorder } = context;
  for (const day of dayOffsets(context.days, OVERLAP_EVERY_DAYS)) {
    const around = context.startMs + day * DAY_MS + random.between(0, 12 * HOUR_MS);
    queue.add({
      at: eventBridge.nextFireAfter(around) - BEFORE_FIRE_MS,
      label: 'reconnect armed for the next refresh',
      run: () => recorder.duringNextRefresh('reconnect'),
    });
  }
}

function planDisconnectsDuringRefresh(context: PlanContext): void {
  const { queue, random, eventBridge, recorder, world } = context;
  for (const day of dayOffsets(context.days, DISCONNECT_EVERY_DAYS)) {
    const around = context.startMs + day * DAY_MS + random.between(0, 12 * HOUR_MS);
    const at = eventBridge.nextFireAfter(around) + FORCED_AFTER_FIRE_MS;
    queue.add({
      at,
      label: 'disconnect during a forced refresh',
      run: async () => {
        recorder.duringNextRefresh('disconnect');
        // A consumer's forced refresh; it fails once the disconnect is through, which is what it reports.
        await world.refresh('consumer', true).catch(() => undefined);
      },
    });
    queue.add({
      at: at + DISCONNECTED_FOR_MS,
      label: 'operator reconnects',
      run: () => recorder.reconnectAfterDisconnect(),
    });
  }
}

function planDeploys(context: PlanContext): void {
  const { queue, random, eventBridge, recorder, world } = context;
  for (const day of dayOffsets(context.days, DEPLOY_EVERY_DAYS)) {
    const around = context.startMs + day * DAY_MS + random.between(0, 12 * HOUR_MS);
    queue.add({
      at: eventBridge.nextFireAfter(around) - Math.floor(random.between(SECOND_MS, 5 * MINUTE_MS)),
      label: 'deploy re-renders the schedule',
      run: async () => {
        await world.redeploySchedule();
        recorder.deployed();
      },
    });
  }
}
