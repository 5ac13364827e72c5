import {
  ConflictException,
  CreateScheduleCommand,
  type CreateScheduleCommandInput,
  DeleteScheduleCommand,
  GetScheduleCommand,
  type GetScheduleCommandOutput,
  SchedulerClient,
  ResourceNotFoundException as SchedulerNotFound,
  UpdateScheduleCommand,
  type UpdateScheduleCommandInput,
} from '@aws-sdk/client-scheduler';
import {
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';

interface PutInput {
  readonly SecretId: string;
  readonly SecretString?: string;
  readonly ClientRequestToken?: string;
}

interface SecretVersion {
  readonly versionId: string;
  readonly value: string;
}

/**
 * Secrets Manager held in memory behind aws-sdk-client-mock: every SecretsManagerClient in the
 * process (including the ones created at module scope by handlers) talks to it.
 */
export class InMemorySecretsManager {
  readonly mock = mockClient(SecretsManagerClient);
  readonly calls = { get: 0, put: 0, versionsCreated: 0 };
  private readonly secrets = new Map<string, SecretVersion[]>();
  private readonly putHooks: ((input: PutInput, nth: number) => void)[] = [];

  constructor() {
    this.mock.on(GetSecretValueCommand).callsFake((input: { SecretId: string }) => {
      this.calls.get += 1;
      const current = this.versions(input.SecretId).at(-1);
      if (!current) throw notFound(input.SecretId);
      return { Name: input.SecretId, SecretString: current.value, VersionId: current.versionId };
    });
    this.mock.on(PutSecretValueCommand).callsFake((input: PutInput) => {
      this.calls.put += 1;
      for (const hook of this.putHooks) hook(input, this.calls.put);
      const versions = this.versions(input.SecretId);
      const value = input.SecretString ?? '';
      const versionId = input.ClientRequestToken ?? `v${versions.length + 1}`;
      const existing = versions.find((version) => version.versionId === versionId);
      if (existing && existing.value !== value) {
        throw new ResourceExistsException({
          message: 'A version with this ClientRequestToken exists',
          $metadata: {},
        });
      }
      if (!existing) {
        versions.push({ versionId, value });
        this.calls.versionsCreated += 1;
      }
      return { Name: input.SecretId, VersionId: versionId };
    });
  }

  /**
   * Runs before every PutSecretValue (with its running count): throw from it to make that write
   * fail as AWS would, after the call was counted and before anything was stored.
   */
  beforePut(hook: (input: PutInput, nth: number) => void): void {
    this.putHooks.push(hook);
  }

  /** Creates a secret, as CDK does with its initial value. */
  create(secretId: string, value: unknown = {}): void {
    this.secrets.set(secretId, [
      { versionId: 'initial', value: typeof value === 'string' ? value : JSON.stringify(value) },
    ]);
  }

  valueOf(secretId: string): string | undefined {
    return this.secrets.get(secretId)?.at(-1)?.value;
  }

  jsonOf(secretId: string): Record<string, unknown> {
    return JSON.parse(this.valueOf(secretId) ?? '{}') as Record<string, unknown>;
  }

  versionCount(secretId: string): number {
    return this.secrets.get(secretId)?.length ?? 0;
  }

  restore(): void {
    this.mock.restore();
  }

  private versions(secretId: string): SecretVersion[] {
    const versions = this.secrets.get(secretId);
    if (!versions) throw notFound(secretId);
    return versions;
  }
}

function notFound(secretId: string): ResourceNotFoundException {
  return new ResourceNotFoundException({
    message: `Secrets Manager can't find the specified secret ${secretId}.`,
    $metadata: {},
  });
}

type ScheduleDefinition = Omit<GetScheduleCommandOutput, '$metadata'>;

/** EventBridge Scheduler held in memory: UpdateSchedule replaces the whole definition, as the real one does. */
export class InMemoryScheduler {
  readonly mock = mockClient(SchedulerClient);
  readonly calls = { get: 0, create: 0, update: 0, delete: 0 };
  private readonly schedules = new Map<string, ScheduleDefinition>();

  constructor() {
    this.mock.on(GetScheduleCommand).callsFake((input: { Name: string; GroupName?: string }) => {
      this.calls.get += 1;
      const schedule = this.schedules.get(key(input.Name, input.GroupName));
      if (!schedule) throw scheduleNotFound(input.Name);
      return structuredClone(schedule);
    });
    this.mock.on(UpdateScheduleCommand).callsFake((input: UpdateScheduleCommandInput) => {
      this.calls.update += 1;
      const id = key(input.Name, input.GroupName);
      if (!this.schedules.has(id)) throw scheduleNotFound(input.Name);
      this.schedules.set(id, definitionOf(input));
      return { ScheduleArn: arnOf(input.Name, input.GroupName) };
    });
    this.mock.on(CreateScheduleCommand).callsFake((input: CreateScheduleCommandInput) => {
      this.calls.create += 1;
      const id = key(input.Name, input.GroupName);
      if (this.schedules.has(id)) {
        throw new ConflictException({
          Message: `Schedule ${input.Name} already exists.`,
          message: `Schedule ${input.Name} already exists.`,
          $metadata: {},
        });
      }
      this.schedules.set(id, definitionOf(input));
      return { ScheduleArn: arnOf(input.Name, input.GroupName) };
    });
    this.mock.on(DeleteScheduleCommand).callsFake((input: { Name: string; GroupName?: string }) => {
      this.calls.delete += 1;
      if (!this.schedules.delete(key(input.Name, input.GroupName))) throw scheduleNotFound(input.Name);
      return {};
    });
  }

  /** Creates the refresh schedule as the construct deploys it: enabled, every 50 minutes. */
  seedRefreshSchedule(name: string, group = 'default', overrides: Partial<ScheduleDefinition> = {}): void {
    this.schedules.set(key(name, group), {
      Name: name,
      GroupName: group,
      Arn: arnOf(name, group),
      State: 'ENABLED',
      ScheduleExpression: 'rate(50 minutes)',
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Description: 'Refreshes the Zoho access token',
      Target: {
        Arn: 'arn:aws:lambda:eu-west-1:123456789012:function:refresh',
        RoleArn: 'arn:aws:iam::123456789012:role/scheduler',
        Input: '{}',
        RetryPolicy: { MaximumEventAgeInSeconds: 900, MaximumRetryAttempts: 3 },
        DeadLetterConfig: { Arn: 'arn:aws:sqs:eu-west-1:123456789012:refresh-dlq' },
      },
      ...overrides,
    });
  }

  get(name: string, group = 'default'): ScheduleDefinition | undefined {
    return this.schedules.get(key(name, group));
  }

  restore(): void {
    this.mock.restore();
  }
}

function key(name: string | undefined, group: string | undefined): string {
  return `${group ?? 'default'}/${name ?? ''}`;
}

function arnOf(name: string | undefined, group: string | undefined): string {
  return `arn:aws:scheduler:eu-west-1:123456789012:schedule/${group ?? 'default'}/${name ?? ''}`;
}

function definitionOf(input: CreateScheduleCommandInput | UpdateScheduleCommandInput): ScheduleDefinition {
  const { ClientToken: _clientToken, ...definition } = input;
  return {
    ...structuredClone(definition),
    GroupName: input.GroupName ?? 'default',
    Arn: arnOf(input.Name, input.GroupName),
  };
}

function scheduleNotFound(name: string | undefined): SchedulerNotFound {
  const message = `Schedule ${name ?? ''} does not exist.`;
  return new SchedulerNotFound({ Message: message, message, $metadata: {} });
}
