import { Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DEFAULT_SCHEDULE_GROUP } from '../functions/lib/environment.js';
import { followUpScheduleName } from '../functions/lib/schedule/schedule-names.js';
import { acknowledge } from './acknowledge.js';

export interface ScheduledRefreshProps {
  readonly scheduleName: string;
  readonly refreshFunction: lambda.IFunction;
  readonly rate: Duration;
}

/**
 * The EventBridge Scheduler schedule that runs the refresh function, its dead-letter queue and the
 * role the scheduler assumes. The template owns the schedule and creates it enabled; nothing switches
 * it at runtime. A run while nothing is connected, or after Zoho revoked the refresh token, returns
 * without calling Zoho, so a deploy can never leave the token without renewal.
 */
export class ScheduledRefresh extends Construct {
  readonly schedule: scheduler.Schedule;
  readonly scheduleName: string;
  readonly scheduleArn: string;
  readonly followUpScheduleArn: string;
  readonly deadLetterQueue: sqs.Queue;
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: ScheduledRefreshProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.scheduleName = props.scheduleName;
    // Built from the literal names rather than the schedule's attributes: the refresh function's
    // policy refers to these ARNs and the schedule refers to the function, which would be a cycle.
    this.scheduleArn = scheduleArn(stack, props.scheduleName);
    this.followUpScheduleArn = scheduleArn(stack, followUpScheduleName(props.scheduleName));

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    acknowledge(this.deadLetterQueue, {
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself the dead-letter queue of the refresh schedule.',
    });

    this.role = new iam.Role(this, 'SchedulerRole', {
      description: `Lets EventBridge Scheduler run ${props.scheduleName} and its follow-up`,
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: {
          StringEquals: {
            'aws:SourceAccount': stack.account,
            'aws:SourceArn': stack.formatArn({
              service: 'scheduler',
              resource: 'schedule-group',
              resourceName: DEFAULT_SCHEDULE_GROUP,
            }),
          },
        },
      }),
    });
    // Exactly the function, not `<arn>:*` as grantInvoke would add: no version or alias is ever invoked.
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['lambda:InvokeFunction'],
        resources: [props.refreshFunction.functionArn],
      }),
    );
    // grantSendMessages would add GetQueueAttributes and GetQueueUrl, which Scheduler does not use.
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [this.deadLetterQueue.queueArn] }),
    );

    const role = this.role;
    const deadLetterQueueArn = this.deadLetterQueue.queueArn;
    this.schedule = new scheduler.Schedule(this, 'Schedule', {
      scheduleName: props.scheduleName,
      description: 'Keeps the Zoho access token fresh; runs before the first exchange return at once',
      schedule: scheduler.ScheduleExpression.rate(props.rate),
      enabled: true,
      target: {
        bind: () => ({
          arn: props.refreshFunction.functionArn,
          role,
          input: scheduler.ScheduleTargetInput.fromObject({}),
          retryPolicy: {
            maximumRetryAttempts: 3,
            maximumEventAgeInSeconds: Duration.minutes(15).toSeconds(),
          },
          deadLetterConfig: { arn: deadLetterQueueArn },
        }),
      },
    });
  }

  /**
   * Lets the grantee read the refresh schedule (its rate) and the pending follow-up, if any:
   * GetSchedule only. Nobody is granted UpdateSchedule on the refresh schedule: the template owns it.
   */
  grantRead(grantee: iam.IGrantable): void {
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['scheduler:GetSchedule'],
      resourceArns: [this.scheduleArn, this.followUpScheduleArn],
    });
  }

  /** Lets the grantee remove a pending follow-up (a disconnect does): DeleteSchedule on it only. */
  grantCancelFollowUp(grantee: iam.IGrantable): void {
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['scheduler:DeleteSchedule'],
      resourceArns: [this.followUpScheduleArn],
    });
  }

  /**
   * Lets the grantee create, move and remove the one-time follow-up schedule, handing it the
   * scheduler role (iam:PassRole, to Scheduler only). Reading it takes `grantRead`.
   */
  grantFollowUp(grantee: iam.IGrantable): void {
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['scheduler:CreateSchedule', 'scheduler:UpdateSchedule', 'scheduler:DeleteSchedule'],
      resourceArns: [this.followUpScheduleArn],
    });
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['iam:PassRole'],
        resources: [this.role.roleArn],
        conditions: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
      }),
    );
  }
}

function scheduleArn(stack: Stack, scheduleName: string): string {
  return stack.formatArn({
    service: 'scheduler',
    resource: 'schedule',
    resourceName: `${DEFAULT_SCHEDULE_GROUP}/${scheduleName}`,
  });
}
