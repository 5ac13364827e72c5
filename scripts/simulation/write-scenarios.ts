import { dayOffsets, snapToMinute } from './plan-times.js';
import type { SeededRandom } from './random.js';
import type { PlanContext } from './scenarios.js';
import { DAY_MS, HOUR_MS, MINUTE_MS, SECOND_MS } from './simulated-clock.js';

export const EDIT_EVERY_DAYS = 2;
export const REJECTED_EVERY_DAYS = 5;
export const CONNECT_PAIR_EVERY_DAYS = 5;
/** How often the rejected consumer is invoked, and for how long it goes on. */
export const REJECTED_CALL_EVERY_MS = 10 * MINUTE_MS;
export const REJECTED_FOR_MS = DAY_MS;

/** An edit comes at a random moment of the first half of its day, so that the next run falls inside the run. */
function editTimes(context: PlanContext): number[] {
  return dayOffsets(context.days, EDIT_EVERY_DAYS).map(
    (day) => context.startMs + day * DAY_MS + Math.floor(context.random.between(0, DAY_MS / 2)),
  );
}

/** Every few days an administrator restores the access-token secret's previous version in the console. */
export function planRestores(context: PlanContext): void {
  for (const at of editTimes(context)) {
    context.queue.add({
      at,
      label: 'administrator restores the previous version',
      run: () => context.recorder.writes.restorePreviousVersion(),
    });
  }
}

/**
 * Every few days an administrator saves the access-token secret by hand, in turn an old copy of its
 * document (taken 1-3 hours before) and a malformed value (a bare access token).
 */
export function planHandSaves(context: PlanContext): void {
  const { queue, random, recorder } = context;
  editTimes(context).forEach((at, index) => {
    const clientRequestToken = hexOf(random, 16);
    if (index % 2 === 1) {
      const value = JSON.stringify({ access_token: `1000.${hexOf(random, 16)}` });
      queue.add({
        at,
        label: 'administrator saves a malformed value',
        run: () => recorder.writes.saveByHand('malformed value saved by hand', value, clientRequestToken),
      });
      return;
    }
    let copy = '{}';
    queue.add({
      at: Math.max(context.startMs + MINUTE_MS, at - Math.floor(random.between(HOUR_MS, 3 * HOUR_MS))),
      label: 'administrator copies the access-token secret',
      run: () => {
        copy = recorder.writes.copyOfAccessTokenSecret();
      },
    });
    queue.add({
      at,
      label: 'administrator saves an old copy',
      run: () => recorder.writes.saveByHand('old copy saved by hand', copy, clientRequestToken),
    });
  });
}

/**
 * Every few days a consumer whose calls Zoho rejects for a reason a new token cannot fix (another
 * data centre, a missing scope) asks for a forced refresh every 10 minutes, for 24 hours.
 */
export function planRejectedConsumer(context: PlanContext): void {
  const { queue, random, recorder } = context;
  for (const day of dayOffsets(context.days, REJECTED_EVERY_DAYS)) {
    const start =
      snapToMinute(context.startMs + day * DAY_MS + random.between(0, 6 * HOUR_MS)) + 20 * SECOND_MS;
    const stretch = recorder.writes.rejectedConsumerStarts(start, start + REJECTED_FOR_MS);
    for (let at = start; at < stretch.end; at += REJECTED_CALL_EVERY_MS) {
      queue.add({
        at,
        label: 'rejected consumer forces a refresh',
        run: () => recorder.writes.rejectedConsumerCalls(stretch),
      });
    }
  }
}

/** Every few days two operators connect at the same moment, each with a grant code of their own. */
export function planConnectPairs(context: PlanContext): void {
  for (const day of dayOffsets(context.days, CONNECT_PAIR_EVERY_DAYS)) {
    context.queue.add({
      at: context.startMs + day * DAY_MS + Math.floor(context.random.between(0, DAY_MS / 2)),
      label: 'two operators connect at once',
      run: () => context.recorder.writes.connectTwiceAtOnce(),
    });
  }
}

/** A random id, as the console makes for each version it saves (`bytes` random bytes, in hex). */
function hexOf(random: SeededRandom, bytes: number): string {
  return Array.from({ length: bytes }, () =>
    Math.floor(random.next() * 256)
      .toString(16)
      .padStart(2, '0'),
  ).join('');
}
