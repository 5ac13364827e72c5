import { InvokeCommand } from '@aws-sdk/client-lambda';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { run } from '../../cli/disconnect.js';
import { EXIT_CODES } from '../../cli/lib/exit-codes.js';
import { CLIENT_ID, CLIENT_SECRET, FakeDeployment, SCHEDULE_NAME, SECRET_VALUES } from './fake-deployment.js';
import type { FakeConnection } from './fake-exchange-function.js';
import { type FakeIo, fakeIo } from './fake-io.js';

const NOW = new Date('2026-11-30T08:30:00.000Z');
let deployment: FakeDeployment;
let before: FakeConnection;

beforeEach(() => {
  deployment = new FakeDeployment(() => NOW);
  deployment.storeConnection(new Date('2026-11-30T08:00:00.000Z'));
  deployment.exchangeFunction.connection.followUpAt = '2026-11-30T08:40:00.000Z';
  before = { ...deployment.exchangeFunction.connection };
});

afterEach(() => {
  deployment.restore();
});

function disconnect(argv: string[], io: FakeIo) {
  return run(argv, io, { now: () => NOW });
}

function expectNothingChanged(): void {
  expect(deployment.exchangeFunction.connection).toEqual(before);
}

/** Every disconnect run: no secret shown, no secret or schedule touched from the laptop. */
function expectNoSecret(io: FakeIo): void {
  for (const value of SECRET_VALUES) expect(io.text()).not.toContain(value);
  expect(deployment.forbiddenCalls()).toBe(0);
}

describe('disconnect: confirmation', () => {
  it('GIVEN no terminal and no --yes WHEN run THEN it refuses before any call and exits 1', async () => {
    const io = fakeIo();

    expect(await disconnect([], io)).toBe(EXIT_CODES.userError);
    expect(io.err[0]).toBe(
      'Error: Refusing to disconnect without confirmation: there is no terminal to ask.',
    );
    expect(io.err.join('\n')).toContain('npx zoho-token-keeper disconnect --yes');
    expect(deployment.lambda.calls()).toHaveLength(0);
    expectNothingChanged();
  });

  it('GIVEN a terminal WHEN the operator types another name THEN nothing changes and it exits 1', async () => {
    const io = fakeIo({ isTTY: true, answers: ['y'] });

    expect(await disconnect([], io)).toBe(EXIT_CODES.userError);
    expect(io.out).toEqual([
      'This disconnects connection "default" (region eu-west-1):',
      '  - revoke its refresh token at https://accounts.zoho.eu, and every access token made from it;',
      '  - clear the stored tokens (the client id and secret are kept);',
      '  - cancel any pending follow-up refresh.',
    ]);
    expect(io.prompts).toEqual([
      { question: 'Type the connection name (default) to confirm: ', secret: false },
    ]);
    expect(io.err).toEqual(['Error: Not confirmed: nothing was changed.']);
    expect(deployment.eventsOf('disconnect')).toEqual([]);
    expectNothingChanged();
  });

  it('GIVEN --yes WHEN run in a terminal THEN nothing is asked', async () => {
    const io = fakeIo({ isTTY: true });

    expect(await disconnect(['--yes'], io)).toBe(EXIT_CODES.ok);
    expect(io.prompts).toEqual([]);
  });
});

describe('disconnect: through the exchange function', () => {
  it('GIVEN a confirmed disconnect THEN one disconnect request revokes, clears and cancels, and it says how to reconnect', async () => {
    const io = fakeIo({ isTTY: true, answers: ['default'] });

    expect(await disconnect([], io)).toBe(EXIT_CODES.ok);
    expect(deployment.events).toEqual([{ status: true }, { disconnect: true }]);
    expect(io.out.slice(4)).toEqual([
      'The exchange function:',
      '  - Revoked the refresh token at Zoho, and every access token made from it.',
      '  - Cleared the stored tokens (the client id and secret are kept).',
      '  - Cancelled any pending follow-up refresh.',
      'Disconnected. Readers of the access token now get NotConnectedError until you connect again.',
      `The refresh schedule ${SCHEDULE_NAME} stays enabled: its runs make no Zoho call while not connected.`,
      'To reconnect, generate a grant code in the API Console of the Europe data centre, https://api-console.zoho.eu ' +
        '(Self Client > Generate Code) and run npx zoho-token-keeper connect --code <grant code> (the client id and secret were kept: only a code is needed).',
    ]);
    expect(deployment.exchangeFunction.connection).toEqual({
      state: 'not-connected',
      stateSince: NOW.toISOString(),
      client: { id: CLIENT_ID, secret: CLIENT_SECRET },
      scheduleState: 'ENABLED',
    });
    expectNoSecret(io);
  });

  it('GIVEN a refresh token Zoho already forgot WHEN disconnecting THEN it says so and carries on', async () => {
    deployment.exchangeFunction.zoho = 'forgot-refresh-token';
    const io = fakeIo();

    expect(await disconnect(['--yes'], io)).toBe(EXIT_CODES.ok);
    expect(io.out).toContain(
      '  - The refresh token was already invalid at Zoho (revoked or deleted before).',
    );
    expect(deployment.exchangeFunction.connection.state).toBe('not-connected');
  });

  it('GIVEN nothing connected WHEN disconnecting THEN the plan and the result say there was nothing to revoke', async () => {
    deployment.exchangeFunction.connection = { state: 'not-connected', scheduleState: 'ENABLED' };
    const io = fakeIo();

    expect(await disconnect(['--yes'], io)).toBe(EXIT_CODES.ok);
    const out = io.out.join('\n');
    expect(out).toContain('  - it is not connected, so there is no refresh token to revoke at Zoho;');
    expect(out).toContain('  - No refresh token was stored: nothing to revoke at Zoho.');
    expect(out).not.toContain('the client id and secret were kept');
  });

  it('GIVEN Zoho is unreachable WHEN disconnecting THEN it says nothing changed, to retry, and exits 2', async () => {
    deployment.exchangeFunction.zoho = 'ZohoUnavailableError';
    const io = fakeIo();

    expect(await disconnect(['--yes'], io)).toBe(EXIT_CODES.serviceError);
    expect(io.err).toEqual([
      'Error: The exchange function could not reach Zoho to revoke the refresh token (ZohoUnavailableError), ' +
        'so the disconnect stopped: nothing was changed and the connection still works.',
      'Details from the exchange function: Zoho did not answer the revocation; nothing was changed.',
      'What to do:',
      '  1. Check https://status.zoho.com and wait a few minutes.',
      '  2. Then run npx zoho-token-keeper disconnect again.',
    ]);
    expect(io.out.join('\n')).not.toContain('Disconnected');
    expectNothingChanged();
    expectNoSecret(io);
  });

  it('GIVEN Zoho rate-limits the revocation WHEN disconnecting THEN it says to wait 10 minutes and changes nothing', async () => {
    deployment.exchangeFunction.zoho = 'ZohoRateLimitedError';
    const io = fakeIo();

    expect(await disconnect(['--yes'], io)).toBe(EXIT_CODES.serviceError);
    expect(io.err[0]).toContain('(ZohoRateLimitedError), so the disconnect stopped: nothing was changed');
    expect(io.err.join('\n')).toContain('1. Wait 10 minutes');
    expectNothingChanged();
  });

  it('GIVEN a function deployed before the disconnect event WHEN disconnecting THEN it says to deploy this version', async () => {
    deployment.failWith(
      'disconnect',
      'InvalidEventError',
      'The exchange event has unknown field(s) disconnect.',
    );
    const io = fakeIo();

    expect(await disconnect(['--yes'], io)).toBe(EXIT_CODES.userError);
    expect(io.err[0]).toContain('does not understand {"disconnect": true}');
    expect(io.err.join('\n')).toContain(
      'Deploy this version: npx cdk deploy -c dataCenter=eu -c connectionName=default',
    );
  });

  it('GIVEN the function times out WHEN disconnecting THEN it points to the log and to status, and exits 2', async () => {
    deployment.failWith('disconnect', 'Sandbox.Timedout', 'Task timed out after 60.00 seconds');
    const io = fakeIo();

    expect(await disconnect(['--yes'], io)).toBe(EXIT_CODES.serviceError);
    const err = io.err.join('\n');
    expect(err).toContain('Error: The exchange function could not disconnect (Sandbox.Timedout).');
    expect(err).toContain('aws logs tail /zoho-token-keeper/default/exchange --since 15m');
    expect(err).toContain(
      'Run npx zoho-token-keeper status to see whether it disconnected; disconnecting again is harmless.',
    );
  });

  it('GIVEN the disconnect Invoke fails on the network WHEN disconnecting THEN it suggests status and exits 2', async () => {
    let calls = 0;
    deployment.lambda.on(InvokeCommand).callsFake(() => {
      calls += 1;
      if (calls === 1) {
        const payload = { connection_state: 'connected', client_stored: true, schedule_name: SCHEDULE_NAME };
        return { StatusCode: 200, Payload: new TextEncoder().encode(JSON.stringify(payload)) };
      }
      throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError' });
    });
    const io = fakeIo();

    expect(await disconnect(['--yes'], io)).toBe(EXIT_CODES.serviceError);
    expect(io.err.join('\n')).toContain(
      'Run npx zoho-token-keeper status to see whether it disconnected; running disconnect again is harmless.',
    );
    expect(deployment.lambda.commandCalls(InvokeCommand)).toHaveLength(2);
  });

  it('GIVEN no such connection WHEN disconnecting THEN it exits 1 having asked no function anything', async () => {
    const io = fakeIo();

    expect(await disconnect(['--yes', '--connection', 'crm-eu'], io)).toBe(EXIT_CODES.userError);
    expect(io.err[0]).toContain('No connection "crm-eu" in region eu-west-1');
    expect(deployment.events).toEqual([]);
  });
});
