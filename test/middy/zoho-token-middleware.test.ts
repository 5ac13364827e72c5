import { inspect } from 'node:util';
import middy from '@middy/core';
import { afterEach, describe, expect, it } from 'vitest';
import { NotConnectedError } from '../../functions/lib/errors.js';
import { type ZohoContext, zohoToken } from '../../functions/middy/index.js';
import { ConsumerWorld, USERS_PATH } from '../consumer/consumer-world.js';
import { lambdaContext } from '../consumer/lambda-context.js';

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

  it('keeps the token out of a logged context: JSON.stringify and console.log show no zoho field', async () => {
    // GIVEN a handler that logs its whole context, as handlers often do
    world = await ConsumerWorld.start();
    await world.connect();
    const { reader } = world.reader();
    const logged: string[] = [];
    const handler = middy()
      .use(zohoToken({ reader }))
      .handler(async (_event: unknown, context: ZohoContext) => {
        logged.push(JSON.stringify(context), inspect(context, { depth: 5 }));
        return context.zoho.token.authorizationHeader;
      });

    // WHEN it is invoked
    const header = await handler({}, lambdaContext<ZohoContext>());

    // THEN the handler used the token, and neither log line holds it
    expect(header).toBe(`Zoho-oauthtoken ${world.storedAccessToken()}`);
    expect(logged).toHaveLength(2);
    for (const line of logged) {
      expect(line).toContain('awsRequestId');
      expect(line).not.toContain(world.storedAccessToken());
      expect(line).not.toContain('zoho');
    }
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
