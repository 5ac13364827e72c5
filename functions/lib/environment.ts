/**
 * Names of the environment variables of the public contract. The CDK construct sets them and the
 * functions read them from this one module, so the two can never drift.
 */
export const ENV = {
  accountsUrl: 'ZOHO_ACCOUNTS_URL',
  credentialsSecretId: 'CREDENTIALS_SECRET_ID',
  accessTokenSecretId: 'ACCESS_TOKEN_SECRET_ID',
  refreshScheduleName: 'REFRESH_SCHEDULE_NAME',
  refreshScheduleGroup: 'REFRESH_SCHEDULE_GROUP',
  /** The connection's DynamoDB state table (exchange, refresh). */
  stateTableName: 'STATE_TABLE_NAME',
  /** The connection's name, as health events carry it (exchange, refresh). */
  connectionName: 'CONNECTION_NAME',
  /** Where health events go: a bus name or ARN (exchange, refresh); `default` when unset. */
  eventBusName: 'EVENT_BUS_NAME',
  /** Minutes between scheduled refresh runs (refresh): a token that outlives the next run is left alone. */
  refreshRateMinutes: 'REFRESH_RATE_MINUTES',
  /** Read by the consumer library: the refresh function to ask for a forced refresh. */
  refreshFunctionName: 'REFRESH_FUNCTION_NAME',
} as const;

export type EnvName = (typeof ENV)[keyof typeof ENV];

export const DEFAULT_SCHEDULE_GROUP = 'default';

export const DEFAULT_EVENT_BUS = 'default';

/** The one item of a connection's state table: its partition key attribute and value. */
export const STATE_TABLE_KEY = { attribute: 'pk', value: 'connection' } as const;

/** The refresh schedule's rate when none is configured: the construct's default. */
export const DEFAULT_REFRESH_RATE_MINUTES = 50;
