import { describe, expect, it } from 'vitest';
import { readKeeperConfig } from '../../functions/lib/config.js';
import { ConfigError } from '../../functions/lib/errors.js';

const complete = {
  ZOHO_ACCOUNTS_URL: 'https://accounts.zoho.eu',
  CREDENTIALS_SECRET_ID: 'zoho-token-keeper/default/credentials',
  ACCESS_TOKEN_SECRET_ID: 'zoho-token-keeper/default/access-token',
  REFRESH_SCHEDULE_NAME: 'zoho-token-keeper-default-refresh',
  STATE_TABLE_NAME: 'zoho-token-keeper-default-state',
};

describe('readKeeperConfig', () => {
  it('reads the contract variables and defaults the schedule group', () => {
    expect(readKeeperConfig(complete)).toEqual({
      accountsUrl: 'https://accounts.zoho.eu',
      credentialsSecretId: 'zoho-token-keeper/default/credentials',
      accessTokenSecretId: 'zoho-token-keeper/default/access-token',
      refreshScheduleName: 'zoho-token-keeper-default-refresh',
      refreshScheduleGroup: 'default',
      stateTableName: 'zoho-token-keeper-default-state',
      connectionName: 'default',
      eventBusName: 'default',
      refreshRateMinutes: 50,
    });
    expect(readKeeperConfig({ ...complete, REFRESH_SCHEDULE_GROUP: 'zoho' }).refreshScheduleGroup).toBe(
      'zoho',
    );
  });

  it.each(Object.keys(complete))('names %s when it is missing', (name) => {
    const env: Record<string, string> = { ...complete, [name]: ' ' };
    expect(() => readKeeperConfig(env)).toThrow(ConfigError);
    expect(() => readKeeperConfig(env)).toThrow(name);
  });

  it('reads the connection name, event bus and refresh rate the construct sets', () => {
    const config = readKeeperConfig({
      ...complete,
      CONNECTION_NAME: 'crm-eu',
      EVENT_BUS_NAME: 'arn:aws:events:eu-west-1:210987654321:event-bus/ops',
      REFRESH_RATE_MINUTES: '30',
    });
    expect(config).toMatchObject({
      connectionName: 'crm-eu',
      eventBusName: 'arn:aws:events:eu-west-1:210987654321:event-bus/ops',
      refreshRateMinutes: 30,
    });
  });

  it.each(['9', '56', '50.5', 'fifty'])(
    'refuses a refresh rate of %s minutes, naming REFRESH_RATE_MINUTES',
    (rate) => {
      expect(() => readKeeperConfig({ ...complete, REFRESH_RATE_MINUTES: rate })).toThrow(
        /REFRESH_RATE_MINUTES must be the refresh schedule's rate in whole minutes from 10 to 55/,
      );
    },
  );

  it.each([
    ['plain http to a public host', 'http://accounts.zoho.eu', /must use https/],
    ['not a URL', 'accounts.zoho.eu', /is not a URL/],
    ['a path', 'https://accounts.zoho.eu/oauth/v2/token', /no path/],
  ])('refuses %s for ZOHO_ACCOUNTS_URL', (_label, value, message) => {
    expect(() => readKeeperConfig({ ...complete, ZOHO_ACCOUNTS_URL: value })).toThrow(message);
    expect(() => readKeeperConfig({ ...complete, ZOHO_ACCOUNTS_URL: value })).toThrow('ZOHO_ACCOUNTS_URL');
  });

  it.each(['http://127.0.0.1:8080', 'http://localhost:8080/', 'http://[::1]:9000'])(
    'accepts plain http on the loopback host %s for local testing',
    (value) => {
      expect(readKeeperConfig({ ...complete, ZOHO_ACCOUNTS_URL: value }).accountsUrl).toBe(
        new URL(value).origin,
      );
    },
  );
});
