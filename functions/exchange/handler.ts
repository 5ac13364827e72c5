import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { readKeeperConfig } from '../lib/config.js';
import type { ConnectionStatus, DisconnectResult } from '../lib/connection-status.js';
import { healthEventListener } from '../lib/events/health-event-listener.js';
import { createKeeperServices } from '../lib/keeper-services.js';
import { METRICS } from '../lib/metric-names.js';
import {
  describeError,
  logger,
  metrics,
  observeZohoCall,
  reportLostHealthEvent,
} from '../lib/observability.js';
import { describeConnection } from './describe-connection.js';
import { disconnect } from './disconnect.js';
import { type ExchangeEvent, parseExchangeEvent } from './exchange-event.js';
import { type ExchangeResult, exchangeGrantCode } from './exchange-grant-code.js';

// Built once per container: configuration errors fail the cold start, naming the variable.
const config = readKeeperConfig();
const services = createKeeperServices(config, observeZohoCall);
const dependencies = {
  ...services,
  accountsUrl: config.accountsUrl,
  credentialsSecretId: config.credentialsSecretId,
  scheduleName: config.refreshScheduleName,
  now: () => new Date(),
  onStateChange: healthEventListener({
    events: services.events,
    connectionName: config.connectionName,
    accountsUrl: config.accountsUrl,
    onNotPublished: reportLostHealthEvent,
  }),
  onSidePathFailure: (action: string, error: unknown) =>
    logger.warn(`Could not ${action}`, { error: describeError(error) }),
};

type OperatorAnswer = ExchangeResult | ConnectionStatus | DisconnectResult;

// The event may carry a grant code and a client secret: it is never logged.
async function operate(event: unknown): Promise<OperatorAnswer> {
  let kind: ExchangeEvent['kind'] = 'connect';
  try {
    const parsed = parseExchangeEvent(event);
    kind = parsed.kind;
    if (parsed.kind === 'status') return await describeConnection(dependencies);
    if (parsed.kind === 'disconnect') {
      const result = await disconnect(dependencies);
      logger.info('Disconnected from Zoho', { refreshToken: result.refresh_token });
      return result;
    }
    const result = await exchangeGrantCode(dependencies, parsed);
    recordExchange(true);
    logger.info('Connected to Zoho', {
      apiDomain: result.api_domain,
      scope: result.scope,
      expiresAt: result.expires_at,
      previousRefreshToken: result.previous_refresh_token,
    });
    return result;
  } catch (error) {
    if (kind === 'connect') recordExchange(false);
    logger.error(`${kind === 'connect' ? 'Exchange' : `The ${kind} request`} failed`, {
      error: describeError(error),
    });
    throw error;
  }
}

function recordExchange(succeeded: boolean): void {
  metrics.addMetric(METRICS.exchangeSucceeded, MetricUnit.Count, succeeded ? 1 : 0);
  metrics.addMetric(METRICS.exchangeFailed, MetricUnit.Count, succeeded ? 0 : 1);
}

export const handler = middy()
  // Never log the event, whatever POWERTOOLS_LOGGER_LOG_EVENT says: it may carry a grant code or client secret.
  .use(injectLambdaContext(logger, { resetKeys: true, logEvent: false }))
  .use(logMetrics(metrics))
  .handler(operate);
