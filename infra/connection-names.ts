import {
  DATA_CENTRE_IDS,
  DATA_CENTRES,
  type DataCentreId,
  dataCentreOfAccountsUrl,
  isDataCentreId,
} from '../functions/lib/data-centres.js';
import { parseServerOrigin } from '../functions/lib/urls.js';

// This module imports nothing from aws-cdk-lib: the operator commands (cli/) read these names
// without paying for loading the CDK.

/**
 * A configuration value (a construct prop or a CDK context value) is wrong. Its message names the
 * value and what to use instead; the CDK app prints it without a stack trace (infra/keeper-app.ts).
 */
export class KeeperConfigError extends Error {
  override readonly name = 'KeeperConfigError';
}

/**
 * Output keys of the stack. They are fixed logical ids (no construct-path hash), so a CLI can read
 * them with `aws cloudformation describe-stacks --stack-name ZohoTokenKeeper-<connectionName>`.
 */
export const STACK_OUTPUT_KEYS = {
  exchangeFunctionName: 'ExchangeFunctionName',
  refreshFunctionName: 'RefreshFunctionName',
  credentialsSecretName: 'CredentialsSecretName',
  credentialsSecretArn: 'CredentialsSecretArn',
  accessTokenSecretName: 'AccessTokenSecretName',
  accessTokenSecretArn: 'AccessTokenSecretArn',
  refreshScheduleName: 'RefreshScheduleName',
  stateTableName: 'StateTableName',
  dashboardName: 'DashboardName',
  /** A ready-to-paste `aws lambda invoke` of the exchange function with a placeholder grant code. */
  exchangeCommand: 'ExchangeCommand',
} as const;

/**
 * Output keys present only when the stack holds what they name. Kept apart from
 * STACK_OUTPUT_KEYS, which a CLI may require all of.
 */
export const OPTIONAL_STACK_OUTPUT_KEYS = {
  /** With `exampleConsumer`: the example consumer, to invoke once connected. */
  exampleConsumerFunctionName: 'ExampleConsumerFunctionName',
} as const;

/**
 * Physical names of one connection's resources, derived from the connection name alone so that
 * operators, the CLI and the functions can find them without reading the stack.
 */
export interface ConnectionNames {
  /**
   * The exchange function. A fixed name (rather than a stack output or a tag) is how the operator
   * commands find a connection: a `ZohoConnection` embedded in any stack, under any stack name, is
   * reached with its connection name and region alone, with no CloudFormation call (and no
   * cloudformation:* permission) needed.
   */
  readonly exchangeFunction: string;
  /** The connection's CloudWatch alarms, read by `status`. */
  readonly alarms: readonly string[];
  readonly credentialsSecret: string;
  readonly accessTokenSecret: string;
  readonly refreshSchedule: string;
  /** The DynamoDB table of the connection's state (no secret): `zoho-token-keeper-<name>-state`. */
  readonly stateTable: string;
  readonly dashboard: string;
  readonly stack: string;
  readonly alarmPrefix: string;
  readonly logGroupPrefix: string;
}

/**
 * The longest connection name: `zoho-token-keeper-<name>-refresh-retry` (the refresh function's
 * one-time follow-up schedule) must fit EventBridge Scheduler's 64-character limit, and
 * `zoho-token-keeper-<name>-exchange` Lambda's 64-character function name limit (59 at most).
 * `zoho-token-keeper-<name>-state` (56 at most) is well inside DynamoDB's 3 to 255 characters of
 * letters, digits, `_`, `-` and `.`.
 */
export const MAX_CONNECTION_NAME_LENGTH = 32;

/**
 * What follows `zoho-token-keeper-<name>-` in the name of each alarm ConnectionMonitoring creates;
 * a test checks that the synthesized template holds exactly these.
 */
export const ALARM_NAME_SUFFIXES = [
  'refresh-failed',
  'refresh-errors',
  'refresh-throttles',
  'needs-reconnect',
  'token-stale',
  'token-expiring',
  'schedule-dead-letters',
  'refresh-silent',
  'forced-refresh-refused',
  'health-event-not-published',
] as const;

const CONNECTION_NAME_PATTERN = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;

export function connectionNames(connectionName: string): ConnectionNames {
  assertValidConnectionName(connectionName);
  const alarmPrefix = `zoho-token-keeper-${connectionName}`;
  return {
    exchangeFunction: `zoho-token-keeper-${connectionName}-exchange`,
    alarms: ALARM_NAME_SUFFIXES.map((suffix) => `${alarmPrefix}-${suffix}`),
    credentialsSecret: `zoho-token-keeper/${connectionName}/credentials`,
    accessTokenSecret: `zoho-token-keeper/${connectionName}/access-token`,
    refreshSchedule: `zoho-token-keeper-${connectionName}-refresh`,
    stateTable: `zoho-token-keeper-${connectionName}-state`,
    dashboard: `ZohoTokenKeeper-${connectionName}`,
    stack: `ZohoTokenKeeper-${connectionName}`,
    alarmPrefix,
    logGroupPrefix: `/zoho-token-keeper/${connectionName}`,
  };
}

export function assertValidConnectionName(connectionName: string): void {
  if (connectionName.length > MAX_CONNECTION_NAME_LENGTH || !CONNECTION_NAME_PATTERN.test(connectionName)) {
    throw new KeeperConfigError(
      `Invalid connectionName "${connectionName}": use 1 to ${MAX_CONNECTION_NAME_LENGTH} lower-case letters, ` +
        'digits and hyphens, starting and ending with a letter or digit (e.g. "crm-eu"), as a literal string: ' +
        'it is part of physical names.',
    );
  }
}

/**
 * Resolves the data centre (given as free text, e.g. from CDK context, in any case: `EU` is `eu`)
 * or fails listing the valid ones.
 */
export function resolveDataCentre(dataCenter: string): DataCentreId {
  const id = dataCenter.trim().toLowerCase();
  if (!isDataCentreId(id)) {
    throw new KeeperConfigError(
      `Unknown Zoho data centre "${dataCenter}". Use one of: ${DATA_CENTRE_IDS.join(', ')} ` +
        '(the domain of your Zoho account, e.g. "eu" for zoho.eu).',
    );
  }
  return id;
}

/**
 * The accounts server the functions talk to: the override when given (validated like the functions
 * validate it at cold start, so a typo fails at synth rather than at 3 a.m.), else the data centre's.
 * An override that is another data centre's accounts server contradicts `dataCenter` and is refused;
 * any other server (a loopback or private test server) is accepted with any data centre, which then
 * only names the API Console in the operator commands' advice.
 */
export function resolveAccountsUrl(dataCenter: DataCentreId, accountsUrlOverride?: string): string {
  if (accountsUrlOverride === undefined) {
    return DATA_CENTRES[dataCenter].accountsUrl;
  }
  const parsed = parseServerOrigin(accountsUrlOverride);
  if ('problem' in parsed) {
    throw new KeeperConfigError(`accountsUrl "${accountsUrlOverride}" ${parsed.problem}.`);
  }
  const other = dataCentreOfAccountsUrl(parsed.origin);
  if (other !== undefined && other.id !== dataCenter) {
    throw new KeeperConfigError(
      `accountsUrl ${parsed.origin} is the accounts server of the ${other.label} data centre ("${other.id}"), ` +
        `but dataCenter is "${dataCenter}" (${DATA_CENTRES[dataCenter].accountsUrl}). Set dataCenter to ` +
        `"${other.id}" and leave accountsUrl out: it is only for a non-Zoho (test) accounts server.`,
    );
  }
  return parsed.origin;
}
