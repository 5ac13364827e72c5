import { afterEach, describe, expect, it } from 'vitest';
import { RefreshBudgetExhaustedError } from '../../functions/lib/errors.js';
import { ConsumerWorld, USERS_PATH } from './consumer-world.js';

const MINUTE = 60_000;

describe('ZohoTokenReader when the refresh function refuses forced refreshes for the write budget', () => {
  let world: ConsumerWorld;

  afterEach(async () => {
    await world.close();
  });

  function expectNoSecretIn(error: unknown): void {
    const text = `${String(error)} ${error instanceof Error ? (error.stack ?? '') : ''}`;
    for (const secret of world.secretValues()) expect(text).not.toContain(secret);
  }

  it('names the likely cause, and asks the function no more for 5 minutes however many calls fail', async () => {
    // GIVEN a token Zoho rejects, and a refresh function that refuses forced refreshes
    world = await ConsumerWorld.start();
    await world.connect();
    world.clock.advance(20 * MINUTE);
    const { reader, reads } = world.reader();
    world.sandbox.invalidateAccessToken((await reader.getToken()).accessToken);
    world.refuseForcedRefreshes();

    // WHEN the consumer calls Zoho
    const failure = await reader.fetch(USERS_PATH).catch((error: unknown) => error);

    // THEN it learns why no new token comes and what to check, with the function's own error as cause
    expect(failure).toBeInstanceOf(RefreshBudgetExhaustedError);
    expect(failure).toMatchObject({ name: 'RefreshBudgetExhaustedError' });
    expect((failure as Error).message).toMatch(
      /refused a forced refresh.*daily write budget.*another data centre than this connection's api_domain http:\/\/127\.0\.0\.1:\d+, a scope .*organisation.*does not ask again for 5 minutes/,
    );
    expect((failure as Error).cause).toMatchObject({ name: 'RefreshBudgetExhaustedError' });
    expectNoSecretIn(failure);
    expect(world.invokes.total).toBe(1);

    // WHEN many more calls fail, also after the rejected token's 30-second memory has passed
    const again = await Promise.all(
      Array.from({ length: 10 }, () => reader.fetch(USERS_PATH).catch((error: unknown) => error)),
    );
    world.clock.advance(MINUTE);
    const later = await reader.fetch(USERS_PATH).catch((error: unknown) => error);

    // THEN they report the same refusal, still read the secret (a scheduled token would be used), and invoke nothing
    expect([...again, later].every((error) => error instanceof RefreshBudgetExhaustedError)).toBe(true);
    expect(world.invokes.total).toBe(1);
    expect(reads()).toBeGreaterThan(2);

    // WHEN 5 minutes have passed since the refusal
    world.clock.advance(4 * MINUTE);
    await reader.fetch(USERS_PATH).catch(() => undefined);

    // THEN the function is asked again
    expect(world.invokes.total).toBe(2);
  });

  it('keeps serving a stale token that still works, and reports the refusal once it has expired', async () => {
    world = await ConsumerWorld.start();
    await world.connect();
    const stale = world.storedAccessToken();
    world.clock.advance(56 * MINUTE);
    world.refuseForcedRefreshes();
    const { reader } = world.reader();

    const served = await reader.getToken();
    world.clock.advance(5 * MINUTE);
    const failure = await reader.getToken().catch((error: unknown) => error);

    expect(served.accessToken).toBe(stale);
    expect(failure).toBeInstanceOf(RefreshBudgetExhaustedError);
    expectNoSecretIn(failure);
  });
});
