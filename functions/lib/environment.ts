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
  /** Read by the consumer library: the refresh function to ask for a forced refresh. */
  refreshFunctionName: 'REFRESH_FUNCTION_NAME',
} as const;

export type EnvName = (typeof ENV)[keyof typeof ENV];

export const DEFAULT_SCHEDULE_GROUP = 'default';
