import { ACTIVE_ACCESS_TOKENS_PER_REFRESH_TOKEN, MINTS_PER_WINDOW } from '../../test/sandbox/token-ledger.js';
import type { BurstRecord, FailedCall } from './consumer-fleet.js';
import type { DeliveryCounts } from './eventbridge-model.js';
import { countBy, describeCounts, formatMinutes } from './figure-format.js';
import type { ScenarioRun } from './run-scenario.js';
import type { OverlapRecord, ZohoDisruption } from './scenario-recorder.js';
import type { ScenarioName } from './scenarios.js';
import { HOUR_MS, MINUTE_MS } from './simulated-clock.js';
import { maxInWindow } from './sliding-window.js';
import {
  accessTokenVersionsBetween,
  describeWrites,
  judgeWrites,
  malformedSecretWindows,
  OUTAGE_VERSION_LIMIT,
  OUTAGE_VERSION_WINDOW_MS,
  type WriteFigures,
} from './write-figures.js';

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
  /** Access-token versions created in the 5 hours from the start: a failing run writes none. */
  readonly accessTokenVersionsInFiveHours: number;
}

export interface RevocationFigures {
  readonly revokedAt: string;
  readonly reconnectedAt: string | undefined;
  readonly minutesToRevokedError: number | undefined;
  readonly stateAfterError: string;
  readonly followUpLeftPending: boolean;
  /** Refreshes with the revoked refresh token that reached Zoho after the first RefreshTokenRevokedError. */
  readonly zohoCallsWithRevokedToken: number;
  readonly consumerMinutesWithoutToken: number;
  /** From the reconnect to the last failed consumer call; 0 or less: none failed after it. */
  readonly minutesUntilConsumersServed: number;
  readonly stateAfterReconnect: string;
}

export interface OverlapFigures {
  readonly kind: 'reconnect' | 'disconnect';
  readonly at: string;
  readonly heldRunOutcome: string;
  /** After everything settled, the secrets held what the operator's action left. */
  readonly storedAsOperatorLeftIt: boolean;
  readonly replacedRevokedAtZoho: boolean;
  /** Disconnects only: the stretch until the reconnect. */
  readonly minutesDisconnected: number | undefined;
  readonly zohoRequestsWhileDisconnected: number | undefined;
  readonly runsWhileDisconnected: Readonly<Record<string, number>>;
  /** Consumer-minutes that failed while disconnected, by reason. */
  readonly failuresWhileDisconnected: Readonly<Record<string, number>>;
}

export interface DeployFigures {
  readonly at: string;
  readonly enabledAfter: boolean;
  readonly nextScheduledOutcome: string;
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
  /** The refresh function's reserved concurrency (0: unreserved) and the most runs seen at once. */
  readonly concurrency: { readonly reserved: number; readonly maxRuns: number };
  readonly disruptions: readonly DisruptionFigures[];
  readonly revocation: RevocationFigures | undefined;
  readonly overlaps: readonly OverlapFigures[];
  /** Events after which the secret held a token minted from a refresh token a reconnect or disconnect replaced. */
  readonly eventsEndingWithReplacedToken: number;
  readonly deploys: readonly DeployFigures[];
  readonly bursts: readonly BurstRecord[];
  /** Bursts moved because the token was younger than the refresh spacing (10 minutes). */
  readonly burstsMoved: number;
  readonly refreshTokensLost: number;
  /** The access-token secret's versions, and the scenarios that write it from outside the keeper. */
  readonly writes: WriteFigures;
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
  // A reader cannot use a malformed value saved by hand: it says so (ConfigError) until a run replaces it.
  const malformed = malformedSecretWindows(run);
  const excusedFailedCalls = failures.filter(
    (failure) =>
      isWithin(failure.at, excused) || (failure.reason === 'ConfigError' && isWithin(failure.at, malformed)),
  ).length;
  const disruptions = recorder.disruptions.map((disruption) => describeDisruption(disruption, failures, run));
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
    concurrency: { reserved: run.reservedConcurrency, maxRuns: world.maxConcurrentRuns },
    disruptions,
    revocation,
    overlaps: recorder.overlaps.map((overlap) => describeOverlap(overlap, run)),
    eventsEndingWithReplacedToken: recorder.eventsEndingWithReplacedToken,
    deploys: recorder.deploys.map((deploy) => ({
      at: new Date(deploy.at).toISOString(),
      enabledAfter: deploy.enabledAfter,
      nextScheduledOutcome: deploy.nextScheduledOutcome ?? 'none yet',
    })),
    bursts: bursts.records,
    burstsMoved: bursts.moved,
    refreshTokensLost: refreshToken && world.sandbox.isRefreshTokenActive(refreshToken) ? 0 : 1,
    writes: describeWrites(run),
  };
  return { ...figures, targets: judge(figures) };
}

function judge(figures: Omit<ScenarioFigures, 'targets'>): TargetResult[] {
  const { consumers, zoho, disruptions, revocation, bursts, overlaps, deploys } = figures;
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
    const versions = Math.max(...outages.map((outage) => outage.accessTokenVersionsInFiveHours));
    targets.push({
      label: `At most ${OUTAGE_VERSION_LIMIT} access-token versions in the ${OUTAGE_VERSION_WINDOW_MS / HOUR_MS} hours from an outage's start`,
      pass: versions <= OUTAGE_VERSION_LIMIT,
      detail: `at most ${versions} over ${outages.length} outage(s)`,
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
  const reconnects = overlaps.filter((overlap) => overlap.kind === 'reconnect');
  if (reconnects.length > 0)
    targets.push(...judgeReconnects(reconnects, figures.eventsEndingWithReplacedToken));
  const disconnects = overlaps.filter((overlap) => overlap.kind === 'disconnect');
  if (disconnects.length > 0) targets.push(...judgeDisconnects(disconnects));
  if (deploys.length > 0) {
    const stopped = deploys.filter(
      (deploy) => !deploy.enabledAfter || deploy.nextScheduledOutcome !== 'refreshed',
    ).length;
    targets.push({
      label: 'Every scheduled run after a deploy refreshes',
      pass: stopped === 0,
      detail: `${deploys.length - stopped} of ${deploys.length} deploy(s) followed by a scheduled refresh`,
    });
  }
  targets.push(...judgeWrites(figures.writes));
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
      label: 'Revocation reported as RefreshTokenRevokedError and the connection stored as needs-reconnect',
      pass:
        revocation.minutesToRevokedError !== undefined &&
        revocation.stateAfterError === 'needs-reconnect' &&
        !revocation.followUpLeftPending,
      detail:
        `error after ${formatMinutes(revocation.minutesToRevokedError)}, stored ${revocation.stateAfterError}, ` +
        `follow-up ${revocation.followUpLeftPending ? 'pending' : 'none'}`,
    },
    {
      label: 'No Zoho call with the revoked refresh token once it is known revoked, in any container',
      pass: revocation.minutesToRevokedError !== undefined && revocation.zohoCallsWithRevokedToken === 0,
      detail: `${revocation.zohoCallsWithRevokedToken} refresh(es) with it after the first RefreshTokenRevokedError`,
    },
    {
      label: 'Reconnect stores connected and serves consumers within 2 minutes',
      pass:
        revocation.reconnectedAt !== undefined &&
        revocation.stateAfterReconnect === 'connected' &&
        revocation.minutesUntilConsumersServed * MINUTE_MS <= RECOVERY_TARGET_MS,
      detail: `consumers served ${formatMinutes(Math.max(0, revocation.minutesUntilConsumersServed))} after the reconnect`,
    },
  ];
}

function judgeReconnects(reconnects: readonly OverlapFigures[], staleEvents: number): TargetResult[] {
  const notNewest = reconnects.filter((overlap) => !overlap.storedAsOperatorLeftIt).length;
  const notRevoked = reconnects.filter((overlap) => !overlap.replacedRevokedAtZoho).length;
  return [
    {
      label:
        "A reconnect during a refresh leaves the newest connection stored: the exchange's refresh token and a token from it",
      pass: notNewest === 0,
      detail:
        `${reconnects.length - notNewest} of ${reconnects.length} reconnect(s); held refreshes ended ` +
        describeCounts(countBy(reconnects.map((overlap) => overlap.heldRunOutcome))),
    },
    {
      label:
        'No token from a replaced refresh token stored after a reconnect, and the replaced one revoked at Zoho',
      pass: staleEvents === 0 && notRevoked === 0,
      detail: `${staleEvents} event(s) ended with such a token stored, ${notRevoked} replaced refresh token(s) still active`,
    },
  ];
}

function judgeDisconnects(disconnects: readonly OverlapFigures[]): TargetResult[] {
  const leftovers = disconnects.filter(
    (overlap) => !overlap.storedAsOperatorLeftIt || !overlap.replacedRevokedAtZoho,
  );
  const calls = disconnects.reduce((sum, overlap) => sum + (overlap.zohoRequestsWhileDisconnected ?? 0), 0);
  const loudRuns = disconnects.flatMap((overlap) =>
    Object.keys(overlap.runsWhileDisconnected).filter((key) => !key.endsWith(' not-connected')),
  );
  const failures: Record<string, number> = {};
  for (const overlap of disconnects) {
    for (const [reason, count] of Object.entries(overlap.failuresWhileDisconnected))
      failures[reason] = (failures[reason] ?? 0) + count;
  }
  const otherFailures = Object.keys(failures).filter((reason) => reason !== 'NotConnectedError');
  return [
    {
      label:
        'A disconnect during a refresh leaves nothing of the old connection stored, its refresh token revoked',
      pass: leftovers.length === 0,
      detail:
        `${disconnects.length - leftovers.length} of ${disconnects.length} disconnect(s); held refreshes ended ` +
        describeCounts(countBy(disconnects.map((overlap) => overlap.heldRunOutcome))),
    },
    {
      label: 'No Zoho call while disconnected; scheduled runs quiet; consumers told NotConnectedError',
      pass:
        disconnects.every((overlap) => overlap.zohoRequestsWhileDisconnected !== undefined) &&
        calls === 0 &&
        loudRuns.length === 0 &&
        otherFailures.length === 0 &&
        (failures.NotConnectedError ?? 0) > 0,
      detail: `${calls} Zoho request(s), runs ${describeCounts(
        countBy(disconnects.flatMap((overlap) => Object.keys(overlap.runsWhileDisconnected))),
      )}, consumer failures ${describeCounts(failures)}`,
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
  // Consumers of a disconnected connection are told so: the operator's choice, not a failure.
  for (const overlap of run.recorder.overlaps) {
    if (overlap.kind === 'disconnect')
      windows.push([overlap.at, (overlap.reconnectedAt ?? run.endMs) + RECOVERY_TARGET_MS]);
  }
  return windows;
}

function describeDisruption(
  disruption: ZohoDisruption,
  failures: readonly FailedCall[],
  run: ScenarioRun,
): DisruptionFigures {
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
    accessTokenVersionsInFiveHours: accessTokenVersionsBetween(
      run,
      disruption.start,
      disruption.start + OUTAGE_VERSION_WINDOW_MS,
    ),
  };
}

function describeRevocation(run: ScenarioRun): RevocationFigures | undefined {
  const revocation = run.recorder.revocation;
  if (!revocation) return undefined;
  const window: [number, number] = [revocation.revokedAt, revocation.reconnectAt + AFTERMATH_MS];
  const failures = run.fleet.failures.filter((failure) => isWithin(failure.at, [window]));
  const lastFailure = Math.max(revocation.revokedAt, ...failures.map((failure) => failure.at));
  const reconnectedAt = revocation.reconnectedAt;
  const refreshesWithRevoked = run.world.refreshGrantTimes.get(revocation.revokedRefreshToken)?.length ?? 0;
  return {
    revokedAt: new Date(revocation.revokedAt).toISOString(),
    reconnectedAt: reconnectedAt === undefined ? undefined : new Date(reconnectedAt).toISOString(),
    minutesToRevokedError:
      revocation.firstRevokedErrorAt === undefined
        ? undefined
        : (revocation.firstRevokedErrorAt - revocation.revokedAt) / MINUTE_MS,
    stateAfterError: revocation.stateAfterError ?? 'never reported',
    followUpLeftPending: revocation.followUpPendingAfterError === true,
    zohoCallsWithRevokedToken:
      revocation.firstRevokedErrorAt === undefined
        ? 0
        : refreshesWithRevoked - revocation.refreshesWithRevokedTokenAtError,
    consumerMinutesWithoutToken: failures.length,
    minutesUntilConsumersServed:
      reconnectedAt === undefined
        ? Number.POSITIVE_INFINITY
        : (lastFailure + MINUTE_MS - reconnectedAt) / MINUTE_MS,
    stateAfterReconnect: revocation.stateAfterReconnect ?? 'never reconnected',
  };
}

function describeOverlap(overlap: OverlapRecord, run: ScenarioRun): OverlapFigures {
  const until = overlap.reconnectedAt;
  const failures =
    overlap.kind === 'disconnect'
      ? run.fleet.failures.filter((failure) => failure.at >= overlap.at && failure.at < (until ?? run.endMs))
      : [];
  return {
    kind: overlap.kind,
    at: new Date(overlap.at).toISOString(),
    heldRunOutcome: overlap.heldRunOutcome ?? 'still waiting',
    storedAsOperatorLeftIt: overlap.storedAsOperatorLeftIt === true,
    replacedRevokedAtZoho: overlap.replacedRevokedAtZoho === true,
    minutesDisconnected:
      overlap.kind === 'disconnect' && until !== undefined ? (until - overlap.at) / MINUTE_MS : undefined,
    zohoRequestsWhileDisconnected: overlap.zohoRequestsWhileDisconnected,
    runsWhileDisconnected: { ...overlap.runsWhileDisconnected },
    failuresWhileDisconnected: countBy(failures.map((failure) => failure.reason)),
  };
}

function isWithin(at: number, windows: readonly [number, number][]): boolean {
  return windows.some(([from, to]) => at >= from && at <= to);
}

/** Access tokens minted from one refresh token within any window, the worst refresh token's count. */
function maxMintsInWindow(world: ScenarioRun['world'], windowMs: number): number {
  return Math.max(0, ...[...world.mintTimes.values()].map((times) => maxInWindow(times, windowMs)));
}
