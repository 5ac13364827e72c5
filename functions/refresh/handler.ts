import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { readKeeperConfig } from '../lib/config.js';
import type { ConnectionState } from '../lib/connection-status.js';
import { RefreshBudgetExhaustedError, RefreshTokenRevokedError } from '../lib/errors.js';
import { healthEventListener } from '../lib/events/health-event-listener.js';
import { createKeeperServices } from '../lib/keeper-services.js';
import { METRICS } from '../lib/metric-names.js';
import {
  describeError,
  logger,
  metrics,
  minutesLeft,
  observeZohoCall,
  reportLostHealthEvent,
} from '../lib/observability.js';
import { SingleFlight } from '../lib/single-flight.js';
import type { ConnectionItem } from '../lib/store/connection-item.js';
import {
  type RefreshDependencies,
  type RefreshOutcome,
  type RefreshReason,
  refreshAccessToken,
} from './refresh-access-token.js';
import { parseRefreshEvent } from './refresh-event.js';

/** The contract's `{refreshed, expires_at}`, plus the connection's state and why nothing was refreshed. */
export interface RefreshResult {
  readonly refreshed: boolean;
  /** Absent when no token is stored. */
  readonly expires_at?: string;
  readonly connection_state: ConnectionState;
  readonly reason: RefreshReason;
}

// Built once per container: configuration errors fail the cold start, naming the variable.
const config = readKeeperConfig();
const services = createKeeperServices(config, observeZohoCall);
const dependencies: RefreshDependencies = {
  ...services,
  onStateChange: healthEventListener({
    events: services.events,
    connectionName: config.connectionName,
    accountsUrl: config.accountsUrl,
    onNotPublished: reportLostHealthEvent,
  }),
  accountsUrl: config.accountsUrl,
  rateMinutes: config.refreshRateMinutes,
  now: () => new Date(),
  onSidePathFailure: (action, error) => logger.warn(`Could not ${action}`, { error: describeError(error) }),
};
// Lambda runs one invocation per container at a time; this also holds where one process serves
// several (tests, the simulation): overlapping runs share a single call to Zoho.
const runs = new SingleFlight<RefreshOutcome>();

async function refresh(event: unknown): Promise<RefreshResult> {
  let stored: ConnectionItem | undefined;
  let force = false;
  try {
    force = parseRefreshEvent(event).force;
    const outcome = await runs.run('refresh', () =>
      refreshAccessToken({ ...dependencies, onStoredState: (item) => (stored = item) }, force),
    );
    recordOutcome(outcome.refreshed ? 'succeeded' : 'skipped', outcome.connectionState, outcome.expiresAt);
    logger.info(outcome.refreshed ? 'Access token refreshed' : 'No call to Zoho', {
      force,
      reason: outcome.reason,
      connectionState: outcome.connectionState,
      expiresAt: outcome.expiresAt,
      tokenMinutesLeft: outcome.expiresAt ? minutesLeft(outcome.expiresAt, new Date()) : undefined,
      followUpAt: outcome.followUpAt,
    });
    return {
      refreshed: outcome.refreshed,
      ...(outcome.expiresAt ? { expires_at: outcome.expiresAt } : {}),
      connection_state: outcome.connectionState,
      reason: outcome.reason,
    };
  } catch (error) {
    const state = error instanceof RefreshTokenRevokedError ? 'needs-reconnect' : stored?.state;
    recordOutcome('failed', state, stored?.expiresAt);
    if (force) {
      metrics.addMetric(
        METRICS.forcedRefreshRefused,
        MetricUnit.Count,
        error instanceof RefreshBudgetExhaustedError ? 1 : 0,
      );
    }
    logger.error('Refresh failed', {
      error: describeError(error),
      tokenMinutesLeft: stored?.expiresAt ? minutesLeft(stored.expiresAt, new Date()) : undefined,
    });
    throw error;
  }
}

function recordOutcome(
  outcome: 'succeeded' | 'skipped' | 'failed',
  state: ConnectionState | undefined,
  expiresAt: string | undefined,
): void {
  metrics.addMetric(METRICS.refreshSucceeded, MetricUnit.Count, outcome === 'succeeded' ? 1 : 0);
  metrics.addMetric(METRICS.refreshSkipped, MetricUnit.Count, outcome === 'skipped' ? 1 : 0);
  metrics.addMetric(METRICS.refreshFailed, MetricUnit.Count, outcome === 'failed' ? 1 : 0);
  // Silent before the first connect and after a disconnect, so those alarms stay quiet then.
  if (state === 'connected' || state === 'failing' || state === 'needs-reconnect') {
    metrics.addMetric(METRICS.needsReconnect, MetricUnit.Count, state === 'needs-reconnect' ? 1 : 0);
  }
  if (expiresAt && (state === 'connected' || state === 'failing')) {
    metrics.addMetric(METRICS.tokenMinutesLeft, MetricUnit.NoUnit, minutesLeft(expiresAt, new Date()));
  }
}

export const handler = middy()
  // Never log the event, whatever POWERTOOLS_LOGGER_LOG_EVENT says (one rule for both functions).
  .use(injectLambdaContext(logger, { resetKeys: true, logEvent: false }))
  .use(logMetrics(metrics))
  .handler(refresh);
