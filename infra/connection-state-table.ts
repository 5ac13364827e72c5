import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { STATE_TABLE_KEY } from '../functions/lib/environment.js';
import { acknowledge } from './acknowledge.js';

export interface ConnectionStateTableProps {
  readonly tableName: string;
  /** @default - DynamoDB's AWS-owned key */
  readonly encryptionKey?: kms.IKey;
}

/**
 * Every item operation the keeper's functions make on the state table: they read the one item and
 * change it only with conditional writes. No DeleteItem, since the runtime never removes the item
 * (a disconnect is a state too), and no Scan or Query: the item's key is fixed.
 */
const STATE_ACTIONS = ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'] as const;

/**
 * What DynamoDB asks KMS for on a caller's behalf when the table is under a customer-managed key;
 * no wildcard actions (`kms:GenerateDataKey*` would also allow the pair and plaintext-less variants).
 */
const KEY_ACTIONS = ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'] as const;

/**
 * One connection's DynamoDB table of state: connection state, failure bookkeeping, hold-back times
 * and the lease that orders the writers. It holds no token and no secret, and the functions rebuild its one item from the
 * secrets whenever it is missing.
 */
export class ConnectionStateTable extends Construct {
  readonly table: dynamodb.Table;
  private readonly encryptionKey?: kms.IKey;

  constructor(scope: Construct, id: string, props: ConnectionStateTableProps) {
    super(scope, id);
    this.encryptionKey = props.encryptionKey;
    this.table = new dynamodb.Table(this, 'Table', {
      tableName: props.tableName,
      partitionKey: { name: STATE_TABLE_KEY.attribute, type: dynamodb.AttributeType.STRING },
      // One item, a few reads and writes an hour: on demand costs cents a month, provisioned
      // capacity would cost more while idle.
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      ...(props.encryptionKey
        ? { encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED, encryptionKey: props.encryptionKey }
        : { encryption: dynamodb.TableEncryption.DEFAULT }),
      // Deleted with the stack, unlike the secrets: the table holds no secret and nothing that
      // cannot be rebuilt from the secrets, and a retained table would keep its fixed name taken so
      // that the next deployment of the connection fails until someone deletes it by hand.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    acknowledge(this.table, {
      id: 'AwsSolutions-DDB3',
      reason:
        'The table holds no secret and nothing that cannot be rebuilt: the functions rebuild its item ' +
        'from the secrets whenever it is missing, so a point-in-time restore would add nothing.',
    });
  }

  /**
   * Lets the grantee read the connection's item and change it (GetItem, PutItem, UpdateItem on this
   * table only), and use the customer-managed key through DynamoDB when there is one.
   */
  grantStateAccess(grantee: iam.IGrantable): iam.Grant {
    const grant = iam.Grant.addToPrincipal({
      grantee,
      actions: [...STATE_ACTIONS],
      resourceArns: [this.table.tableArn],
    });
    if (this.encryptionKey) {
      iam.Grant.addToPrincipal({
        grantee,
        actions: [...KEY_ACTIONS],
        resourceArns: [this.encryptionKey.keyArn],
        conditions: {
          StringEquals: { 'kms:ViaService': `dynamodb.${Stack.of(this).region}.amazonaws.com` },
        },
      });
    }
    return grant;
  }
}
