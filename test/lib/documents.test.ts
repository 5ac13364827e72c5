import { describe, expect, it } from 'vitest';
import { isConnected, parseAccessToken, parseCredentials } from '../../functions/lib/documents.js';
import { ConfigError } from '../../functions/lib/errors.js';

const ID = 'zoho-token-keeper/default/credentials';

describe('parseCredentials', () => {
  it('treats an empty or absent secret as nothing stored yet', () => {
    expect(parseCredentials(undefined, ID)).toEqual({});
    expect(parseCredentials('', ID)).toEqual({});
    expect(parseCredentials('{}', ID)).toEqual({});
  });

  it('reads the client put there by the operator, before any exchange', () => {
    const stored = parseCredentials('{"client_id":"1000.ABC","client_secret":"s3cr3t"}', ID);
    expect(stored).toEqual({ client_id: '1000.ABC', client_secret: 's3cr3t' });
    expect(isConnected(stored)).toBe(false);
  });

  it.each([
    ['not JSON', 'client_id=1000.ABC', /not valid JSON/],
    ['an array', '["1000.ABC"]', /not hold a JSON object/],
    ['a number field', '{"client_id": 1000}', /"client_id" that is not a string/],
  ])('refuses %s without quoting the content', (_label, value, message) => {
    expect(() => parseCredentials(value, ID)).toThrow(ConfigError);
    expect(() => parseCredentials(value, ID)).toThrow(message);
    try {
      parseCredentials(value, ID);
    } catch (error) {
      expect((error as Error).message).not.toContain('1000.ABC');
      expect((error as Error).message).toContain(ID);
    }
  });
});

describe('parseAccessToken', () => {
  const complete = {
    access_token: '1000.aaaa.bbbb',
    api_domain: 'https://www.zohoapis.eu',
    token_type: 'Bearer',
    expires_at: '2026-11-30T09:00:00.000Z',
    refreshed_at: '2026-11-30T08:00:00.000Z',
  };

  it('reports "not connected" as undefined when no token is stored', () => {
    expect(parseAccessToken('{}', 'access')).toBeUndefined();
    expect(parseAccessToken(undefined, 'access')).toBeUndefined();
  });

  it('reads a complete document', () => {
    expect(parseAccessToken(JSON.stringify(complete), 'access')).toEqual(complete);
  });

  it('refuses a token without the fields readers need, or with a bad time', () => {
    expect(() => parseAccessToken(JSON.stringify({ access_token: 'x' }), 'access')).toThrow(
      /lacks api_domain/,
    );
    expect(() => parseAccessToken(JSON.stringify({ ...complete, expires_at: 'soon' }), 'access')).toThrow(
      /expires_at that is not an ISO-8601 time/,
    );
  });
});
