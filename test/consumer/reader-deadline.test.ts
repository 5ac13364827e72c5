import { InvokeCommand } from '@aws-sdk/client-lambda';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterEach, describe, expect, it } from 'vitest';
import { ZohoTokenDeadlineError } from '../../functions/consumer/consumer-errors.js';
import { ZohoTokenReader, type ZohoTokenReaderOptions } from '../../functions/consumer/index.js';
import {
  ConsumerWorld,
  type ManualClock,
  manualClock,
  type RefreshConcurrency,
  SECRET_IDS,
  USERS_PATH,
} from './consumer-world.js';

const MINUTE = 60_000;

interface Tracked<T> {
  settled: boolean;
  /** The injected clock's time when the promise settled. */
  at?: number;
  value?: T;
  error?: unknown;
}

/** Records when, on the injected clock, a call settles, so a test can tell "not yet" from "at the deadline". */
function track<T>(promise: Promise<T>, clock: ManualClock): Tracked<T> {
  const state: Tracked<T> = { settled: false };
  promise.then(
    (value) => Object.assign(state, { settled: true, at: clock.nowMs(), value }),
    (error: unknown) => Object.assign(state, { settled: true, at: clock.nowMs(), error }),
  );
  return state;
}

/** Lets every callback the last clock move released run to its end; no real time passes. */
async function settle(): Promise<void> {
  for (let turn = 0; turn < 5; turn += 1) await new Promise((resolve) => setImmediate(resolve));
}

/** An invocation of the consumer function with `ms` left, its remaining time measured on `clock`. */
function invokedWith(reader: ZohoTokenReader, clock: ManualClock, ms: number): number {
  const endsAt = clock.nowMs() + ms;
  reader.boundWaitsBy(() => endsAt - clock.nowMs());
  return endsAt;
}

/** A Secrets Manager that never answers, keeping the signal each request was given. */
function hangingSecretsManager(): { client: SecretsManagerClient; signals: (AbortSignal | undefined)[] } {
  const signals: (AbortSignal | undefined)[] = [];
  const client = {
    send: (_command: unknown, options?: { abortSignal?: AbortSignal }) => {
      signals.push(options?.abortSignal);
      return new Promise(() => {});
    },
  } as unknown as SecretsManagerClient;
  return { client, signals };
}

describe('ZohoTokenReader deadlines', () => {
  let world: ConsumerWorld | undefined;

  afterEach(async () => {
    await world?.close();
    world = undefined;
  });

  /** A connection whose token Zoho rejects, 20 minutes after it was minted, and a reader holding it. */
  async function rejectedToken(concurrency: RefreshConcurrency) {
    const started = await ConsumerWorld.start({ concurrency });
    world = started;
    await started.connect();
    started.clock.advance(20 * MINUTE);
    const counted = started.reader();
    const rejected = await counted.reader.getToken();
    started.sandbox.invalidateAccessToken(rejected.accessToken);
    return { world: started, ...counted, rejected };
  }

  describe('a consumer invoked with 2 seconds left whose token is rejected while the refresh function is busy', () => {
    it('returns a clear error at its deadline when the invoke never answers, and the next invocation recovers', async () => {
      // GIVEN a long refresh run holding the function's only slot: a forced refresh queues behind it
      const { world, reader } = await rejectedToken('queue');
      const release = world.occupyRefreshFunction();
      const endsAt = invokedWith(reader, world.clock, 2000);
      const invoked = world.nextInvoke();

      // WHEN the consumer calls Zoho, is rejected, and asks for a new token
      const call = reader.fetch(USERS_PATH);
      const outcome = track(call, world.clock);
      await invoked;
      world.clock.advance(999);
      await settle();

      // THEN it is still waiting 1 ms before its deadline (2 s less the 1 s margin)...
      expect(outcome.settled).toBe(false);

      // ...and fails exactly at the deadline, saying what it waited for and what to do
      world.clock.advance(1);
      const failure = await call.catch((error: unknown) => error);
      expect(outcome.at).toBe(endsAt - 1000);
      expect(failure).toBeInstanceOf(ZohoTokenDeadlineError);
      expect(failure).toMatchObject({
        name: 'ZohoTokenDeadlineError',
        waitedFor: 'the refresh function zoho-token-keeper-refresh (a forced refresh)',
      });
      expect((failure as Error).message).toMatch(
        /Stopped waiting for the refresh function .* 1\.0 s after the wait began.*2\.0 s left.*keeps 1\.0 s.*timeout of at least 34 s/,
      );
      for (const secret of world.secretValues()) expect(String(failure)).not.toContain(secret);
      // The invoke's HTTP request was cancelled, and no timer is left behind.
      const [invoke] = world.lambda.commandCalls(InvokeCommand);
      const options = (invoke?.args as unknown[] | undefined)?.[1] as { abortSignal?: AbortSignal };
      expect(options?.abortSignal?.aborted).toBe(true);
      expect(world.clock.pendingTimers()).toBe(0);

      // WHEN the long run ends (the forced refresh behind it stores a token) and the next invocation has time
      release();
      await world.sleep(0);
      invokedWith(reader, world.clock, 60_000);

      // THEN its call succeeds: running out of time was not remembered against the token
      expect((await reader.fetch(USERS_PATH)).status).toBe(200);
      expect(world.clock.pendingTimers()).toBe(0);
    });

    it('returns a clear error at once when the invoke answers busy and no time is left to wait', async () => {
      const { world, reader } = await rejectedToken('reject');
      const release = world.occupyRefreshFunction();
      const startedAt = world.clock.nowMs();
      const endsAt = invokedWith(reader, world.clock, 2000);

      const call = reader.fetch(USERS_PATH);
      const outcome = track(call, world.clock);
      const failure = await call.catch((error: unknown) => error);
      release();

      expect(outcome.at).toBe(startedAt);
      expect(outcome.at).toBeLessThan(endsAt - 1000);
      expect(failure).toBeInstanceOf(ZohoTokenDeadlineError);
      expect((failure as Error).message).toMatch(
        /zoho-token-keeper-refresh was busy, and this call had 1\.0 s left .*less than the 4\.0 s.*at least 34 s/,
      );
      expect((failure as Error).cause).toMatchObject({ name: 'TooManyRequestsException' });
      expect(world.invokes).toEqual({ total: 1, busy: 1 });
    });
  });

  it('takes a pause between attempts only while the call the token is for still fits before the deadline', async () => {
    // GIVEN 6 s left (5 s to the deadline): room for two 1-second pauses that leave 3 s each
    const { world, reader } = await rejectedToken('reject');
    const release = world.occupyRefreshFunction();
    const startedAt = world.clock.nowMs();
    const endsAt = invokedWith(reader, world.clock, 6000);

    const call = reader.fetch(USERS_PATH);
    const outcome = track(call, world.clock);
    const failure = await call.catch((error: unknown) => error);
    release();

    expect(world.invokes).toEqual({ total: 3, busy: 3 });
    expect(outcome.at).toBe(startedAt + 2000);
    expect(outcome.at).toBeLessThan(endsAt - 1000);
    expect(failure).toMatchObject({ name: 'ZohoTokenDeadlineError', msLeft: 3000 });
  });

  it('serves a stale token that still works when the deadline cuts its refresh', async () => {
    // GIVEN a token 4 minutes from expiry and a refresh run that holds the function past the invocation
    const started = await ConsumerWorld.start({ concurrency: 'queue' });
    world = started;
    await started.connect();
    const stale = started.storedAccessToken();
    started.clock.advance(56 * MINUTE);
    const release = started.occupyRefreshFunction();
    const { reader } = started.reader();
    invokedWith(reader, started.clock, 2000);
    const invoked = started.nextInvoke();

    const token = reader.getToken();
    await invoked;
    started.clock.advance(1000);

    expect((await token).accessToken).toBe(stale);
    release();
    await started.sleep(0);
  });

  describe('a GetSecretValue that never answers', () => {
    function hangingReader(clock: ManualClock, options: ZohoTokenReaderOptions = {}) {
      const secretsManager = hangingSecretsManager();
      const reader = new ZohoTokenReader({
        secretId: SECRET_IDS.accessToken,
        refreshFunctionName: '',
        secretsManager: secretsManager.client,
        now: clock.now,
        timer: clock.startTimer,
        ...options,
      });
      return { reader, signals: secretsManager.signals };
    }

    it('is cut at the invocation deadline and its request cancelled', async () => {
      const clock = manualClock(Date.UTC(2026, 11, 1, 9, 0, 0));
      const { reader, signals } = hangingReader(clock);
      const endsAt = invokedWith(reader, clock, 5000);

      const call = reader.getToken();
      const outcome = track(call, clock);
      clock.advance(3999);
      await settle();
      expect(outcome.settled).toBe(false);
      clock.advance(1);
      const failure = await call.catch((error: unknown) => error);

      expect(outcome.at).toBe(endsAt - 1000);
      expect(failure).toBeInstanceOf(ZohoTokenDeadlineError);
      expect((failure as Error).message).toMatch(
        /Secrets Manager \(GetSecretValue of zoho\/access-token\) .* 4\.0 s after .*5\.0 s left/,
      );
      expect(signals.map((signal) => signal?.aborted)).toEqual([true]);
      expect(clock.pendingTimers()).toBe(0);
    });

    it('is not even sent when the invocation has less than the margin left', async () => {
      const clock = manualClock(Date.UTC(2026, 11, 1, 9, 0, 0));
      const { reader, signals } = hangingReader(clock);
      invokedWith(reader, clock, 800);

      const failure = await reader.getToken().catch((error: unknown) => error);

      expect(failure).toBeInstanceOf(ZohoTokenDeadlineError);
      expect((failure as Error).message).toMatch(
        /Did not ask Secrets Manager .*deadline had passed.*0\.8 s left.*keeps 1\.0 s/,
      );
      expect(signals).toEqual([]);
      expect(clock.pendingTimers()).toBe(0);
    });

    it.each([
      ['the default of 30 s', {}, 30_000, /deadlineMs option, 30\.0 s/],
      ['deadlineMs', { deadlineMs: 5000 }, 5000, /deadlineMs option, 5\.0 s/],
    ])('outside Lambda is cut at %s', async (_name, options, deadlineMs, explained) => {
      const clock = manualClock(Date.UTC(2026, 11, 1, 9, 0, 0));
      const { reader, signals } = hangingReader(clock, options);
      const startedAt = clock.nowMs();

      const call = reader.getToken();
      const outcome = track(call, clock);
      clock.advance(deadlineMs - 1);
      await settle();
      expect(outcome.settled).toBe(false);
      clock.advance(1);
      const failure = await call.catch((error: unknown) => error);

      expect(outcome.at).toBe(startedAt + deadlineMs);
      expect(failure).toBeInstanceOf(ZohoTokenDeadlineError);
      expect((failure as Error).message).toMatch(explained);
      expect(signals[0]?.aborted).toBe(true);
    });

    it('inside a long invocation is cut at the reader deadline, not the invocation end', async () => {
      const clock = manualClock(Date.UTC(2026, 11, 1, 9, 0, 0));
      const { reader } = hangingReader(clock);
      const startedAt = clock.nowMs();
      invokedWith(reader, clock, 15 * MINUTE);

      const call = reader.getToken();
      const outcome = track(call, clock);
      clock.advance(30_000);
      await call.catch(() => undefined);

      expect(outcome.at).toBe(startedAt + 30_000);
    });
  });
});
