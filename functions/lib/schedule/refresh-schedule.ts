import {
  CreateScheduleCommand,
  type CreateScheduleCommandInput,
  DeleteScheduleCommand,
  GetScheduleCommand,
  type GetScheduleCommandOutput,
  type SchedulerClient,
  UpdateScheduleCommand,
  type UpdateScheduleCommandInput,
} from '@aws-sdk/client-scheduler';
import { ENV } from '../environment.js';
import { ConfigError, hasErrorName } from '../errors.js';
import { followUpScheduleName } from './schedule-names.js';

// The infrastructure imports the name from schedule-names.js, which loads no AWS SDK client.
export { followUpScheduleName };

export interface RefreshScheduleOptions {
  client: SchedulerClient;
  name: string;
  group: string;
  /** @default () => new Date() */
  now?: () => Date;
}

export interface ScheduleState {
  state: 'ENABLED' | 'DISABLED';
  expression: string;
  /** From `rate(N minute(s)|hour(s)|day(s))`; undefined for cron and at expressions. */
  rateMinutes: number | undefined;
}

/** Scheduler runs at minute precision, so a follow-up closer than this could be missed. */
const MIN_FOLLOW_UP_LEAD_MS = 60_000;

const MINUTES_PER_UNIT: Readonly<Record<string, number>> = {
  minute: 1,
  minutes: 1,
  hour: 60,
  hours: 60,
  day: 24 * 60,
  days: 24 * 60,
};

/**
 * Reads the recurring refresh schedule, which the template owns (created enabled, never switched at
 * runtime), and arranges a one-time follow-up run of the same target.
 */
export class RefreshSchedule {
  readonly #client: SchedulerClient;
  readonly #name: string;
  readonly #group: string;
  readonly #followUpName: string;
  readonly #now: () => Date;

  constructor(options: RefreshScheduleOptions) {
    this.#client = options.client;
    this.#name = options.name;
    this.#group = options.group;
    // Computed here so that a name too long for a follow-up fails at cold start.
    this.#followUpName = followUpScheduleName(options.name);
    this.#now = options.now ?? (() => new Date());
  }

  async describe(): Promise<ScheduleState> {
    const schedule = await this.#getMain();
    const expression = schedule.ScheduleExpression ?? '';
    return { state: stateOf(schedule), expression, rateMinutes: parseRateMinutes(expression) };
  }

  /**
   * At most one follow-up is pending, at the earliest time asked for: a later request never pushes
   * back a run that another failure (perhaps in another container) already arranged sooner.
   */
  async scheduleFollowUp(at: Date): Promise<void> {
    const main = await this.#getMain();
    const target = main.Target;
    if (!target?.Arn || !target.RoleArn) {
      throw new ConfigError(
        `The refresh schedule "${this.#name}" in group "${this.#group}" has no target. Redeploy the stack to restore it.`,
      );
    }
    const input: CreateScheduleCommandInput = {
      Name: this.#followUpName,
      GroupName: this.#group,
      Description: `One-time follow-up run of the refresh schedule ${this.#name}`,
      ScheduleExpression: atExpression(this.#runTime(at)),
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      ActionAfterCompletion: 'DELETE',
      State: 'ENABLED',
      Target: {
        Arn: target.Arn,
        RoleArn: target.RoleArn,
        RetryPolicy: target.RetryPolicy,
        DeadLetterConfig: target.DeadLetterConfig,
        // The scheduled run's event; never the main schedule's input, which might ask to force.
        Input: '{}',
      },
    };
    try {
      await this.#client.send(new CreateScheduleCommand(input));
    } catch (error) {
      if (!hasErrorName(error, 'ConflictException')) throw this.#followUpError(error, 'CreateSchedule');
      const pending = await this.followUpTime();
      const wanted = this.#runTime(at);
      if (pending && pending.getTime() > this.#now().getTime() && pending <= wanted) return;
      await this.#moveFollowUp(input);
    }
  }

  /** When the pending follow-up will run, or undefined when none is pending. */
  async followUpTime(): Promise<Date | undefined> {
    try {
      const pending = await this.#client.send(
        new GetScheduleCommand({ Name: this.#followUpName, GroupName: this.#group }),
      );
      const time = /^at\((.+)\)$/.exec(pending.ScheduleExpression ?? '')?.[1];
      return time ? new Date(`${time}Z`) : undefined;
    } catch (error) {
      if (hasErrorName(error, 'ResourceNotFoundException')) return undefined;
      throw this.#followUpError(error, 'GetSchedule');
    }
  }

  async cancelFollowUp(): Promise<void> {
    try {
      await this.#client.send(
        new DeleteScheduleCommand({ Name: this.#followUpName, GroupName: this.#group }),
      );
    } catch (error) {
      if (hasErrorName(error, 'ResourceNotFoundException')) return;
      throw this.#followUpError(error, 'DeleteSchedule');
    }
  }

  async #moveFollowUp(input: UpdateScheduleCommandInput): Promise<void> {
    try {
      await this.#client.send(new UpdateScheduleCommand(input));
    } catch (error) {
      // It ran and deleted itself between our create and update: create it afresh.
      if (!hasErrorName(error, 'ResourceNotFoundException'))
        throw this.#followUpError(error, 'UpdateSchedule');
      try {
        await this.#client.send(new CreateScheduleCommand(input));
      } catch (retryError) {
        throw this.#followUpError(retryError, 'CreateSchedule');
      }
    }
  }

  async #getMain(): Promise<GetScheduleCommandOutput> {
    try {
      return await this.#client.send(new GetScheduleCommand({ Name: this.#name, GroupName: this.#group }));
    } catch (error) {
      throw this.#mainError(error, 'GetSchedule');
    }
  }

  #runTime(at: Date): Date {
    const earliest = this.#now().getTime() + MIN_FOLLOW_UP_LEAD_MS;
    const wanted = Math.max(at.getTime(), earliest);
    return new Date(Math.ceil(wanted / 1000) * 1000);
  }

  #mainError(error: unknown, action: string): unknown {
    if (hasErrorName(error, 'ResourceNotFoundException')) {
      return new ConfigError(
        `The refresh schedule "${this.#name}" was not found in schedule group "${this.#group}". Check ` +
          `${ENV.refreshScheduleName} and ${ENV.refreshScheduleGroup} on the function (the CDK construct sets ` +
          'them) and that the stack is deployed in this account and region.',
        { cause: error },
      );
    }
    return this.#accessError(error, action, this.#name);
  }

  #followUpError(error: unknown, action: string): unknown {
    if (hasErrorName(error, 'ResourceNotFoundException')) {
      return new ConfigError(
        `The schedule group "${this.#group}" was not found. Check ${ENV.refreshScheduleGroup} on the function ` +
          '(the CDK construct sets it) and that the stack is deployed in this account and region.',
        { cause: error },
      );
    }
    return this.#accessError(error, action, this.#followUpName);
  }

  #accessError(error: unknown, action: string, scheduleName: string): unknown {
    if (!hasErrorName(error, 'AccessDeniedException')) return error;
    // Creating or updating a schedule hands its target role to Scheduler, which needs iam:PassRole.
    const passRole =
      action === 'GetSchedule' || action === 'DeleteSchedule'
        ? ''
        : " and iam:PassRole on the schedule's role";
    return new ConfigError(
      `The function's role may not call scheduler:${action} on schedule "${scheduleName}" in group ` +
        `"${this.#group}". Grant scheduler:${action} on it${passRole}, then redeploy.`,
      { cause: error },
    );
  }
}

function stateOf(schedule: GetScheduleCommandOutput): ScheduleState['state'] {
  // Scheduler's default state is ENABLED, so an absent state means enabled.
  return schedule.State === 'DISABLED' ? 'DISABLED' : 'ENABLED';
}

function parseRateMinutes(expression: string): number | undefined {
  const match = /^rate\(\s*(\d+)\s+(minutes?|hours?|days?)\s*\)$/.exec(expression.trim());
  if (!match?.[1] || !match[2]) return undefined;
  const perUnit = MINUTES_PER_UNIT[match[2]];
  return perUnit === undefined ? undefined : Number(match[1]) * perUnit;
}

/** Scheduler's one-time form: `at(yyyy-mm-ddThh:mm:ss)`, read in ScheduleExpressionTimezone (UTC here). */
function atExpression(time: Date): string {
  return `at(${time.toISOString().slice(0, 19)})`;
}
