import { describe, expect, it } from 'vitest';
import { EXAMPLE_GRANT_CODE, parseExchangeEvent } from '../../functions/exchange/exchange-event.js';
import { InvalidEventError } from '../../functions/lib/errors.js';

const CODE = '1000.0123456789abcdef0123456789abcdef.fedcba9876543210fedcba9876543210';
const CLIENT_ID = '1000.ABCDEFGHIJKLMNOPQRSTUVWXYZ0123';
const CLIENT_SECRET = '0123456789abcdef0123456789abcdef0123456789';

describe('parseExchangeEvent', () => {
  it('accepts a pasted code with surrounding whitespace', () => {
    expect(parseExchangeEvent({ code: `  ${CODE}\n` })).toEqual({ kind: 'connect', code: CODE });
  });

  it('accepts the example code the docs and the stack output show, so a reader copying its shape is not refused', () => {
    expect(parseExchangeEvent({ code: EXAMPLE_GRANT_CODE })).toEqual({
      kind: 'connect',
      code: EXAMPLE_GRANT_CODE,
    });
  });

  it('states the rule a grant code follows when refusing one, without repeating the value', () => {
    const pasted = '1000.abc.def';
    expect(() => parseExchangeEvent({ code: pasted })).toThrow(
      'one is a number such as 1000, a dot, 16 to 128 letters or digits, a dot and 16 to 128 letters or digits',
    );
    expect(() => parseExchangeEvent({ code: pasted })).not.toThrow(pasted);
  });

  it('accepts client id and secret given together', () => {
    expect(
      parseExchangeEvent({ code: CODE, client_id: CLIENT_ID, client_secret: ` ${CLIENT_SECRET} ` }),
    ).toEqual({
      kind: 'connect',
      code: CODE,
      client: { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET },
    });
  });

  it('accepts the operator events {"status": true} and {"disconnect": true}', () => {
    expect(parseExchangeEvent({ status: true })).toEqual({ kind: 'status' });
    expect(parseExchangeEvent({ disconnect: true })).toEqual({ kind: 'disconnect' });
  });

  it.each([
    ['status false', { status: false }],
    ['status with a code', { status: true, code: CODE }],
    ['disconnect as a string', { disconnect: 'yes' }],
    ['both operator events', { status: true, disconnect: true }],
  ])('refuses an operator event that is not alone and true (%s), saying what to send', (_label, event) => {
    expect(() => parseExchangeEvent(event)).toThrow(/Send \{"(status|disconnect)": true\} on its own/);
  });

  it.each([
    ['no event', undefined, /JSON object/],
    ['no code', {}, /no "code"/],
    ['an empty code', { code: '   ' }, /no "code"/],
    ['a number', { code: 1000 }, /must be a string/],
    ['a client id instead of a code', { code: CLIENT_ID }, /does not look like a Zoho grant code/],
    ['a code with a space inside', { code: `${CODE} x` }, /does not look like a Zoho grant code/],
    ['a URL', { code: `https://example.com/?code=${CODE}` }, /does not look like a Zoho grant code/],
    ['a misspelt field', { grant_code: CODE }, /unknown field\(s\) grant_code/],
    [
      'a client id without its secret',
      { code: CODE, client_id: CLIENT_ID },
      /both "client_id" and "client_secret"/,
    ],
    ['a malformed client id', { code: CODE, client_id: 'abc', client_secret: CLIENT_SECRET }, /client id/],
    [
      'a malformed client secret',
      { code: CODE, client_id: CLIENT_ID, client_secret: 'x y' },
      /client secret/,
    ],
  ])('rejects %s with an InvalidEventError that says what to do', (_label, event, message) => {
    expect(() => parseExchangeEvent(event)).toThrow(InvalidEventError);
    expect(() => parseExchangeEvent(event)).toThrow(message);
  });

  it('never repeats the submitted values in its messages', () => {
    const attempts = [
      { code: `${CODE}!` },
      { code: CODE, client_id: CLIENT_ID, client_secret: `${CLIENT_SECRET}!` },
      { code: CODE, client_id: `${CLIENT_ID}!`, client_secret: CLIENT_SECRET },
    ];
    for (const event of attempts) {
      const error = captureError(() => parseExchangeEvent(event));
      expect(error.message).not.toContain(CODE.slice(5, 20));
      expect(error.message).not.toContain(CLIENT_SECRET.slice(0, 16));
    }
  });
});

function captureError(action: () => unknown): Error {
  try {
    action();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}

describe('parseExchangeEvent with a code pasted as a field name', () => {
  it('does not repeat the field name in its message', () => {
    const error = captureError(() => parseExchangeEvent({ [CODE]: '' }));

    expect(error).toBeInstanceOf(InvalidEventError);
    expect(error.message).toContain('1 other field(s) not shown');
    expect(error.message).not.toContain(CODE.slice(5, 20));
  });
});
