import { describe, expect, it } from 'vitest';
import { inProcessFetch } from './in-process-fetch.js';
import { IN_PROCESS_SANDBOX_URL, ZohoSandbox } from './zoho-sandbox.js';

const CLIENT = { clientId: '1000.INPROCESSCLIENT', clientSecret: 'in-process-secret' };
const START = Date.UTC(2026, 10, 30, 8, 0, 0);

function setUp(options: Parameters<typeof inProcessFetch>[1] = {}) {
  const sandbox = ZohoSandbox.inProcess({ now: () => START });
  sandbox.registerClient(CLIENT);
  const fetch = inProcessFetch(sandbox, options);
  const exchange = (code: string, signal?: AbortSignal) =>
    fetch(`${sandbox.url}/oauth/v2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        client_id: CLIENT.clientId,
        client_secret: CLIENT.clientSecret,
        code,
      }),
      signal,
    });
  const grantCode = () => sandbox.issueGrantCode({ clientId: CLIENT.clientId });
  return { sandbox, fetch, exchange, grantCode };
}

describe('inProcessFetch', () => {
  it('answers like the HTTP sandbox: status, content type and JSON body, at a URL that never resolves', async () => {
    const { sandbox, exchange, grantCode } = setUp();

    const response = await exchange(grantCode());

    expect(sandbox.url).toBe(IN_PROCESS_SANDBOX_URL);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json;charset=UTF-8');
    expect(await response.json()).toMatchObject({ access_token: expect.stringMatching(/^1000\./) });
    expect(sandbox.requests().at(-1)).toMatchObject({
      method: 'POST',
      path: '/oauth/v2/token',
      query: '',
      contentType: 'application/x-www-form-urlencoded',
    });
  });

  it('serves the API endpoints with the Authorization header', async () => {
    const { sandbox, fetch, exchange, grantCode } = setUp();
    const { access_token: token } = (await (await exchange(grantCode())).json()) as { access_token: string };

    const accepted = await fetch(`${sandbox.url}/crm/v8/users?type=CurrentUser`, {
      headers: { authorization: `Zoho-oauthtoken ${token}` },
    });
    const refused = await fetch(`${sandbox.url}/crm/v8/users?type=CurrentUser`);

    expect(accepted.status).toBe(200);
    expect(refused.status).toBe(401);
  });

  it('rejects a reset as undici does, with ECONNRESET in the cause', async () => {
    const { sandbox, exchange, grantCode } = setUp();
    sandbox.injectFaults('reset');

    const failure = await exchange(grantCode()).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(TypeError);
    expect((failure as TypeError).message).toBe('fetch failed');
    expect((failure as TypeError).cause).toMatchObject({ code: 'ECONNRESET' });
  });

  it.each(['hang', 'lost-answer'] as const)(
    'holds a %s until the request is aborted, then rejects with the signal reason',
    async (fault) => {
      // Prepare
      const controller = new AbortController();
      let heldSignal: AbortSignal | undefined;
      const { sandbox, exchange, grantCode } = setUp({ onHeld: (signal) => (heldSignal = signal) });
      sandbox.injectFaults(fault);
      const reason = new DOMException('The operation was aborted due to timeout', 'TimeoutError');
      let settled = false;

      // Act: the request is held, many turns pass, then the client gives up
      const pending = exchange(grantCode(), controller.signal).then(
        () => undefined,
        (error: unknown) => error,
      );
      void pending.finally(() => (settled = true));
      for (let turn = 0; turn < 5; turn += 1) await new Promise((resolve) => setImmediate(resolve));
      const settledBeforeAbort = settled;
      controller.abort(reason);

      // Assess
      expect(heldSignal).toBe(controller.signal);
      expect(settledBeforeAbort).toBe(false);
      expect(await pending).toBe(reason);
    },
  );

  it('spends the grant code on a lost-answer, so sending it again is refused', async () => {
    const controller = new AbortController();
    const { sandbox, exchange, grantCode } = setUp({ onHeld: () => controller.abort() });
    const code = grantCode();
    sandbox.injectFaults('lost-answer');

    await expect(exchange(code, controller.signal)).rejects.toThrow();
    const again = await exchange(code);

    expect(sandbox.stats.exchanges).toBe(1);
    expect(await again.json()).toEqual({ error: 'invalid_code' });
  });

  it('does not hand a request in whose signal is already aborted', async () => {
    const { sandbox, exchange, grantCode } = setUp();

    await expect(exchange(grantCode(), AbortSignal.abort())).rejects.toThrow();

    expect(sandbox.stats.tokenRequests).toBe(0);
  });

  it('resolves concurrent requests in the order its turns decide', async () => {
    // The first request is held back 20 turns before the sandbox takes it; every other wait is none.
    const delays = [20];
    const { fetch, sandbox } = setUp({ turns: () => delays.shift() ?? 0 });
    const order: string[] = [];
    const call = (name: string) =>
      fetch(`${sandbox.url}/api/v1/tickets`).then(() => {
        order.push(name);
      });

    await Promise.all([call('first'), call('second')]);

    expect(order).toEqual(['second', 'first']);
  });
});
