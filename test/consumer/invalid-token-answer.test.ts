import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isInvalidTokenAnswer } from '../../functions/consumer/index.js';
import { ZohoSandbox } from '../sandbox/zoho-sandbox.js';

describe('isInvalidTokenAnswer', () => {
  describe('the answers of the sandbox APIs to an unknown token', () => {
    let sandbox: ZohoSandbox;
    beforeAll(async () => {
      sandbox = await ZohoSandbox.start();
    });
    afterAll(async () => {
      await sandbox.close();
    });

    it.each([
      ['CRM', '/crm/v8/users?type=CurrentUser'],
      ['Books', '/books/v3/organizations'],
      ['Desk', '/api/v1/tickets'],
    ])('recognises %s', async (_product, path) => {
      const response = await fetch(`${sandbox.url}${path}`, {
        headers: { authorization: 'Zoho-oauthtoken 1000.unknown.token' },
      });

      expect(isInvalidTokenAnswer(response.status, await response.json())).toBe(true);
    });
  });

  it.each([
    [
      'CRM INVALID_TOKEN',
      { code: 'INVALID_TOKEN', details: {}, message: 'invalid oauth token', status: 'error' },
    ],
    ['CRM INVALID_OAUTHTOKEN (evicted or other data centre)', { code: 'INVALID_OAUTHTOKEN', message: 'x' }],
    ["a revoked refresh token's access token", { code: 'invalid_token', message: 'invalid token' }],
    ['Books code 57', { code: 57, message: 'You are not authorized to perform this operation' }],
    ['Books "Invalid AuthToken"', { code: 14, message: 'Invalid AuthToken' }],
    [
      'Desk INVALID_OAUTH',
      { errorCode: 'INVALID_OAUTH', message: 'The OAuth Token you provided is invalid.' },
    ],
    ['a nested error naming an expired token', { error: { code: 6401, message: 'OAuth token expired' } }],
  ])('is true for %s with HTTP 401', (_case, body) => {
    expect(isInvalidTokenAnswer(401, body)).toBe(true);
  });

  it.each([
    [
      'a scope mismatch, which a new token would not fix',
      401,
      {
        code: 'OAUTH_SCOPE_MISMATCH',
        details: {},
        message: 'invalid oauth scope to access this URL',
        status: 'error',
      },
    ],
    ['the same code with another status', 403, { code: 'INVALID_TOKEN', message: 'invalid oauth token' }],
    ['a 401 without a body', 401, undefined],
    ['a 401 with a text body', 401, 'Unauthorized'],
    ['a 401 about something else', 401, { code: 'AUTHENTICATION_FAILED', message: 'authentication failed' }],
    ['success', 200, { users: [] }],
  ])('is false for %s', (_case, status, body) => {
    expect(isInvalidTokenAnswer(status, body)).toBe(false);
  });
});
