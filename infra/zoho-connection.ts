import { DefaultStackSynthesizer, Duration, Fn, RemovalPolicy, SecretValue, Stack } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { DataCentreId } from '../functions/lib/data-centres.js';
import {
  DEFAULT_EVENT_BUS,
  DEFAULT_REFRESH_RATE_MINUTES,
  DEFAULT_SCHEDULE_GROUP,
  ENV,
} from '../functions/lib/environment.js';
import { METRIC_NAMESPACE } from '../functions/lib/metric-names.js';
import { acknowledge } from './acknowledge.js';
import { type ConnectionAlarms, ConnectionMonitoring } from './connection-monitoring.js';
import {
  type ConnectionNames,
  connectionNames,
  resolveAccountsUrl,
  resolveDataCentre,
} from './connection-names.js';
import { ConnectionStateTable } from './connection-state-table.js';
import { KeeperFunction } from './keeper-function.js';
import { ScheduledRefresh } from './scheduled-refresh.js';
import {
  eventBusAddress,
  stateChangeRule,
  type ZohoConnectionStateChangeOptions,
} from './state-change-rule.js';

export interface ZohoConnectionProps {
  /**
   * Names this connection's resources (secrets `zoho-token-keeper/<name>/...`, schedule, alarms,
   * dashboard). 1 to 32 lower-case letters, digits and hyphens.
   * @default 'default'
   */
  readonly connectionName?: string;
  /**
   * The Zoho data centre of the Self Client (the domain you log in to, e.g. `eu` for zoho.eu).
   * @default 'us'
   */
  readonly dataCenter?: DataCentreId;
  /**
   * Overrides the data centre's accounts server, e.g. a private test server. Must be https
   * (plain http only for a loopback host).
   * @default - the accounts server of `dataCenter`
   */
  readonly accountsUrl?: string;
  /**
   * How often the refresh function runs, in whole minutes from 10 to 55: Zoho access tokens live
   * one hour, and the refresh function skips a token refreshed less than 10 minutes ago.
   * @default Duration.minutes(50)
   */
  readonly refreshRate?: Duration;
  /**
   * Memory of the functions (exchange, refresh and the example consumer), in MB.
   * @default 256
   */
  readonly memorySize?: number;
  /**
   * Retention of the functions' log groups.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Customer-managed key for both secrets and the state table. Readers granted with `grantRead` also
   * get decrypt on it.
   * @default - the AWS-managed key `aws/secretsmanager` for the secrets, DynamoDB's AWS-owned key
   * for the state table
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * Email address to notify when an alarm fires or clears; an SNS topic is created for it.
   * Ignored when `alarmTopic` is given.
   * @default - no notification
   */
  readonly alarmEmail?: string;
  /**
   * Existing SNS topic for alarm notifications.
   * @default - a new topic when `alarmEmail` is given, else none
   */
  readonly alarmTopic?: sns.ITopic;
  /**
   * Reserved concurrency of the refresh function. An optimisation, not a guarantee: overlapping runs
   * (a scheduled run and consumers' forced refreshes) are throttled instead of queueing behind one
   * another. What keeps Zoho calls spaced whatever the concurrency is the lease that every run
   * takes in the state table with a conditional write. `0` reserves none: accounts still on the default Lambda
   * concurrency quota of 10 cannot reserve any, because Lambda keeps 10 unreserved.
   * @default 1
   */
  readonly refreshReservedConcurrency?: number;
  /**
   * The event bus the functions put health events on (source `zoho-token-keeper`, detail-type
   * `Zoho Connection State Change`), one per change of the connection's state. Both functions get
   * `events:PutEvents` on this bus only. A bus of another account is addressed by its ARN; its own
   * resource policy must let this account put events.
   * @default - the account's default event bus
   */
  readonly eventBus?: events.IEventBus;
  /**
   * What happens to both secrets, and to the credentials secret's resource policy, when the stack
   * is deleted. Retained secrets keep their names, so a new deployment of the same connection needs
   * them deleted (or restored) first; the policy is kept with them so that a retained refresh token
   * stays guarded. The state table is always deleted: it holds no secret and is rebuilt from them.
   * @default RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE - CloudFormation's `RetainExceptOnCreate`: kept
   * when the stack is deleted, but removed when the deployment that created them fails and rolls back
   * (e.g. the account refused the reserved concurrency), so that a retry does not fail on their names
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * A role that may also read and write the credentials secret's value, for an emergency. The
   * secret's resource policy denies its value to every other principal of the account but the
   * exchange and refresh functions, whatever their IAM policies allow (`secretsmanager:*` included).
   * The role still needs an IAM policy of its own that allows the access.
   * @default - none
   */
  readonly credentialsBreakGlassRole?: iam.IRole;
  /**
   * Also deploys the example consumer (`functions/example-consumer`): a Lambda function, wired with
   * `addConsumer`, that reads the access token and asks Zoho CRM for the current user. For trying a
   * connection out; it needs a grant code with a `ZohoCRM.users` scope.
   * @default false
   */
  readonly exampleConsumer?: boolean;
}

const DEFAULTS = {
  connectionName: 'default',
  dataCenter: 'us',
  refreshRate: Duration.minutes(DEFAULT_REFRESH_RATE_MINUTES),
  memorySize: 256,
  logRetention: logs.RetentionDays.ONE_MONTH,
  refreshReservedConcurrency: 1,
  removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
} as const;

/**
 * One Zoho connection: one Self Client in one data centre. Creates the two secrets, the state
 * table, the exchange and refresh functions, the refresh schedule (enabled), alarms and a dashboard,
 * and puts a health event on EventBridge at each change of the connection's state. Other Lambda
 * functions use the access token through `addConsumer`.
 */
export class ZohoConnection extends Construct {
  readonly connectionName: string;
  readonly names: ConnectionNames;
  /**
   * Client id and secret and the refresh token: only the two functions (and `credentialsBreakGlassRole`)
   * may read or write its value; its resource policy denies everybody else.
   */
  readonly credentialsSecret: secretsmanager.Secret;
  /** The current access token: grant read on it with `grantRead`. */
  readonly accessTokenSecret: secretsmanager.Secret;
  readonly exchangeFunction: lambda.IFunction;
  readonly refreshFunction: lambda.IFunction;
  /** Name of the refresh schedule (in the `default` schedule group). */
  readonly refreshSchedule: string;
  readonly deadLetterQueue: sqs.IQueue;
  readonly alarms: ConnectionAlarms;
  readonly alarmTopic?: sns.ITopic;
  readonly dashboard: cloudwatch.Dashboard;
  /**
   * The DynamoDB table of the connection's state (`zoho-token-keeper-<name>-state`): connection
   * state, failure bookkeeping and the lease, never a token. Only the exchange and refresh functions
   * may read and write it; it is deleted with the stack and rebuilt from the secrets when missing.
   */
  readonly stateTable: dynamodb.ITable;
  /** The bus health events go to: the `eventBus` prop, or the account's default bus. */
  readonly eventBus: events.IEventBus;
  /** The customer-managed key of both secrets and the state table, if any. */
  readonly encryptionKey?: kms.IKey;
  /** The example consumer, deployed only with `exampleConsumer: true`. */
  readonly exampleConsumerFunction?: lambda.IFunction;

  constructor(scope: Construct, id: string, props: ZohoConnectionProps = {}) {
    super(scope, id);
    this.connectionName = props.connectionName ?? DEFAULTS.connectionName;
    this.names = connectionNames(this.connectionName);
    const dataCenter = resolveDataCentre(props.dataCenter ?? DEFAULTS.dataCenter);
    const accountsUrl = resolveAccountsUrl(dataCenter, props.accountsUrl);
    const reservedConcurrency = props.refreshReservedConcurrency ?? DEFAULTS.refreshReservedConcurrency;
    if (!Number.isInteger(reservedConcurrency) || reservedConcurrency < 0) {
      throw new Error(`refreshReservedConcurrency must be a whole number >= 0, got ${reservedConcurrency}.`);
    }

    const refreshRate = props.refreshRate ?? DEFAULTS.refreshRate;
    assertRefreshRate(refreshRate);

    this.encryptionKey = props.encryptionKey;
    this.credentialsSecret = this.createSecret('CredentialsSecret', {
      secretName: this.names.credentialsSecret,
      description: `Zoho Self Client id and secret and refresh token of connection ${this.connectionName}`,
      props,
    });
    this.accessTokenSecret = this.createSecret('AccessTokenSecret', {
      secretName: this.names.accessTokenSecret,
      description: `Current Zoho access token of connection ${this.connectionName}`,
      props,
    });

    const stateTable = new ConnectionStateTable(this, 'StateTable', {
      tableName: this.names.stateTable,
      encryptionKey: props.encryptionKey,
    });
    this.stateTable = stateTable.table;
    this.eventBus = props.eventBus ?? events.EventBus.fromEventBusName(this, 'EventBus', DEFAULT_EVENT_BUS);

    this.refreshSchedule = this.names.refreshSchedule;
    const environment = {
      [ENV.accountsUrl]: accountsUrl,
      [ENV.credentialsSecretId]: this.credentialsSecret.secretArn,
      [ENV.accessTokenSecretId]: this.accessTokenSecret.secretArn,
      [ENV.refreshScheduleName]: this.names.refreshSchedule,
      [ENV.refreshScheduleGroup]: DEFAULT_SCHEDULE_GROUP,
      [ENV.stateTableName]: this.stateTable.tableName,
      [ENV.connectionName]: this.connectionName,
      [ENV.eventBusName]: eventBusAddress(Stack.of(this), this.eventBus),
      POWERTOOLS_SERVICE_NAME: this.connectionName,
      POWERTOOLS_METRICS_NAMESPACE: METRIC_NAMESPACE,
      POWERTOOLS_LOG_LEVEL: 'INFO',
    };
    const common = {
      memorySize: props.memorySize ?? DEFAULTS.memorySize,
      logRetention: props.logRetention ?? DEFAULTS.logRetention,
      environment,
    };

    // A Zoho call makes at most 3 attempts of 5 s plus backoff (about 17 s). The refresh needs one
    // such call and a few AWS calls: 30 s. An exchange that fails after Zoho answered also revokes
    // the new refresh token (a second call) while putting the secrets back: 60 s.
    const exchange = new KeeperFunction(this, 'Exchange', {
      ...common,
      asset: 'exchange',
      description: `Exchanges a Zoho grant code for tokens (connection ${this.connectionName})`,
      timeout: Duration.seconds(60),
      logGroupName: `${this.names.logGroupPrefix}/exchange`,
    });
    const refresh = new KeeperFunction(this, 'Refresh', {
      ...common,
      asset: 'refresh',
      description: `Refreshes the Zoho access token (connection ${this.connectionName})`,
      timeout: Duration.seconds(30),
      logGroupName: `${this.names.logGroupPrefix}/refresh`,
      reservedConcurrentExecutions: reservedConcurrency === 0 ? undefined : reservedConcurrency,
      environment: { ...environment, [ENV.refreshRateMinutes]: String(refreshRate.toMinutes()) },
      // A scheduled event Lambda could not run (throttled behind forced refreshes) is still worth
      // running late, since it renews a token that may expire before the next run, but not for
      // Lambda's default 6 hours: within an hour the next scheduled run has taken its place.
      maxEventAge: Duration.hours(1),
    });
    // The fixed name is how the operator commands find this connection, whatever stack holds it.
    (exchange.function.node.defaultChild as lambda.CfnFunction).functionName = this.names.exchangeFunction;
    this.exchangeFunction = exchange.function;
    this.refreshFunction = refresh.function;

    const schedule = new ScheduledRefresh(this, 'RefreshSchedule', {
      scheduleName: this.names.refreshSchedule,
      refreshFunction: refresh.function,
      rate: refreshRate,
    });
    this.deadLetterQueue = schedule.deadLetterQueue;

    // The exchange connects and disconnects: it writes both secrets and cancels a pending follow-up.
    this.grantReadWrite(this.credentialsSecret, exchange.role);
    this.grantReadWrite(this.accessTokenSecret, exchange.role);
    schedule.grantRead(exchange.role);
    schedule.grantCancelFollowUp(exchange.role);
    // The refresh reads the refresh token but only ever writes the access token.
    this.grantReadOnly(this.credentialsSecret, refresh.role);
    this.grantReadWrite(this.accessTokenSecret, refresh.role);
    schedule.grantRead(refresh.role);
    schedule.grantFollowUp(refresh.role);
    this.denyCredentialsToOthers(
      [exchange.role, refresh.role, props.credentialsBreakGlassRole],
      props.removalPolicy ?? DEFAULTS.removalPolicy,
    );
    // Both keep the state table and announce its changes: a connect or disconnect, a failed refresh.
    for (const role of [exchange.role, refresh.role]) {
      stateTable.grantStateAccess(role);
      this.eventBus.grantPutEventsTo(role);
    }

    this.alarmTopic = props.alarmTopic ?? this.createAlarmTopic(props.alarmEmail);
    const monitoring = new ConnectionMonitoring(this, 'Monitoring', {
      connectionName: this.connectionName,
      alarmPrefix: this.names.alarmPrefix,
      dashboardName: this.names.dashboard,
      exchangeFunction: exchange.function,
      refreshFunction: refresh.function,
      deadLetterQueue: schedule.deadLetterQueue,
      refreshScheduleName: this.names.refreshSchedule,
      refreshRate,
      alarmTopic: this.alarmTopic,
    });
    this.alarms = monitoring.alarms;
    this.dashboard = monitoring.dashboard;

    if (props.exampleConsumer ?? false) {
      this.exampleConsumerFunction = this.createExampleConsumer(common.memorySize, common.logRetention);
    }
  }

  /**
   * Wires a consumer in one call: `fn` may read the access-token secret (`grantRead`) and ask the
   * refresh function for a new token (`grantForceRefresh`), and finds both through the environment
   * variables the consumer library reads at cold start: `ACCESS_TOKEN_SECRET_ID` (the secret's ARN)
   * and `REFRESH_FUNCTION_NAME`.
   *
   * A consumer never gets the credentials secret: neither read access nor its name, so it can never
   * obtain the refresh token or the client secret. One connection per function: a second call for
   * another connection would replace the two variables (grant both and give `ZohoTokenReader` its
   * `secretId` and `refreshFunctionName` instead).
   */
  addConsumer(fn: lambda.Function): void {
    this.grantRead(fn);
    this.grantForceRefresh(fn);
    fn.addEnvironment(ENV.accessTokenSecretId, this.accessTokenSecret.secretArn);
    fn.addEnvironment(ENV.refreshFunctionName, this.refreshFunction.functionName);
  }

  /**
   * A rule on the connection's event bus that matches this connection's health events (source
   * `zoho-token-keeper`, detail-type `Zoho Connection State Change`, `detail.connectionName` this
   * connection), optionally only changes into `states`, sent to `target`. Like aws-cdk-lib's
   * `onXxx` methods, `eventPattern` in the options is merged into that pattern.
   *
   * ```ts
   * connection.onStateChange('NeedsReconnect', {
   *   states: ['needs-reconnect'],
   *   target: new targets.SnsTopic(topic),
   * });
   * ```
   */
  onStateChange(id: string, options: ZohoConnectionStateChangeOptions = {}): events.Rule {
    return stateChangeRule(
      this,
      id,
      { eventBus: this.eventBus, connectionName: this.connectionName },
      options,
    );
  }

  /**
   * Lets the grantee (typically another Lambda function) read the access-token secret, and decrypt
   * it when a customer-managed key is configured. Never the credentials secret.
   */
  grantRead(grantee: iam.IGrantable): iam.Grant {
    const grant = this.accessTokenSecret.grantRead(grantee);
    this.grantKeyThroughSecretsManager(grantee, 'kms:Decrypt');
    return grant;
  }

  /**
   * Lets the grantee ask the refresh function for a new access token (`{"force": true}`), as the
   * consumer library does when Zoho rejects a token: `lambda:InvokeFunction` on that function only.
   * The grantee must be an IAM identity of this account, such as a Lambda function or a role.
   */
  grantForceRefresh(grantee: iam.IGrantable): iam.Grant {
    // The unqualified function ARN only, not also `<arn>:*` as grantInvoke would add: consumers
    // invoke it by name, and it has no version or alias to invoke.
    const grant = iam.Grant.addToPrincipal({
      grantee,
      actions: ['lambda:InvokeFunction'],
      resourceArns: [this.refreshFunction.functionArn],
    });
    if (!grant.success) {
      throw new Error(
        `grantForceRefresh could not add the permission to ${grantee.grantPrincipal}: give it an IAM identity ` +
          'of this account (a Lambda function or a role), or use refreshFunction.grantInvoke for anything else.',
      );
    }
    return grant;
  }

  private createExampleConsumer(memorySize: number, logRetention: logs.RetentionDays): lambda.IFunction {
    const example = new KeeperFunction(this, 'ExampleConsumer', {
      asset: 'example-consumer',
      description: `Example consumer: reads the Zoho access token and calls Zoho CRM (connection ${this.connectionName})`,
      // Room for a forced refresh (the refresh function may run 30 s) and then the Zoho API call.
      timeout: Duration.seconds(60),
      memorySize,
      logRetention,
      logGroupName: `${this.names.logGroupPrefix}/example-consumer`,
      // Nothing of the keeper's own configuration: addConsumer adds all a consumer may know.
      environment: {},
    });
    this.addConsumer(example.function);
    return example.function;
  }

  private createSecret(
    id: string,
    options: { secretName: string; description: string; props: ZohoConnectionProps },
  ): secretsmanager.Secret {
    const secret = new secretsmanager.Secret(this, id, {
      secretName: options.secretName,
      description: options.description,
      // An empty document: the operator or the exchange function fills it, never the template.
      secretStringValue: SecretValue.unsafePlainText('{}'),
      encryptionKey: options.props.encryptionKey,
      removalPolicy: options.props.removalPolicy ?? DEFAULTS.removalPolicy,
    });
    acknowledge(secret, {
      id: 'AwsSolutions-SMG4',
      reason:
        'Zoho tokens cannot be rotated by Secrets Manager; the refresh function renews the access token.',
    });
    return secret;
  }

  private grantReadOnly(secret: secretsmanager.Secret, role: iam.IRole): void {
    secret.grantRead(role);
    this.grantKeyThroughSecretsManager(role, 'kms:Decrypt');
  }

  /**
   * Read plus PutSecretValue only: `grantWrite` would also allow UpdateSecret (changing the key or
   * description) and UpdateSecretVersionStage, which the functions never need.
   */
  private grantReadWrite(secret: secretsmanager.Secret, role: iam.IRole): void {
    secret.grantRead(role);
    iam.Grant.addToPrincipal({
      grantee: role,
      actions: ['secretsmanager:PutSecretValue'],
      resourceArns: [secret.secretArn],
    });
    // Writing under a customer-managed key needs a data key, asked for by Secrets Manager on our behalf.
    this.grantKeyThroughSecretsManager(role, 'kms:Decrypt', 'kms:GenerateDataKey');
  }

  /**
   * IAM policies alone cannot keep the refresh token from a principal that holds `secretsmanager:*`
   * on `*` (a CI or admin role). An explicit Deny in the secret's resource policy wins over any
   * Allow, so it holds against those too. Two statements, because the deployment must keep
   * working: CloudFormation updates the secret and this policy, but it never needs the value, and a
   * stack that could read it would be a way around the policy (a `{{resolve:secretsmanager:...}}`
   * reference). DescribeSecret and DeleteSecret stay open: they reveal or change no value, and stack
   * deletion needs the latter.
   *
   * With `cdk bootstrap`'s roles (DefaultStackSynthesizer) CloudFormation calls with its execution
   * role, which the write statement names, so nothing else is exempt: an `aws:CalledViaFirst`
   * exemption would let any principal that may create a stack deploy its own
   * `AWS::SecretsManager::ResourcePolicy` for this secret, replace this policy and read the value.
   * What remains is the execution role itself: who may deploy with it (the bootstrap's deploy role
   * passes it) can still replace the policy, as any deployment of this stack must be able to.
   * Other synthesizers deploy with the caller's own credentials, which no template can name; there
   * the exemption stays, and the guard is only as strong as the permission to create stacks: who
   * may `cloudformation:CreateStack` (or UpdateStack) with `secretsmanager:*` can replace the policy.
   *
   * The policy is kept as long as the secrets are: a retained refresh token without it would be
   * readable by every principal with `secretsmanager:GetSecretValue` on it.
   */
  private denyCredentialsToOthers(
    allowed: readonly (iam.IRole | undefined)[],
    removalPolicy: RemovalPolicy,
  ): void {
    const allowedArns = allowed.flatMap((role) => (role ? [role.roleArn] : []));
    const deny = (
      sid: string,
      actions: readonly string[],
      exempt: readonly string[],
      otherConditions: Readonly<Record<string, Record<string, string>>> = {},
    ) =>
      this.credentialsSecret.addToResourcePolicy(
        new iam.PolicyStatement({
          sid,
          effect: iam.Effect.DENY,
          principals: [new iam.AnyPrincipal()],
          actions: [...actions],
          resources: [this.credentialsSecret.secretArn],
          conditions: { ArnNotEquals: { 'aws:PrincipalArn': [...exempt] }, ...otherConditions },
        }),
      );
    deny('OnlyTheKeeperReadsTheCredentials', CREDENTIALS_READ_ACTIONS, allowedArns);
    const deployer = cloudFormationExecutionRoleArn(Stack.of(this));
    const { policyDependable } = deployer
      ? deny('OnlyTheKeeperAndItsDeploymentWriteTheCredentials', CREDENTIALS_WRITE_ACTIONS, [
          ...allowedArns,
          deployer,
        ])
      : deny('OnlyTheKeeperAndItsDeploymentWriteTheCredentials', CREDENTIALS_WRITE_ACTIONS, allowedArns, {
          StringNotEquals: { 'aws:CalledViaFirst': 'cloudformation.amazonaws.com' },
        });
    if (!(policyDependable instanceof secretsmanager.ResourcePolicy)) {
      throw new Error('The credentials secret has no resource policy: its value would be unguarded.');
    }
    policyDependable.applyRemovalPolicy(removalPolicy);
  }

  /**
   * Secret.grantRead grants decrypt to a kms.ViaServicePrincipal, which lands in the key policy of a
   * key created in the same stack but silently grants nothing on an imported key. An identity-policy
   * statement works for both (given the key policy trusts the account, as the default one does).
   */
  private grantKeyThroughSecretsManager(grantee: iam.IGrantable, ...actions: string[]): void {
    if (!this.encryptionKey) return;
    iam.Grant.addToPrincipal({
      grantee,
      actions,
      resourceArns: [this.encryptionKey.keyArn],
      conditions: {
        StringEquals: { 'kms:ViaService': `secretsmanager.${Stack.of(this).region}.amazonaws.com` },
      },
    });
  }

  private createAlarmTopic(alarmEmail: string | undefined): sns.ITopic | undefined {
    if (alarmEmail === undefined) return undefined;
    if (!/^[^\s@]+@[^\s@]+$/.test(alarmEmail)) {
      throw new Error(`alarmEmail "${alarmEmail}" is not an email address.`);
    }
    const topic = new sns.Topic(this, 'AlarmTopic', {
      displayName: `Zoho token keeper alarms (${this.connectionName})`,
      enforceSSL: true,
    });
    topic.addSubscription(new subscriptions.EmailSubscription(alarmEmail));
    acknowledge(topic, {
      id: 'AwsSolutions-SNS2',
      reason:
        'Alarm notifications carry no secret, and CloudWatch cannot publish to a topic under the AWS-managed SNS key.',
    });
    return topic;
  }
}

/** Everything that reveals the credentials secret's value. */
const CREDENTIALS_READ_ACTIONS = ['secretsmanager:GetSecretValue'] as const;

/**
 * Everything that changes the credentials secret's value, or the policy that protects it: a
 * principal that could delete this policy, restore an older version or replicate the secret to a
 * region of its choosing could read the value next.
 */
const CREDENTIALS_WRITE_ACTIONS = [
  'secretsmanager:PutSecretValue',
  'secretsmanager:UpdateSecret',
  'secretsmanager:UpdateSecretVersionStage',
  'secretsmanager:RestoreSecret',
  'secretsmanager:RotateSecret',
  'secretsmanager:CancelRotateSecret',
  'secretsmanager:PutResourcePolicy',
  'secretsmanager:DeleteResourcePolicy',
  'secretsmanager:ReplicateSecretToRegions',
] as const;

/**
 * The role CloudFormation deploys the stack with, when the stack is synthesised for `cdk bootstrap`'s
 * roles (the default). Other synthesizers deploy with the caller's credentials, which CloudFormation
 * uses itself: those calls carry `aws:CalledViaFirst`.
 */
function cloudFormationExecutionRoleArn(stack: Stack): string | undefined {
  const synthesizer = stack.synthesizer;
  if (!(synthesizer instanceof DefaultStackSynthesizer)) return undefined;
  // The getter every aws-cdk-lib of the peer range has; the stack bound its synthesizer already.
  return Fn.sub(synthesizer.cloudFormationExecutionRoleArn);
}

function assertRefreshRate(rate: Duration): void {
  const minutes = rate.toMinutes({ integral: false });
  if (!Number.isInteger(minutes) || minutes < 10 || minutes > 55) {
    throw new Error(
      `refreshRate must be a whole number of minutes from 10 to 55, got ${rate.toHumanString()}: ` +
        'Zoho access tokens live 60 minutes.',
    );
  }
}
