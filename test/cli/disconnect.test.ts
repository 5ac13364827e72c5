import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { UpdateScheduleCommand } from '@aws-sdk/client-scheduler';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { run } from '../../cli/disconnect.js';
import { EXIT_CODES } from '../../cli/lib/exit-codes.js';
import { ZohoAccountsClient } from '../../functions/lib/zoho/accounts-client.js';
import { ZohoSandbox } from '../sandbox/zoho-sandbox.js';
import { CLIENT_ID, CLIENT_SECRET, FakeDeployment, SCHEDULE_NAME } from './fake-deployment.js';
import { type FakeIo, fakeIo } from './fake-io.js';

let sandbox: ZohoSandbox;
let deployment: FakeDeployment;
let refreshToken: string;

beforeEach(async () => {
  sandbox = await ZohoSandbox.start();
  sandbox.registerClient({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
  refreshToken = await connectInSandbox();
  deployment = new FakeDeployment(sandbox.url);
  deployment.storeConnection(new Date(), sandbox.url, refreshToken);
  seedFollowUp();
});

afterEach(async () => {
  deployment.restore();
  await sandbox.close();
});

/** A real refresh token issued by the sandbox, as an earlier connect would have stored it. */
async function connectInSandbox(): Promise<string> {
  const code = sandbox.issueGrantCode({ clientId: CLIENT_ID });
  const grant = await new ZohoAccountsClient({ accountsUrl: sandbox.url }).exchangeGrantCode(
    { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET },
    code,
  );
  return grant.refreshToken;
}

function seedFollowUp(): void {
  deployment.scheduler.seedRefreshSchedule(`${SCHEDULE_NAME}-retry`, 'default', {
    State: 'ENABLED',
    ScheduleExpression: 'at(2026-11-30T08:40:00)',
  });
}

function disconnect(argv: string[], io: FakeIo) {
  // Fast retries so that the "Zoho unreachable" case takes milliseconds, not seconds. The attempt
  // timeout stays the default: no test here simulates a hang, and a loaded machine can be slow.
  return run(argv, io, {
    zohoAccounts: (accountsUrl) => new ZohoAccountsClient({ accountsUrl, backoffBaseMs: 1 }),
  });
}

function expectNothingChanged(): void {
  expect(sandbox.isRefreshTokenActive(refreshToken)).toBe(true);
  expect(deployment.credentials()).toHaveProperty('refresh_token', refreshToken);
  expect(deployment.accessToken()).toHaveProperty('access_token');
  expect(deployment.scheduleState()).toBe('ENABLED');
  expect(deployment.scheduler.get(`${SCHEDULE_NAME}-retry`)).toBeDefined();
}

describe('disconnect: confirmation', () => {
  it('GIVEN no terminal and no --yes WHEN run THEN it refuses before any call and exits 1', async () => {
    const io = fakeIo();

    expect(await disconnect([], io)).toBe(EXIT_CODES.userError);
    expect(io.err[0]).toBe(
      'Error: Refusing to disconnect without confirmation: there is no terminal to ask.',
    );
    expect(io.err.join('\n')).toContain('npm run disconnect -- --yes');
    expect(deployment.cloudFormation.calls()).toHaveLength(0);
    expectNothingChanged();
  });

  it('GIVEN a terminal WHEN the operator types another name THEN nothing changes and it exits 1', async () => {
    const io = fakeIo({ isTTY: true, answers: ['y'] });

    expect(await disconnect([], io)).toBe(EXIT_CODES.userError);
    expect(io.prompts).toEqual([
      { question: 'Type the connection name (default) to confirm: ', secret: false },
    ]);
    expect(io.err).toEqual(['Error: Not confirmed: nothing was changed.']);
    expectNothingChanged();
  });

  it('GIVEN --yes WHEN run in a terminal THEN nothing is asked', async () => {
    const io = fakeIo({ isTTY: true });

    expect(await disconnect(['--yes'], io)).toBe(EXIT_CODES.ok);
    expect(io.prompts).toEqual([]);
  });
});

describe('disconnect: steps', () => {
  it('GIVEN a confirmed disconnect THEN it revokes, clears, disables and cancels, in that order, and says how to reconnect', async () => {
    const io = fakeIo({ isTTY: true, answers: ['default'] });

    const exitCode = await disconnect([], io);

    expect(exitCode).toBe(EXIT_CODES.ok);
    expect(io.out.filter((line) => /^ {2}\d\/4 /.test(line))).toEqual([
      `  1/4 Revoked the refresh token at ${sandbox.url}.`,
      '  2/4 Cleared the stored tokens (the client id and secret are kept).',
      `  3/4 Disabled the refresh schedule ${SCHEDULE_NAME}.`,
      '  4/4 Cancelled any pending follow-up refresh.',
    ]);
    expect(sandbox.isRefreshTokenActive(refreshToken)).toBe(false);
    expect(deployment.credentials()).toEqual({
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
      accounts_url: sandbox.url,
    });
    expect(deployment.accessToken()).toEqual({});
    expect(deployment.scheduleState()).toBe('DISABLED');
    expect(deployment.scheduler.get(`${SCHEDULE_NAME}-retry`)).toBeUndefined();
    const out = io.out.join('\n');
    expect(out).toContain('npm run connect -- --code <grant code> (the client id and secret were kept');
    expect(io.text()).not.toContain(refreshToken);
    expect(io.text()).not.toContain(CLIENT_SECRET);
  });

  it('GIVEN Zoho is unreachable WHEN disconnecting THEN it stops before clearing anything and exits 2', async () => {
    sandbox.setOutage('server-error');
    const io = fakeIo();

    const exitCode = await disconnect(['--yes'], io);

    expect(exitCode).toBe(EXIT_CODES.serviceError);
    const err = io.err.join('\n');
    expect(err).toContain('Could not revoke the refresh token at Zoho (ZohoUnavailableError)');
    expect(err).toContain('nothing was changed');
    expect(err).toContain('https://status.zoho.com');
    expect(err).toContain('Then run npm run disconnect again.');
    expect(io.out.some((line) => line.includes('1/4'))).toBe(false);
    sandbox.setOutage(undefined);
    expectNothingChanged();
    expect(io.text()).not.toContain(refreshToken);
  });

  it('GIVEN Zoho rate-limits the revocation WHEN disconnecting THEN it says to wait 10 minutes and changes nothing', async () => {
    sandbox.injectFaults('rate-limit');
    const io = fakeIo();

    expect(await disconnect(['--yes'], io)).toBe(EXIT_CODES.serviceError);
    expect(io.err.join('\n')).toContain('1. Wait 10 minutes');
    expectNothingChanged();
  });

  it('GIVEN a refresh token Zoho already forgot WHEN disconnecting THEN it says so and carries on', async () => {
    sandbox.revokeRefreshToken(refreshToken);
    const io = fakeIo();

    expect(await disconnect(['--yes'], io)).toBe(EXIT_CODES.ok);
    expect(io.out).toContain(
      `  1/4 The refresh token was already invalid at ${sandbox.url} (revoked or deleted before).`,
    );
    expect(deployment.accessToken()).toEqual({});
  });

  it('GIVEN nothing connected WHEN disconnecting THEN nothing is revoked and the rest still runs', async () => {
    deployment.storeClient();
    const io = fakeIo();

    expect(await disconnect(['--yes'], io)).toBe(EXIT_CODES.ok);
    expect(io.out).toContain('  1/4 No refresh token stored: nothing to revoke at Zoho.');
    // Only the exchange that set up the test: no revocation was sent.
    expect(sandbox.stats.tokenRequests).toBe(1);
    expect(deployment.scheduleState()).toBe('DISABLED');
  });

  it('GIVEN the schedule cannot be updated WHEN disconnecting THEN it reports what was done and how to finish', async () => {
    deployment.scheduler.mock.on(UpdateScheduleCommand).rejects(
      Object.assign(new Error('User is not authorized to perform: scheduler:UpdateSchedule'), {
        name: 'AccessDeniedException',
      }),
    );
    const io = fakeIo();

    const exitCode = await disconnect(['--yes'], io);

    expect(exitCode).toBe(EXIT_CODES.userError);
    const err = io.err.join('\n');
    expect(err).toContain('Your AWS identity may not disable the refresh schedule');
    expect(err).toContain('The disconnect stopped part-way.');
    expect(err).toContain('Already done:');
    expect(err).toContain('Cleared the stored tokens');
    expect(err).toContain('run npm run disconnect again to finish');
  });

  it('GIVEN the stack is missing WHEN disconnecting THEN it exits 1 without touching Zoho', async () => {
    deployment.cloudFormation.on(DescribeStacksCommand).rejects(
      Object.assign(new Error('Stack with id ZohoTokenKeeper-default does not exist'), {
        name: 'ValidationException',
      }),
    );
    const io = fakeIo();

    expect(await disconnect(['--yes'], io)).toBe(EXIT_CODES.userError);
    expect(io.err[0]).toContain('No stack named ZohoTokenKeeper-default');
    // Only the exchange that set up the test: no revocation was sent.
    expect(sandbox.stats.tokenRequests).toBe(1);
  });
});
