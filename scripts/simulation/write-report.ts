import { describeCounts, formatMinutes } from './figure-format.js';
import { markdownTable } from './report.js';
import type { ScenarioFigures } from './scenario-figures.js';

function minute(iso: string): string {
  return iso.slice(0, 16).replace('T', ' ');
}

export function secretEditTable(all: readonly ScenarioFigures[]): string | undefined {
  const rows = all.flatMap((figures) =>
    figures.writes.edits.map((edit) => [
      figures.scenario,
      edit.kind,
      minute(edit.at),
      formatMinutes(edit.tokenAgeMinutes),
      edit.nextRunSource,
      formatMinutes(edit.minutesToNextRun),
      edit.nextRunOutcome,
      `${edit.nextRunReason}${edit.nextRunReason === edit.expectedReason ? '' : ` (expected ${edit.expectedReason})`}`,
      edit.storedValidAfter ? 'yes' : 'no',
      describeCounts(edit.failuresUntilReplaced),
    ]),
  );
  if (rows.length === 0) return undefined;
  return markdownTable(
    [
      'scenario',
      'edit',
      'at (UTC)',
      "age of the keeper's token",
      'next refresh run',
      'after',
      'outcome',
      'reason',
      'valid token stored after it',
      'consumer-minutes failed until then (+2 min)',
    ],
    rows,
  );
}

export function connectPairTable(all: readonly ScenarioFigures[]): string | undefined {
  const rows = all.flatMap((figures) =>
    figures.writes.connectPairs.map((pair) => [
      figures.scenario,
      minute(pair.at),
      pair.outcomes.join(', '),
      String(pair.issued),
      pair.stateAfter,
      pair.storedRefreshTokenActive ? 'yes' : 'no',
      pair.storedTokenFromIt ? 'yes' : 'no',
      String(pair.replacedStillActive),
    ]),
  );
  if (rows.length === 0) return undefined;
  return markdownTable(
    [
      'scenario',
      'at (UTC)',
      'the two exchanges ended',
      'refresh tokens issued',
      'state stored',
      'stored refresh token active',
      'stored access token valid, minted from it',
      'replaced refresh tokens still active',
    ],
    rows,
  );
}

export function rejectedConsumerTable(all: readonly ScenarioFigures[]): string | undefined {
  const rows = all.flatMap((figures) =>
    figures.writes.rejectedStretches.map((stretch) => [
      figures.scenario,
      minute(stretch.start),
      `${stretch.hours.toFixed(1)} h`,
      String(stretch.calls),
      describeCounts(stretch.forcedRuns),
      String(stretch.maxForcedVersionsIn24Hours),
      String(stretch.refusedForBudget),
      String(stretch.maxVersionsIn24Hours),
      `${stretch.scheduledRuns} (${stretch.scheduledRefreshed} refreshed)`,
      describeCounts(stretch.scheduledFailed),
      describeCounts(stretch.answers),
    ]),
  );
  if (rows.length === 0) return undefined;
  return markdownTable(
    [
      'scenario',
      'from (UTC)',
      'for',
      'consumer invocations',
      'forced refreshes by outcome',
      'forced versions, max in 24 h (budget 36)',
      'refused: RefreshBudgetExhaustedError',
      'access-token versions, max in 24 h',
      'scheduled runs',
      'scheduled runs failed',
      'what the consumer was told',
    ],
    rows,
  );
}
