import {
  DEFAULT_EVENT_BUS,
  DEFAULT_REFRESH_RATE_MINUTES,
  DEFAULT_SCHEDULE_GROUP,
  ENV,
  type EnvName,
} from './environment.js';
import { ConfigError } from './errors.js';
import { parseServerOrigin } from './urls.js';

export type Environment = Readonly<Record<string, string | undefined>>;

/** Configuration of the exchange and refresh functions, read once at cold start. */
export interface KeeperConfig {
  readonly accountsUrl: string;
  readonly credentialsSecretId: string;
  readonly accessTokenSecretId: string;
  readonly refreshScheduleName: string;
  readonly refreshScheduleGroup: string;
  readonly stateTableName: string;
  /** Named in health events. */
  readonly connectionName: string;
  readonly eventBusName: string;
  /** Minutes between scheduled refresh runs. */
  readonly refreshRateMinutes: number;
}

export function readKeeperConfig(env: Environment = process.env): KeeperConfig {
  return {
    accountsUrl: readServerOrigin(env, ENV.accountsUrl),
    credentialsSecretId: readRequired(env, ENV.credentialsSecretId),
    accessTokenSecretId: readRequired(env, ENV.accessTokenSecretId),
    refreshScheduleName: readRequired(env, ENV.refreshScheduleName),
    refreshScheduleGroup: readOptional(env, ENV.refreshScheduleGroup) ?? DEFAULT_SCHEDULE_GROUP,
    stateTableName: readRequired(env, ENV.stateTableName),
    connectionName: readOptional(env, ENV.connectionName) ?? 'default',
    eventBusName: readOptional(env, ENV.eventBusName) ?? DEFAULT_EVENT_BUS,
    refreshRateMinutes: readRateMinutes(env),
  };
}

export function readRequired(env: Environment, name: EnvName): string {
  const value = readOptional(env, name);
  if (value === undefined) {
    throw new ConfigError(
      `Environment variable ${name} is not set. Set it on the function (the CDK construct does this for you).`,
    );
  }
  return value;
}

export function readOptional(env: Environment, name: EnvName): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

function readServerOrigin(env: Environment, name: EnvName): string {
  const parsed = parseServerOrigin(readRequired(env, name));
  if ('problem' in parsed) {
    throw new ConfigError(
      `Environment variable ${name} ${parsed.problem}. Use your data centre's accounts server, e.g. https://accounts.zoho.eu.`,
    );
  }
  return parsed.origin;
}

function readRateMinutes(env: Environment): number {
  const value = readOptional(env, ENV.refreshRateMinutes);
  if (value === undefined) return DEFAULT_REFRESH_RATE_MINUTES;
  const minutes = Number(value);
  if (!Number.isInteger(minutes) || minutes < 10 || minutes > 55) {
    throw new ConfigError(
      `Environment variable ${ENV.refreshRateMinutes} must be the refresh schedule's rate in whole minutes from 10 ` +
        `to 55, got "${value}". The CDK construct sets it from its refreshRate.`,
    );
  }
  return minutes;
}
