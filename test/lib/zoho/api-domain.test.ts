import { describe, expect, it } from 'vitest';
import { readExchangeAnswer, readRefreshAnswer } from '../../../functions/lib/zoho/token-answer.js';

const RECEIVED_AT = new Date('2026-12-01T08:00:00.000Z');

function answer(apiDomain: string) {
  return {
    status: 200,
    contentType: 'application/json;charset=UTF-8',
    text: JSON.stringify({
      access_token: '1000.aaaa1111bbbb2222.cccc3333dddd4444',
      refresh_token: '1000.eeee5555ffff6666.0000777788889999',
      api_domain: apiDomain,
      token_type: 'Bearer',
      expires_in: 3600,
    }),
    receivedAt: RECEIVED_AT,
  };
}

function context(accountsUrl: string) {
  return { accountsUrl, operation: 'refresh' as const, attempt: 1, secrets: [] };
}

describe('the api_domain of a token answer', () => {
  it.each([
    ['https://accounts.zoho.eu', 'https://www.zohoapis.eu'],
    ['https://accounts.zoho.com', 'https://www.zohoapis.com'],
    ['http://127.0.0.1:8123', 'http://127.0.0.1:8123'],
  ])('is accepted from %s when it is %s', (accountsUrl, apiDomain) => {
    const verdict = readRefreshAnswer(answer(apiDomain), context(accountsUrl));

    expect(verdict).toMatchObject({ kind: 'ok', value: { apiDomain } });
  });

  it.each([
    ['an unknown https host', 'https://attacker.example', 'https://accounts.zoho.eu'],
    ['a look-alike', 'https://www.zohoapis.eu.example.com', 'https://accounts.zoho.eu'],
    ['another loopback server than the accounts server', 'http://127.0.0.1:9999', 'http://127.0.0.1:8123'],
  ])('is refused when it is %s, so no consumer sends the token there', (_label, apiDomain, accountsUrl) => {
    const verdict = readExchangeAnswer(answer(apiDomain), { ...context(accountsUrl), operation: 'exchange' });

    expect(verdict.kind).toBe('error');
    if (verdict.kind !== 'error') return;
    expect(verdict.error.name).toBe('ZohoUnavailableError');
    expect(verdict.error.message).toContain('not the API domain of any Zoho data centre');
    expect(verdict.error.message).not.toContain('1000.');
  });
});
