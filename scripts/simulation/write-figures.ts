import { FORCED_REFRESHES_PER_DAY, TOKEN_VERSIONS_PER_DAY } from '../../functions/refresh/refresh-policy.js';
import { countBy, describeCounts, formatMinutes } from './figure-format.js';
import type { ScenarioRun } from './run-scenario.js';
import type { TargetResult } from './scenario-figures.js';
import { DAY_MS, HOUR_MS, MINUTE_MS } from './simulated-clock.js';
import { maxInWindow } from './sliding-window.js';
import type {
  ConnectPairRecord,
  RejectedStretch,
  SecretEditKind,
  SecretEditRecord,
} from './write-recorder.js';

/** The bound for a consumer forcing all day; the keeper's own budget is tighter (72). */
export const REJECTED_CONSUMER_VERSION_LIMIT = 90;
/** The bound for the access-token versions of a long outage, from its start. */
export const OUTAGE_VERSION_LIMIT = 40;
export const OUTAGE_VERSION_WINDOW_MS = 5 * HOUR_MS;
/** Failed calls this long after an edit's next run are still laid at the edit's door. */
const AFTER_EDIT_MS = 2 * MINUTE_MS;
const SCHEDULED_SOURCES: readonly string[] = ['schedule', 'follow-up', 'duplicate'];

export interface SecretEditFigures {
  readonly kind: SecretEditKind;
  readonly at: string;
  /** Age of the keeper's token when the secret was edited. */
  readonly tokenAgeMinutes: number | undefined;
  /** The first refresh run after the edit: `schedule`, `consumer` (forced), ... */
  readonly nextRunSource: string;
  readonly minutesToNextRun: number | undefined;
  readonly nextRunOutcome: string;
  readonly nextRunReason: string;
  readonly expectedReason: string;
  readonly storedValidAfter: boolean;
  /** Consumer-minutes that failed from the edit to 2 minutes after that run, by reason. */
  readonly failuresUntilReplaced: Readonly<Record<string, number>>;
}

export interface ConnectPairFigures extends Omit<ConnectPairRecord, 'at'> {
  readonly at: string;
}

export interface RejectedStretchFigures {
  readonly start: string;
  /** Hours of the stretch inside the run. */
  readonly hours: number;
  readonly calls: number;
  /** The consumer's forced refreshes, by outcome ('refreshed', 'skipped', an error's name). */
  readonly forcedRuns: Readonly<Record<string, number>>;
  readonly refusedForBudget: number;
  readonly maxForcedVersionsIn24Hours: number;
  /** Access-token versions in any 24 hours, the worst window that overlaps the stretch. */
  readonly maxVersionsIn24Hours: number;
  readonly scheduledRuns: number;
  readonly scheduledRefreshed: number;
  /** Scheduled runs (follow-ups and duplicates included) that failed, by error. */
  readonly scheduledFailed: Readonly<Record<string, number>>;
  /** What the consumer's reader answered it. */
  readonly answers: Readonly<Record<string, number>>;
}

export interface WriteFigures {
  /** Versions of the access-token secret created in any 24 hours (by the keeper or by hand), the most. */
  readonly maxAccessTokenVersionsIn24Hours: number;
  readonly edits: readonly SecretEditFigures[];
  readonly connectPairs: readonly ConnectPairFigures[];
  readonly rejectedStretches: readonly RejectedStretchFigures[];
}

export function describeWrites(run: ScenarioRun): WriteFigures {
  const writes = run.recorder.writes;
  return {
    maxAccessTokenVersionsIn24Hours: maxInWindow(writes.accessTokenVersionTimes, DAY_MS),
    edits: writes.edits.map((edit) => describeEdit(edit, run)),
    connectPairs: writes.connectPairs.map((pair) => ({ ...pair, at: new Date(pair.at).toISOString() })),
    rejectedStretches: writes.rejectedStretches.map((stretch) => describeRejected(stretch, run)),
  };
}

/** Access-token versions created in [from, to). */
export function accessTokenVersionsBetween(run: ScenarioRun, from: number, to: number): number {
  return run.recorder.writes.accessTokenVersionTimes.filter((at) => at >= from && at < to).length;
}

/** Windows in which consumers read a malformed value an administrator saved: no reader can use it. */
export function malformedSecretWindows(run: ScenarioRun): [number, number][] {
  return run.recorder.writes.edits
    .filter((edit) => edit.kind === 'malformed value saved by hand')
    .map((edit) => [edit.at, (edit.nextRun?.at ?? run.endMs) + AFTER_EDIT_MS]);
}

export function judgeWrites(figures: WriteFigures): TargetResult[] {
  const targets: TargetResult[] = [
    {
      label: `At most ${TOKEN_VERSIONS_PER_DAY} access-token versions in any 24 hours`,
      pass: figures.maxAccessTokenVersionsIn24Hours <= TOKEN_VERSIONS_PER_DAY,
      detail: `max ${figures.maxAccessTokenVersionsIn24Hours} (Secrets Manager allows 100)`,
    },
  ];
  if (figures.edits.length > 0) targets.push(judgeEdits(figures.edits));
  if (figures.connectPairs.length > 0) targets.push(judgeConnectPairs(figures.connectPairs));
  if (figures.rejectedStretches.length > 0) targets.push(...judgeRejected(figures.rejectedStretches));
  return targets;
}

function judgeEdits(edits: readonly SecretEditFigures[]): TargetResult {
  const good = edits.filter(
    (edit) =>
      edit.nextRunOutcome === 'refreshed' &&
      edit.nextRunReason === edit.expectedReason &&
      edit.storedValidAfter,
  );
  const waits = edits.map((edit) => edit.minutesToNextRun ?? Number.POSITIVE_INFINITY);
  const toldMalformed = edits
    .filter((edit) => edit.kind === 'malformed value saved by hand')
    .reduce((sum, edit) => sum + (edit.failuresUntilReplaced.ConfigError ?? 0), 0);
  return {
    label:
      "The next refresh run after an administrator's edit stores a valid token (reason secret-replaced when the token was young)",
    pass: good.length === edits.length,
    detail:
      `${good.length} of ${edits.length} edit(s); next run from ${describeCounts(countBy(edits.map((edit) => edit.nextRunSource)))}; ` +
      `reasons ${describeCounts(countBy(edits.map((edit) => edit.nextRunReason)))}; ` +
      `at most ${formatMinutes(Math.max(...waits))} after the edit` +
      (toldMalformed > 0
        ? `; consumers told ConfigError for ${toldMalformed} consumer-minute(s) before it`
        : ''),
  };
}

function judgeConnectPairs(pairs: readonly ConnectPairFigures[]): TargetResult {
  const good = pairs.filter(
    (pair) => pair.storedRefreshTokenActive && pair.storedTokenFromIt && pair.replacedStillActive === 0,
  );
  return {
    label:
      'Two connects at once leave an active refresh token, a valid access token minted from it, and the replaced ones revoked',
    pass: good.length === pairs.length,
    detail:
      `${good.length} of ${pairs.length} pair(s); exchanges ended ${describeCounts(countBy(pairs.flatMap((pair) => pair.outcomes)))}; ` +
      `${pairs.reduce((sum, pair) => sum + pair.replacedStillActive, 0)} replaced refresh token(s) still active`,
  };
}

function judgeRejected(stretches: readonly RejectedStretchFigures[]): TargetResult[] {
  const maxVersions = Math.max(...stretches.map((stretch) => stretch.maxVersionsIn24Hours));
  const maxForced = Math.max(...stretches.map((stretch) => stretch.maxForcedVersionsIn24Hours));
  const refused = stretches.reduce((sum, stretch) => sum + stretch.refusedForBudget, 0);
  const scheduled = stretches.reduce((sum, stretch) => sum + stretch.scheduledRuns, 0);
  const refreshed = stretches.reduce((sum, stretch) => sum + stretch.scheduledRefreshed, 0);
  const failed: Record<string, number> = {};
  for (const stretch of stretches) {
    for (const [error, count] of Object.entries(stretch.scheduledFailed))
      failed[error] = (failed[error] ?? 0) + count;
  }
  const otherErrors: Record<string, number> = {};
  for (const stretch of stretches) {
    for (const [outcome, count] of Object.entries(stretch.forcedRuns)) {
      if (isError(outcome) && outcome !== 'RefreshBudgetExhaustedError')
        otherErrors[outcome] = (otherErrors[outcome] ?? 0) + count;
    }
  }
  return [
    {
      label: `A consumer forcing a refresh every 10 minutes for 24 hours: at most ${REJECTED_CONSUMER_VERSION_LIMIT} access-token versions in any 24 hours`,
      pass: maxVersions <= REJECTED_CONSUMER_VERSION_LIMIT,
      detail: `max ${maxVersions} over ${stretches.length} stretch(es)`,
    },
    {
      label: 'Every scheduled refresh run succeeds while a consumer forces every 10 minutes',
      pass: Object.keys(failed).length === 0,
      detail: `${scheduled} scheduled run(s), ${refreshed} refreshed, failed: ${describeCounts(failed)}`,
    },
    {
      label: `Forced refreshes beyond their budget (${FORCED_REFRESHES_PER_DAY} in any 24 hours) refused with RefreshBudgetExhaustedError`,
      pass: refused > 0 && maxForced <= FORCED_REFRESHES_PER_DAY && Object.keys(otherErrors).length === 0,
      detail: `${refused} refused; at most ${maxForced} forced versions in 24 hours; other errors: ${describeCounts(otherErrors)}`,
    },
  ];
}

function describeEdit(edit: SecretEditRecord, run: ScenarioRun): SecretEditFigures {
  const next = edit.nextRun;
  const until = (next?.at ?? run.endMs) + AFTER_EDIT_MS;
  const failures = run.fleet.failures.filter((failure) => failure.at >= edit.at && failure.at <= until);
  const refreshedAt = edit.item?.refreshedAt;
  return {
    kind: edit.kind,
    at: new Date(edit.at).toISOString(),
    tokenAgeMinutes: refreshedAt === undefined ? undefined : (edit.at - Date.parse(refreshedAt)) / MINUTE_MS,
    nextRunSource: next ? `${next.source}${next.force ? ' (forced)' : ''}` : 'none',
    minutesToNextRun: next === undefined ? undefined : (next.at - edit.at) / MINUTE_MS,
    nextRunOutcome: next?.outcome ?? 'no run',
    nextRunReason: next?.reason ?? '-',
    expectedReason: edit.expectedReason ?? '-',
    storedValidAfter: edit.storedValidAfter === true,
    failuresUntilReplaced: countBy(failures.map((failure) => failure.reason)),
  };
}

function describeRejected(stretch: RejectedStretch, run: ScenarioRun): RejectedStretchFigures {
  const end = Math.min(stretch.end, run.endMs);
  const forced = stretch.runs.filter((record) => record.force);
  const forcedVersions = forced.filter((record) => record.outcome === 'refreshed').map((record) => record.at);
  const scheduled = run.world.runs.filter(
    (record) => SCHEDULED_SOURCES.includes(record.source) && record.at >= stretch.start && record.at < end,
  );
  const versionTimes = run.recorder.writes.accessTokenVersionTimes.filter(
    (at) => at > stretch.start - DAY_MS && at < end + DAY_MS,
  );
  return {
    start: new Date(stretch.start).toISOString(),
    hours: (end - stretch.start) / HOUR_MS,
    calls: stretch.ticks,
    forcedRuns: countBy(forced.map((record) => record.outcome)),
    refusedForBudget: forced.filter((record) => record.outcome === 'RefreshBudgetExhaustedError').length,
    maxForcedVersionsIn24Hours: maxInWindow(forcedVersions, DAY_MS),
    maxVersionsIn24Hours: maxInWindow(versionTimes, DAY_MS),
    scheduledRuns: scheduled.length,
    scheduledRefreshed: scheduled.filter((record) => record.outcome === 'refreshed').length,
    scheduledFailed: countBy(scheduled.map((record) => record.outcome).filter(isError)),
    answers: { ...stretch.answers },
  };
}

/** Runs that failed are recorded with the error's name. */
function isError(outcome: string): boolean {
  return outcome.endsWith('Error');
}
