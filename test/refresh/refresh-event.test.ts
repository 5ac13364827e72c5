import { describe, expect, it } from 'vitest';
import { InvalidEventError } from '../../functions/lib/errors.js';
import { parseRefreshEvent } from '../../functions/refresh/refresh-event.js';

describe('parseRefreshEvent', () => {
  it('reads the schedule event and the forced-refresh event', () => {
    expect(parseRefreshEvent({})).toEqual({ force: false });
    expect(parseRefreshEvent(undefined)).toEqual({ force: false });
    expect(parseRefreshEvent({ force: true })).toEqual({ force: true });
    expect(parseRefreshEvent({ force: false })).toEqual({ force: false });
  });

  it.each([
    ['a string', 'force'],
    ['an array', [true]],
    ['a non-boolean force', { force: 'yes' }],
    ['an unknown field', { forced: true }],
  ])('rejects %s with InvalidEventError', (_label, event) => {
    expect(() => parseRefreshEvent(event)).toThrow(InvalidEventError);
    expect(() => parseRefreshEvent(event)).toThrow(/\{"force": true\}/);
  });
});

describe('parseRefreshEvent with a token pasted as a field name', () => {
  it('does not repeat the field name in its message', () => {
    const pasted = '1000.0123456789abcdef0123456789abcdef.fedcba9876543210fedcba9876543210';

    expect(() => parseRefreshEvent({ [pasted]: true })).toThrow(/1 other field\(s\) not shown/);
    expect(() => parseRefreshEvent({ [pasted]: true })).not.toThrow(pasted.slice(5, 20));
  });
});
