import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { readKeeperConfig } from '../lib/config.js';
import { createKeeperServices } from '../lib/keeper-services.js';
import { METRICS } from '../lib/metric-names.js';
import { describeError, logger, metrics, observeZohoCall } from '../lib/observability.js';
import { parseExchangeEvent } from './exchange-event.js';
import { type ExchangeDependencies, type ExchangeResult, exchangeGrantCode } from './exchange-grant-code.js';

// Built once per container: configuration errors fail the cold start, naming the variable.
const config = readKeeperConfig();
const dependencies: ExchangeDependencies = {
  ...createKeeperServices(config, observeZohoCall),
  accountsUrl: config.accountsUrl,
  credentialsSecretId: config.credentialsSecretId,
  onSidePathFailure: (action, error) => logger.warn(`Could not ${action}`, { error: describeError(error) }),
};

// The event carries a grant code and maybe a client secret: it is never logged.
async function exchange(event: unknown): Promise<ExchangeResult> {
  try {
    const result = await exchangeGrantCode(dependencies, parseExchangeEvent(event));
    metrics.addMetric(METRICS.exchangeSucceeded, MetricUnit.Count, 1);
    metrics.addMetric(METRICS.exchangeFailed, MetricUnit.Count, 0);
    logger.info('Connected to Zoho', {
      apiDomain: result.api_domain,
      scope: result.scope,
      expiresAt: result.expires_at,
    });
    return result;
  } catch (error) {
    metrics.addMetric(METRICS.exchangeSucceeded, MetricUnit.Count, 0);
    metrics.addMetric(METRICS.exchangeFailed, MetricUnit.Count, 1);
    logger.error('Exchange failed', { error: describeError(error) });
    throw error;
  }
}

export const handler = middy()
  // Never log the event, whatever POWERTOOLS_LOGGER_LOG_EVENT says: it may carry a grant code or client secret.
  .use(injectLambdaContext(logger, { resetKeys: true, logEvent: false }))
  .use(logMetrics(metrics))
  .handler(exchange);
