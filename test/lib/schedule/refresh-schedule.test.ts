import {
  ConflictException,
  CreateScheduleCommand,
  DeleteScheduleCommand,
  GetScheduleCommand,
  type GetScheduleCommandOutput,
  ResourceNotFoundException,
  SchedulerClient,
  SchedulerServiceException,
  UpdateScheduleCommand,
} from '@aws-sdk/client-scheduler';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../functions/lib/errors.js';
import { followUpScheduleName, RefreshSchedule } from '../../../functions/lib/schedule/refresh-schedule.js';
import { InMemoryScheduler } from '../../support/in-memory-aws.js';

const NAME = 'zoho-crm-refresh';
const GROUP = 'zoho-token-keeper';
const NOW = new Date('2026-11-30T08:00:00.000Z');

const TARGET = {
  Arn: 'arn:aws:lambda:eu-west-1:123456789012:function:zoho-refresh',
  RoleArn: 'arn:aws:iam::123456789012:role/zoho-refresh-scheduler',
  Input: '{"source":"schedule"}',
  RetryPolicy: { MaximumEventAgeInSeconds: 600, MaximumRetryAttempts: 2 },
  DeadLetterConfig: { Arn: 'arn:aws:sqs:eu-west-1:123456789012:zoho-refresh-dlq' },
};

/** Every field GetSchedule can return, so a dropped field shows up in the comparison. */
function mainSchedule(overrides: Partial<GetScheduleCommandOutput> = {}): GetScheduleCommandOutput {
  return {
    $metadata: { httpStatusCode: 200 },
    Arn: `arn:aws:scheduler:eu-west-1:123456789012:schedule/${GROUP}/${NAME}`,
    Name: NAME,
    GroupName: GROUP,
    ScheduleExpression: 'rate(50 minutes)',
    ScheduleExpressionTimezone: 'Europe/Dublin',
    StartDate: new Date('2026-01-01T00:00:00.000Z'),
    EndDate: new Date('2030-01-01T00:00:00.000Z'),
    Description: 'Keeps the Zoho access token fresh',
    State: 'DISABLED',
    CreationDate: new Date('2026-01-01T00:00:00.000Z'),
    LastModificationDate: new Date('2026-06-01T00:00:00.000Z'),
    KmsKeyArn: 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
    Target: TARGET,
    FlexibleTimeWindow: { Mode: 'FLEXIBLE', MaximumWindowInMinutes: 5 },
    ActionAfterCompletion: 'NONE',
    ...overrides,
  };
}

// Re-created before each test: the in-memory fake below replaces the stub while it is in use.
let scheduler = mockClient(SchedulerClient);

function newSchedule(now: Date = NOW): RefreshSchedule {
  return new RefreshSchedule({ client: new SchedulerClient({}), name: NAME, group: GROUP, now: () => now });
}

function awsError(name: string): SchedulerServiceException {
  return new SchedulerServiceException({
    name,
    $fault: 'client',
    $metadata: {},
    message: `${name} from Scheduler`,
  });
}

function notFound(): ResourceNotFoundException {
  const message = 'Schedule not found.';
  return new ResourceNotFoundException({ $metadata: {}, message, Message: message });
}

function conflict(): ConflictException {
  const message = 'Schedule already exists.';
  return new ConflictException({ $metadata: {}, message, Message: message });
}

async function failureOf(action: Promise<unknown>): Promise<Error> {
  try {
    await action;
  } catch (error) {
    expect(error).toBeInstanceOf(Error);
    return error as Error;
  }
  throw new Error('expected the call to fail, but it succeeded');
}

function createdInputs() {
  return scheduler.commandCalls(CreateScheduleCommand).map((call) => call.args[0].input);
}

beforeEach(() => {
  scheduler = mockClient(SchedulerClient);
});

afterEach(() => {
  scheduler.restore();
});

describe('describe', () => {
  it.each([
    ['rate(1 minute)', 1],
    ['rate(50 minutes)', 50],
    ['rate(1 hour)', 60],
    ['rate(2 hours)', 120],
    ['rate(1 day)', 1440],
    ['rate(3 days)', 4320],
    ['cron(0/50 * * * ? *)', undefined],
    ['at(2026-11-30T08:00:00)', undefined],
  ])('reads %s as a rate of %s minutes', async (expression, rateMinutes) => {
    scheduler
      .on(GetScheduleCommand)
      .resolves(mainSchedule({ ScheduleExpression: expression, State: 'ENABLED' }));

    const state = await newSchedule().describe();

    expect(state).toEqual({ state: 'ENABLED', expression, rateMinutes });
  });

  it('reports a disabled schedule as disabled', async () => {
    scheduler.on(GetScheduleCommand).resolves(mainSchedule({ State: 'DISABLED' }));

    expect((await newSchedule().describe()).state).toBe('DISABLED');
  });

  it('reads the main schedule of the configured group', async () => {
    scheduler.on(GetScheduleCommand).resolves(mainSchedule());

    await newSchedule().describe();

    expect(scheduler.commandCalls(GetScheduleCommand).map((call) => call.args[0].input)).toEqual([
      { Name: NAME, GroupName: GROUP },
    ]);
  });

  it('reports a schedule without a state as enabled, as Scheduler does', async () => {
    scheduler.on(GetScheduleCommand).resolves(mainSchedule({ State: undefined }));

    expect((await newSchedule().describe()).state).toBe('ENABLED');
  });

  it('names the schedule, its group and both variables when the schedule does not exist', async () => {
    scheduler.on(GetScheduleCommand).rejects(notFound());

    const error = await failureOf(newSchedule().describe());

    expect(error).toBeInstanceOf(ConfigError);
    for (const expected of [NAME, GROUP, 'REFRESH_SCHEDULE_NAME', 'REFRESH_SCHEDULE_GROUP']) {
      expect(error.message).toContain(expected);
    }
  });

  it("says the role's permissions are missing when reading is denied", async () => {
    scheduler.on(GetScheduleCommand).rejects(awsError('AccessDeniedException'));

    const error = await failureOf(newSchedule().describe());

    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain('scheduler:GetSchedule');
    expect(error.message).toContain(NAME);
    expect(error.message).toMatch(/role/);
    expect(error.message).not.toContain('iam:PassRole');
  });

  it('lets other AWS errors through unchanged', async () => {
    const throttled = awsError('ThrottlingException');
    scheduler.on(GetScheduleCommand).rejects(throttled);

    expect(await failureOf(newSchedule().describe())).toBe(throttled);
  });
});

describe('scheduleFollowUp', () => {
  it('creates a one-time run of the same target with an empty event, deleted after it runs', async () => {
    // Prepare
    scheduler.on(GetScheduleCommand).resolves(mainSchedule({ State: 'ENABLED' }));
    scheduler.on(CreateScheduleCommand).resolves({ ScheduleArn: 'arn:follow-up' });

    // Act
    await newSchedule().scheduleFollowUp(new Date('2026-11-30T08:10:00.000Z'));

    // Assess
    expect(createdInputs()).toEqual([
      {
        Name: `${NAME}-retry`,
        GroupName: GROUP,
        Description: expect.any(String),
        ScheduleExpression: 'at(2026-11-30T08:10:00)',
        ScheduleExpressionTimezone: 'UTC',
        FlexibleTimeWindow: { Mode: 'OFF' },
        ActionAfterCompletion: 'DELETE',
        State: 'ENABLED',
        Target: {
          Arn: TARGET.Arn,
          RoleArn: TARGET.RoleArn,
          RetryPolicy: TARGET.RetryPolicy,
          DeadLetterConfig: TARGET.DeadLetterConfig,
          Input: '{}',
        },
      },
    ]);
    expect(scheduler.commandCalls(UpdateScheduleCommand)).toHaveLength(0);
  });

  it('moves the pending follow-up to the new time when one exists already', async () => {
    // Prepare
    scheduler.on(GetScheduleCommand).resolves(mainSchedule({ State: 'ENABLED' }));
    scheduler.on(CreateScheduleCommand).rejects(conflict());
    scheduler.on(UpdateScheduleCommand).resolves({ ScheduleArn: 'arn:follow-up' });

    // Act
    await newSchedule().scheduleFollowUp(new Date('2026-11-30T08:20:00.000Z'));

    // Assess
    const updates = scheduler.commandCalls(UpdateScheduleCommand);
    expect(updates).toHaveLength(1);
    expect(updates[0]?.args[0].input).toEqual(createdInputs()[0]);
    expect(updates[0]?.args[0].input).toMatchObject({
      Name: `${NAME}-retry`,
      ScheduleExpression: 'at(2026-11-30T08:20:00)',
      Target: { Input: '{}' },
    });
  });

  it('never pushes back a pending follow-up that runs sooner, but brings a later one forward', async () => {
    // Prepare: a follow-up is pending for 08:05
    scheduler.on(GetScheduleCommand).resolves(mainSchedule({ State: 'ENABLED' }));
    scheduler
      .on(GetScheduleCommand, { Name: `${NAME}-retry` })
      .resolves({ Name: `${NAME}-retry`, ScheduleExpression: 'at(2026-11-30T08:05:00)' });
    scheduler.on(CreateScheduleCommand).rejects(conflict());
    scheduler.on(UpdateScheduleCommand).resolves({ ScheduleArn: 'arn:follow-up' });

    // Act
    await newSchedule().scheduleFollowUp(new Date('2026-11-30T08:20:00.000Z'));
    await newSchedule().scheduleFollowUp(new Date('2026-11-30T08:03:00.000Z'));

    // Assess: only the earlier request moved it
    const updates = scheduler.commandCalls(UpdateScheduleCommand);
    expect(updates.map((call) => call.args[0].input.ScheduleExpression)).toEqual(['at(2026-11-30T08:03:00)']);
  });

  it('creates it afresh when the pending follow-up ran and deleted itself in between', async () => {
    scheduler.on(GetScheduleCommand).resolves(mainSchedule({ State: 'ENABLED' }));
    scheduler.on(CreateScheduleCommand).rejectsOnce(conflict()).resolves({ ScheduleArn: 'arn:follow-up' });
    scheduler.on(UpdateScheduleCommand).rejects(notFound());

    await newSchedule().scheduleFollowUp(new Date('2026-11-30T08:20:00.000Z'));

    expect(createdInputs()).toHaveLength(2);
  });

  it.each([
    ['rounds up to the next whole second', NOW, '2026-11-30T08:10:00.250Z', 'at(2026-11-30T08:10:01)'],
    ['keeps a whole second as it is', NOW, '2026-11-30T08:01:00.000Z', 'at(2026-11-30T08:01:00)'],
    ['runs no sooner than 60 s from now', NOW, '2026-11-30T08:00:30.000Z', 'at(2026-11-30T08:01:00)'],
    ['moves a time in the past to 60 s from now', NOW, '2026-11-30T07:00:00.000Z', 'at(2026-11-30T08:01:00)'],
    [
      'rounds the 60 s floor up too',
      new Date('2026-11-30T08:00:00.400Z'),
      '2026-11-30T08:00:10.000Z',
      'at(2026-11-30T08:01:01)',
    ],
    ['writes the time in UTC', NOW, '2026-11-30T10:15:00.000+02:00', 'at(2026-11-30T08:15:00)'],
  ])('%s', async (_, now, at, expected) => {
    scheduler.on(GetScheduleCommand).resolves(mainSchedule({ State: 'ENABLED' }));
    scheduler.on(CreateScheduleCommand).resolves({ ScheduleArn: 'arn:follow-up' });

    await newSchedule(now).scheduleFollowUp(new Date(at));

    expect(createdInputs()[0]?.ScheduleExpression).toBe(expected);
  });

  it('refuses to create a follow-up when the main schedule has no target, and creates nothing', async () => {
    scheduler.on(GetScheduleCommand).resolves(mainSchedule({ Target: undefined }));

    const error = await failureOf(newSchedule().scheduleFollowUp(NOW));

    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain(NAME);
    expect(error.message).toMatch(/[Rr]edeploy/);
    expect(createdInputs()).toHaveLength(0);
  });

  it('mentions iam:PassRole when moving the pending follow-up is denied', async () => {
    scheduler.on(GetScheduleCommand).resolves(mainSchedule({ State: 'ENABLED' }));
    scheduler.on(CreateScheduleCommand).rejects(conflict());
    scheduler.on(UpdateScheduleCommand).rejects(awsError('AccessDeniedException'));

    const error = await failureOf(newSchedule().scheduleFollowUp(NOW));

    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain('scheduler:UpdateSchedule');
    expect(error.message).toContain(`${NAME}-retry`);
    expect(error.message).toContain('iam:PassRole');
  });

  it('mentions iam:PassRole when creating the follow-up is denied', async () => {
    scheduler.on(GetScheduleCommand).resolves(mainSchedule({ State: 'ENABLED' }));
    scheduler.on(CreateScheduleCommand).rejects(awsError('AccessDeniedException'));

    const error = await failureOf(newSchedule().scheduleFollowUp(NOW));

    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain('scheduler:CreateSchedule');
    expect(error.message).toContain('iam:PassRole');
  });

  it('names the variables when the main schedule is missing, and creates nothing', async () => {
    scheduler.on(GetScheduleCommand).rejects(notFound());

    const error = await failureOf(newSchedule().scheduleFollowUp(NOW));

    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain('REFRESH_SCHEDULE_NAME');
    expect(createdInputs()).toHaveLength(0);
  });
});

describe('followUpTime', () => {
  it('reads the pending follow-up, not the main schedule, and returns its run time in UTC', async () => {
    // Prepare
    scheduler
      .on(GetScheduleCommand, { Name: `${NAME}-retry` })
      .resolves({ Name: `${NAME}-retry`, ScheduleExpression: 'at(2026-11-30T08:05:00)' });

    // Act
    const time = await newSchedule().followUpTime();

    // Assess
    expect(time).toEqual(new Date('2026-11-30T08:05:00.000Z'));
    expect(scheduler.commandCalls(GetScheduleCommand).map((call) => call.args[0].input)).toEqual([
      { Name: `${NAME}-retry`, GroupName: GROUP },
    ]);
  });

  it('returns undefined when no follow-up is pending', async () => {
    scheduler.on(GetScheduleCommand).rejects(notFound());

    expect(await newSchedule().followUpTime()).toBeUndefined();
  });

  it('returns undefined when the follow-up is not a one-time schedule', async () => {
    scheduler
      .on(GetScheduleCommand)
      .resolves({ Name: `${NAME}-retry`, ScheduleExpression: 'rate(5 minutes)' });

    expect(await newSchedule().followUpTime()).toBeUndefined();
  });

  it("says the role's permissions are missing when reading the follow-up is denied", async () => {
    scheduler.on(GetScheduleCommand).rejects(awsError('AccessDeniedException'));

    const error = await failureOf(newSchedule().followUpTime());

    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain('scheduler:GetSchedule');
    expect(error.message).toContain(`${NAME}-retry`);
    expect(error.message).not.toContain('iam:PassRole');
  });

  it('lets other AWS errors through unchanged', async () => {
    const throttled = awsError('ThrottlingException');
    scheduler.on(GetScheduleCommand).rejects(throttled);

    expect(await failureOf(newSchedule().followUpTime())).toBe(throttled);
  });
});

describe('cancelFollowUp', () => {
  it('deletes the follow-up schedule', async () => {
    scheduler.on(DeleteScheduleCommand).resolves({});

    await newSchedule().cancelFollowUp();

    expect(scheduler.commandCalls(DeleteScheduleCommand)[0]?.args[0].input).toEqual({
      Name: `${NAME}-retry`,
      GroupName: GROUP,
    });
  });

  it('succeeds when there is no follow-up to cancel', async () => {
    scheduler.on(DeleteScheduleCommand).rejects(notFound());

    await expect(newSchedule().cancelFollowUp()).resolves.toBeUndefined();
  });

  it("says the role's permissions are missing when deleting is denied", async () => {
    scheduler.on(DeleteScheduleCommand).rejects(awsError('AccessDeniedException'));

    const error = await failureOf(newSchedule().cancelFollowUp());

    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain('scheduler:DeleteSchedule');
  });
});

describe('the main schedule', () => {
  let aws: InMemoryScheduler;

  beforeEach(() => {
    aws = new InMemoryScheduler();
  });

  afterEach(() => {
    aws.restore();
  });

  it.each(['ENABLED', 'DISABLED'] as const)(
    'is never updated, whatever RefreshSchedule does, while it is %s',
    async (state) => {
      // Prepare: the template owns the main schedule
      aws.seedRefreshSchedule(NAME, GROUP, { State: state });
      const deployed = structuredClone(aws.get(NAME, GROUP));
      const schedule = newSchedule();

      // Act: every operation, including creating, moving, reading and cancelling a follow-up
      const described = await schedule.describe();
      await schedule.scheduleFollowUp(new Date('2026-11-30T08:20:00.000Z'));
      await schedule.scheduleFollowUp(new Date('2026-11-30T08:05:00.000Z'));
      const pending = await schedule.followUpTime();
      await schedule.cancelFollowUp();

      // Assess
      expect(described.state).toBe(state);
      expect(pending).toEqual(new Date('2026-11-30T08:05:00.000Z'));
      const updated = aws.mock.commandCalls(UpdateScheduleCommand).map((call) => call.args[0].input.Name);
      expect(updated).toEqual([`${NAME}-retry`]);
      expect(aws.get(NAME, GROUP)).toEqual(deployed);
      expect(aws.get(`${NAME}-retry`, GROUP)).toBeUndefined();
    },
  );
});

describe('followUpScheduleName', () => {
  it('appends -retry', () => {
    expect(followUpScheduleName(NAME)).toBe(`${NAME}-retry`);
  });

  it('accepts a name whose follow-up is exactly 64 characters', () => {
    expect(followUpScheduleName('a'.repeat(58))).toHaveLength(64);
  });

  it('refuses a name whose follow-up would exceed 64 characters, naming the variable', () => {
    expect(() => followUpScheduleName('a'.repeat(59))).toThrow(ConfigError);
    expect(() => followUpScheduleName('a'.repeat(59))).toThrow(/REFRESH_SCHEDULE_NAME/);
  });

  it('makes a RefreshSchedule with such a name fail at construction, before any call', () => {
    expect(
      () => new RefreshSchedule({ client: new SchedulerClient({}), name: 'a'.repeat(59), group: GROUP }),
    ).toThrow(ConfigError);
    expect(scheduler.calls()).toHaveLength(0);
  });
});
