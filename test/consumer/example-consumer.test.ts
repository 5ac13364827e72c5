import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ZohoContext } from '../../functions/middy/index.js';
import { ConsumerWorld, REFRESH_FUNCTION_NAME, SECRET_IDS } from './consumer-world.js';
import { lambdaContext } from './lambda-context.js';

describe('example consumer handler', () => {
  let world: ConsumerWorld;

  beforeEach(async () => {
    world = await ConsumerWorld.start();
    vi.stubEnv('ACCESS_TOKEN_SECRET_ID', SECRET_IDS.accessToken);
    vi.stubEnv('REFRESH_FUNCTION_NAME', REFRESH_FUNCTION_NAME);
    vi.resetModules();
  });

  afterEach(async () => {
    vi.unstubAllEnvs();
    await world.close();
  });

  async function loadHandler() {
    return (await import('../../functions/example-consumer/handler.js')).handler;
  }

  it('returns the current Zoho user through the token the keeper stores', async () => {
    // GIVEN a connected connection and the handler configured by its environment
    await world.connect();
    const handler = await loadHandler();

    // WHEN it is invoked
    const result = await handler({}, lambdaContext<ZohoContext>());

    // THEN it returns the sandbox's user
    expect(result).toEqual({
      users: [{ id: '5725767000000411001', full_name: 'Sandbox User', email: 'user@example.com' }],
    });
  });

  it('recovers a token Zoho rejected, through the refresh function it is configured with', async () => {
    await world.connect();
    const handler = await loadHandler();
    await handler({}, lambdaContext<ZohoContext>());
    world.sandbox.invalidateAccessToken(world.storedAccessToken());
    // Zoho rejects; the refresh function replaces a token no sooner than 10 minutes after minting it.
    world.clock.advance(11 * 60_000);

    const result = await handler({}, lambdaContext<ZohoContext>());

    expect(result.users).toHaveLength(1);
    expect(world.sandbox.stats.refreshes).toBe(1);
  });

  it('fails at cold start naming the variable when the secret id is not set', async () => {
    vi.stubEnv('ACCESS_TOKEN_SECRET_ID', '');

    await expect(loadHandler()).rejects.toThrow(/ACCESS_TOKEN_SECRET_ID is not set/);
  });
});
