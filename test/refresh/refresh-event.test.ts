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
