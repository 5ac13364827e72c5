import { formatMinutes } from './figure-format.js';
import type { ScenarioFigures } from './scenario-figures.js';

/** A GitHub-flavoured markdown table. */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

function entries(counts: Readonly<Record<string, number>>): string {
  const listed = Object.entries(counts).map(([key, count]) => `${key} ${count}`);
  return listed.length > 0 ? listed.join(', ') : '-';
}

export function summaryTable(all: readonly ScenarioFigures[]): string {
  return markdownTable(
    [
      'scenario',
      'consumer calls',
      'consumer-minutes without a usable token (excused)',
      'Zoho token calls',
      'max mints / 10 min per refresh token (limit 10)',
      'Access Denied answers',
      'SM writes / hour (avg)',
      'SM writes, max in 10 min',
      'access-token versions, max in 24 h (cap 72)',
      'refresh tokens lost',
    ],
    all.map((figures) => [
      figures.scenario,
      String(figures.consumers.calls),
      `${figures.consumers.failedCalls} (${figures.consumers.excusedFailedCalls})`,
      String(figures.zoho.tokenRequests),
      String(figures.zoho.maxMintsInTenMinutes),
      String(figures.zoho.accessDeniedAnswers),
      figures.secretsManager.writesPerHour.toFixed(2),
      String(figures.secretsManager.maxWritesInTenMinutes),
      String(figures.writes.maxAccessTokenVersionsIn24Hours),
      String(figures.refreshTokensLost),
    ]),
  );
}

export function activityTable(all: readonly ScenarioFigures[]): string {
  return markdownTable(
    [
      'scenario',
      'runs by source',
      'runs by outcome',
      'duplicate deliveries',
      'Invokes (busy)',
      'reserved concurrency (max runs at once)',
      'refresh cold starts',
      'SM reads / container-hour',
      'faults injected',
      'failed calls by reason',
    ],
    all.map((figures) => [
      figures.scenario,
      entries(figures.runs.bySource),
      entries(figures.runs.byOutcome),
      String(figures.deliveries.duplicate),
      `${figures.invokes.total} (${figures.invokes.busy})`,
      `${figures.concurrency.reserved === 0 ? 'unreserved' : figures.concurrency.reserved} (${figures.concurrency.maxRuns})`,
      String(figures.refreshContainers),
      figures.consumers.secretReadsPerContainerHour.toFixed(2),
      entries(figures.zoho.injectedFaults),
      entries(figures.consumers.failureReasons),
    ]),
  );
}

export function disruptionTable(all: readonly ScenarioFigures[]): string | undefined {
  const rows = all.flatMap((figures) =>
    figures.disruptions.map((disruption) => [
      figures.scenario,
      disruption.kind,
      disruption.fault,
      disruption.start.slice(0, 16).replace('T', ' '),
      `${disruption.durationMinutes} min`,
      formatMinutes(disruption.tokenLeftMinutes),
      disruption.outlivesToken ? 'yes' : 'no',
      String(disruption.zohoRequests),
      String(disruption.failedCalls),
      formatMinutes(disruption.storedTokenUnusableMinutes),
      formatMinutes(disruption.recoveryMinutes),
      String(disruption.accessTokenVersionsInFiveHours),
    ]),
  );
  if (rows.length === 0) return undefined;
  return markdownTable(
    [
      'scenario',
      'kind',
      'fault',
      'start (UTC)',
      'duration',
      'token left at start',
      'outlives token',
      'Zoho requests during',
      'failed consumer-minutes (to end + 10 min)',
      'stored token unusable',
      'time to a valid stored token after it ends',
      'access-token versions in 5 h from the start',
    ],
    rows,
  );
}

export function revocationTable(all: readonly ScenarioFigures[]): string | undefined {
  const rows = all.flatMap((figures) => {
    const revocation = figures.revocation;
    if (!revocation) return [];
    return [
      [
        figures.scenario,
        revocation.revokedAt.slice(0, 16).replace('T', ' '),
        formatMinutes(revocation.minutesToRevokedError),
        revocation.stateAfterError,
        String(revocation.zohoCallsWithRevokedToken),
        String(revocation.consumerMinutesWithoutToken),
        revocation.reconnectedAt?.slice(0, 16).replace('T', ' ') ?? 'never',
        formatMinutes(Math.max(0, revocation.minutesUntilConsumersServed)),
      ],
    ];
  });
  if (rows.length === 0) return undefined;
  return markdownTable(
    [
      'scenario',
      'revoked at (UTC)',
      'RefreshTokenRevokedError after',
      'state stored',
      'Zoho calls with it once known revoked (any container)',
      'consumer-minutes without a token',
      'reconnected at',
      'consumers served after reconnect',
    ],
    rows,
  );
}

export function overlapTable(all: readonly ScenarioFigures[]): string | undefined {
  const rows = all.flatMap((figures) =>
    figures.overlaps.map((overlap) => [
      figures.scenario,
      overlap.kind,
      overlap.at.slice(0, 16).replace('T', ' '),
      overlap.heldRunOutcome,
      overlap.storedAsOperatorLeftIt ? 'yes' : 'no',
      overlap.replacedRevokedAtZoho ? 'yes' : 'no',
      overlap.minutesDisconnected === undefined ? '-' : formatMinutes(overlap.minutesDisconnected),
      overlap.zohoRequestsWhileDisconnected === undefined
        ? '-'
        : String(overlap.zohoRequestsWhileDisconnected),
      overlap.kind === 'disconnect' ? entries(overlap.runsWhileDisconnected) : '-',
      overlap.kind === 'disconnect' ? entries(overlap.failuresWhileDisconnected) : '-',
    ]),
  );
  if (rows.length === 0) return undefined;
  return markdownTable(
    [
      'scenario',
      'operator',
      'at (UTC)',
      'the held refresh ended',
      "stored as the operator's action left it",
      'replaced refresh token revoked at Zoho',
      'disconnected for',
      'Zoho calls while disconnected',
      'refresh runs while disconnected',
      'consumer-minutes failed while disconnected',
    ],
    rows,
  );
}

export function deployTable(all: readonly ScenarioFigures[]): string | undefined {
  const rows = all.flatMap((figures) => {
    const deploys = figures.deploys;
    if (deploys.length === 0) return [];
    return [
      [
        figures.scenario,
        String(deploys.length),
        String(deploys.filter((deploy) => deploy.enabledAfter).length),
        entries(
          deploys.reduce<Record<string, number>>((counts, deploy) => {
            counts[deploy.nextScheduledOutcome] = (counts[deploy.nextScheduledOutcome] ?? 0) + 1;
            return counts;
          }, {}),
        ),
      ],
    ];
  });
  if (rows.length === 0) return undefined;
  return markdownTable(['scenario', 'deploys', 'schedule enabled after', 'next scheduled run'], rows);
}

export function burstTable(all: readonly ScenarioFigures[]): string | undefined {
  const rows = all.flatMap((figures) => {
    const bursts = figures.bursts;
    if (bursts.length === 0) return [];
    const ages = bursts.map((burst) => burst.tokenAgeMinutes);
    const sum = (pick: (burst: (typeof bursts)[number]) => number) =>
      bursts.reduce((total, burst) => total + pick(burst), 0);
    return [
      [
        figures.scenario,
        String(bursts.length),
        String(bursts[0]?.consumers ?? 0),
        `${Math.min(...ages)}-${Math.max(...ages)} min`,
        (sum((burst) => burst.invokes) / bursts.length).toFixed(1),
        (sum((burst) => burst.invokesTurnedAwayBusy) / bursts.length).toFixed(1),
        String(Math.max(...bursts.map((burst) => burst.zohoRequests))),
        String(sum((burst) => burst.accessTokensMinted)),
        String(sum((burst) => burst.failedCalls)),
        String(figures.burstsMoved),
      ],
    ];
  });
  if (rows.length === 0) return undefined;
  return markdownTable(
    [
      'scenario',
      'bursts',
      'consumers each',
      'age of the rejected token',
      'Invokes per burst (avg)',
      'turned away busy (avg)',
      'Zoho requests per burst (max)',
      'tokens minted (total)',
      'failed calls (total)',
      'moved off a token < 10 min old',
    ],
    rows,
  );
}

export function targetTable(all: readonly ScenarioFigures[]): string {
  return markdownTable(
    ['scenario', 'target', 'result', 'detail'],
    all.flatMap((figures) =>
      figures.targets.map((target) => [
        figures.scenario,
        target.label,
        target.pass ? 'PASS' : 'FAIL',
        target.detail,
      ]),
    ),
  );
}
