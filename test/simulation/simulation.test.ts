import { beforeAll, describe, expect, it } from 'vitest';
import { FORCED_REFRESHES_PER_DAY, TOKEN_VERSIONS_PER_DAY } from '../../functions/refresh/refresh-policy.js';
import { runScenario } from '../../scripts/simulation/run-scenario.js';
import type { ScenarioFigures } from '../../scripts/simulation/scenario-figures.js';
import { SCENARIO_NAMES, type ScenarioName } from '../../scripts/simulation/scenarios.js';

const DAYS = 2;
const SEED = 20261130;
const MINUTES = DAYS * 24 * 60;

describe(`${DAYS} simulated days per scenario, driving the real keeper and consumer code`, () => {
  const figures = new Map<ScenarioName, ScenarioFigures>();
  const of = (name: ScenarioName): ScenarioFigures => {
    const found = figures.get(name);
    if (!found) throw new Error(`scenario ${name} did not run`);
    return found;
  };

  // Every scenario for two days takes about 15 s on an idle 2-core machine; minutes of room under load.
  beforeAll(async () => {
    for (const name of SCENARIO_NAMES) figures.set(name, await runScenario(name, { days: DAYS, seed: SEED }));
  }, 360_000);

  it.each(SCENARIO_NAMES)('%s meets every target', (name) => {
    const failed = of(name)
      .targets.filter((target) => !target.pass)
      .map((target) => `${target.label}: ${target.detail}`);

    expect(failed).toEqual([]);
  });

  it('serves every consumer call of a fault-free run with one Zoho call per scheduled refresh', () => {
    const baseline = of('baseline');

    expect(baseline.consumers.calls).toBe(baseline.consumers.containers * (MINUTES - 1));
    expect(baseline.consumers.failedCalls).toBe(0);
    expect(baseline.zoho.tokenRequests).toBe(baseline.zoho.accessTokensMinted);
    // One request per refresh, plus the exchange's; duplicate deliveries are skipped without a call.
    expect(baseline.zoho.tokenRequests).toBe((baseline.runs.byOutcome.refreshed ?? 0) + 1);
    expect(baseline.runs.byOutcome.skipped ?? 0).toBeGreaterThanOrEqual(baseline.deliveries.duplicate);
    expect(baseline.secretsManager.writesPerHour).toBeLessThan(1.5);
  });

  it('sees consumers go without a token when an outage outlives the token, and recovers within 2 minutes', () => {
    const outage = of('outage-45m');
    const [disruption] = outage.disruptions;

    expect(disruption?.outlivesToken).toBe(true);
    expect(outage.consumers.failedCalls).toBeGreaterThan(0);
    expect(outage.consumers.failedCalls).toBe(outage.consumers.excusedFailedCalls);
    expect(disruption?.recoveryMinutes).toBeLessThanOrEqual(2);
  });

  it('keeps consumers served through an outage shorter than the token has left', () => {
    const outage = of('outage-5m');

    expect(outage.disruptions.every((disruption) => !disruption.outlivesToken)).toBe(true);
    expect(outage.runs.byOutcome.ZohoUnavailableError).toBeGreaterThan(0);
    expect(outage.consumers.failedCalls).toBe(0);
  });

  it('turns concurrent forced refreshes into one Zoho call, the others finding the function busy', () => {
    const bursts = of('forced-refresh-burst').bursts;

    expect(bursts.length).toBeGreaterThan(0);
    for (const burst of bursts) {
      expect(burst.accessTokensMinted).toBe(1);
      expect(burst.invokesTurnedAwayBusy).toBeGreaterThan(0);
      expect(burst.failedCalls).toBe(0);
    }
  });

  it('stores a revoked refresh token as needs-reconnect, never calls Zoho with it again, and reconnects', () => {
    const revocation = of('revoked-refresh-token').revocation;

    expect(revocation?.minutesToRevokedError).toBeDefined();
    expect(revocation?.stateAfterError).toBe('needs-reconnect');
    expect(revocation?.zohoCallsWithRevokedToken).toBe(0);
    expect(revocation?.consumerMinutesWithoutToken).toBeGreaterThan(0);
    expect(revocation?.stateAfterReconnect).toBe('connected');
    expect(of('revoked-refresh-token').refreshTokensLost).toBe(0);
  });

  it('keeps the reconnect when it lands while a refresh waits on Zoho: it waits for the refresh to store, then replaces it', () => {
    const overlaps = of('reconnect-during-refresh').overlaps;

    expect(overlaps.length).toBeGreaterThan(0);
    for (const overlap of overlaps) {
      expect(overlap.heldRunOutcome).toBe('refreshed');
      expect(overlap.storedAsOperatorLeftIt).toBe(true);
      expect(overlap.replacedRevokedAtZoho).toBe(true);
    }
    expect(of('reconnect-during-refresh').consumers.failedCalls).toBe(0);
  });

  it('keeps the disconnect when it lands while a forced refresh waits on Zoho (after that refresh stores), and calls Zoho no more', () => {
    const scenario = of('disconnect-during-refresh');

    expect(scenario.overlaps.length).toBeGreaterThan(0);
    for (const overlap of scenario.overlaps) {
      expect(overlap.heldRunOutcome).toBe('refreshed');
      expect(overlap.storedAsOperatorLeftIt).toBe(true);
      expect(overlap.zohoRequestsWhileDisconnected).toBe(0);
      expect(Object.keys(overlap.failuresWhileDisconnected)).toEqual(['NotConnectedError']);
    }
    expect(scenario.consumers.failedCalls).toBe(scenario.consumers.excusedFailedCalls);
  });

  it('turns a burst into one Zoho call when every forced refresh gets its own container', () => {
    const scenario = of('burst-unreserved');

    expect(scenario.concurrency.maxRuns).toBeGreaterThan(1);
    for (const burst of scenario.bursts) {
      expect(burst.zohoRequests).toBe(1);
      expect(burst.failedCalls).toBe(0);
    }
  });

  it('writes no access-token version for a failing run through a 3-hour outage, and recovers within 2 minutes', () => {
    const outage = of('outage-3h');
    const [disruption] = outage.disruptions;

    expect(disruption?.durationMinutes).toBe(180);
    expect(outage.runs.byOutcome.ZohoUnavailableError).toBeGreaterThan(100);
    expect(disruption?.accessTokenVersionsInFiveHours).toBeGreaterThan(0);
    expect(disruption?.accessTokenVersionsInFiveHours).toBeLessThan(
      outage.runs.byOutcome.ZohoUnavailableError ?? 0,
    );
    expect(disruption?.accessTokenVersionsInFiveHours).toBeLessThanOrEqual(40);
    expect(disruption?.recoveryMinutes).toBeLessThanOrEqual(2);
  });

  it("refuses a rejected consumer's forced refreshes beyond their budget while every scheduled run succeeds", () => {
    const scenario = of('consumer-rejected-all-day');
    const [stretch] = scenario.writes.rejectedStretches;

    expect(stretch?.calls).toBeGreaterThan(100);
    expect(stretch?.maxForcedVersionsIn24Hours).toBe(FORCED_REFRESHES_PER_DAY);
    expect(stretch?.refusedForBudget).toBeGreaterThan(0);
    expect(stretch?.answers.RefreshBudgetExhaustedError).toBe(stretch?.refusedForBudget);
    expect(stretch?.scheduledRefreshed).toBeGreaterThan(0);
    expect(stretch?.scheduledFailed).toEqual({});
    expect(scenario.writes.maxAccessTokenVersionsIn24Hours).toBeLessThanOrEqual(TOKEN_VERSIONS_PER_DAY);
    expect(scenario.consumers.failedCalls).toBe(0);
  });

  it('stores a new token at the first run after an administrator restores the previous version', () => {
    const scenario = of('admin-restore');

    expect(scenario.writes.edits.length).toBeGreaterThan(0);
    for (const edit of scenario.writes.edits) {
      expect(edit.nextRunOutcome).toBe('refreshed');
      expect(edit.nextRunReason).toBe(edit.expectedReason);
      expect(edit.storedValidAfter).toBe(true);
    }
    expect(scenario.consumers.failedCalls).toBe(0);
  });

  it('leaves an active refresh token and a valid access token from it after two connects at once', () => {
    const scenario = of('overlapping-connects');

    expect(scenario.writes.connectPairs.length).toBeGreaterThan(0);
    for (const pair of scenario.writes.connectPairs) {
      expect(pair.outcomes).toEqual(['connected', 'connected']);
      expect(pair.issued).toBe(2);
      expect(pair).toMatchObject({
        storedRefreshTokenActive: true,
        storedTokenFromIt: true,
        replacedStillActive: 0,
      });
    }
    expect(scenario.refreshTokensLost).toBe(0);
    expect(scenario.consumers.failedCalls).toBe(0);
  });
});

describe('an administrator saving the access-token secret by hand, 4 simulated days', () => {
  // Two edits: an old copy of the document on day 1, a malformed value on day 3.
  it('stores a new token at the first run after each, and readers of the malformed value are told ConfigError', async () => {
    const scenario = await runScenario('hand-saved-secret', { days: 4, seed: SEED });

    expect(scenario.writes.edits.map((edit) => edit.kind)).toEqual([
      'old copy saved by hand',
      'malformed value saved by hand',
    ]);
    for (const edit of scenario.writes.edits) {
      expect(edit.nextRunOutcome).toBe('refreshed');
      expect(edit.nextRunReason).toBe(edit.expectedReason);
      expect(edit.storedValidAfter).toBe(true);
    }
    expect(
      Object.keys(scenario.consumers.failureReasons).filter((reason) => reason !== 'ConfigError'),
    ).toEqual([]);
    expect(scenario.consumers.failedCalls).toBe(scenario.consumers.excusedFailedCalls);
    expect(scenario.targets.filter((target) => !target.pass)).toEqual([]);
  }, 120_000);
});
