import { describe, expect, it } from 'vitest';
import { readKeeperConfig } from '../../functions/lib/config.js';
import { ConfigError } from '../../functions/lib/errors.js';

const complete = {
  ZOHO_ACCOUNTS_URL: 'https://accounts.zoho.eu',
  CREDENTIALS_SECRET_ID: 'zoho-token-keeper/default/credentials',
  ACCESS_TOKEN_SECRET_ID: 'zoho-token-keeper/default/access-token',
  REFRESH_SCHEDULE_NAME: 'zoho-token-keeper-default-refresh',
};

describe('readKeeperConfig', () => {
  it('reads the contract variables and defaults the schedule group', () => {
    expect(readKeeperConfig(complete)).toEqual({
      accountsUrl: 'https://accounts.zoho.eu',
      credentialsSecretId: 'zoho-token-keeper/default/credentials',
      accessTokenSecretId: 'zoho-token-keeper/default/access-token',
      refreshScheduleName: 'zoho-token-keeper-default-refresh',
      refreshScheduleGroup: 'default',
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
