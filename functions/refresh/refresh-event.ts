import { InvalidEventError } from '../lib/errors.js';
import { describeUnknownKeys } from '../lib/event-keys.js';

export interface RefreshEvent {
  readonly force: boolean;
}

/** Accepts `{}` (the schedule) and `{ "force": true }` (after Zoho rejected a token). */
export function parseRefreshEvent(event: unknown): RefreshEvent {
  if (event === undefined || event === null) return { force: false };
  if (typeof event !== 'object' || Array.isArray(event)) {
    throw new InvalidEventError('The refresh event must be a JSON object: {} or {"force": true}.');
  }
  const unknownKeys = Object.keys(event).filter((key) => key !== 'force');
  if (unknownKeys.length > 0) {
    throw new InvalidEventError(
      `The refresh event has unknown field(s) ${describeUnknownKeys(unknownKeys)}. Send {} or {"force": true}.`,
    );
  }
  const { force } = event as { force?: unknown };
  if (force !== undefined && typeof force !== 'boolean') {
    throw new InvalidEventError(
      'The refresh event field "force" must be true or false. Send {} or {"force": true}.',
    );
  }
  return { force: force === true };
}
