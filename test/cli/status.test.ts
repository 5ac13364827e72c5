import { CreateScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EXIT_CODES } from '../../cli/lib/exit-codes.js';
import type { StatusReport } from '../../cli/lib/status-report.js';
import { run } from '../../cli/status.js';
import {
  ALARM_NAMES,
  CLIENT_ID,
  FakeDeployment,
  REFRESH_FUNCTION,
  SCHEDULE_NAME,
  SECRET_VALUES,
} from './fake-deployment.js';
import { type FakeIo, fakeIo } from './fake-io.js';

const CONNECTED_AT = new Date('2026-11-30T08:00:00.000Z');
const HALF_AN_HOUR_LATER = new Date('2026-11-30T08:30:00.000Z');

let deployment: FakeDeployment;

beforeEach(() => {
  deployment = new FakeDeployment();
});

afterEach(() => {
  deployment.restore();
});

function status(argv: string[], io: FakeIo, now = HALF_AN_HOUR_LATER) {
  return run(argv, io, { now: () => now });
}

function expectNoSecret(io: FakeIo): void {
  for (const value of [...SECRET_VALUES, CLIENT_ID]) expect(io.text()).not.toContain(value);
}

describe('status', () => {
  it('GIVEN a healthy connection WHEN asked THEN it shows the connection and exits 0', async () => {
    deployment.storeConnection(CONNECTED_AT);
    const io = fakeIo();

    const exitCode = await status([], io);

    expect(exitCode).toBe(EXIT_CODES.ok);
    expect(io.out).toEqual([
      'Connection "default" (stack ZohoTokenKeeper-default, region eu-west-1): connected, healthy',
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
    expectNoSecret(io);
  });

  it('GIVEN nothing connected yet WHEN asked THEN it says to connect and exits 1', async () => {
    const io = fakeIo();

    const exitCode = await status([], io);

    expect(exitCode).toBe(EXIT_CODES.userError);
    const out = io.out.join('\n');
    expect(out).toContain('NOT CONNECTED');
    expect(out).toMatch(/Client id\/secret: +not stored/);
    expect(out).toContain(
      '1. Not connected: generate a grant code in the API Console of the Europe data centre, https://api-console.zoho.eu (Self Client > ' +
        'Generate Code) and run npm run connect -- --code <grant code>. No client id and secret are stored yet',
    );
  });

  it('GIVEN an access token that expired WHEN asked THEN it says how long ago, points to the runbook and exits 3', async () => {
    deployment.storeConnection(CONNECTED_AT);
    const io = fakeIo();

    const exitCode = await status([], io, new Date('2026-11-30T09:05:00.000Z'));

    expect(exitCode).toBe(EXIT_CODES.needsAttention);
    const out = io.out.join('\n');
    expect(out).toContain('connected, NEEDS ATTENTION');
    expect(out).toContain('Token expires:    2026-11-30T09:00:00.000Z (expired 5 minutes ago)');
    expect(out).toContain('The access token expired 5 minutes ago');
    expect(out).toContain('the README, "Alarms: runbook"');
    expect(out).toContain(`aws lambda invoke --function-name ${REFRESH_FUNCTION}`);
  });

  it('GIVEN a disabled schedule while connected WHEN asked THEN it suspects a revoked refresh token and exits 3', async () => {
    deployment.storeConnection(CONNECTED_AT);
    deployment.scheduler.seedRefreshSchedule(SCHEDULE_NAME);
    const io = fakeIo();

    expect(await status([], io)).toBe(EXIT_CODES.needsAttention);
    const out = io.out.join('\n');
    expect(out).toContain('The refresh schedule is disabled although tokens are stored');
    expect(out).toContain('revoked');
    expect(out).toContain('npm run connect -- --code <grant code>');
  });

  it('GIVEN an alarm in ALARM WHEN asked THEN it lists it with its meaning and exits 3', async () => {
    deployment.storeConnection(CONNECTED_AT);
    deployment.setAlarm(ALARM_NAMES[0], 'ALARM', 'A refresh of the Zoho access token failed.');
    const io = fakeIo();

    expect(await status([], io)).toBe(EXIT_CODES.needsAttention);
    const out = io.out.join('\n');
    expect(out).toContain(`  ALARM  ${ALARM_NAMES[0]}`);
    expect(out).toContain(
      `Alarm ${ALARM_NAMES[0]} is in ALARM. A refresh of the Zoho access token failed. See the README, "Alarms: runbook".`,
    );
  });

  it('GIVEN a pending follow-up refresh WHEN asked THEN it is shown', async () => {
    deployment.storeConnection(CONNECTED_AT);
    await new SchedulerClient({}).send(
      new CreateScheduleCommand({
        Name: `${SCHEDULE_NAME}-retry`,
        GroupName: 'default',
        ScheduleExpression: 'at(2026-11-30T08:40:00)',
        FlexibleTimeWindow: { Mode: 'OFF' },
        Target: {
          Arn: 'arn:aws:lambda:eu-west-1:123456789012:function:refresh',
          RoleArn: 'arn:aws:iam::1:role/r',
        },
      }),
    );
    const io = fakeIo();

    expect(await status([], io)).toBe(EXIT_CODES.ok);
    expect(io.out.join('\n')).toContain(
      `Follow-up run:    pending, at(2026-11-30T08:40:00) (${SCHEDULE_NAME}-retry)`,
    );
  });

  it('GIVEN --json WHEN asked THEN it prints one JSON object without any secret', async () => {
    deployment.storeConnection(CONNECTED_AT);
    const io = fakeIo();

    expect(await status(['--json'], io)).toBe(EXIT_CODES.ok);
    expect(io.out).toHaveLength(1);
    const report = JSON.parse(io.out[0] ?? '') as StatusReport;
    expect(report).toEqual({
      connection: 'default',
      stack: 'ZohoTokenKeeper-default',
      region: 'eu-west-1',
      health: 'healthy',
      connected: true,
      client_stored: true,
      data_centre: 'Europe (https://accounts.zoho.eu)',
      api_domain: 'https://www.zohoapis.eu',
      scope: 'ZohoCRM.modules.ALL',
      connected_at: '2026-11-30T08:00:00.000Z',
      token: {
        expires_at: '2026-11-30T09:00:00.000Z',
        expires_in_minutes: 30,
        refreshed_at: '2026-11-30T08:00:00.000Z',
      },
      schedule: { name: SCHEDULE_NAME, state: 'ENABLED', expression: 'rate(50 minutes)', follow_up: null },
      alarms: [
        { name: ALARM_NAMES[0], state: 'OK' },
        { name: ALARM_NAMES[1], state: 'OK' },
      ],
      actions: [],
    });
    expectNoSecret(io);
  });

  it('GIVEN a connection that is not deployed WHEN asked THEN it says so and exits 1', async () => {
    const io = fakeIo();

    expect(await status(['--connection', 'crm-eu'], io)).toBe(EXIT_CODES.userError);
    expect(io.err[0]).toBe('Error: No stack named ZohoTokenKeeper-crm-eu in region eu-west-1.');
  });

  it('GIVEN an invalid connection name WHEN asked THEN it explains the rule and exits 1', async () => {
    const io = fakeIo();

    expect(await status(['--connection', 'CRM EU'], io)).toBe(EXIT_CODES.userError);
    expect(io.err[0]).toContain('lower-case letters');
  });
});
