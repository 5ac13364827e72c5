import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { STATE_TABLE_KEY } from '../../functions/lib/environment.js';
import { connectionNames, MAX_CONNECTION_NAME_LENGTH } from '../../infra/connection-names.js';
import { ZohoConnection } from '../../infra/zoho-connection.js';
import { ZohoTokenKeeperStack } from '../../infra/zoho-token-keeper-stack.js';
import {
  FAST_CONTEXT,
  KEY_ACCOUNT_ENV,
  KEY_ARN,
  policyStatementsOf,
  ref,
  type Synthesised,
  synthesise,
} from './connection-test-kit.js';

beforeAll(() => {
  vi.stubEnv('CDK_VALIDATION', 'false');
});
afterAll(() => {
  vi.unstubAllEnvs();
});

/** DynamoDB's rule for table names. */
const DYNAMODB_TABLE_NAME = /^[A-Za-z0-9_.-]{3,255}$/;

type Statement = { Action: unknown; Resource: unknown };

function statementsNaming(template: Template, prefix: string): Statement[] {
  const policies = Object.values(template.findResources('AWS::IAM::Policy')) as {
    Properties: { PolicyDocument: { Statement: Statement[] } };
  }[];
  return policies
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement)
    .filter((statement) => [statement.Action].flat().some((action) => String(action).startsWith(prefix)));
}

describe('the state table', () => {
  let synthesised: Synthesised;
  beforeAll(() => {
    synthesised = synthesise({}, (stack, connection) => {
      // A consumer, wired the usual way, must get nothing on the table.
      connection.grantRead(new iam.Role(stack, 'Reader', { assumedBy: new iam.AccountRootPrincipal() }));
    });
  });

  it('is one on-demand table per connection, keyed by pk, named after the connection', () => {
    const { template } = synthesised;
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      TableName: 'zoho-token-keeper-crm-state',
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      ProvisionedThroughput: Match.absent(),
    });
    expect(STATE_TABLE_KEY.attribute).toBe('pk');
    expect(connectionNames('crm').stateTable).toBe('zoho-token-keeper-crm-state');
  });

  it('is deleted with the stack (it holds no secret and is rebuilt from the secrets), unlike the secrets', () => {
    synthesised.template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Delete',
      UpdateReplacePolicy: 'Delete',
    });
    synthesised.template.allResources('AWS::SecretsManager::Secret', {
      DeletionPolicy: 'RetainExceptOnCreate',
    });
  });

  it('is encrypted with an AWS-owned key when no key is given', () => {
    const table = Object.values(synthesised.template.findResources('AWS::DynamoDB::Table'))[0] as {
      Properties: { SSESpecification?: { SSEEnabled?: boolean; KMSMasterKeyId?: unknown } };
    };
    // SSEEnabled false (or no specification) is DynamoDB's AWS-owned key; true would be aws/dynamodb.
    expect(table.Properties.SSESpecification?.SSEEnabled ?? false).toBe(false);
    expect(table.Properties.SSESpecification?.KMSMasterKeyId).toBeUndefined();
  });

  it('lets the exchange and refresh functions get, put and update its item, on this table only', () => {
    const { template, stack, connection } = synthesised;
    const expected = {
      Effect: 'Allow',
      Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
      Resource: ref(stack, connection.stateTable.tableArn),
    };
    for (const fn of [connection.exchangeFunction, connection.refreshFunction]) {
      expect(policyStatementsOf(template, stack, fn.role)).toContainEqual(expected);
    }
    // Nobody else (the consumer, the scheduler) is granted anything on DynamoDB.
    expect(statementsNaming(template, 'dynamodb:')).toEqual([expected, expected]);
  });

  it('is named in the stack output StateTableName', () => {
    const app = new App({ context: FAST_CONTEXT });
    const stack = new ZohoTokenKeeperStack(app, 'ZohoTokenKeeper-crm', { connectionName: 'crm' });
    const outputs = Template.fromStack(stack).toJSON().Outputs;
    expect(outputs.StateTableName.Value).toEqual(ref(stack, stack.connection.stateTable.tableName));
  });

  it('has a valid DynamoDB name for the longest connection name', () => {
    const longest = 'a'.repeat(MAX_CONNECTION_NAME_LENGTH);
    const { template } = synthesise({ connectionName: longest });
    const name = `zoho-token-keeper-${longest}-state`;
    template.hasResourceProperties('AWS::DynamoDB::Table', { TableName: name });
    expect(name).toMatch(DYNAMODB_TABLE_NAME);
  });
});

describe('the state table with a customer-managed key', () => {
  it('is encrypted with the key, which the functions may use only through DynamoDB', () => {
    const app = new App({ context: FAST_CONTEXT });
    const stack = new Stack(app, 'Keyed', { env: KEY_ACCOUNT_ENV });
    const connection = new ZohoConnection(stack, 'Connection', {
      connectionName: 'crm',
      encryptionKey: kms.Key.fromKeyArn(stack, 'Key', KEY_ARN),
    });
    const template = Template.fromStack(stack);

    template.hasResourceProperties('AWS::DynamoDB::Table', {
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: KEY_ARN },
    });
    for (const fn of [connection.exchangeFunction, connection.refreshFunction]) {
      expect(policyStatementsOf(template, stack, fn.role)).toContainEqual({
        Effect: 'Allow',
        Action: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'],
        Resource: KEY_ARN,
        Condition: { StringEquals: { 'kms:ViaService': 'dynamodb.eu-west-1.amazonaws.com' } },
      });
    }
  });
});
