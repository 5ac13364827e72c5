import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import middy from '@middy/core';
import { readKeeperConfig } from '../lib/config.js';
import { METRICS } from '../lib/metric-names.js';
import { describeError, logger, metrics, observeZohoCall } from '../lib/observability.js';
import { RefreshSchedule } from '../lib/schedule/refresh-schedule.js';
import { TokenStore } from '../lib/store/token-store.js';
import { ZohoAccountsClient } from '../lib/zoho/accounts-client.js';
import { parseExchangeEvent } from './exchange-event.js';
import { type ExchangeDependencies, type ExchangeResult, exchangeGrantCode } from './exchange-grant-code.js';

// Built once per container: configuration errors fail the cold start, naming the variable.
const config = readKeeperConfig();
const dependencies: ExchangeDependencies = {
  store: new TokenStore({
    client: new SecretsManagerClient({}),
    credentialsSecretId: config.credentialsSecretId,
    accessTokenSecretId: config.accessTokenSecretId,
  }),
  zoho: new ZohoAccountsClient({ accountsUrl: config.accountsUrl, onCall: observeZohoCall }),
  schedule: new RefreshSchedule({
    client: new SchedulerClient({}),
    name: config.refreshScheduleName,
    group: config.refreshScheduleGroup,
  }),
  accountsUrl: config.accountsUrl,
  credentialsSecretId: config.credentialsSecretId,
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
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics, { captureColdStartMetric: true }))
  .handler(exchange);
