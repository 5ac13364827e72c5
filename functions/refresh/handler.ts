import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { readKeeperConfig } from '../lib/config.js';
import { createKeeperServices } from '../lib/keeper-services.js';
import { METRICS } from '../lib/metric-names.js';
import { describeError, logger, metrics, minutesLeft, observeZohoCall } from '../lib/observability.js';
import { SingleFlight } from '../lib/single-flight.js';
import { type RefreshDependencies, type RefreshOutcome, refreshAccessToken } from './refresh-access-token.js';
import { parseRefreshEvent } from './refresh-event.js';
import { ZohoCallGuard } from './zoho-call-guard.js';

export interface RefreshResult {
  readonly refreshed: boolean;
  readonly expires_at: string;
}

// Built once per container: configuration errors fail the cold start, naming the variable.
const config = readKeeperConfig();
const dependencies: RefreshDependencies = {
  ...createKeeperServices(config, observeZohoCall),
  guard: new ZohoCallGuard(),
  now: () => new Date(),
  onSidePathFailure: (action, error) => logger.warn(`Could not ${action}`, { error: describeError(error) }),
};
// Lambda runs one invocation per container at a time; this also holds where one process serves
// several (tests, the simulation): overlapping runs share a single call to Zoho.
const runs = new SingleFlight<RefreshOutcome>();

async function refresh(event: unknown): Promise<RefreshResult> {
  let expiresAt: string | undefined;
  try {
    const { force } = parseRefreshEvent(event);
    const outcome = await runs.run('refresh', () =>
      refreshAccessToken({ ...dependencies, onStoredToken: (at) => (expiresAt = at) }, force),
    );
    expiresAt = outcome.expiresAt;
    recordOutcome(outcome.refreshed ? 'succeeded' : 'skipped', expiresAt);
    logger.info(outcome.refreshed ? 'Access token refreshed' : 'Access token still fresh; no call to Zoho', {
      force,
      decision: outcome.decision,
      expiresAt,
      tokenMinutesLeft: minutesLeft(expiresAt, new Date()),
      followUpAt: outcome.followUpAt,
      scheduleReenabled: outcome.scheduleReenabled,
    });
    return { refreshed: outcome.refreshed, expires_at: outcome.expiresAt };
  } catch (error) {
    recordOutcome('failed', expiresAt);
    logger.error('Refresh failed', {
      error: describeError(error),
      tokenMinutesLeft: minutesLeft(expiresAt, new Date()),
    });
    throw error;
  }
}

function recordOutcome(outcome: 'succeeded' | 'skipped' | 'failed', expiresAt: string | undefined): void {
  metrics.addMetric(METRICS.refreshSucceeded, MetricUnit.Count, outcome === 'succeeded' ? 1 : 0);
  metrics.addMetric(METRICS.refreshSkipped, MetricUnit.Count, outcome === 'skipped' ? 1 : 0);
  metrics.addMetric(METRICS.refreshFailed, MetricUnit.Count, outcome === 'failed' ? 1 : 0);
  if (expiresAt)
    metrics.addMetric(METRICS.tokenMinutesLeft, MetricUnit.NoUnit, minutesLeft(expiresAt, new Date()));
}

export const handler = middy()
  // Never log the event, whatever POWERTOOLS_LOGGER_LOG_EVENT says (one rule for both functions).
  .use(injectLambdaContext(logger, { resetKeys: true, logEvent: false }))
  .use(logMetrics(metrics))
  .handler(refresh);
