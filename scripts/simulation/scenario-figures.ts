import { ACTIVE_ACCESS_TOKENS_PER_REFRESH_TOKEN, MINTS_PER_WINDOW } from '../../test/sandbox/token-ledger.js';
import type { BurstRecord, FailedCall } from './consumer-fleet.js';
import type { DeliveryCounts } from './eventbridge-model.js';
import type { ScenarioRun } from './run-scenario.js';
import type { ZohoDisruption } from './scenario-recorder.js';
import type { ScenarioName } from './scenarios.js';
import { HOUR_MS, MINUTE_MS } from './simulated-clock.js';
import { maxInWindow } from './sliding-window.js';

export const RECOVERY_TARGET_MS = 2 * MINUTE_MS;
const TEN_MINUTES_MS = 10 * MINUTE_MS;
/** Failed calls this long after a disruption ends are still laid at its door. */
const AFTERMATH_MS = 10 * MINUTE_MS;

export interface TargetResult {
  readonly label: string;
  readonly pass: boolean;
  readonly detail: string;
}

export interface DisruptionFigures {
  readonly kind: ZohoDisruption['kind'];
  readonly fault: string;
  readonly start: string;
  readonly durationMinutes: number;
  readonly tokenLeftMinutes: number;
  /** Longer than the stored token had left: consumers cannot be spared, so their failures are excused. */
  readonly outlivesToken: boolean;
  readonly zohoRequests: number;
  readonly failedCalls: number;
  readonly recoveryMinutes: number | undefined;
  /** From the start to 30 minutes after the end: how long the stored token was one Zoho refused. */
  readonly storedTokenUnusableMinutes: number;
}

export interface RevocationFigures {
  readonly revokedAt: string;
  readonly reconnectedAt: string | undefined;
  readonly minutesToRevokedError: number | undefined;
  readonly scheduleDisabled: boolean;
  readonly followUpLeftPending: boolean;
  readonly zohoRequestsWhileKnownRevoked: number;
  readonly zohoRequestsWhileKnownRevokedBySource: Readonly<Record<string, number>>;
  readonly refreshContainersWhileKnownRevoked: number;
  readonly consumerMinutesWithoutToken: number;
  /** From the reconnect to the last failed consumer call; 0 or less: none failed after it. */
  readonly minutesUntilConsumersServed: number;
  readonly scheduleEnabledAfterReconnect: boolean;
}

export interface ScenarioFigures {
  readonly scenario: ScenarioName;
  readonly summary: string;
  readonly seed: number;
  readonly days: number;
  readonly elapsedMs: number;
  readonly consumers: {
    readonly containers: number;
    readonly calls: number;
    readonly httpCalls: number;
    readonly coldStarts: number;
    /** Consumer-minutes that ended without a token Zoho accepts. */
    readonly failedCalls: number;
    /** Of those, inside an outage longer than the token's remaining life or a revocation. */
    readonly excusedFailedCalls: number;
    readonly failureReasons: Readonly<Record<string, number>>;
    readonly secretReadsPerContainerHour: number;
  };
  readonly zoho: {
    readonly tokenRequests: number;
    readonly accessTokensMinted: number;
    readonly maxMintsInTenMinutes: number;
    readonly maxMintsInHour: number;
    /** Answers that were Access Denied: Zoho's own throttle and the scenario's. */
    readonly accessDeniedAnswers: number;
    /** Refused by the sandbox's real 10-per-10-minutes limit: the keeper went over it. */
    readonly overTheLimit: number;
    readonly injectedFaults: Readonly<Record<string, number>>;
  };
  readonly secretsManager: {
    readonly writes: number;
    readonly writesPerHour: number;
    readonly maxWritesInTenMinutes: number;
  };
  readonly runs: {
    readonly bySource: Readonly<Record<string, number>>;
    readonly byOutcome: Readonly<Record<string, number>>;
  };
  readonly deliveries: DeliveryCounts;
  readonly invokes: { readonly total: number; readonly busy: number };
  /** Containers the refresh function started (cold starts), after idle reclaim and recycling. */
  readonly refreshContainers: number;
  readonly disruptions: readonly DisruptionFigures[];
  readonly revocation: RevocationFigures | undefined;
  readonly bursts: readonly BurstRecord[];
  /** Bursts moved because the token was younger than the refresh spacing (10 minutes). */
  readonly burstsMoved: number;
  readonly refreshTokensLost: number;
  readonly targets: readonly TargetResult[];
}

interface Identity {
  readonly name: ScenarioName;
  readonly summary: string;
  readonly seed: number;
  readonly days: number;
  readonly elapsedMs: number;
}

export function summarise(identity: Identity, run: ScenarioRun): ScenarioFigures {
  const { world, fleet, recorder, bursts } = run;
  const hours = (run.endMs - run.startMs) / HOUR_MS;
  const excused = excusedWindows(run);
  const failures = fleet.failures;
  const excusedFailedCalls = failures.filter((failure) => isWithin(failure.at, excused)).length;
  const disruptions = recorder.disruptions.map((disruption) => describeDisruption(disruption, failures));
  const revocation = describeRevocation(run);
  const refreshToken = world.storedRefreshToken();
  const stats = world.sandbox.stats;
  const throttleAnswers = recorder.disruptions
    .filter((disruption) => disruption.kind === 'throttle')
    .reduce((sum, disruption) => sum + disruption.zohoRequests, 0);

  const figures = {
    scenario: identity.name,
    summary: identity.summary,
    seed: identity.seed,
    days: identity.days,
    elapsedMs: identity.elapsedMs,
    consumers: {
      containers: fleet.size,
      calls: fleet.calls,
      httpCalls: fleet.httpCalls,
      coldStarts: fleet.coldStarts,
      failedCalls: failures.length,
      excusedFailedCalls,
      failureReasons: countBy(failures.map((failure) => failure.reason)),
      secretReadsPerContainerHour: world.readerSecretReads('fleet') / (fleet.size * hours),
    },
    zoho: {
      tokenRequests: stats.tokenRequests,
      accessTokensMinted: stats.mints,
      maxMintsInTenMinutes: Math.max(world.maxMintsInTenMinutes, maxMintsInWindow(world, TEN_MINUTES_MS)),
      maxMintsInHour: maxMintsInWindow(world, HOUR_MS),
      accessDeniedAnswers:
        stats.rateLimited + throttleAnswers + (world.injectedFaults.get('rate-limit') ?? 0),
      overTheLimit: stats.rateLimited,
      injectedFaults: Object.fromEntries(world.injectedFaults),
    },
    secretsManager: {
      writes: world.secretWriteTimes.length,
      writesPerHour: world.secretWriteTimes.length / hours,
      maxWritesInTenMinutes: maxInWindow(world.secretWriteTimes, TEN_MINUTES_MS),
    },
    runs: {
      bySource: countBy(world.runs.map((record) => record.source)),
      byOutcome: countBy(world.runs.map((record) => record.outcome)),
    },
    deliveries: run.deliveries,
    invokes: { ...world.invokes },
    refreshContainers: world.refreshContainers,
    disruptions,
    revocation,
    bursts: bursts.records,
    burstsMoved: bursts.moved,
    refreshTokensLost: refreshToken && world.sandbox.isRefreshTokenActive(refreshToken) ? 0 : 1,
  };
  return { ...figures, targets: judge(figures) };
}

function judge(figures: Omit<ScenarioFigures, 'targets'>): TargetResult[] {
  const { consumers, zoho, disruptions, revocation, bursts } = figures;
  const unexcused = consumers.failedCalls - consumers.excusedFailedCalls;
  const targets: TargetResult[] = [
    {
      label: "No expired token unless an outage outlives the token's remaining lifetime",
      pass: unexcused === 0,
      detail:
        `${unexcused} consumer-minute(s) without a usable token` +
        (consumers.excusedFailedCalls > 0 ? ` (+${consumers.excusedFailedCalls} excused)` : ''),
    },
  ];
  const outages = disruptions.filter((disruption) => disruption.kind === 'outage');
  if (outages.length > 0) {
    const recoveries = outages.map((outage) => outage.recoveryMinutes ?? Number.POSITIVE_INFINITY);
    targets.push({
      label: "A valid token within 2 minutes of Zoho's recovery",
      pass: recoveries.every((minutes) => minutes * MINUTE_MS <= RECOVERY_TARGET_MS),
      detail: `slowest ${formatMinutes(Math.max(...recoveries))} over ${outages.length} outage(s)`,
    });
  }
  targets.push({
    label: 'Never over a Zoho limit',
    pass:
      zoho.maxMintsInTenMinutes <= MINTS_PER_WINDOW &&
      zoho.maxMintsInHour <= ACTIVE_ACCESS_TOKENS_PER_REFRESH_TOKEN &&
      zoho.overTheLimit === 0,
    detail:
      `max ${zoho.maxMintsInTenMinutes}/${MINTS_PER_WINDOW} mints in 10 min, ` +
      `${zoho.maxMintsInHour}/${ACTIVE_ACCESS_TOKENS_PER_REFRESH_TOKEN} in an hour, ${zoho.overTheLimit} refused by the limit`,
  });
  targets.push({
    label: '0 refresh tokens lost',
    pass: figures.refreshTokensLost === 0,
    detail: `${figures.refreshTokensLost} lost`,
  });
  if (revocation) targets.push(...judgeRevocation(revocation));
  if (bursts.length > 0) {
    const worstCalls = Math.max(...bursts.map((burst) => burst.zohoRequests));
    const failed = bursts.reduce((sum, burst) => sum + burst.failedCalls, 0);
    targets.push({
      label: 'One Zoho call per burst of forced refreshes',
      pass: worstCalls <= 1,
      detail: `at most ${worstCalls} over ${bursts.length} burst(s)`,
    });
    targets.push({
      label: 'Every consumer in a burst served',
      pass: failed === 0,
      detail: `${failed} failed call(s) over ${bursts.length} burst(s)`,
    });
  }
  return targets;
}

function judgeRevocation(revocation: RevocationFigures): TargetResult[] {
  return [
    {
      label: 'Revocation reported as RefreshTokenRevokedError and the schedule disabled',
      pass:
        revocation.minutesToRevokedError !== undefined &&
        revocation.scheduleDisabled &&
        !revocation.followUpLeftPending,
      detail:
        `error after ${formatMinutes(revocation.minutesToRevokedError)}, schedule ` +
        `${revocation.scheduleDisabled ? 'disabled' : 'still enabled'}, follow-up ` +
        `${revocation.followUpLeftPending ? 'pending' : 'none'}`,
    },
    {
      // A container remembers a revoked refresh token; a new one learns it with one call.
      label: 'At most one Zoho call per refresh-function container once the refresh token is known revoked',
      pass: revocation.zohoRequestsWhileKnownRevoked <= revocation.refreshContainersWhileKnownRevoked,
      detail:
        `${revocation.zohoRequestsWhileKnownRevoked} token request(s) after the first RefreshTokenRevokedError` +
        ` (by run source: ${describeCounts(revocation.zohoRequestsWhileKnownRevokedBySource)}), ` +
        `${revocation.refreshContainersWhileKnownRevoked} new refresh container(s) in that time`,
    },
    {
      label: 'Reconnect re-enables the schedule and serves consumers within 2 minutes',
      pass:
        revocation.reconnectedAt !== undefined &&
        revocation.scheduleEnabledAfterReconnect &&
        revocation.minutesUntilConsumersServed * MINUTE_MS <= RECOVERY_TARGET_MS,
      detail: `consumers served ${formatMinutes(Math.max(0, revocation.minutesUntilConsumersServed))} after the reconnect`,
    },
  ];
}

function excusedWindows(run: ScenarioRun): [number, number][] {
  const windows: [number, number][] = run.recorder.disruptions
    .filter(
      (disruption) =>
        disruption.kind === 'outage' && disruption.end - disruption.start >= disruption.tokenLeftAtStartMs,
    )
    .map((disruption) => [disruption.start, disruption.end + RECOVERY_TARGET_MS]);
  const revocation = run.recorder.revocation;
  if (revocation) windows.push([revocation.revokedAt, revocation.reconnectAt + RECOVERY_TARGET_MS]);
  return windows;
}

function describeDisruption(disruption: ZohoDisruption, failures: readonly FailedCall[]): DisruptionFigures {
  const durationMs = disruption.end - disruption.start;
  return {
    kind: disruption.kind,
    fault: disruption.fault,
    start: new Date(disruption.start).toISOString(),
    durationMinutes: durationMs / MINUTE_MS,
    tokenLeftMinutes: disruption.tokenLeftAtStartMs / MINUTE_MS,
    outlivesToken: durationMs >= disruption.tokenLeftAtStartMs,
    zohoRequests: disruption.zohoRequests,
    failedCalls: failures.filter((failure) =>
      isWithin(failure.at, [[disruption.start, disruption.end + AFTERMATH_MS]]),
    ).length,
    recoveryMinutes:
      disruption.recoveredAt === undefined
        ? undefined
        : (disruption.recoveredAt - disruption.end) / MINUTE_MS,
    storedTokenUnusableMinutes: disruption.storedTokenUnusableMs / MINUTE_MS,
  };
}

function describeRevocation(run: ScenarioRun): RevocationFigures | undefined {
  const revocation = run.recorder.revocation;
  if (!revocation) return undefined;
  const window: [number, number] = [revocation.revokedAt, revocation.reconnectAt + AFTERMATH_MS];
  const failures = run.fleet.failures.filter((failure) => isWithin(failure.at, [window]));
  const lastFailure = Math.max(revocation.revokedAt, ...failures.map((failure) => failure.at));
  const reconnectedAt = revocation.reconnectedAt;
  return {
    revokedAt: new Date(revocation.revokedAt).toISOString(),
    reconnectedAt: reconnectedAt === undefined ? undefined : new Date(reconnectedAt).toISOString(),
    minutesToRevokedError:
      revocation.firstRevokedErrorAt === undefined
        ? undefined
        : (revocation.firstRevokedErrorAt - revocation.revokedAt) / MINUTE_MS,
    scheduleDisabled: revocation.scheduleDisabledAfterError === true,
    followUpLeftPending: revocation.followUpPendingAfterError === true,
    zohoRequestsWhileKnownRevoked: revocation.zohoRequestsWhileKnownRevoked,
    zohoRequestsWhileKnownRevokedBySource: { ...revocation.zohoRequestsWhileKnownRevokedBySource },
    refreshContainersWhileKnownRevoked: revocation.refreshContainersWhileKnownRevoked,
    consumerMinutesWithoutToken: failures.length,
    minutesUntilConsumersServed:
      reconnectedAt === undefined
        ? Number.POSITIVE_INFINITY
        : (lastFailure + MINUTE_MS - reconnectedAt) / MINUTE_MS,
    scheduleEnabledAfterReconnect: revocation.scheduleEnabledAfterReconnect === true,
  };
}

function isWithin(at: number, windows: readonly [number, number][]): boolean {
  return windows.some(([from, to]) => at >= from && at <= to);
}

/** Access tokens minted from one refresh token within any window, the worst refresh token's count. */
function maxMintsInWindow(world: ScenarioRun['world'], windowMs: number): number {
  return Math.max(0, ...[...world.mintTimes.values()].map((times) => maxInWindow(times, windowMs)));
}

function describeCounts(counts: Readonly<Record<string, number>>): string {
  const listed = Object.entries(counts).map(([key, count]) => `${key} ${count}`);
  return listed.length > 0 ? listed.join(', ') : 'none';
}

function countBy(values: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}

export function formatMinutes(minutes: number | undefined): string {
  if (minutes === undefined || !Number.isFinite(minutes)) return 'never';
  return `${minutes.toFixed(1)} min`;
}
