import { App, Stack, type StackProps } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ZohoConnection } from '../../infra/zoho-connection.js';
import {
  FAST_CONTEXT,
  KEY_ACCOUNT_ENV,
  KEY_ARN,
  policyStatementsOf,
  ref,
  type Synthesised,
  synthesise,
  VIA_SECRETS_MANAGER,
} from './connection-test-kit.js';

beforeAll(() => {
  vi.stubEnv('CDK_VALIDATION', 'false');
});
afterAll(() => {
  vi.unstubAllEnvs();
});

function connectionInStack(props: StackProps = {}, encryptionKeyArn?: string): ZohoConnection {
  const stack = new Stack(new App({ context: FAST_CONTEXT }), 'Test', props);
  return new ZohoConnection(stack, 'Connection', {
    connectionName: 'crm',
    encryptionKey: encryptionKeyArn ? kms.Key.fromKeyArn(stack, 'Key', encryptionKeyArn) : undefined,
  });
}

function readerRole(stack: Stack): iam.Role {
  return new iam.Role(stack, 'Reader', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
}

/** Another team's function, with a variable of its own. */
function consumerFunction(stack: Stack): lambda.Function {
  return new lambda.Function(stack, 'Consumer', {
    runtime: lambda.Runtime.NODEJS_24_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('export const handler = async () => ({});'),
    environment: { STAGE: 'prod' },
  });
}

function readTokenStatement(stack: Stack, connection: ZohoConnection): unknown {
  return {
    Effect: 'Allow',
    Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
    Resource: ref(stack, connection.accessTokenSecret.secretArn),
  };
}

/** One resource, the unqualified function ARN: not also `<arn>:*`, as grantInvoke would add. */
function forceRefreshStatement(stack: Stack, connection: ZohoConnection): unknown {
  return {
    Effect: 'Allow',
    Action: 'lambda:InvokeFunction',
    Resource: ref(stack, connection.refreshFunction.functionArn),
  };
}

describe('grantRead', () => {
  it('lets a consumer read the access-token secret and nothing else', () => {
    const connection = connectionInStack();
    const stack = Stack.of(connection);
    const reader = readerRole(stack);
    connection.grantRead(reader);

    const statements = policyStatementsOf(Template.fromStack(stack), stack, reader);
    expect(statements).toEqual([readTokenStatement(stack, connection)]);
  });

  it('adds decrypt on the customer-managed key, through Secrets Manager only', () => {
    const connection = connectionInStack({ env: KEY_ACCOUNT_ENV }, KEY_ARN);
    const stack = Stack.of(connection);
    const reader = readerRole(stack);
    connection.grantRead(reader);

    const statements = policyStatementsOf(Template.fromStack(stack), stack, reader);
    expect(statements).toEqual([
      readTokenStatement(stack, connection),
      { Effect: 'Allow', Action: 'kms:Decrypt', Resource: KEY_ARN, Condition: VIA_SECRETS_MANAGER },
    ]);
  });
});

describe('grantForceRefresh', () => {
  it('lets the grantee invoke the refresh function itself, with no :* qualifier, and nothing else', () => {
    const connection = connectionInStack();
    const stack = Stack.of(connection);
    const reader = readerRole(stack);

    const grant = connection.grantForceRefresh(reader);

    expect(grant.success).toBe(true);
    const template = Template.fromStack(stack);
    const statements = policyStatementsOf(template, stack, reader);
    expect(statements).toEqual([forceRefreshStatement(stack, connection)]);
    expect(JSON.stringify(statements)).not.toContain(':*');
    // An identity policy only: the refresh function's own resource policy stays closed.
    template.resourceCountIs('AWS::Lambda::Permission', 0);
  });

  it('refuses a grantee that cannot hold an identity policy, rather than silently granting nothing', () => {
    const connection = connectionInStack();
    const act = () => connection.grantForceRefresh(new iam.ServicePrincipal('events.amazonaws.com'));
    expect(act).toThrow(/grantForceRefresh could not add the permission .* IAM identity of this account/);
  });
});

describe('addConsumer', () => {
  let consumer: lambda.Function;
  let synthesised: Synthesised;
  beforeAll(() => {
    synthesised = synthesise({}, (stack, connection) => {
      consumer = consumerFunction(stack);
      connection.addConsumer(consumer);
    });
  });

  it('points the consumer at the access-token secret and the refresh function, keeping its own variables', () => {
    const { template, stack, connection } = synthesised;
    template.hasResourceProperties('AWS::Lambda::Function', {
      Role: ref(stack, consumer.role?.roleArn ?? ''),
      Environment: {
        Variables: Match.objectEquals({
          STAGE: 'prod',
          ACCESS_TOKEN_SECRET_ID: ref(stack, connection.accessTokenSecret.secretArn),
          REFRESH_FUNCTION_NAME: ref(stack, connection.refreshFunction.functionName),
        }),
      },
    });
  });

  it('lets the consumer read the access-token secret and invoke the refresh function, nothing more', () => {
    const { template, stack, connection } = synthesised;
    expect(policyStatementsOf(template, stack, consumer.role)).toEqual([
      readTokenStatement(stack, connection),
      forceRefreshStatement(stack, connection),
    ]);
  });

  it('never gives the consumer the credentials secret: no permission on it, not even its name', () => {
    const { template, stack, connection } = synthesised;
    const consumerResources = JSON.stringify([
      policyStatementsOf(template, stack, consumer.role),
      template.findResources('AWS::Lambda::Function', {
        Properties: { Role: ref(stack, consumer.role?.roleArn ?? '') },
      }),
    ]);
    expect(consumerResources).not.toContain(
      JSON.stringify(ref(stack, connection.credentialsSecret.secretArn)),
    );
    expect(consumerResources).not.toContain('credentials');
    expect(consumerResources).not.toContain('CREDENTIALS_SECRET_ID');
  });

  it('adds decrypt on a customer-managed key, through Secrets Manager only', () => {
    const connection = connectionInStack({ env: KEY_ACCOUNT_ENV }, KEY_ARN);
    const stack = Stack.of(connection);
    const keyedConsumer = consumerFunction(stack);
    connection.addConsumer(keyedConsumer);

    expect(policyStatementsOf(Template.fromStack(stack), stack, keyedConsumer.role)).toEqual([
      readTokenStatement(stack, connection),
      { Effect: 'Allow', Action: 'kms:Decrypt', Resource: KEY_ARN, Condition: VIA_SECRETS_MANAGER },
      forceRefreshStatement(stack, connection),
    ]);
  });
});

describe('the example consumer', () => {
  it('is not deployed unless asked for', () => {
    const { template, connection } = synthesise();
    expect(connection.exampleConsumerFunction).toBeUndefined();
    template.resourceCountIs('AWS::Lambda::Function', 2);
    template.resourceCountIs('AWS::Logs::LogGroup', 2);
  });

  describe('with exampleConsumer: true', () => {
    let synthesised: Synthesised;
    let example: lambda.IFunction;
    beforeAll(() => {
      synthesised = synthesise({ exampleConsumer: true });
      const deployed = synthesised.connection.exampleConsumerFunction;
      if (!deployed) throw new Error('no example consumer was deployed');
      example = deployed;
    });

    it('runs the example handler like the keeper functions, configured only as a consumer', () => {
      const { template, stack, connection } = synthesised;
      template.resourceCountIs('AWS::Lambda::Function', 3);
      template.hasResourceProperties('AWS::Lambda::Function', {
        Role: ref(stack, example.role?.roleArn ?? ''),
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        MemorySize: 256,
        Timeout: 60,
        LoggingConfig: { LogFormat: 'JSON', LogGroup: Match.anyValue() },
        ReservedConcurrentExecutions: Match.absent(),
        Environment: {
          Variables: Match.objectEquals({
            ACCESS_TOKEN_SECRET_ID: ref(stack, connection.accessTokenSecret.secretArn),
            REFRESH_FUNCTION_NAME: ref(stack, connection.refreshFunction.functionName),
            NODE_OPTIONS: '--enable-source-maps',
          }),
        },
      });
    });

    it('never lets Lambda retry it', () => {
      const { template, stack } = synthesised;
      template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: ref(stack, example.functionName),
        MaximumRetryAttempts: 0,
      });
    });

    it('writes to a log group of its own, kept 30 days and deleted with the stack', () => {
      synthesised.template.hasResource('AWS::Logs::LogGroup', {
        Properties: { LogGroupName: '/zoho-token-keeper/crm/example-consumer', RetentionInDays: 30 },
        DeletionPolicy: 'Delete',
      });
    });

    it('may write its log, read the access token and ask for a refresh: nothing more', () => {
      const { template, stack, connection } = synthesised;
      const logGroup = connection.node
        .findChild('ExampleConsumer')
        .node.findChild('LogGroup') as logs.ILogGroup;
      expect(policyStatementsOf(template, stack, example.role)).toEqual([
        {
          Effect: 'Allow',
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Resource: ref(stack, logGroup.logGroupArn),
        },
        readTokenStatement(stack, connection),
        forceRefreshStatement(stack, connection),
      ]);
    });
  });
});
