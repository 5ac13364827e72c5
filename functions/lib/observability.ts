import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { isContractError } from './errors.js';
import { METRIC_NAMESPACE, METRICS } from './metric-names.js';
import type { ZohoCallObservation } from './zoho/accounts-client.js';

/**
 * One logger and one metrics instance per function container, as Powertools intends. The service
 * name (the connection) comes from POWERTOOLS_SERVICE_NAME, set by the construct.
 */
export const logger = new Logger();
export const metrics = new Metrics({ namespace: METRIC_NAMESPACE });

/** Records each call to Zoho's accounts server as a latency metric and a log line, without any token. */
export function observeZohoCall(observation: ZohoCallObservation): void {
  metrics.addMetric(METRICS.zohoLatency, MetricUnit.Milliseconds, observation.durationMs);
  logger.info('Zoho accounts call', { zoho: observation });
}

/**
 * What may be said about a failure in a log line: its contract name and message, which are written
 * to be safe. Other errors (AWS SDK, programming errors) are reduced to name and message too, so
 * that no response body or request payload held in a `cause` is ever serialised.
 */
export function describeError(error: unknown): { name: string; message: string; contract: boolean } {
  if (error instanceof Error)
    return { name: error.name, message: error.message, contract: isContractError(error) };
  return { name: 'UnknownError', message: 'A non-Error value was thrown', contract: false };
}

/**
 * Tells of a health event that could not be put on EventBridge: one log line and the metric that
 * the `health-event-not-published` alarm watches.
 */
export function reportLostHealthEvent(error: unknown): void {
  metrics.addMetric(METRICS.healthEventNotPublished, MetricUnit.Count, 1);
  logger.warn('Health event not published', { error: describeError(error) });
}

export function minutesLeft(expiresAt: string | undefined, now: Date): number {
  if (!expiresAt) return 0;
  return Math.max(0, Math.round(((Date.parse(expiresAt) - now.getTime()) / 60_000) * 10) / 10);
}
