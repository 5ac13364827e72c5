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
  InvalidParameterException,
  LimitExceededException,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
  type UpdateSecretVersionStageCommandInput,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';

interface PutInput {
  readonly SecretId: string;
  readonly SecretString?: string;
  readonly ClientRequestToken?: string;
}

interface SecretVersion {
  readonly versionId: string;
  value: string;
  /** When it was created, by the fake's clock (epoch ms). */
  readonly createdAt: number;
}

interface StoredSecret {
  readonly versions: SecretVersion[];
  /** The version staged AWSCURRENT. */
  current: string;
}

/** Secrets Manager's quota: versions created in the last 24 hours, per secret (not adjustable). */
const VERSIONS_PER_DAY = 100;
const DAY_MS = 24 * 60 * 60_000;

/**
 * Secrets Manager held in memory behind aws-sdk-client-mock: every SecretsManagerClient in the
 * process (including the ones created at module scope by handlers) talks to it. Like the service, it
 * serves the version staged AWSCURRENT, lets UpdateSecretVersionStage move that stage back to an
 * older version (the console's "restore"), and refuses a new version once 100 were created in 24 hours.
 */
export class InMemorySecretsManager {
  readonly mock = mockClient(SecretsManagerClient);
  readonly calls = { get: 0, put: 0, versionsCreated: 0 };
  private readonly secrets = new Map<string, StoredSecret>();
  private readonly putHooks: ((input: PutInput, nth: number) => void)[] = [];

  /** @param now the service's clock, for its 24-hour version quota */
  constructor(private readonly now: () => number = () => Date.now()) {
    this.mock.on(GetSecretValueCommand).callsFake((input: { SecretId: string }) => {
      this.calls.get += 1;
      const current = this.currentVersion(input.SecretId);
      return { Name: input.SecretId, SecretString: current.value, VersionId: current.versionId };
    });
    this.mock.on(PutSecretValueCommand).callsFake((input: PutInput) => {
      this.calls.put += 1;
      for (const hook of this.putHooks) hook(input, this.calls.put);
      const secret = this.secret(input.SecretId);
      const value = input.SecretString ?? '';
      // The SDK fills in a new token when the caller gives none.
      const versionId = input.ClientRequestToken ?? `v${this.calls.put}-${secret.versions.length + 1}`;
      const existing = secret.versions.find((version) => version.versionId === versionId);
      if (existing && existing.value !== value) {
        throw new ResourceExistsException({
          message: 'A version with this ClientRequestToken exists',
          $metadata: {},
        });
      }
      if (!existing) {
        if (this.versionsWithin24Hours(input.SecretId) >= VERSIONS_PER_DAY) {
          throw new LimitExceededException({
            message: 'You have exceeded the maximum number of versions allowed for this secret.',
            $metadata: {},
          });
        }
        secret.versions.push({ versionId, value, createdAt: this.now() });
        secret.current = versionId;
        this.calls.versionsCreated += 1;
      }
      return { Name: input.SecretId, VersionId: versionId };
    });
    this.mock.on(UpdateSecretVersionStageCommand).callsFake((input: UpdateSecretVersionStageCommandInput) => {
      const secret = this.secret(input.SecretId ?? '');
      if (input.VersionStage !== 'AWSCURRENT' || input.RemoveFromVersionId !== secret.current) {
        throw new InvalidParameterException({
          message: 'The parameter RemoveFromVersionId does not match the version that has the staging label.',
          $metadata: {},
        });
      }
      if (!secret.versions.some((version) => version.versionId === input.MoveToVersionId)) {
        throw notFound(input.SecretId ?? '');
      }
      secret.current = input.MoveToVersionId as string;
      return { Name: input.SecretId };
    });
  }

  /** The console's "restore previous version": AWSCURRENT moves back to the version before it. */
  async restorePreviousVersion(secretId: string): Promise<void> {
    const secret = this.secret(secretId);
    const index = secret.versions.findIndex((version) => version.versionId === secret.current);
    const previous = secret.versions[index - 1];
    if (!previous) throw new Error(`${secretId} has no version before the current one`);
    await new SecretsManagerClient({ region: 'eu-west-1' }).send(
      new UpdateSecretVersionStageCommand({
        SecretId: secretId,
        VersionStage: 'AWSCURRENT',
        MoveToVersionId: previous.versionId,
        RemoveFromVersionId: secret.current,
      }),
    );
  }

  /** Versions created in the last 24 hours, as the quota counts them. */
  versionsWithin24Hours(secretId: string): number {
    return this.secret(secretId).versions.filter((version) => version.createdAt > this.now() - DAY_MS).length;
  }

  /** Changes the current version's value in place: time passing, as tests pretend it (no new version). */
  rewriteCurrent(secretId: string, value: unknown): void {
    this.currentVersion(secretId).value = JSON.stringify(value);
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
    this.secrets.set(secretId, {
      versions: [
        {
          versionId: 'initial',
          value: typeof value === 'string' ? value : JSON.stringify(value),
          createdAt: this.now(),
        },
      ],
      current: 'initial',
    });
  }

  valueOf(secretId: string): string | undefined {
    const secret = this.secrets.get(secretId);
    return secret?.versions.find((version) => version.versionId === secret.current)?.value;
  }

  jsonOf(secretId: string): Record<string, unknown> {
    return JSON.parse(this.valueOf(secretId) ?? '{}') as Record<string, unknown>;
  }

  versionCount(secretId: string): number {
    return this.secrets.get(secretId)?.versions.length ?? 0;
  }

  restore(): void {
    this.mock.restore();
  }

  private secret(secretId: string): StoredSecret {
    const secret = this.secrets.get(secretId);
    if (!secret) throw notFound(secretId);
    return secret;
  }

  private currentVersion(secretId: string): SecretVersion {
    const secret = this.secret(secretId);
    const current = secret.versions.find((version) => version.versionId === secret.current);
    if (!current) throw notFound(secretId);
    return current;
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
