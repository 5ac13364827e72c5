import { InvokeCommand } from '@aws-sdk/client-lambda';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EXIT_CODES } from '../../cli/lib/exit-codes.js';
import type { StatusReport } from '../../cli/lib/status-report.js';
import { run } from '../../cli/status.js';
import {
  ALARM_NAMES,
  CLIENT_ID,
  EXCHANGE_FUNCTION,
  FakeDeployment,
  SCHEDULE_NAME,
  SECRET_VALUES,
} from './fake-deployment.js';
import { type FakeIo, fakeIo } from './fake-io.js';

const CONNECTED_AT = new Date('2026-11-30T08:00:00.000Z');
let now = new Date('2026-11-30T08:30:00.000Z');
let deployment: FakeDeployment;

beforeEach(() => {
  now = new Date('2026-11-30T08:30:00.000Z');
  deployment = new FakeDeployment(() => now);
});

afterEach(() => {
  deployment.restore();
});

function status(argv: string[], io: FakeIo) {
  return run(argv, io, { now: () => now });
}

/** Every status run: no secret shown, one status request and nothing else asked of the function. */
function expectOnlyAStatusRequest(io: FakeIo): void {
  for (const value of SECRET_VALUES) expect(io.text()).not.toContain(value);
  expect(deployment.events).toEqual([{ status: true }]);
  expect(deployment.forbiddenCalls()).toBe(0);
}

describe('status: connection states', () => {
  it('GIVEN a healthy connection WHEN asked THEN it shows the connection and exits 0', async () => {
    deployment.storeConnection(CONNECTED_AT);
    const io = fakeIo();

    const exitCode = await status([], io);

    expect(exitCode).toBe(EXIT_CODES.ok);
    expect(io.out).toEqual([
      'Connection "default" (region eu-west-1): connected, healthy',
      '  State:            connected',
      `  Client:           ${CLIENT_ID} (id and secret stored)`,
      '  Data centre:      Europe (https://accounts.zoho.eu)',
      '  API domain:       https://www.zohoapis.eu',
      '  Scope:            ZohoCRM.modules.ALL',
      '  Connected at:     2026-11-30T08:00:00.000Z (30 minutes ago)',
      '  Token expires:    2026-11-30T09:00:00.000Z (in 30 minutes)',
      '  Last refresh:     2026-11-30T08:00:00.000Z (30 minutes ago)',
      `  Refresh schedule: ENABLED, rate(50 minutes) (${SCHEDULE_NAME})`,
      'Alarms:',
      `  OK  ${ALARM_NAMES[0]}`,
      `  OK  ${ALARM_NAMES[1]}`,
    ]);
    expect(io.err).toEqual([]);
    const invoke = deployment.lambda.commandCalls(InvokeCommand)[0]?.args[0].input;
    expect(invoke?.FunctionName).toBe(EXCHANGE_FUNCTION);
    expect(invoke?.InvocationType).toBe('RequestResponse');
    expectOnlyAStatusRequest(io);
  });

  it('GIVEN nothing connected yet WHEN asked THEN it says to connect, with the client, and exits 1', async () => {
    const io = fakeIo();

    const exitCode = await status([], io);

    expect(exitCode).toBe(EXIT_CODES.userError);
    const out = io.out.join('\n');
    expect(io.out[0]).toContain('NOT CONNECTED');
    expect(out).toMatch(/State: +not connected/);
    expect(out).toMatch(/Client: +not stored/);
    expect(out).toContain(
      '1. Not connected: generate a grant code in the API Console of the Europe data centre, https://api-console.zoho.eu (Self Client > ' +
        'Generate Code) and run npx zoho-token-keeper connect --code <grant code>. No client id and secret are stored yet',
    );
    expect(out).not.toContain('Token expires');
    expectOnlyAStatusRequest(io);
  });

  it('GIVEN a disconnected connection with its client kept WHEN asked THEN only a code is needed', async () => {
    deployment.storeClient();
    const io = fakeIo();

    expect(await status([], io)).toBe(EXIT_CODES.userError);
    const out = io.out.join('\n');
    expect(out).toContain(`Client:           ${CLIENT_ID} (id and secret stored)`);
    expect(out).toContain('npx zoho-token-keeper connect --code <grant code>.');
    expect(out).not.toContain('No client id and secret are stored yet');
  });

  it('GIVEN Zoho revoked the refresh token WHEN asked THEN it says reconnect with a new code and exits 3', async () => {
    deployment.storeConnection(CONNECTED_AT);
    deployment.markNeedsReconnect(new Date('2026-11-30T08:20:00.000Z'));
    const io = fakeIo();

    expect(await status([], io)).toBe(EXIT_CODES.needsAttention);
    const out = io.out.join('\n');
    expect(io.out[0]).toContain('NEEDS RECONNECT');
    expect(out).toContain(
      'State:            needs reconnect (refresh-token-revoked) since 2026-11-30T08:20:00.000Z (10 minutes ago)',
    );
    expect(out).toContain(
      'Last failure:     RefreshTokenRevokedError at 2026-11-30T08:20:00.000Z (10 minutes ago)',
    );
    expect(out).toContain(
      '1. Zoho no longer accepts the stored refresh token (refresh-token-revoked) since 2026-11-30T08:20:00.000Z',
    );
    expect(out).toContain(
      'run npx zoho-token-keeper connect --code <grant code> (only a new grant code is needed)',
    );
    expectOnlyAStatusRequest(io);
  });
});

describe('status: needs attention', () => {
  it('GIVEN an access token that expired WHEN asked THEN it says how long ago, points to the runbook and exits 3', async () => {
    deployment.storeConnection(CONNECTED_AT);
    now = new Date('2026-11-30T09:05:00.000Z');
    const io = fakeIo();

    expect(await status([], io)).toBe(EXIT_CODES.needsAttention);
    const out = io.out.join('\n');
    expect(out).toContain('connected, NEEDS ATTENTION');
    expect(out).toContain('Token expires:    2026-11-30T09:00:00.000Z (expired 5 minutes ago)');
    expect(out).toContain('The access token expired 5 minutes ago');
    expect(out).toContain('docs/operating.md, "Alarms: runbook"');
    expect(out).toContain(
      'invoke the connection\'s refresh function (described "Refreshes the Zoho access token (connection default)" ' +
        'in the Lambda console) with {"force": true}; its log is /zoho-token-keeper/default/refresh.',
    );
  });

  it('GIVEN a schedule switched off by hand WHEN asked THEN it flags it and exits 3', async () => {
    deployment.storeConnection(CONNECTED_AT);
    deployment.exchangeFunction.connection.scheduleState = 'DISABLED';
    const io = fakeIo();

    expect(await status([], io)).toBe(EXIT_CODES.needsAttention);
    const out = io.out.join('\n');
    expect(out).toContain(`Refresh schedule: DISABLED, rate(50 minutes) (${SCHEDULE_NAME})`);
    expect(out).toContain(
      `The refresh schedule ${SCHEDULE_NAME} is DISABLED. Nothing switches it off at runtime`,
    );
    expect(out).toContain('Enable it again in the EventBridge Scheduler console.');
  });

  it('GIVEN a schedule the function could not read WHEN asked THEN it says so and exits 3', async () => {
    deployment.storeConnection(CONNECTED_AT);
    delete deployment.exchangeFunction.connection.scheduleState;
    const io = fakeIo();

    expect(await status([], io)).toBe(EXIT_CODES.needsAttention);
    expect(io.out.join('\n')).toContain(`Refresh schedule: UNKNOWN, rate(50 minutes) (${SCHEDULE_NAME})`);
    expect(io.out.join('\n')).toContain('could not read the refresh schedule');
  });

  it('GIVEN a failed refresh with a pause and a follow-up WHEN asked THEN it shows them and exits 3', async () => {
    deployment.storeConnection(CONNECTED_AT);
    Object.assign(deployment.exchangeFunction.connection, {
      lastFailure: { at: '2026-11-30T08:25:00.000Z', error: 'ZohoRateLimitedError' },
      retryAfter: '2026-11-30T08:35:00.000Z',
      followUpAt: '2026-11-30T08:40:00.000Z',
    });
    const io = fakeIo();

    expect(await status([], io)).toBe(EXIT_CODES.needsAttention);
    const out = io.out.join('\n');
    expect(out).toContain(
      'Last failure:     ZohoRateLimitedError at 2026-11-30T08:25:00.000Z (5 minutes ago)',
    );
    expect(out).toContain('Retry after:      2026-11-30T08:35:00.000Z (in 5 minutes)');
    expect(out).toContain('Follow-up run:    pending, 2026-11-30T08:40:00.000Z (in 10 minutes)');
    expect(out).toContain(
      'The last refresh failed with ZohoRateLimitedError (5 minutes ago) and none has succeeded since. ' +
        'Runs make no Zoho call until 2026-11-30T08:35:00.000Z (in 5 minutes).',
    );
  });

  it('GIVEN a failure older than the last refresh WHEN asked THEN it is shown but the connection is healthy', async () => {
    deployment.storeConnection(CONNECTED_AT);
    deployment.exchangeFunction.connection.lastFailure = {
      at: '2026-11-30T07:10:00.000Z',
      error: 'ZohoUnavailableError',
    };
    const io = fakeIo();

    expect(await status([], io)).toBe(EXIT_CODES.ok);
    expect(io.out.join('\n')).toContain('Last failure:     ZohoUnavailableError at 2026-11-30T07:10:00.000Z');
  });

  it('GIVEN an alarm in ALARM WHEN asked THEN it lists it with its meaning and exits 3', async () => {
    deployment.storeConnection(CONNECTED_AT);
    deployment.setAlarm(ALARM_NAMES[0], 'ALARM', 'A refresh of the Zoho access token failed.');
    const io = fakeIo();

    expect(await status([], io)).toBe(EXIT_CODES.needsAttention);
    const out = io.out.join('\n');
    expect(out).toContain(`  ALARM  ${ALARM_NAMES[0]}`);
    expect(out).toContain(
      `Alarm ${ALARM_NAMES[0]} is in ALARM. A refresh of the Zoho access token failed. See docs/operating.md, "Alarms: runbook".`,
    );
  });
});

describe('status: --json', () => {
  it('GIVEN --json WHEN asked THEN it prints one JSON object without any secret', async () => {
    deployment.storeConnection(CONNECTED_AT);
    const io = fakeIo();

    expect(await status(['--json'], io)).toBe(EXIT_CODES.ok);
    expect(io.out).toHaveLength(1);
    const report = JSON.parse(io.out[0] ?? '') as StatusReport;
    expect(report).toEqual({
      connection: 'default',
      exchange_function: EXCHANGE_FUNCTION,
      region: 'eu-west-1',
      health: 'healthy',
      connection_state: 'connected',
      state_reason: null,
      state_since: '2026-11-30T08:00:00.000Z',
      client_stored: true,
      client_id: CLIENT_ID,
      data_centre: 'Europe (https://accounts.zoho.eu)',
      api_domain: 'https://www.zohoapis.eu',
      scope: 'ZohoCRM.modules.ALL',
      connected_at: '2026-11-30T08:00:00.000Z',
      token: {
        expires_at: '2026-11-30T09:00:00.000Z',
        expires_in_minutes: 30,
        refreshed_at: '2026-11-30T08:00:00.000Z',
      },
      last_failure: null,
      retry_after: null,
      schedule: { name: SCHEDULE_NAME, state: 'ENABLED', expression: 'rate(50 minutes)', follow_up_at: null },
      alarms: [
        { name: ALARM_NAMES[0], state: 'OK' },
        { name: ALARM_NAMES[1], state: 'OK' },
      ],
      actions: [],
    });
    expectOnlyAStatusRequest(io);
  });

  it('GIVEN --json and a revoked refresh token WHEN asked THEN the state and its reason are in the object', async () => {
    deployment.storeConnection(CONNECTED_AT);
    deployment.markNeedsReconnect(new Date('2026-11-30T08:20:00.000Z'));
    const io = fakeIo();

    expect(await status(['--json'], io)).toBe(EXIT_CODES.needsAttention);
    const report = JSON.parse(io.out[0] ?? '') as StatusReport;
    expect(report).toMatchObject({
      health: 'needs-attention',
      connection_state: 'needs-reconnect',
      state_reason: 'refresh-token-revoked',
      last_failure: { at: '2026-11-30T08:20:00.000Z', error: 'RefreshTokenRevokedError' },
    });
    expect(report.actions[0]).toContain('npx zoho-token-keeper connect --code <grant code>');
  });
});

describe('status: failures', () => {
  it('GIVEN a function deployed before the status event WHEN asked THEN it says to deploy this version and exits 1', async () => {
    deployment.failWith(
      'status',
      'InvalidEventError',
      'The exchange event has unknown field(s) status; allowed are code, client_id and client_secret.',
    );
    const io = fakeIo();

    expect(await status([], io)).toBe(EXIT_CODES.userError);
    expect(io.err).toEqual([
      'Error: The exchange function does not understand {"status": true}: it was deployed from an older version than these commands.',
      'Details from the exchange function: The exchange event has unknown field(s) status; allowed are code, client_id and client_secret.',
      'What to do:',
      '  1. Deploy this version: npx cdk deploy -c dataCenter=<data centre> -c connectionName=default',
      '  2. Then run npx zoho-token-keeper status again.',
    ]);
    expect(io.out).toEqual([]);
  });

  it('GIVEN a misconfigured function WHEN asked THEN it says so and exits 1', async () => {
    deployment.failWith('status', 'ConfigError', 'CREDENTIALS_SECRET_ID is not set.');
    const io = fakeIo();

    expect(await status([], io)).toBe(EXIT_CODES.userError);
    expect(io.err[0]).toContain('misconfigured (ConfigError)');
    expect(io.err.join('\n')).toContain('CREDENTIALS_SECRET_ID is not set.');
  });

  it('GIVEN the function times out WHEN asked THEN it points to its log and exits 2', async () => {
    deployment.failWith('status', 'Sandbox.Timedout', 'Task timed out after 10.00 seconds');
    const io = fakeIo();

    expect(await status([], io)).toBe(EXIT_CODES.serviceError);
    const err = io.err.join('\n');
    expect(err).toContain('Error: The exchange function could not report the status (Sandbox.Timedout).');
    expect(err).toContain('aws logs tail /zoho-token-keeper/default/exchange --since 15m');
  });

  it('GIVEN the operator may not invoke the function WHEN asked THEN it names the permission and exits 1', async () => {
    deployment.lambda.on(InvokeCommand).rejects(
      Object.assign(
        new Error(
          'User: arn:aws:iam::123456789012:user/ops is not authorized to perform: lambda:InvokeFunction',
        ),
        {
          name: 'AccessDeniedException',
        },
      ),
    );
    const io = fakeIo();

    expect(await status([], io)).toBe(EXIT_CODES.userError);
    expect(io.err[0]).toContain(
      `Your AWS identity may not invoke the exchange function ${EXCHANGE_FUNCTION}`,
    );
    expect(io.err.join('\n')).toContain('lambda:InvokeFunction');
  });

  it('GIVEN a connection that is not deployed WHEN asked THEN it says so and exits 1', async () => {
    const io = fakeIo();

    expect(await status(['--connection', 'crm-eu'], io)).toBe(EXIT_CODES.userError);
    expect(io.err[0]).toBe(
      'Error: No connection "crm-eu" in region eu-west-1: its exchange function zoho-token-keeper-crm-eu-exchange ' +
        'does not exist.',
    );
  });

  it('GIVEN an invalid connection name WHEN asked THEN it explains the rule and exits 1', async () => {
    const io = fakeIo();

    expect(await status(['--connection', 'CRM EU'], io)).toBe(EXIT_CODES.userError);
    expect(io.err[0]).toContain('lower-case letters');
  });
});
