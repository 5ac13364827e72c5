import middy from '@middy/core';
import { afterEach, describe, expect, it } from 'vitest';
import { type ZohoContext, zohoToken } from '../../functions/consumer/index.js';
import { NotConnectedError } from '../../functions/lib/errors.js';
import { ConsumerWorld, USERS_PATH } from './consumer-world.js';
import { lambdaContext } from './lambda-context.js';

describe('zohoToken middleware', () => {
  let world: ConsumerWorld;

  afterEach(async () => {
    await world.close();
  });

  it('puts the token and a Zoho fetch on the context, reading the secret once for many invocations', async () => {
    // GIVEN a connected connection and a handler using the middleware
    world = await ConsumerWorld.start();
    await world.connect();
    const { reader, reads } = world.reader();
    const handler = middy()
      .use(zohoToken({ reader }))
      .handler(async (_event: unknown, context: ZohoContext) => {
        const response = await context.zoho.fetch(USERS_PATH);
        return { accessToken: context.zoho.token.accessToken, status: response.status };
      });

    // WHEN it is invoked five times in the same container
    const results = [];
    for (let invocation = 0; invocation < 5; invocation += 1) {
      results.push(await handler({}, lambdaContext<ZohoContext>()));
    }

    // THEN each invocation had the stored token, Zoho accepted it, and the secret was read once
    expect(results).toEqual(Array(5).fill({ accessToken: world.storedAccessToken(), status: 200 }));
    expect(reads()).toBe(1);
  });

  it('fails the invocation with NotConnectedError before the handler runs when nothing is connected', async () => {
    world = await ConsumerWorld.start();
    const { reader } = world.reader();
    let handlerRan = false;
    const handler = middy()
      .use(zohoToken({ reader }))
      .handler(async () => {
        handlerRan = true;
      });

    await expect(handler({}, lambdaContext<ZohoContext>())).rejects.toThrow(NotConnectedError);
    expect(handlerRan).toBe(false);
  });
});
